"""The timed runs of `python -m inference.bench`, each measured as one Phase.

(a) sequential generate, (b) one static left-padded batch, (c) transformers `generate_batch`,
(d) this engine with N concurrent submitters arriving staggered. Greedy, EOS ignored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import torch

from ..engine import Engine
from ..loader import LoadedModel
from ..params import SamplingParams
from .report import MemorySampler, Phase

STAGGER_S = 0.05  # gap between submitters starting


def chat_ids(lm: LoadedModel, prompt: str) -> list[int]:
    msgs = [{"role": "user", "content": prompt}]
    if not lm.is_chat:
        return lm.tokenizer(prompt)["input_ids"]
    text = lm.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    return lm.tokenizer(text, add_special_tokens=False)["input_ids"]


def _gen_config(lm: LoadedModel, n: int) -> Any:
    from transformers import GenerationConfig

    pad = lm.tokenizer.pad_token_id
    pad = lm.tokenizer.eos_token_id if pad is None else pad
    return GenerationConfig(max_new_tokens=n, do_sample=False, eos_token_id=[], pad_token_id=pad)


class _StepClock:
    """A logits processor that only records when each decoding step happens."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        self.times.append(time.perf_counter())
        return scores


def run_sequential(lm: LoadedModel, ids: list[list[int]], n: int) -> tuple[Phase, list[list[int]]]:
    from transformers import LogitsProcessorList

    phase, outs = Phase("a) sequential generate"), []
    with MemorySampler(lm.device) as mem:
        for p in ids:
            clock = _StepClock()
            t0 = time.perf_counter()
            x = torch.tensor([p], device=lm.device)
            with torch.no_grad():
                out = lm.model.generate(
                    x,
                    attention_mask=torch.ones_like(x),
                    generation_config=_gen_config(lm, n),
                    logits_processor=LogitsProcessorList([clock]),
                )
            outs.append(out[0, len(p) :].tolist())
            phase.add_request(t0, clock.times, len(outs[-1]))
    phase.peak_mb = mem.peak_mb
    return phase, outs


def run_static_batch(lm: LoadedModel, ids: list[list[int]], n: int) -> Phase:
    from transformers import LogitsProcessorList

    phase, width = Phase("b) static padded batch"), max(map(len, ids))
    pad = _gen_config(lm, n).pad_token_id
    x = torch.tensor([[pad] * (width - len(p)) + p for p in ids], device=lm.device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in ids], device=lm.device)
    clock = _StepClock()
    with MemorySampler(lm.device) as mem:
        t0 = time.perf_counter()
        with torch.no_grad():
            out = lm.model.generate(
                x,
                attention_mask=mask,
                generation_config=_gen_config(lm, n),
                logits_processor=LogitsProcessorList([clock]),
            )
    for _ in ids:
        phase.add_request(t0, clock.times, out.shape[1] - width)
    phase.peak_mb = mem.peak_mb
    return phase


def run_generate_batch(lm: LoadedModel, ids: list[list[int]], n: int) -> Phase:
    phase = Phase("c) transformers generate_batch")
    try:
        with MemorySampler(lm.device) as mem:
            t0 = time.perf_counter()
            with torch.no_grad():
                outs = lm.model.generate_batch(
                    inputs=ids, generation_config=_gen_config(lm, n), record_timestamps=True
                )
        for o in outs.values():
            phase.add_request(t0, list(o.timestamps or []), len(o.generated_tokens))
        phase.peak_mb = mem.peak_mb
    except Exception as exc:  # noqa: BLE001 - an optional baseline; record why it failed
        phase.error = f"{type(exc).__name__}: {exc}"[:300]
    return phase


def _stamper(stamps: list[float]) -> Callable[[str], None]:
    """An on_text callback that records when each piece of text arrives."""
    return lambda _piece: stamps.append(time.perf_counter())


def run_engine(
    engine: Engine, prompts: list[str], n: int, submitters: int
) -> tuple[Phase, list[list[int]]]:
    phase = Phase(f"d) engine, {submitters} concurrent")
    params = SamplingParams(temperature=0.0, max_new_tokens=n, ignore_eos=True)
    jobs = [prompts[i % len(prompts)] for i in range(max(len(prompts), submitters))]
    tokens: dict[int, list[int]] = {}
    lock = threading.Lock()

    def submitter(k: int) -> None:
        time.sleep(k * STAGGER_S)
        for j in range(k, len(jobs), submitters):
            stamps: list[float] = []
            t0 = time.perf_counter()
            msgs = [{"role": "user", "content": jobs[j]}]
            res = engine.submit(
                messages=msgs,
                params=params,
                on_text=_stamper(stamps),
            ).result()
            assert res.ttft_s is not None  # EOS is ignored: every request yields tokens
            with lock:
                phase.add_request(t0, [t0 + res.ttft_s, *stamps[1:]], res.completion_tokens)
                tokens[j] = res.token_ids

    with MemorySampler(engine.lm.device) as mem:
        threads = [threading.Thread(target=submitter, args=(k,)) for k in range(submitters)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    phase.peak_mb = mem.peak_mb
    phase.extra = {"max_batch_size_seen": engine.metrics()["max_batch_size_seen"]}
    return phase, [tokens[i] for i in range(len(prompts))]
