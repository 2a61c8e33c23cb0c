"""Redis side of a run: its live event stream, cancel flag, worker lease and enqueue marker.

Events are JSON objects stored in one field of a Redis Stream entry; the SSE view sends them
as they are, so a piece of text holding "\\n\\ndata: ..." stays inside one JSON string.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from typing import Any

import redis
import redis.asyncio as aredis
from django.conf import settings

PREFIX = "gptstore:run:"
CANCEL_CHANNEL = "gptstore:cancel"
METRICS_PREFIX = "gptstore:engine:metrics:"
STREAM_MAXLEN = 20_000  # far above any token cap; a bound, not a working limit

_lock = threading.Lock()
_clients: dict[str, redis.Redis] = {}
_aclients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stream_key(run_id) -> str:
    return f"{PREFIX}{run_id}:stream"


def cancel_key(run_id) -> str:
    return f"{PREFIX}{run_id}:cancel"


def lease_key(run_id) -> str:
    return f"{PREFIX}{run_id}:lease"


def enqueued_key(run_id) -> str:
    return f"{PREFIX}{run_id}:enqueued"


def client() -> redis.Redis:
    """One thread-safe client (its own pool) per process and URL."""
    url = settings.REDIS_URL
    with _lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_connect_timeout=2,
                socket_timeout=10,
                health_check_interval=30,
                retry_on_timeout=False,
            )
        return _clients[url]


def aclient() -> aredis.Redis:
    """One asyncio client per event loop (connections cannot cross loops)."""
    loop = asyncio.get_running_loop()
    c = _aclients.get(loop)
    if c is None:
        c = aredis.Redis.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            socket_connect_timeout=2,
            health_check_interval=30,
        )
        _aclients[loop] = c
    return c


def encode(event: dict[str, Any]) -> str:
    # ensure_ascii also escapes U+2028/2029; no raw newline can reach the SSE framing.
    return json.dumps(event, ensure_ascii=True, separators=(",", ":"))


def publish(run_id, event: dict[str, Any], r: redis.Redis | None = None) -> str:
    """Append one event to the run's stream and refresh the key's TTL; returns the entry id."""
    r = r or client()
    key = stream_key(run_id)
    pipe = r.pipeline(transaction=False)
    pipe.xadd(key, {"e": encode(event)}, maxlen=STREAM_MAXLEN, approximate=True)
    pipe.expire(key, settings.GPTSTORE_STREAM_TTL)
    return pipe.execute()[0]


def publish_text(run_id, text: str, r: redis.Redis | None = None) -> str:
    return publish(run_id, {"type": "text", "text": text}, r)


def read_all(run_id, r: redis.Redis | None = None) -> list[tuple[str, dict]]:
    r = r or client()
    return [(xid, json.loads(f["e"])) for xid, f in r.xrange(stream_key(run_id))]


def streamed_text(run_id, r: redis.Redis | None = None) -> str:
    """The text streamed by the latest attempt (after its last reset)."""
    parts: list[str] = []
    for _, ev in read_all(run_id, r):
        if ev.get("type") == "reset":
            parts = []
        elif ev.get("type") == "text":
            parts.append(ev.get("text", ""))
    return "".join(parts)


def request_cancel(run_id, r: redis.Redis | None = None) -> None:
    r = r or client()
    pipe = r.pipeline(transaction=False)
    pipe.set(cancel_key(run_id), "1", ex=3600)
    pipe.publish(CANCEL_CHANNEL, str(run_id))
    pipe.execute()


def ping() -> bool:
    try:
        return bool(client().ping())
    except (redis.RedisError, OSError):
        return False
