from __future__ import annotations

import threading
import time

import torch

GREEDY = dict(temperature=0.0)


def reference(lm, ids: list[int], n: int, logits_processor=None) -> list[int]:
    """Plain HF greedy generate for one prompt alone, cut after its EOS."""
    with torch.no_grad():
        out = lm.model.generate(
            torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=n,
            do_sample=False,
            logits_processor=logits_processor,
        )
    new = out[0, len(ids) :].tolist()
    eos = lm.model.generation_config.eos_token_id
    eos = {eos} if isinstance(eos, int) else set(eos or [])
    for i, t in enumerate(new):
        if t in eos:
            return new[: i + 1]
    return new


def prompt_of(n_words: int, seed: int) -> str:
    words = "the quick brown fox jumps over lazy dog unit tests catch bugs early".split()
    return " ".join(words[(seed * 7 + i * 3) % len(words)] for i in range(n_words))


def staggered(fn, items, gap_s: float = 0.01):
    """Call fn(item) from one thread per item, started gap_s apart; return results in order."""
    results: list = [None] * len(items)

    def run(i, item):
        results[i] = fn(item)

    threads = []
    for i, item in enumerate(items):
        t = threading.Thread(target=run, args=(i, item))
        t.start()
        threads.append(t)
        time.sleep(gap_s)
    for t in threads:
        t.join(120)
    return results
