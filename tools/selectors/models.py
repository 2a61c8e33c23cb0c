"""Reads about the registered models: which have a live worker, and what a tool runs on."""

from __future__ import annotations

import json
import time

import redis
from django.conf import settings

from .. import streams
from ..registry import ModelSpec, get_model, models


def models_served() -> set[str]:
    """Ids of the models some live inference worker serves now (their metrics are the
    heartbeat: written every third of a lease, stale after three)."""
    stale_after = 3.0 * settings.GPTSTORE_RUN_LEASE_TTL
    now = time.time()
    served: set[str] = set()
    try:
        r = streams.client()
        for key in r.scan_iter(match=streams.METRICS_PREFIX + "*", count=100):
            raw = r.get(key)
            data = json.loads(raw) if raw else {}
            if now - float(data.get("updated") or 0) <= stale_after:
                served.update(data.get("models") or {})
    except (redis.RedisError, OSError, ValueError):
        return set(models())  # cannot tell: say nothing rather than something wrong
    return served


def waiting_reason(model_id: str) -> str:
    """Why a queued run of `model_id` may not start soon, for its page; "" when a worker
    serves the model."""
    spec: ModelSpec | None = get_model(model_id)
    if spec is None:
        return f"The model {model_id} is no longer offered by this store."
    if spec.id in models_served():
        return ""
    return f"No worker is serving {spec.name} right now; this run starts as soon as one does."
