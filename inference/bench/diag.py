"""`python -m inference.bench --diagnostics`: the measurements behind the engine's low-level
choices (docs/benchmarks.md), each printed by this one command.

1. OpenMP pools: a small parallel op and a matmul in a fresh process's main thread, in a new
   thread, in a new thread after the main thread ran a parallel region, and the same after
   `release_thread_pool()` on the main thread.
2. float32 matmul rates at this model's 16/64/256-row shapes and at 2048^3, in a thread.
3. Per-row sampling costs on a real next-token distribution of the model: torch.multinomial,
   exponential_ (Gumbel-style) and the inverse-CDF `draw`; a full sort against `_top_p`;
   the frequency penalty over a 300-token answer.
4. A full garbage collection with the model loaded, before and after gc.freeze().
5. The engine's throughput with 16 sampled requests (temperature 0.7, then also top_p 0.9).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import torch

from ..loader import LoadedModel
from ..params import SamplingParams
from ..sampling import _top_p, draw, penalize
from ..threads import release_thread_pool

_OMP_PROBE = """
import json, sys, threading, time
import torch
from inference.threads import release_thread_pool
mode = sys.argv[1]
x, w, a = torch.randn(16, 2304), torch.randn(2304, 576), torch.randn(200_000)
def probe(out):
    for _ in range(50): a.add_(1.0)
    t = time.perf_counter()
    for _ in range(2000): a.add_(1.0)
    out["add_us"] = (time.perf_counter() - t) / 2000 * 1e6
    for _ in range(20): x @ w
    t = time.perf_counter()
    for _ in range(500): x @ w
    out["mm_us"] = (time.perf_counter() - t) / 500 * 1e6
out = {}
if mode == "main":
    probe(out)
else:
    if mode in ("after-main", "after-release"):
        a.add_(1.0)  # the main thread runs a parallel region: it now owns a pool
    if mode == "after-release":
        release_thread_pool()
    t = threading.Thread(target=probe, args=(out,)); t.start(); t.join()
print(json.dumps(out))
"""


T = TypeVar("T")


def _in_thread(fn: Callable[[], T]) -> T:
    box: dict[str, T] = {}
    t = threading.Thread(target=lambda: box.update(r=fn()))
    t.start()
    t.join()
    return box["r"]


def _us(fn: Callable[[], Any], reps: int) -> float:
    for _ in range(min(20, reps)):
        fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps * 1e6


def openmp_pools() -> None:
    print("\n1. OpenMP pools (2,000 x add_ on 200k floats; 500 x 16x2304 @ 2304x576)")
    for mode in ("main", "thread", "after-main", "after-release"):
        proc = subprocess.run(
            [sys.executable, "-c", _OMP_PROBE, mode], capture_output=True, text=True, check=True
        )
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"   {mode:>14}: add {r['add_us']:6.1f} us   matmul {r['mm_us']:6.0f} us")


def gemm_rates(hidden: int, inter: int) -> None:
    print("\n2. float32 matmul rate in a thread (GFLOP/s)")
    release_thread_pool()
    for n, k, m in ((16, hidden, inter), (64, hidden, inter), (256, hidden, inter), (2048,) * 3):
        a, b = torch.randn(n, k), torch.randn(k, m)
        reps = 20 if n == 2048 else 200

        def timed(a: torch.Tensor = a, b: torch.Tensor = b, reps: int = reps) -> float:
            return _us(lambda: a @ b, reps)

        us = _in_thread(timed)
        print(f"   {n}x{k}x{m}: {2 * n * k * m / us / 1e3:6.0f}")


def sampling_costs(lm: LoadedModel) -> None:
    # A real next-token distribution: random logits are far flatter than a model's.
    ids = lm.tokenizer("My favourite thing to eat for breakfast is")["input_ids"]
    with torch.inference_mode():
        logits = lm.model(torch.tensor([ids], device=lm.device)).logits[0, -1].float().cpu()
    vocab = logits.numel()
    print(f"\n3. sampling one row over {vocab} tokens at temperature 0.7 (ms)")
    logits = logits / 0.7
    gen = torch.Generator().manual_seed(0)
    probs = torch.softmax(logits, -1)
    answer = torch.randint(0, vocab, (300,), generator=gen).tolist()
    penalty = SamplingParams(frequency_penalty=0.5)
    rows = {
        "torch.multinomial": lambda: torch.multinomial(probs, 1, generator=gen),
        "exponential_ + argmax": lambda: (
            probs / torch.empty_like(probs).exponential_(1.0, generator=gen)
        ).argmax(),
        "draw (inverse CDF)": lambda: draw(probs, gen),
        "top_p 0.9, full sort": lambda: torch.cumsum(torch.sort(probs, descending=True)[0], -1),
        "top_p 0.9, _top_p": lambda: _top_p(logits, 0.9),
        # What a penalised row adds each step: an answer of 300 tokens so far.
        "frequency penalty": lambda: penalize(logits, answer, penalty),
    }
    for name, fn in rows.items():
        print(f"   {name:>22}: {_us(fn, 300) / 1e3:.3f}")
    kept = int(torch.isfinite(_top_p(logits, 0.9)).sum())
    print(f"   (the top_p 0.9 nucleus here holds {kept} tokens)")


def gc_pause() -> None:
    t = time.perf_counter()
    gc.collect()
    before = (time.perf_counter() - t) * 1e3
    gc.freeze()
    t = time.perf_counter()
    gc.collect()
    after = (time.perf_counter() - t) * 1e3
    print(f"\n4. full garbage collection, model loaded: {before:.0f} ms; frozen: {after:.0f} ms")


def sampled_throughput(lm: LoadedModel, prompts: list[str], new_tokens: int) -> None:
    from ..engine import Engine
    from ..params import SamplingParams

    print(f"\n5. {len(prompts)} sampled requests submitted at once, {new_tokens} tokens (tok/s)")
    with Engine(lm) as engine:
        for label, top_p in (("temperature 0.7", 1.0), ("temperature 0.7, top_p 0.9", 0.9)):
            rates = []
            for _ in range(3):
                t = time.perf_counter()
                handles = [
                    engine.submit(
                        messages=[{"role": "user", "content": p}],
                        params=SamplingParams(
                            temperature=0.7,
                            top_p=top_p,
                            max_new_tokens=new_tokens,
                            ignore_eos=True,
                            seed=i,
                        ),
                    )
                    for i, p in enumerate(prompts)
                ]
                done = sum(h.result().completion_tokens for h in handles)
                rates.append(done / (time.perf_counter() - t))
            print(f"   {label:>27}: " + " / ".join(f"{r:.1f}" for r in rates))


def diagnostics(lm: LoadedModel, prompts: list[str], new_tokens: int) -> None:
    cfg = lm.model.config
    openmp_pools()
    # gate and up projections run as one fused matmul (inference/llama.py)
    gemm_rates(cfg.hidden_size, 2 * getattr(cfg, "intermediate_size", 4 * cfg.hidden_size))
    sampling_costs(lm)
    gc_pause()  # before any Engine: building one freezes the heap
    sampled_throughput(lm, prompts, new_tokens)
