"""Counters the engine thread updates and any thread can read (under the engine's lock)."""

from __future__ import annotations

import time
from collections import Counter, deque

_WINDOW_S = 10.0


class Metrics:
    def __init__(self, max_batch_size: int) -> None:
        self.max_batch_size = max_batch_size
        self.steps = 0
        self.tokens_generated = 0
        self.requests_finished = 0
        self.last_batch_size = 0
        self.max_batch_size_seen = 0
        self.histogram: Counter[int] = Counter()
        self._recent: deque[tuple[float, int]] = deque()

    def record_step(self, batch: int, new_tokens: int) -> None:
        now = time.perf_counter()
        self.steps += 1
        self.tokens_generated += new_tokens
        self.last_batch_size = batch
        self.max_batch_size_seen = max(self.max_batch_size_seen, batch)
        self.histogram[batch] += 1
        self._recent.append((now, new_tokens))
        while self._recent and self._recent[0][0] < now - _WINDOW_S:
            self._recent.popleft()

    def snapshot(self, queue_depth: int, active: int) -> dict:
        now = time.perf_counter()
        recent = [(t, n) for t, n in self._recent if t >= now - _WINDOW_S]
        span = now - recent[0][0] if len(recent) > 1 else 0.0
        tps = sum(n for _, n in recent[1:]) / span if span > 0 else 0.0
        return {
            "queue_depth": queue_depth,
            "active_requests": active,
            "last_batch_size": self.last_batch_size,
            "max_batch_size_seen": self.max_batch_size_seen,
            "max_batch_size": self.max_batch_size,
            "batch_size_histogram": dict(sorted(self.histogram.items())),
            "steps": self.steps,
            "tokens_generated": self.tokens_generated,
            "tokens_per_second": tps,
            "requests_finished": self.requests_finished,
        }
