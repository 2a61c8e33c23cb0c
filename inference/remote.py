"""A model on an OpenAI-compatible server (vLLM, llama.cpp's llama-server, TGI, another GPT
Store's /v1) behind the face of inference.Engine:

    with RemoteEngine("http://gpu-box:8000/v1", "qwen2.5-7b") as engine:
        handle = engine.submit(messages=[{"role": "user", "content": "Hi"}])
        for piece in handle: ...
        print(handle.result().text)

One event-loop thread streams every request (httpx): a request is a task, so cancelling it
or passing its deadline closes its connection at once and the server sees the client leave.
At most `max_in_flight` requests talk to the server at a time; the others wait in order of
submission (their deadline counts, and they can be cancelled while they wait). A connection
that fails before the first piece of text is tried again, `connect_retries` times with a
doubling pause; after text has arrived never, since the text would repeat.

Token counts come from the server's `usage` chunk; a server that sends none gets the
estimate of inference/estimate.py, which over-counts ordinary text (that module says how
much). `count_tokens` is that estimate too: the model's tokenizer is on the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from .errors import EngineError, PromptTooLong, QueueFull
from .estimate import estimate_prompt, estimate_text
from .gate import Gate
from .params import SamplingParams
from .remote_wire import Chunk, EventReader, WireError, http_error, request_body
from .request import RequestHandle, Result

log = logging.getLogger(__name__)


class _Request:
    """One request's state; touched only in the loop thread once submitted."""

    def __init__(
        self,
        rid: int,
        params: SamplingParams,
        on_text: Callable[[str], None] | None,
        path: str,
        body: dict,
        prompt_tokens: int,
        wake: Callable[[_Request], None],
    ) -> None:
        self.handle = RequestHandle(rid, [], params, on_text, lambda: wake(self))
        self.path, self.body, self.chat = path, body, "messages" in body
        self.prompt_tokens = prompt_tokens  # the estimate, until the server says
        self.pieces: list[str] = []
        self.deltas = 0
        self.first_at: float | None = None
        self.finish: str | None = None
        self.usage: tuple[int, int] | None = None
        self.task: asyncio.Task | None = None
        self.closing = False


class RemoteEngine:
    """Serve requests from a model on an OpenAI-compatible server.

    base_url: the server's OpenAI root, e.g. http://host:8000/v1; model: the server's name
    for the model; api_key: sent as a bearer token; max_queue: requests waiting for a slot
    before submit() raises QueueFull; connect_timeout_s: to open a connection;
    read_timeout_s: the longest silence of a server mid-request; max_context: the model's
    context, when known: a prompt whose estimate leaves no room in it is refused at submit
    (PromptTooLong), as the built-in engine refuses one; ask_usage: off for a server that
    refuses `stream_options`.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_in_flight: int = 8,
        max_queue: int = 256,
        connect_retries: int = 2,
        retry_backoff_s: float = 0.25,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 120.0,
        max_context: int | None = None,
        ask_usage: bool = True,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if max_in_flight < 1 or max_queue < 0 or connect_retries < 0:
            raise ValueError("max_in_flight must be >= 1, max_queue and connect_retries >= 0")
        if max_context is not None and max_context < 2:
            raise ValueError(f"max_context must be >= 2 tokens or None, got {max_context!r}")
        self.base_url, self.model = base_url.rstrip("/"), model
        self.max_in_flight, self.max_queue = max_in_flight, max_queue
        self.connect_retries, self.retry_backoff_s = connect_retries, retry_backoff_s
        self.read_timeout_s, self.max_context = read_timeout_s, max_context
        self.ask_usage = ask_usage
        self._lock = threading.Lock()
        self._live: set[_Request] = set()  # submitted, not finished
        self._closed = False
        self._next_id = 0
        self._counts = {"requests": 0, "finished": 0, "errors": 0, "retries": 0, "tokens": 0}
        self._gate = Gate(max_in_flight)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"remote-engine-{model}", daemon=True
        )
        self._thread.start()

        async def make_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(
                headers=headers,
                timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
                limits=httpx.Limits(
                    max_connections=max_in_flight, max_keepalive_connections=max_in_flight
                ),
            )

        self._client = asyncio.run_coroutine_threadsafe(make_client(), self._loop).result()

    # -- public face ---------------------------------------------------------------------------
    def count_tokens(self, prompt: str | None = None, *, messages: list[dict] | None = None) -> int:
        """An estimate that over-counts ordinary text (see inference/estimate.py)."""
        return estimate_prompt(prompt, messages)

    def submit(
        self,
        prompt: str | None = None,
        *,
        messages: list[dict] | None = None,
        params: SamplingParams | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> RequestHandle:
        # A private copy: the caller may reuse or mutate its params object while we run.
        params = dataclasses.replace(params) if params is not None else SamplingParams()
        n_prompt = self.count_tokens(prompt, messages=messages)
        if self.max_context is not None and n_prompt + 1 > self.max_context:
            raise PromptTooLong(
                f"prompt is about {n_prompt} tokens (an estimate that over-counts) but the "
                f"context holds {self.max_context}; shorten it"
            )
        path, body = request_body(self.model, prompt, messages, params, self.ask_usage)
        with self._lock:
            if self._closed:
                raise EngineError("engine is closed")
            if len(self._live) >= self.max_in_flight + self.max_queue:
                raise QueueFull(
                    f"{self.max_queue} requests already wait for the model's server; retry later"
                )
            self._next_id += 1
            self._counts["requests"] += 1
            req = _Request(self._next_id, params, on_text, path, body, n_prompt, self._wake)
            self._live.add(req)
        try:
            self._loop.call_soon_threadsafe(self._start, req)
        except RuntimeError:  # the loop closed since: close() is finishing everything
            self._finish(req, "cancelled", "engine closed")
        return req.handle

    def metrics(self) -> dict[str, Any]:
        c = self._counts
        in_flight, waiting = self._gate.busy, len(self._gate.waiting)
        return {
            "in_flight": in_flight,
            "waiting": waiting,
            "max_in_flight": self.max_in_flight,
            "requests": c["requests"],
            "errors": c["errors"],
            "retries": c["retries"],
            # The built-in engine's names, which the worker's metrics and /metrics read.
            "active_requests": in_flight,
            "queue_depth": waiting,
            "requests_finished": c["finished"],
            "tokens_generated": c["tokens"],
        }

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop; requests still waiting or streaming finish as "cancelled"."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if threading.current_thread() is self._thread:  # from a callback: cannot wait for itself
            self._loop.create_task(self._shutdown()).add_done_callback(lambda _t: self._loop.stop())
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout)
        except Exception:  # closing goes on: the sweep below finishes the rest
            log.warning("remote engine for %s did not shut down cleanly", self.model, exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
        with self._lock:
            left = list(self._live)
        for req in left:  # submitted while the loop was stopping: never started
            self._finish(req, "cancelled", "engine closed")

    def __enter__(self) -> RemoteEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the loop thread -----------------------------------------------------------------------
    def _wake(self, req: _Request) -> None:
        """handle.cancel(), from any thread."""
        try:
            self._loop.call_soon_threadsafe(self._cancel_task, req)
        except RuntimeError:
            pass  # the loop is closed: close() finished every request

    def _cancel_task(self, req: _Request) -> None:
        if req.task is not None:
            req.task.cancel()

    def _start(self, req: _Request) -> None:
        if self._closed or req.handle.cancel_requested:
            self._finish(req, "cancelled", "engine closed" if self._closed else None)
            return
        req.task = self._loop.create_task(self._serve(req))
        # A task cancelled before its first step never runs its body: finish it here.
        req.task.add_done_callback(
            lambda _task: self._finish(req, "cancelled", "engine closed" if req.closing else None)
        )

    async def _shutdown(self) -> None:
        tasks = []
        with self._lock:
            live = list(self._live)
        for req in live:
            if req.task is not None and not req.task.done():
                req.closing = True
                req.task.cancel()
                tasks.append(req.task)
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _serve(self, req: _Request) -> None:
        h = req.handle
        deadline = None
        if h.deadline is not None:
            deadline = self._loop.time() + (h.deadline - time.perf_counter())
        try:
            async with asyncio.timeout_at(deadline):
                await self._gate.acquire()
                try:
                    await self._attempts(req)
                finally:
                    self._gate.release()
        except asyncio.CancelledError:
            self._finish(req, "cancelled", "engine closed" if req.closing else None)
        except TimeoutError:
            self._finish(req, "timeout", "the request passed its deadline", "timeout")
        except WireError as exc:
            self._finish(req, "error", exc.message, exc.code)
        except Exception as exc:  # a bug here must not leave the caller waiting
            log.exception("remote request %s failed", h.id)
            self._finish(req, "error", f"{type(exc).__name__}: {exc}", None)
        else:
            self._finish(req, req.finish or "stop", None)

    async def _attempts(self, req: _Request) -> None:
        attempt = 0
        while True:
            try:
                await self._stream(req)
                return
            except WireError as exc:
                if not exc.retriable or req.pieces or attempt >= self.connect_retries:
                    raise
                pause = self.retry_backoff_s * 2**attempt
                log.info("%s; trying again in %.2f s", exc.message, pause)
            self._counts["retries"] += 1
            attempt += 1
            await asyncio.sleep(pause)

    async def _stream(self, req: _Request) -> None:
        url = f"{self.base_url}/{req.path}"
        answered = False
        try:
            async with self._client.stream("POST", url, json=req.body) as resp:
                answered = True
                if resp.status_code >= 400:
                    raise http_error(resp.status_code, await resp.aread())
                kind = resp.headers.get("content-type", "")
                if not kind.startswith("text/event-stream"):
                    raise WireError("server_error", f"the server did not stream (got {kind!r})")
                await self._read(req, resp)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise WireError(
                "unavailable", f"could not connect to {self.base_url}: {exc}", retriable=True
            ) from exc
        except httpx.ReadTimeout as exc:
            raise WireError(
                "timeout", f"the server sent nothing for {self.read_timeout_s:g} s"
            ) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            # Broken before it answered: as good as refused. After: it failed mid-answer.
            code = "server_error" if answered else "unavailable"
            raise WireError(code, f"the connection broke: {exc}", retriable=True) from exc
        except httpx.HTTPError as exc:
            raise WireError("server_error", f"{type(exc).__name__}: {exc}") from exc

    async def _read(self, req: _Request, resp: httpx.Response) -> None:
        events = EventReader()
        async for line in resp.aiter_lines():
            data = events.feed(line)
            if data is not None and self._take(req, Chunk(data, req.chat)):
                return
        data = events.end()
        if data is not None and self._take(req, Chunk(data, req.chat)):
            return
        if req.finish is None:
            raise WireError(
                "server_error", "the stream ended before the answer did", retriable=True
            )

    def _take(self, req: _Request, chunk: Chunk) -> bool:
        """Apply one event; True at the end of the stream."""
        if chunk.done:
            req.finish = req.finish or "stop"
            return True
        if chunk.usage is not None:
            req.usage = chunk.usage
        if chunk.text:
            self._emit(req, chunk.text)
        if chunk.finish_reason:
            req.finish = chunk.finish_reason
        return False

    def _emit(self, req: _Request, piece: str) -> None:
        if req.first_at is None:
            req.first_at = time.perf_counter()
        req.pieces.append(piece)
        req.deltas += 1
        req.handle._push(piece)
        if req.handle.on_text is not None:
            try:
                req.handle.on_text(piece)
            except Exception as exc:  # noqa: BLE001 - a bad callback fails its own request only
                raise WireError(None, f"on_text callback raised {type(exc).__name__}: {exc}")

    def _finish(
        self, req: _Request, reason: str, error: str | None, code: str | None = None
    ) -> None:
        """Fill the handle once (later calls, e.g. the task's done callback, do nothing)."""
        with self._lock:
            if req not in self._live:
                return
            self._live.discard(req)
        h, text = req.handle, "".join(req.pieces)
        if req.usage is not None:
            prompt_tokens, completion_tokens = req.usage
        else:  # some chunks carry several tokens: the text's estimate bounds it from above
            prompt_tokens = req.prompt_tokens
            completion_tokens = max(req.deltas, estimate_text(text))
        self._counts["finished"] += 1
        self._counts["errors"] += reason == "error"
        self._counts["tokens"] += completion_tokens
        start = h.submitted_at
        h._finish(
            Result(
                text=text,
                finish_reason=reason,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                ttft_s=None if req.first_at is None else req.first_at - start,
                total_s=time.perf_counter() - start,
                error=error,
                error_code=code,
            )
        )
