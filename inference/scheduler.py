"""The continuous-batching policy: which requests hold a KV slot and what each step computes.

Requests wait in arrival order until a slot is free. Every step runs one token per decoding
request plus a bounded budget of prompt tokens, so a burst of new prompts delays running
streams by at most one chunk per step.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .request import RequestHandle
from .runner import Runner, Segment
from .sequence import Sequence

# With nobody decoding, nobody waits on prefill: a step may take this many prompt tokens.
IDLE_PREFILL = 512


@dataclass(slots=True)
class Batch:
    """One step's work: segments[i] belongs to seqs[i]; decode rows come first."""

    segments: list[Segment]
    seqs: list[Sequence]


class Scheduler:
    """Run by the engine thread; submitters only queue requests and read the queue's length,
    under the engine's lock.

    new_sequence(handle, slot) builds the engine-side state of an admitted request.
    reuse_prefixes: admitted prompts start from the runner's cached prefix KV, if any.
    """

    def __init__(
        self,
        runner: Runner,
        new_sequence: Callable[[RequestHandle, int], Sequence],
        *,
        max_batch_size: int,
        max_queue: int,
        prefill_chunk: int,
        reuse_prefixes: bool,
    ) -> None:
        self.runner = runner
        self.new_sequence = new_sequence
        self.max_batch_size, self.max_queue = max_batch_size, max_queue
        self.prefill_chunk = prefill_chunk
        self.reuse_prefixes = reuse_prefixes
        self.waiting: deque[RequestHandle] = deque()
        self.live: list[Sequence] = []
        self.free = list(range(max_batch_size))

    @property
    def idle(self) -> bool:
        return not (self.waiting or self.live)

    def has_room(self) -> bool:
        """Whether one more request may queue. Free slots count as room too: requests land
        there at the next step."""
        free = max(0, self.max_batch_size - len(self.live))
        return len(self.waiting) < self.max_queue + free

    def add(self, handle: RequestHandle) -> None:
        self.waiting.append(handle)

    def drop_waiting(self, now: float) -> list[tuple[RequestHandle, str]]:
        """Take cancelled and timed-out requests out of the queue; -> (handle, reason)."""
        gone = [h for h in self.waiting if h.cancel_requested or (h.deadline or now + 1) < now]
        for h in gone:
            self.waiting.remove(h)
        return [(h, "cancelled" if h.cancel_requested else "timeout") for h in gone]

    def admit(self) -> None:
        """Move waiting requests into free slots, restoring cached prefix KV where it exists."""
        while self.waiting and self.free:
            self.free.sort()  # lowest slots first keeps the attended slot range tight
            slot = self.free.pop(0)
            seq = self.new_sequence(self.waiting.popleft(), slot)
            if self.reuse_prefixes:
                seq.cursor = self.runner.reuse_prefix(slot, seq.prompt)
            self.live.append(seq)

    def expire(self, now: float) -> None:
        """Mark live requests that were cancelled or ran past their deadline as finished."""
        for seq in self.live:
            if seq.handle.cancel_requested:
                seq.finish_reason = "cancelled"
            elif seq.handle.deadline is not None and now > seq.handle.deadline:
                seq.finish_reason = "timeout"

    def schedule(self) -> Batch:
        """Every decoding request's next token, then prompt chunks within the prefill budget."""
        batch = Batch([], [])
        for seq in self.live:
            if not seq.prefilling:
                batch.segments.append(Segment(seq.slot, seq.tokens[-1:], seq.length - 1))
                batch.seqs.append(seq)
        budget = self.prefill_chunk if batch.segments else max(self.prefill_chunk, IDLE_PREFILL)
        for seq in self.live:
            if seq.prefilling and budget > 0:
                n = min(budget, len(seq.prompt) - seq.cursor)
                chunk = seq.prompt[seq.cursor : seq.cursor + n]
                batch.segments.append(Segment(seq.slot, chunk, seq.cursor))
                batch.seqs.append(seq)
                seq.cursor += n
                budget -= n
        return batch

    def retire(self) -> list[Sequence]:
        """Take finished requests out of their slots and free the slots' KV; -> those requests."""
        done = [s for s in self.live if s.finish_reason]
        if not done:
            return done
        self.live = [s for s in self.live if not s.finish_reason]
        for seq in done:
            if self.reuse_prefixes and seq.tokens and seq.finish_reason in ("stop", "length"):
                # A conversation's next turn starts with this prompt and this answer: keep the
                # answer's KV too (all but the last token, which was never fed), so that turn
                # prefills only its new message.
                self.runner.remember_prefix(seq.slot, seq.prompt + seq.tokens[:-1])
            self.runner.release(seq.slot)
            self.free.append(seq.slot)
        return done
