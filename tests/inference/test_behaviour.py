"""Streaming, stop strings, seeds, cancellation, limits and failures on the tiny models."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from inference import Engine, EngineError, PromptTooLong, QueueFull, SamplingParams

from .util import prompt_of

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def engine(tiny_llama):
    with Engine(tiny_llama, max_batch_size=8, prefill_chunk=16) as eng:
        yield eng


def greedy(n=20, **kw) -> SamplingParams:
    return SamplingParams(temperature=0.0, max_new_tokens=n, ignore_eos=True, **kw)


def test_stream_pieces_concatenate_to_result(engine):
    h = engine.submit(prompt_of(6, 1), params=greedy(30))
    pieces = list(h)
    res = h.result(30)
    assert "".join(pieces) == res.text and res.completion_tokens == 30
    assert res.finish_reason == "length" and res.ttft_s is not None and res.total_s >= res.ttft_s


def test_stop_string_across_token_boundary_is_never_emitted(engine, tiny_llama):
    tok = tiny_llama.tokenizer
    prompt = prompt_of(9, 2)
    base = engine.submit(prompt, params=greedy(40)).result(30)
    pieces = [tok.decode([t]) for t in base.token_ids]
    # A stop string made of the tail of one token and the head of the next.
    i = next(i for i in range(3, len(pieces) - 1) if len(pieces[i]) > 1 and pieces[i + 1])
    stop = pieces[i][-1] + pieces[i + 1][:2]
    cut = base.text.index(stop)
    streamed: list[str] = []
    h = engine.submit(
        prompt, params=greedy(40, stop=(stop, "never-there")), on_text=streamed.append
    )
    res = h.result(30)
    assert res.finish_reason == "stop"
    assert res.text == base.text[:cut] == "".join(streamed)
    assert stop not in "".join(streamed)


def test_seed_reproducible_inside_mixed_batches(engine):
    sampled = SamplingParams(temperature=1.0, top_k=50, top_p=0.9, max_new_tokens=25, seed=1234)
    alone = engine.submit(prompt_of(5, 3), params=sampled).result(30)
    others = [
        engine.submit(prompt_of(4 + i, i), params=SamplingParams(temperature=0.8, seed=i))
        for i in range(4)
    ] + [engine.submit(prompt_of(11, 9), params=greedy(30))]
    again = engine.submit(prompt_of(5, 3), params=sampled)
    more = [
        engine.submit(prompt_of(3, i), params=SamplingParams(max_new_tokens=8)) for i in range(2)
    ]
    assert again.result(30).token_ids == alone.token_ids
    for h in others + more:
        h.result(30)
    different = SamplingParams(temperature=1.0, top_k=50, top_p=0.9, max_new_tokens=25, seed=99)
    assert engine.submit(prompt_of(5, 3), params=different).result(30).token_ids != alone.token_ids


def test_cancel_mid_stream_frees_slot_and_keeps_partial_text(engine):
    h = engine.submit(prompt_of(5, 4), params=greedy(200))
    pieces = []
    for piece in h:
        pieces.append(piece)
        if len(pieces) == 3:
            steps_at_cancel = engine.metrics()["steps"]
            h.cancel()
    res = h.result(10)
    assert res.finish_reason == "cancelled"
    assert 3 <= res.completion_tokens < 200 and res.text == "".join(pieces)
    assert engine.metrics()["steps"] - steps_at_cancel <= 2  # gone within one decode step
    assert engine.metrics()["active_requests"] == 0


def test_queue_overflow_is_refused_clearly(tiny_llama):
    with Engine(tiny_llama, max_batch_size=1, max_queue=2) as eng:
        handles = []
        with pytest.raises(QueueFull, match="queue is full"):
            for _ in range(10):
                handles.append(eng.submit(prompt_of(3, 1), params=greedy(200)))
        assert 2 <= len(handles) <= 3
        for h in handles:
            h.cancel()
        assert all(h.result(10).finish_reason == "cancelled" for h in handles)
        assert eng.submit(prompt_of(3, 1), params=greedy(3)).result(10).finish_reason == "length"


def test_over_long_prompt_is_refused(engine, tiny_llama):
    limit = tiny_llama.max_context
    long_prompt = "the " * (limit + 10)
    assert engine.count_tokens(long_prompt) > limit
    with pytest.raises(PromptTooLong, match="context"):
        engine.submit(long_prompt)
    assert issubclass(PromptTooLong, EngineError) and issubclass(QueueFull, EngineError)
    ids = tiny_llama.tokenizer("the " * 400)["input_ids"][: limit - 1]
    fits = tiny_llama.tokenizer.decode(ids)
    assert engine.count_tokens(fits) == limit - 1  # exactly room for one new token
    res = engine.submit(fits, params=greedy(50)).result(30)
    assert res.finish_reason == "length" and res.completion_tokens == 1


def test_deadline_times_out_with_partial_text(engine):
    pieces: list[str] = []
    slow = lambda piece: (pieces.append(piece), time.sleep(0.02))  # noqa: E731
    params = greedy(200, deadline_s=0.3)
    res = engine.submit(prompt_of(4, 5), params=params, on_text=slow).result(30)
    assert res.finish_reason == "timeout"
    assert 0 < res.completion_tokens < 200 and res.text == "".join(pieces)


def test_failing_callback_fails_only_its_request(engine):
    def boom(piece: str) -> None:
        raise RuntimeError("callback exploded")

    expected = engine.submit(prompt_of(7, 6), params=greedy(15)).result(30).token_ids
    good = [engine.submit(prompt_of(7, 6), params=greedy(15)) for _ in range(3)]
    bad = engine.submit(prompt_of(4, 7), params=greedy(15), on_text=boom)
    res = bad.result(30)
    assert res.finish_reason == "error" and "callback exploded" in res.error
    assert all(h.result(30).token_ids == expected for h in good)
    assert engine.submit(prompt_of(2, 1), params=greedy(3)).result(30).finish_reason == "length"


def test_async_iteration_and_await(engine):
    async def main():
        handles = [engine.submit(prompt_of(3 + i, i), params=greedy(12)) for i in range(4)]

        async def collect(h):
            return "".join([p async for p in h]), await h

        return await asyncio.gather(*(collect(h) for h in handles))

    for text, res in asyncio.run(main()):
        assert text == res.text and res.completion_tokens == 12


def test_many_threads_submit_at_once(engine):
    expected = {
        i: engine.submit(prompt_of(2 + i % 5, i), params=greedy(10)).result(30).token_ids
        for i in range(5)
    }
    barrier, out, errors = threading.Barrier(24), {}, []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            out[n] = engine.submit(prompt_of(2 + n % 5, n % 5), params=greedy(10)).result(60)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors and len(out) == 24
    assert all(out[n].token_ids == expected[n % 5] for n in out)
    m = engine.metrics()
    for key in (
        "queue_depth",
        "active_requests",
        "last_batch_size",
        "batch_size_histogram",
        "steps",
        "tokens_generated",
        "tokens_per_second",
        "requests_finished",
    ):
        assert key in m
    assert m["max_batch_size_seen"] > 1 and m["tokens_generated"] >= 240


def test_messages_chat_template_and_plain_concat(engine, tiny_gpt2):
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi there"}]
    tok = engine.lm.tokenizer
    text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert engine.count_tokens(messages=msgs) == len(
        tok(text, add_special_tokens=False)["input_ids"]
    )
    assert engine.submit(messages=msgs, params=greedy(4)).result(30).completion_tokens == 4
    with Engine(tiny_gpt2, max_batch_size=2) as eng:
        assert not tiny_gpt2.is_chat
        assert eng.count_tokens(messages=msgs) == eng.count_tokens("Be brief.\n\nHi there")
        assert eng.submit(messages=msgs, params=greedy(4)).result(30).completion_tokens == 4
    with pytest.raises(ValueError):
        engine.submit("x", messages=msgs)


def test_close_finishes_pending_requests(tiny_llama):
    eng = Engine(tiny_llama, max_batch_size=1)
    handles = [eng.submit(prompt_of(3, i), params=greedy(250)) for i in range(3)]
    eng.close()
    assert all(h.result(10).finish_reason == "cancelled" for h in handles)
    with pytest.raises(EngineError, match="closed"):
        eng.submit("hello")


def test_gpt2_seeded_sampling_stop_and_cancel(tiny_gpt2):
    sampled = SamplingParams(temperature=0.9, top_k=20, max_new_tokens=20, seed=7, ignore_eos=True)
    with Engine(tiny_gpt2, max_batch_size=4, prefill_chunk=8) as eng:
        alone = eng.submit(prompt_of(6, 2), params=sampled).result(30)
        noise = [eng.submit(prompt_of(3 + i, i), params=greedy(30)) for i in range(3)]
        assert eng.submit(prompt_of(6, 2), params=sampled).result(30).token_ids == alone.token_ids
        h = eng.submit(prompt_of(4, 1), params=greedy(200))
        next(iter(h))
        h.cancel()
        assert h.result(10).finish_reason == "cancelled"
        assert all(x.result(30).finish_reason == "length" for x in noise)
