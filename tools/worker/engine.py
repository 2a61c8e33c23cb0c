"""One inference engine per worker process, shared by all its task threads.

Built lazily behind a lock (or ahead of time when the worker starts). Web processes never
call this, so they never import torch.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, Any] = {"engine": None, "lm": None}


def get_engine():
    engine = _state["engine"]
    if engine is not None:
        return engine
    with _lock:
        if _state["engine"] is None:
            # Built in a thread of its own: it lowers its CPU priority first, so the engine
            # loop (and the torch threads it starts) inherit it, while web requests and the
            # worker's task threads keep theirs and stay responsive next to a busy engine.
            box: dict[str, Any] = {}
            builder = threading.Thread(target=_build, args=(box,), name="gptstore-engine-build")
            builder.start()
            builder.join()
            if "error" in box:
                raise box["error"]
            _state["lm"], _state["engine"] = box["lm"], box["engine"]
        return _state["engine"]


def lower_thread_priority(nice: int) -> None:
    """Raise this thread's nice value by `nice` (Linux: per thread; threads it starts inherit)."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:
        log.warning("could not lower the engine's CPU priority: %s", exc)


def build_engine():
    """A new engine from the settings (the worker's; the benchmark's baseline uses it too)."""
    from inference import Engine, load_model

    lower_thread_priority(settings.GPTSTORE_ENGINE_NICE)
    log.info("loading the model for this worker process")
    lm = load_model(
        settings.GPTSTORE_MODEL or None,
        device=settings.GPTSTORE_DEVICE or None,
        dtype=settings.GPTSTORE_DTYPE or None,
        cache_dir=settings.GPTSTORE_MODEL_CACHE,
    )
    engine = Engine(
        lm, max_batch_size=settings.GPTSTORE_MAX_BATCH, max_queue=settings.GPTSTORE_MAX_QUEUE
    )
    log.info("engine ready: %s on %s", lm.name, lm.device)
    return lm, engine


def _build(box: dict) -> None:
    try:
        box["lm"], box["engine"] = build_engine()
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        box["error"] = exc


def loaded_engine():
    """The engine if this process has built one, else None (never builds)."""
    return _state["engine"]


def is_chat() -> bool:
    lm = _state["lm"]
    return bool(lm is not None and lm.is_chat)


def close_engine() -> None:
    with _lock:
        engine, _state["engine"], _state["lm"] = _state["engine"], None, None
    if engine is not None:
        engine.close()
