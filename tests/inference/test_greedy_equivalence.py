"""The engine's greedy output equals plain `generate` for each prompt alone, token for token."""

from __future__ import annotations

import time

import pytest

from inference import Engine, SamplingParams

from .util import prompt_of, reference, staggered

N_NEW = 24


def _check(lm, runner: str) -> None:
    prompts = [prompt_of(n, seed=n) for n in (1, 3, 7, 12, 20, 30, 45, 60)]
    ids = [lm.tokenizer(p)["input_ids"] for p in prompts]
    assert len({len(i) for i in ids}) == len(ids)  # really different lengths
    expected = [reference(lm, i, N_NEW) for i in ids]
    params = SamplingParams(temperature=0.0, max_new_tokens=N_NEW)

    # 8 requests over 4 slots and a small prefill chunk: queueing, slot reuse, chunked prefill
    # and prompts joining while others decode are all on the path.
    def slow(piece: str) -> None:
        # Runs in the engine thread: a tiny model finishes a request within the 10 ms
        # stagger otherwise, and then nothing would be batched.
        time.sleep(0.002)

    with Engine(lm, max_batch_size=4, prefill_chunk=8, runner=runner) as engine:
        results = staggered(
            lambda p: engine.submit(p, params=params, on_text=slow).result(60), prompts
        )
        assert engine.metrics()["max_batch_size_seen"] > 1
    for exp, res, i in zip(expected, results, ids, strict=True):
        assert res.token_ids == exp
        assert res.prompt_tokens == len(i)
        assert res.finish_reason == ("stop" if len(exp) < N_NEW else "length")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("runner", ["auto", "hf"])
def test_llama_matches_generate(tiny_llama, runner):
    _check(tiny_llama, runner)


@pytest.mark.timeout(120)
def test_gpt2_matches_generate(tiny_gpt2):
    _check(tiny_gpt2, "auto")


def test_lean_runner_is_picked_for_llama(tiny_llama, tiny_gpt2):
    from inference.hf_runner import HFRunner
    from inference.llama import LlamaRunner

    with Engine(tiny_llama, max_batch_size=2) as engine:
        assert isinstance(engine.runner, LlamaRunner)
    with Engine(tiny_gpt2, max_batch_size=2) as engine:
        assert isinstance(engine.runner, HFRunner)


@pytest.mark.timeout(300)
def test_smollm2_default_engine_agrees_with_float32_generate(smollm, smollm_engine):
    """Batching may change float32 rounding, so only the first 16 tokens must agree."""
    prompts = [
        "What is the capital of Japan?",
        "Write a haiku about autumn.",
        "Explain recursion to a child.",
    ]
    tok = smollm.tokenizer
    params = SamplingParams(temperature=0.0, max_new_tokens=16, ignore_eos=True)
    handles = [
        smollm_engine.submit(messages=[{"role": "user", "content": p}], params=params)
        for p in prompts
    ]
    for p, h in zip(prompts, handles, strict=True):
        text = tok.apply_chat_template(
            [{"role": "user", "content": p}], tokenize=False, add_generation_prompt=True
        )
        ids = tok(text, add_special_tokens=False)["input_ids"]
        exp = reference(smollm, ids, 16)
        got = h.result(120).token_ids
        assert got[: len(exp)] == exp, (p, tok.decode(got), tok.decode(exp))


@pytest.mark.timeout(120)
def test_shared_prefix_reuse_keeps_greedy_output(tiny_llama):
    system = {"role": "system", "content": prompt_of(25, 3)}
    convs = [[system, {"role": "user", "content": prompt_of(2 + i, i)}] for i in range(6)]
    tok = tiny_llama.tokenizer
    params = SamplingParams(temperature=0.0, max_new_tokens=N_NEW)
    with Engine(tiny_llama, max_batch_size=3, prefill_chunk=8) as engine:
        results = staggered(lambda m: engine.submit(messages=m, params=params).result(60), convs)
        store = engine.runner.prefix
        assert store.hits >= 4 and store.reused_tokens >= 4 * 24
    for msgs, res in zip(convs, results, strict=True):
        text = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert res.token_ids == reference(tiny_llama, ids, N_NEW)


@pytest.mark.timeout(120)
def test_prefix_reuse_after_the_cache_grew_in_a_step(tmp_path):
    """A conversation's later turns outgrow the cache's first capacity (256 tokens), which
    then grows inside a step (inference mode); restoring a cached prefix into it afterwards
    must work (it used to raise and stop the engine's loop) and keep greedy output."""
    from inference import load_model
    from tests.tiny_models import write_tiny_llama

    lm = load_model(str(write_tiny_llama(tmp_path / "long", positions=1024)), device="cpu")
    tok = lm.tokenizer
    params = SamplingParams(temperature=0.0, max_new_tokens=N_NEW)
    first = [{"role": "user", "content": prompt_of(160, 1)}]
    with Engine(lm, max_batch_size=2, prefill_chunk=64) as engine:
        one = engine.submit(messages=first, params=params).result(60)
        assert one.finish_reason in ("stop", "length")
        answer = tok.decode(one.token_ids, skip_special_tokens=True)
        later = [
            *first,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": "more"},
        ]
        two = engine.submit(messages=later, params=params).result(60)
        assert engine.runner.prefix.hits >= 1
    text = tok.apply_chat_template(later, tokenize=False, add_generation_prompt=True)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) > 256 and two.error is None
    assert two.token_ids == reference(lm, ids, N_NEW)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_conversations_next_turn_reuses_the_answers_kv(smollm):
    """Turn 2's prompt is turn 1's prompt + its answer + a new message: with the answer's KV
    kept at retirement, only the new message is prefilled, and the output stays greedy."""
    tok = smollm.tokenizer
    params = SamplingParams(temperature=0.0, max_new_tokens=24)
    first = [{"role": "user", "content": "Explain what a hash table is."}]
    with Engine(smollm) as engine:
        one = engine.submit(messages=first, params=params).result(120)
        later = [
            *first,
            {"role": "assistant", "content": one.text},
            {"role": "user", "content": "Shorter, please."},
        ]
        before = engine.runner.prefix.reused_tokens
        two = engine.submit(messages=later, params=params).result(120)
        reused = engine.runner.prefix.reused_tokens - before
    assert reused > one.prompt_tokens + one.completion_tokens // 2  # the answer too
    text = tok.apply_chat_template(later, tokenize=False, add_generation_prompt=True)
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert two.token_ids == reference(smollm, ids, 24)
