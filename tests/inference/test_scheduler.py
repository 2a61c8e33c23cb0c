"""The batching policy on its own: admission into slots, the prefill budget, retirement."""

from __future__ import annotations

import torch

from inference.params import SamplingParams
from inference.request import RequestHandle
from inference.scheduler import IDLE_PREFILL, Scheduler
from inference.sequence import Sequence


class FakeRunner:
    """Records what the scheduler asks of the KV side; restores 4 cached tokens per prompt."""

    prefix = None

    def __init__(self) -> None:
        self.released: list[int] = []
        self.reused: list[int] = []

    def step(self, segs):
        raise AssertionError("the scheduler never runs the model")

    def release(self, slot: int) -> None:
        self.released.append(slot)

    def shrink(self) -> None:
        pass

    def reuse_prefix(self, slot: int, prompt: list[int]) -> int:
        self.reused.append(slot)
        return 4

    def remember_prefix(self, slot: int, prompt: list[int]) -> None:
        pass


def _scheduler(runner, *, slots=2, queue=1, chunk=4, reuse=False) -> Scheduler:
    return Scheduler(
        runner,
        lambda h, slot: Sequence(h, slot, None, torch.device("cpu")),
        max_batch_size=slots,
        max_queue=queue,
        prefill_chunk=chunk,
        reuse_prefixes=reuse,
    )


def _handle(rid: int, n: int) -> RequestHandle:
    params = SamplingParams(temperature=0.0)
    return RequestHandle(rid, list(range(100, 100 + n)), params, None, lambda: None)


def test_admission_fills_the_lowest_free_slots_in_arrival_order():
    runner = FakeRunner()
    sched = _scheduler(runner)
    for rid, n in ((1, 10), (2, 3), (3, 2)):
        assert sched.has_room()
        sched.add(_handle(rid, n))
    assert not sched.has_room()  # 2 free slots + a queue of 1
    sched.admit()
    assert [(s.handle.id, s.slot) for s in sched.live] == [(1, 0), (2, 1)]
    assert [h.id for h in sched.waiting] == [3] and runner.reused == []


def test_prefill_budget_is_a_chunk_while_others_decode():
    sched = _scheduler(FakeRunner(), chunk=4)
    sched.add(_handle(1, 2 * IDLE_PREFILL))
    sched.admit()
    batch = sched.schedule()  # nobody decodes: a big bite
    assert [(s.slot, len(s.ids), s.start) for s in batch.segments] == [(0, IDLE_PREFILL, 0)]
    first = sched.live[0]
    first.cursor = len(first.prompt)
    first.tokens.append(7)
    sched.add(_handle(2, 10))
    sched.admit()
    batch = sched.schedule()  # decode row first, then one chunk of the new prompt
    assert [(s.slot, s.ids, s.start) for s in batch.segments] == [
        (0, [7], len(first.prompt)),
        (1, list(range(100, 104)), 0),
    ]
    assert batch.seqs == sched.live and sched.live[1].cursor == 4


def test_prefix_reuse_moves_the_cursor_and_retirement_frees_the_slot():
    runner = FakeRunner()
    sched = _scheduler(runner, reuse=True)
    sched.add(_handle(1, 10))
    sched.admit()
    seq = sched.live[0]
    assert runner.reused == [0] and seq.cursor == 4
    assert sched.schedule().segments[0].start == 4
    seq.handle.cancel()
    sched.expire(0.0)
    assert [s.handle.id for s in sched.retire()] == [1]
    assert runner.released == [0] and sched.free == [1, 0] and sched.idle


def test_cancelled_and_expired_requests_leave_the_queue():
    sched = _scheduler(FakeRunner(), slots=1, queue=3)
    kept, cancelled = _handle(1, 3), _handle(2, 3)
    late = RequestHandle(3, [1], SamplingParams(deadline_s=1.0), None, lambda: None)
    for h in (kept, cancelled, late):
        sched.add(h)
    cancelled.cancel()
    dropped = sched.drop_waiting(late.submitted_at + 2.0)
    assert [(h.id, reason) for h, reason in dropped] == [(2, "cancelled"), (3, "timeout")]
    assert list(sched.waiting) == [kept]
