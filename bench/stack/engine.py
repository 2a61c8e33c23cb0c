"""The engine alone: the benchmark's prompts submitted straight to an engine in this process."""

from __future__ import annotations

import threading
import time

from bench.stack.workload import summary, tool_messages


class EngineAlone:
    """The same engine configuration as a worker's, driven directly in this process."""

    def __init__(self) -> None:
        from tools.worker.engine import build_engine

        # Built the way a worker builds its engine (same settings, same CPU priority), in a
        # thread of its own so this process's other threads keep their priority.
        box: dict = {}
        builder = threading.Thread(target=lambda: box.update(engine=build_engine()[1]))
        builder.start()
        builder.join()
        self.engine = box["engine"]

    def round(self, questions: list[str], max_new_tokens: int) -> dict:
        from inference import SamplingParams

        params = SamplingParams(temperature=0.0, max_new_tokens=max_new_tokens)
        clocks = [TextClock() for _ in questions]
        t0 = time.perf_counter()
        handles = [
            engine_submit(self.engine, tool_messages(q), params, clock)
            for q, clock in zip(questions, clocks, strict=True)
        ]
        results = [h.result() for h in handles]
        wall = time.perf_counter() - t0
        ttfts = [(c.first or t0 + r.total_s) - t0 for c, r in zip(clocks, results, strict=True)]
        tokens = sum(r.completion_tokens for r in results)
        return summary("engine", ttfts, tokens, wall, [g for c in clocks for g in c.gaps])

    def close(self) -> None:
        self.engine.close()


class TextClock:
    """An engine `on_text` that times one run's text as a user sees it: the first non-empty
    piece (as on the stack path) and the gaps between the pieces after it."""

    def __init__(self) -> None:
        self.first = self._last = 0.0
        self.gaps: list[float] = []

    def __call__(self, piece: str) -> None:
        if not piece:
            return
        now = time.perf_counter()
        if self.first:
            self.gaps.append(now - self._last)
        else:
            self.first = now
        self._last = now


def engine_submit(engine, messages, params, on_text):
    return engine.submit(messages=messages, params=params, on_text=on_text)
