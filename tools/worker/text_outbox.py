"""The worker's outbox: text the engine produced, on its way to each run's Redis stream."""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

from .. import streams

log = logging.getLogger(__name__)


class Outbox:
    """Moves streamed text from the engine thread to Redis without slowing the engine.

    The engine calls `put` (via on_text) for every piece; that only appends to a list. One
    publisher thread per process drains it, merges each run's pieces of the moment into one
    event and sends everything in one pipeline. A run's first piece goes out at once (time to
    first token); after that, pieces are sent at most every `interval` seconds. Every event
    costs the Redis server, each viewer's web process and browser a wake-up, and on a shared
    CPU those wake-ups are taken from the engine's own threads; a reader does not see the
    difference between a word every step and a few words every 50 ms.
    """

    def __init__(self, interval: float | None = None) -> None:
        self._cond = threading.Condition()
        self._items: list[tuple[str, str]] = []
        self._queued = 0
        self._sent = 0
        self._urgent = False
        self._interval = interval
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        if self._interval is not None:
            return self._interval
        return settings.GPTSTORE_STREAM_FLUSH_MS / 1000

    def put(self, run_id: str, text: str, *, urgent: bool = False) -> None:
        with self._cond:
            # While the publisher holds text back, more of it need not wake it up.
            wake = urgent or not self._items
            self._items.append((run_id, text))
            self._queued += 1
            self._urgent = self._urgent or urgent
            if wake:
                self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything put so far is in Redis (or given up on)."""
        self.start()
        with self._cond:
            target = self._queued
            self._urgent = True
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._sent >= target, timeout)

    def start(self) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="gptstore-outbox", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        last = 0.0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._items)
                hold = last + self.interval - time.monotonic()
                if hold > 0 and not self._urgent:
                    self._cond.wait_for(lambda: self._urgent, timeout=hold)
                items, self._items = self._items, []
                self._urgent = False
                upto = self._queued
            merged: dict[str, list[str]] = {}
            for run_id, text in items:
                merged.setdefault(run_id, []).append(text)
            for attempt in range(3):
                try:
                    r = streams.client()
                    pipe = r.pipeline(transaction=False)
                    for run_id, texts in merged.items():
                        key = streams.stream_key(run_id)
                        event = streams.encode({"type": "text", "text": "".join(texts)})
                        pipe.xadd(key, {"e": event}, maxlen=streams.STREAM_MAXLEN, approximate=True)
                        pipe.expire(key, settings.GPTSTORE_STREAM_TTL)
                    pipe.execute()
                    break
                except (redis.RedisError, OSError) as exc:
                    log.warning("outbox: Redis write failed (%s), attempt %d", exc, attempt + 1)
                    time.sleep(0.2 * (attempt + 1))
            last = time.monotonic()
            with self._cond:
                self._sent = upto
                self._cond.notify_all()


outbox = Outbox()
