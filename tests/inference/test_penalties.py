"""OpenAI's frequency and presence penalties in the engine: batched greedy output equals
plain `generate` with the penalties applied by a logits processor written out here."""

from __future__ import annotations

import pytest
from transformers import LogitsProcessor, LogitsProcessorList

from inference import Engine, SamplingParams

from .util import prompt_of, reference, staggered

N_NEW = 20
FREQUENCY, PRESENCE = 0.8, 0.3


class OpenAIPenalties(LogitsProcessor):
    """The penalties as OpenAI documents them, over the tokens after the prompt."""

    def __init__(self, n_prompt: int, frequency: float, presence: float):
        self.n_prompt, self.frequency, self.presence = n_prompt, frequency, presence

    def __call__(self, input_ids, scores):
        scores = scores.clone()
        for token in set(input_ids[0, self.n_prompt :].tolist()):
            count = input_ids[0, self.n_prompt :].tolist().count(token)
            scores[0, token] -= self.frequency * count + self.presence
        return scores


def penalised(lm, ids: list[int], frequency: float, presence: float) -> list[int]:
    processors = LogitsProcessorList([OpenAIPenalties(len(ids), frequency, presence)])
    return reference(lm, ids, N_NEW, processors)


@pytest.mark.timeout(120)
def test_penalised_greedy_matches_generate_with_the_penalties(tiny_llama):
    prompts = [prompt_of(n, seed=n) for n in (2, 5, 9, 14, 21, 30)]
    ids = [tiny_llama.tokenizer(p)["input_ids"] for p in prompts]
    expected = [penalised(tiny_llama, i, FREQUENCY, PRESENCE) for i in ids]
    plain = [reference(tiny_llama, i, N_NEW) for i in ids]
    assert expected != plain  # the penalties change these answers: the test can fail
    params = SamplingParams(
        temperature=0.0,
        max_new_tokens=N_NEW,
        frequency_penalty=FREQUENCY,
        presence_penalty=PRESENCE,
    )
    with Engine(tiny_llama, max_batch_size=3, prefill_chunk=8) as engine:
        results = staggered(lambda p: engine.submit(p, params=params).result(60), prompts)
        # Unpenalised requests in the same engine are untouched.
        unpenalised = engine.submit(
            prompts[0], params=SamplingParams(temperature=0.0, max_new_tokens=N_NEW)
        )
        assert unpenalised.result(60).token_ids == plain[0]
    assert [r.token_ids for r in results] == expected


def test_a_sampled_penalised_request_is_the_same_alone_and_in_a_batch(tiny_llama):
    params = SamplingParams(temperature=0.9, seed=11, max_new_tokens=N_NEW, frequency_penalty=1.0)
    prompt = prompt_of(6, seed=3)
    with Engine(tiny_llama, max_batch_size=4) as engine:
        alone = engine.submit(prompt, params=params).result(60).token_ids
        others = [prompt_of(n, seed=n) for n in (4, 8, 12)]
        batch = staggered(
            lambda p: engine.submit(p, params=params).result(60), [prompt, *others], gap_s=0.0
        )
    assert batch[0].token_ids == alone
    # The same seed without the penalty draws another answer: the penalty was applied.
    plain = SamplingParams(temperature=0.9, seed=11, max_new_tokens=N_NEW)
    with Engine(tiny_llama, max_batch_size=4) as engine:
        assert engine.submit(prompt, params=plain).result(60).token_ids != alone


@pytest.mark.parametrize("field", ["frequency_penalty", "presence_penalty"])
@pytest.mark.parametrize("value", [2.5, -2.1, "1"])
def test_out_of_range_penalties_are_refused(field, value):
    with pytest.raises(ValueError, match=field):
        SamplingParams(**{field: value})
