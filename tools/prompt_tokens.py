"""Cheap prompt-token counts for the web process: the tokenizer only, never torch.

Uses the `tokenizers` library on the model folder's tokenizer.json when it is there (the
converted default model always has one); otherwise a conservative estimate. The worker
re-counts exactly with the engine before generating.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

from django.conf import settings

from inference.defaults import DEFAULT_NAME

log = logging.getLogger(__name__)
CHAT_OVERHEAD = 16  # role markers and the assistant header of a chat template
_lock = threading.Lock()
_cache: dict[str, object] = {}


def _tokenizer_path() -> Path | None:
    model = settings.GPTSTORE_MODEL
    folder = Path(model) if model else Path(settings.GPTSTORE_MODEL_CACHE) / DEFAULT_NAME
    path = folder / "tokenizer.json"
    return path if path.is_file() else None


def _tokenizer():
    path = _tokenizer_path()
    if path is None:
        return None
    key = str(path)
    with _lock:
        if key not in _cache:
            try:
                from tokenizers import Tokenizer

                _cache[key] = Tokenizer.from_file(key)
            except Exception as exc:  # noqa: BLE001 - any failure falls back to the estimate
                log.warning("cannot load %s (%s); estimating prompt tokens", key, exc)
                _cache[key] = None
        return _cache[key]


def count_prompt_tokens(system: str, prompt: str) -> int:
    tok = _tokenizer()
    texts = [t for t in (system, prompt) if t]
    if tok is None:
        # Byte-level BPE averages well over 3 bytes a token on text; 2.5 over-counts safely.
        return sum(math.ceil(len(t.encode()) / 2.5) for t in texts) + CHAT_OVERHEAD
    return sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)) + (
        CHAT_OVERHEAD
    )
