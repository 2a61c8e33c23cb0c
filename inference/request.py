"""What a caller holds: a handle to iterate (sync or async), await, or cancel one request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from .params import SamplingParams

FINISH_REASONS = ("stop", "length", "cancelled", "timeout", "error")
# Why a request to a model on another server (inference.RemoteEngine) failed, for callers that
# map failures to their own codes: the server could not be reached, it refused the request
# (a 4xx, e.g. the context length), it failed (a 5xx or a stream broken mid-answer), or the
# request ran out of time. The built-in engine leaves it None.
ERROR_CODES = ("unavailable", "refused", "server_error", "timeout")


@dataclass(slots=True)
class Result:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    ttft_s: float | None
    total_s: float
    error: str | None = None
    token_ids: list[int] = field(default_factory=list)
    error_code: str | None = None  # one of ERROR_CODES, or None


class RequestHandle:
    """Filled by the engine thread; read from any thread or event loop."""

    def __init__(
        self,
        rid: int,
        prompt_ids: list[int],
        params: SamplingParams,
        on_text: Callable[[str], None] | None,
        wake_engine: Callable[[], None],
    ) -> None:
        self.id = rid
        self.prompt_ids = prompt_ids
        self.params = params
        self.on_text = on_text
        self.submitted_at = time.perf_counter()
        self.deadline = None if params.deadline_s is None else self.submitted_at + params.deadline_s
        self.cancel_requested = False
        self._wake_engine = wake_engine
        self._pieces: list[str] = []
        self._result: Result | None = None
        self._cond = threading.Condition()
        self._loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    # -- engine side ---------------------------------------------------------------------------
    def _push(self, piece: str) -> None:
        with self._cond:
            self._pieces.append(piece)
            self._notify()

    def _finish(self, result: Result) -> None:
        with self._cond:
            self._result = result
            self._notify()

    def _notify(self) -> None:
        self._cond.notify_all()
        for loop, event in self._loops:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass  # that caller's loop is closed; nobody is waiting there any more

    # -- caller side ---------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._result is not None

    def cancel(self) -> None:
        """Ask the engine to stop; the slot is freed at the next step, partial text is kept."""
        self.cancel_requested = True
        self._wake_engine()

    def result(self, timeout: float | None = None) -> Result:
        with self._cond:
            if not self._cond.wait_for(lambda: self._result is not None, timeout):
                raise TimeoutError(f"request {self.id} not finished after {timeout} s")
            return self._result  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        seen = 0
        while True:
            with self._cond:
                while seen >= len(self._pieces) and self._result is None:
                    self._cond.wait()
                new, finished = self._pieces[seen:], self._result is not None
            seen += len(new)
            yield from new
            if finished and not new:
                return

    async def __aiter__(self) -> AsyncIterator[str]:
        loop, event = asyncio.get_running_loop(), asyncio.Event()
        with self._cond:
            self._loops.append((loop, event))
        try:
            i = 0
            while True:
                event.clear()  # cleared before reading, so a push after the read still wakes us
                with self._cond:
                    new, finished = self._pieces[i:], self._result is not None
                i += len(new)
                for piece in new:
                    yield piece
                if finished and not new:
                    return
                if not new:
                    await event.wait()
        finally:
            with self._cond:
                self._loops.remove((loop, event))

    async def aresult(self) -> Result:
        async for _ in self:
            pass
        return self._result  # type: ignore[return-value]

    def __await__(self):
        return self.aresult().__await__()
