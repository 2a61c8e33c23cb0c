"""Redis side of a run: its live event stream, cancel flag, worker lease and enqueue marker.

Events are JSON objects stored in one field of a Redis Stream entry; the SSE view sends them
as they are, so a piece of text holding "\\n\\ndata: ..." stays inside one JSON string. Every
reader of a run's events (the run page's stream, the OpenAI-compatible API) goes through
`follow`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aredis
from django.conf import settings

from . import selectors
from .models import Run

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
            # Above a follower's longest XREAD BLOCK: a quiet stream is no Redis outage.
            socket_timeout=RUNNING_BLOCK_MS / 1000 + 5,
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


# --- following a run ---------------------------------------------------------------------------

KEEP_ALIVE = "keep-alive"
REDIS_DOWN = "redis unavailable, retrying"
QUEUED_BLOCK_MS, RUNNING_BLOCK_MS = 1000, 5000  # a queued run's position is checked often
DB_CHECK_S = 5.0  # how often a quiet stream of a running run asks the database


@dataclass(frozen=True, slots=True)
class Event:
    """What a follower of a run gets: one event, or a comment that is no event.

    `data` is the event's JSON text exactly as stored (sent on without re-encoding); `id` its
    stream entry id, None for events made from the database (queue position, state, a final
    event rebuilt from the stored run). A comment has no `data`: `comment` says why the
    follower speaks (an idle connection's keep-alive, a Redis outage); transports that keep
    a connection open pass it on, others skip it.
    """

    data: str | None = None
    id: str | None = None
    comment: str | None = None

    @property
    def is_final(self) -> bool:
        # `encode` writes "type" first: no parse needed.
        return self.data is not None and self.data.startswith('{"type":"final"')

    def decode(self) -> dict[str, Any]:
        return json.loads(self.data) if self.data else {}


async def follow(
    run: Run, last_id: str = "0-0", *, timeout: float | None = None
) -> AsyncIterator[list[Event]]:
    """The events of `run` after stream entry `last_id`, up to and including its final one.

    Yields one list per step: all events one Redis read brought (a transport sends them in
    one write), or a single event or comment. On the way: the queue position while the run
    waits, state changes the stream did not carry, a keep-alive comment after
    GPTSTORE_SSE_KEEPALIVE seconds of silence, a comment per failed Redis read (retried every
    second). A stream without its final event (expired, lost in a Redis restart) ends with
    one rebuilt from the stored run; a deleted run's ends without one. Raises TimeoutError
    once `timeout` seconds have passed.
    """
    follower = _Follower(run, last_id, timeout)
    if run.is_final and not await follower.stream_exists():
        # Expired or lost stream of a finished run: the stored result is the whole story.
        yield [_stored_final(run)]
        return
    async for batch in follower.events():
        yield batch


def _made(event: dict[str, Any]) -> Event:
    return Event(encode(event))


def _stored_final(run: Run) -> Event:
    return _made({"type": "final", **run.totals(), "output": run.output})


class _Follower:
    """One reader of one run's stream; `follow` is its public face."""

    def __init__(self, run: Run, last_id: str, timeout: float | None) -> None:
        self.r = aclient()
        self.key = stream_key(run.pk)
        self.run, self.last_id = run, last_id
        self.state = run.state  # as far as this reader knows
        self.position: int | None = None
        now = time.monotonic()
        self.deadline = None if timeout is None else now + timeout
        self.last_sent = self.last_db = now

    async def events(self) -> AsyncIterator[list[Event]]:
        self.position = await selectors.aqueue_position(self.run)
        await selectors.release_connection()
        if self.position is not None:
            yield [_made({"type": "queue", "position": self.position})]
        while True:
            queued = self.state == Run.State.QUEUED
            batch = await self._read(queued)
            if batch is None:
                yield [Event(comment=REDIS_DOWN)]
                await asyncio.sleep(1.0)
            elif batch:
                yield batch
                self.last_sent = time.monotonic()
                if batch[-1].is_final:
                    return
                continue
            batch, over = await self._check_database(queued)
            if batch:
                yield batch
            if over:
                return
            if time.monotonic() - self.last_sent >= settings.GPTSTORE_SSE_KEEPALIVE:
                yield [Event(comment=KEEP_ALIVE)]
                self.last_sent = time.monotonic()

    def _block_ms(self, queued: bool) -> int:
        block = QUEUED_BLOCK_MS if queued else RUNNING_BLOCK_MS
        if self.deadline is None:
            return block
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return max(1, min(block, int(left * 1000)))  # 0 would block for ever

    async def _read(self, queued: bool) -> list[Event] | None:
        """The events of one read (up to a final one); None if Redis failed."""
        block = self._block_ms(queued)
        try:
            got = await self.r.xread({self.key: self.last_id}, count=200, block=block)
        except redis.RedisError:
            return None
        return self._take(got)

    def _take(self, got: list | None) -> list[Event]:
        batch: list[Event] = []
        for _key, entries in got or []:
            for xid, fields in entries:
                self.last_id = xid
                event = Event(fields.get("e", "{}"), xid)
                batch.append(event)
                if event.is_final:
                    return batch
                if event.data.startswith('{"type":"state"'):
                    self.state = event.decode().get("state", self.state)
        return batch

    async def _check_database(self, queued: bool) -> tuple[list[Event], bool]:
        """While the stream is quiet, what the stored run says that the stream did not:
        (events, whether the run is over)."""
        now = time.monotonic()
        if not queued and now - self.last_db < DB_CHECK_S:
            return [], False
        self.last_db = now
        fresh = await Run.objects.filter(pk=self.run.pk).afirst()
        if fresh is None or fresh.is_final:
            # A final run whose stream lacks the final event (expired, lost in a Redis
            # restart, or not read yet): what is left of the stream, then the stored result.
            rest = await self._rest() if fresh is not None else []
            await selectors.release_connection()
            if fresh is not None and not (rest and rest[-1].is_final):
                rest.append(_stored_final(fresh))
            return rest, True
        position = await selectors.aqueue_position(fresh)
        await selectors.release_connection()
        changed = self._changes(fresh, position)
        if changed:
            self.last_sent = now
        self.run, self.state, self.position = fresh, fresh.state, position
        return changed, False

    def _changes(self, fresh: Run, position: int | None) -> list[Event]:
        if fresh.state != self.state:
            return [_made({"type": "state", "state": fresh.state})]
        if position is not None and position != self.position:
            return [_made({"type": "queue", "position": position})]
        return []

    async def _rest(self) -> list[Event]:
        try:
            return self._take(await self.r.xread({self.key: self.last_id}, count=10_000))
        except redis.RedisError:
            return []

    async def stream_exists(self) -> bool:
        try:
            return bool(await self.r.exists(self.key))
        except redis.RedisError:
            return False
