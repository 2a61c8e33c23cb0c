"""Per-process helpers of an inference worker: leases, cancellation and engine metrics.

One daemon thread per worker process:
- listens on a Redis pub/sub channel for cancel requests and cancels the matching engine
  handle at once (the engine then frees the slot at its next step);
- every few seconds refreshes the lease key of each run this process holds (the reconciler
  fails `running` runs whose lease is gone: their worker died), re-checks cancel keys in case
  a pub/sub message was missed, and writes the engine's metrics to Redis.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time

import redis
from django.conf import settings

from .. import streams
from .engine import loaded_engines

log = logging.getLogger(__name__)


def worker_id() -> str:
    return os.environ.get("GPTSTORE_WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}"


class Supervisor:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handles: dict[str, object] = {}  # run id -> engine handle (None until submitted)
        self._thread: threading.Thread | None = None
        self._last_metrics: str | None = None
        self._stopping = threading.Event()

    # -- task side -------------------------------------------------------------------------
    def track(self, run_id: str) -> None:
        self.start()
        with self._lock:
            self._handles[str(run_id)] = None
        streams.client().set(streams.lease_key(run_id), worker_id(), ex=self.lease_ttl)

    def attach(self, run_id: str, handle) -> None:
        with self._lock:
            self._handles[str(run_id)] = handle
        if streams.client().exists(streams.cancel_key(run_id)):
            handle.cancel()

    def untrack(self, run_id: str) -> None:
        # Under the lock, so a lease refresh in progress cannot write the lease back afterwards.
        with self._lock:
            self._handles.pop(str(run_id), None)
            try:
                streams.client().delete(streams.lease_key(run_id))
            except redis.RedisError:
                log.warning("could not drop the lease of run %s", run_id)

    @property
    def lease_ttl(self) -> int:
        return settings.GPTSTORE_RUN_LEASE_TTL

    # -- the thread ------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(
                    target=self._loop, name="gptstore-supervisor", daemon=True
                )
                self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """End the thread (worker shutdown), so it does not keep retrying a Redis that is gone."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _cancel(self, run_id: str) -> None:
        with self._lock:
            handle = self._handles.get(run_id)
        if handle is not None:
            handle.cancel()

    def _loop(self) -> None:
        period = max(self.lease_ttl / 3, 0.5)
        next_tick = 0.0
        pubsub = None
        while not self._stopping.is_set():
            try:
                if pubsub is None:
                    pubsub = streams.client().pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(streams.CANCEL_CHANNEL)
                msg = pubsub.get_message(timeout=min(period, 1.0))
                if msg and msg.get("type") == "message":
                    self._cancel(str(msg["data"]))
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + period
                    self._tick()
            except (redis.RedisError, OSError) as exc:
                log.warning("supervisor lost Redis (%s); retrying", exc)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except (redis.RedisError, OSError):
                        log.debug("closing a broken pub/sub connection failed")
                pubsub = None
                self._stopping.wait(1.0)
        if pubsub is not None:
            try:
                pubsub.close()
            except (redis.RedisError, OSError):
                log.debug("closing the pub/sub connection failed")

    def _tick(self) -> None:
        r = streams.client()
        flags: list = []
        # The lock spans the refresh: a run untracked meanwhile would get its lease back for a
        # whole TTL, and the reconciler and a redelivery would take its worker for alive.
        with self._lock:
            ids = list(self._handles)
            if ids:
                pipe = r.pipeline(transaction=False)
                for run_id in ids:
                    pipe.set(streams.lease_key(run_id), worker_id(), ex=self.lease_ttl)
                    pipe.exists(streams.cancel_key(run_id))
                flags = pipe.execute()[1::2]
        for run_id, flag in zip(ids, flags, strict=True):
            if flag:
                self._cancel(run_id)
        self.write_metrics(r)

    def write_metrics(self, r: redis.Redis | None = None) -> None:
        """Publish this worker's engines: also its heartbeat, which says which models have a
        live worker (tools.selectors.models_served)."""
        engines = loaded_engines()
        if not engines:
            return
        per_model = {model_id: engine.metrics() for model_id, engine in engines.items()}
        # The top level stays one engine's figures (the first built: the worker's main model),
        # which /metrics and /readyz read; `models` has every engine's.
        data = dict(next(iter(per_model.values())))
        data["models"] = per_model
        data["worker"] = worker_id()
        data["updated"] = time.time()
        (r or streams.client()).set(
            streams.METRICS_PREFIX + worker_id(), json.dumps(data, default=str), ex=300
        )


supervisor = Supervisor()


def engine_metrics() -> dict[str, dict]:
    """Latest engine metrics of every live inference worker, by worker id."""
    r = streams.client()
    out = {}
    for key in r.scan_iter(match=streams.METRICS_PREFIX + "*", count=100):
        raw = r.get(key)
        if raw:
            out[key[len(streams.METRICS_PREFIX) :]] = json.loads(raw)
    return out
