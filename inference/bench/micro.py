"""`python -m inference.bench --micro`: time one decode step of each forward, rows = requests.

Compares the HF forward (DynamicCache), the lean runner with F.linear, and the lean runner as
shipped (w @ x.T), in the calling thread, same prompt length, median of a few steps.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from .. import llama
from ..loader import LoadedModel
from ..runner import Segment

PROMPT = 48


def _median_ms(fn: Callable[[int], object], reps: int = 9) -> float:
    fn(0)
    times = []
    for i in range(reps):
        t = time.perf_counter()
        fn(i + 1)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def _hf_step(model: Any, rows: int) -> Callable[[int], None]:
    from transformers import DynamicCache

    cache = DynamicCache()
    with torch.inference_mode():
        model(torch.full((rows, PROMPT), 100, device=model.device), cache=cache)

    def step(i: int) -> None:
        with torch.inference_mode():
            model(torch.full((rows, 1), 5, device=model.device), cache=cache)

    return step


def _lean_step(runner: llama.LlamaRunner, rows: int) -> Callable[[int], torch.Tensor]:
    runner.step([Segment(r, [100] * PROMPT, 0) for r in range(rows)])
    return lambda i: runner.step([Segment(r, [5], PROMPT + i) for r in range(rows)])


def micro(lm: LoadedModel, rows_list: tuple[int, ...] = (1, 2, 4, 16, 32)) -> list[dict]:
    runner = llama.LlamaRunner(lm.model, max(rows_list), 1024)
    shipped, dense = llama.linear, lambda x, w, b=None: F.linear(x, w, b)
    out = []
    print(f"\none decode step, ms (context {PROMPT}, {torch.get_num_threads()} threads)")
    print(f"{'rows':>5} {'HF forward':>11} {'lean+F.linear':>14} {'lean (shipped)':>15}")
    for rows in rows_list:
        hf = _median_ms(_hf_step(lm.model, rows))
        try:
            llama.linear = dense
            lean_dense = _median_ms(_lean_step(runner, rows))
        finally:
            llama.linear = shipped
        lean = _median_ms(_lean_step(runner, rows))
        print(f"{rows:5d} {hf:11.1f} {lean_dense:14.1f} {lean:15.1f}")
        out.append({"rows": rows, "hf_ms": hf, "lean_f_linear_ms": lean_dense, "lean_ms": lean})
    return out
