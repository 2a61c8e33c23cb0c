"""The request body limit, enforced while the body arrives, and the error bodies the input
layer answers with.

Django's ASGI handler spools the whole body to a temporary file before any middleware or
view runs, so `DATA_UPLOAD_MAX_MEMORY_SIZE` alone only applies once a client has sent
everything. `BodyLimitMiddleware` wraps the ASGI app instead: a declared Content-Length over
the limit is refused before one byte is read, and a body without one is read only up to the
limit. No view accepts file uploads, so one limit covers every path.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from html import escape

from django.conf import settings

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HTML_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
    "<h1>{title}</h1><p>{message}</p></html>"
)
TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 413: "Request too large"}


def error_body(path: str, status: int, code: str, message: str) -> tuple[bytes, str]:
    """(body, content type) of an input-layer refusal: OpenAI-shaped under /v1/, DRF-shaped
    under /api/, a short HTML page elsewhere."""
    if path.startswith("/v1/"):
        kind = "invalid_request_error"
        payload = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return json.dumps(payload).encode(), "application/json"
    if path.startswith("/api/"):
        return json.dumps({"detail": message, "code": code}).encode(), "application/json"
    title = TITLES.get(status, "Error")
    page = HTML_PAGE.format(title=title, message=escape(message))
    return page.encode(), "text/html; charset=utf-8"


def body_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


class BodyLimitMiddleware:
    """ASGI middleware: 413 as soon as the declared or received body passes the limit."""

    def __init__(self, app: Callable, *, limit: Callable[[], int | None] = body_limit):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit() if scope["type"] == "http" else None
        if limit is None:
            return await self.app(scope, receive, send)
        declared = _content_length(scope)
        if declared == -1:
            return await _refuse(scope, send, 400, "bad_request", "Bad Content-Length header.")
        if declared is not None and declared > limit:
            return await _refuse(scope, send, 413, "body_too_large", too_large_message(limit))
        # Read the body here, never past the limit, then hand it to Django in one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away (http.disconnect): nothing to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _refuse(scope, send, 413, "body_too_large", too_large_message(limit))
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    """The declared length; None when absent, -1 when it is not a number."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.strip()
            if not (text.isdigit() and text.isascii()):
                return -1
            return int(text) if len(text) < 19 else 2**63  # past any limit; int() caps digits
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for http.disconnect, as Django expects

    return replay


async def _refuse(scope: Scope, send: Send, status: int, code: str, message: str) -> None:
    body, content_type = error_body(scope.get("path", ""), status, code, message)
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
