"""The engines of a worker process: one per model it serves, shared by all its task threads.

A built-in model gets this project's engine (inference.Engine) on its weights; a model on an
OpenAI-compatible server gets a client with the same face (inference.RemoteEngine). Each is
built lazily behind one lock (or ahead of time when the worker starts), one at a time:
loading two models at once in one process is not safe in transformers (its empty-weights
loading patches torch globally). Web processes never call this, so they never import torch.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings

from ..registry import ModelSpec, default_model_id, get_model

log = logging.getLogger(__name__)
_lock = threading.Lock()
_engines: dict[str, Any] = {}  # model id -> engine
_chat: dict[str, bool] = {}  # model id -> whether it takes chat messages with a template


def get_engine(model_id: str = ""):
    """The engine of the registered model `model_id` ("" = the default), built on first use."""
    spec = get_model(model_id)
    if spec is None:
        raise LookupError(f"the model {model_id!r} is not registered")
    engine = _engines.get(spec.id)
    if engine is not None:
        return engine
    with _lock:
        if spec.id not in _engines:
            # Built in a thread of its own: it lowers its CPU priority first, so the engine
            # loop (and the torch threads it starts) inherit it, while web requests and the
            # worker's task threads keep theirs and stay responsive next to a busy engine.
            box: dict[str, Any] = {}
            builder = threading.Thread(
                target=_build, args=(spec, box), name="gptstore-engine-build"
            )
            builder.start()
            builder.join()
            if "error" in box:
                raise box["error"]
            _chat[spec.id], _engines[spec.id] = box["chat"], box["engine"]
        return _engines[spec.id]


def lower_thread_priority(nice: int) -> None:
    """Raise this thread's nice value by `nice` (Linux: per thread; threads it starts inherit)."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:
        log.warning("could not lower the engine's CPU priority: %s", exc)


def build_engine(spec: ModelSpec | None = None):
    """A new engine for `spec` (default: the default model) -> (is_chat, engine). The
    benchmark's baseline uses it too."""
    spec = spec or get_model(default_model_id())
    assert spec is not None
    if spec.is_remote:
        from inference import RemoteEngine

        key = os.environ.get(spec.api_key_env) if spec.api_key_env else None
        engine = RemoteEngine(
            spec.base_url,
            spec.remote_model or spec.id,
            api_key=key,
            max_in_flight=spec.max_in_flight,
            max_context=spec.context_length,
        )
        log.info("model %s served by %s", spec.id, spec.base_url)
        return True, engine
    from inference import Engine, load_model

    lower_thread_priority(settings.GPTSTORE_ENGINE_NICE)
    log.info("loading the model %s for this worker process", spec.id)
    lm = load_model(
        spec.path or None,
        device=settings.GPTSTORE_DEVICE or None,
        dtype=settings.GPTSTORE_DTYPE or None,
        cache_dir=settings.GPTSTORE_MODEL_CACHE,
    )
    engine = Engine(
        lm, max_batch_size=settings.GPTSTORE_MAX_BATCH, max_queue=settings.GPTSTORE_MAX_QUEUE
    )
    log.info("engine ready: %s (%s) on %s", spec.id, lm.name, lm.device)
    return lm.is_chat, engine


def _build(spec: ModelSpec, box: dict) -> None:
    try:
        box["chat"], box["engine"] = build_engine(spec)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        box["error"] = exc


def loaded_engines() -> dict[str, Any]:
    """The engines this process has built, by model id (never builds)."""
    return dict(_engines)


def is_chat(model_id: str = "") -> bool:
    spec = get_model(model_id)
    return bool(spec is not None and _chat.get(spec.id))


def close_engine() -> None:
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
        _chat.clear()
    for engine in engines:
        engine.close()
