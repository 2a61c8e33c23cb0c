"""Finding (1) and (9): the body limit applies while the body arrives (ASGI), and its
refusal is JSON on the APIs. The test client bypasses ASGI, so the middleware is called here
as a server would, with a `receive` that hands out chunks and counts them."""

import asyncio
import json

import pytest
from django.test import Client

from config.limits import BodyLimitMiddleware

LIMIT = 1000
CHUNK = b"x" * 400


class Inner:
    """The wrapped app: records whether it ran and the body it was given."""

    def __init__(self):
        self.called, self.body = False, b""

    async def __call__(self, scope, receive, send):
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def call(path: str, chunks: int, *, declared: int | None = None):
    """Run the middleware over `chunks` chunks; (status, body, chunks consumed, inner)."""
    consumed, sent = 0, []

    async def receive():
        nonlocal consumed
        consumed += 1
        if consumed > chunks:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": CHUNK, "more_body": consumed < chunks}

    async def send(message):
        sent.append(message)

    headers = [] if declared is None else [(b"content-length", str(declared).encode())]
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    inner = Inner()
    app = BodyLimitMiddleware(inner, limit=lambda: LIMIT)
    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, body, consumed, inner


def test_declared_length_over_limit_is_refused_before_reading():
    status, body, consumed, inner = call("/api/categories/", 100_000, declared=40_000_000)
    assert status == 413 and consumed == 0 and not inner.called
    assert json.loads(body)["code"] == "body_too_large"


def test_undeclared_body_stops_at_the_limit():
    # 100,000 chunks of 400 bytes are offered; reading stops at the third (1,200 > 1,000).
    status, body, consumed, inner = call("/api/categories/", 100_000)
    assert status == 413 and consumed == 3 and not inner.called
    assert json.loads(body) == {
        "detail": "The request body is larger than 1000 bytes.",
        "code": "body_too_large",
    }


def test_lying_content_length_stops_at_the_limit():
    status, _, consumed, inner = call("/api/tools/", 100_000, declared=10)
    assert status == 413 and consumed == 3 and not inner.called


def test_v1_refusal_is_openai_shaped_and_pages_get_html():
    status, body, _, _ = call("/v1/chat/completions", 10)
    err = json.loads(body)["error"]
    assert status == 413 and err["code"] == "body_too_large" and err["message"]
    status, body, _, _ = call("/build/", 10)
    assert status == 413 and body.startswith(b"<!doctype html>")


def test_body_within_the_limit_reaches_the_app_whole():
    status, body, consumed, inner = call("/api/tools/", 2, declared=800)
    assert status == 200 and inner.called and inner.body == CHUNK * 2


def test_bad_content_length_is_a_400():
    status, _, consumed, inner = call("/api/tools/", 1, declared=-5)
    assert status == 400 and consumed == 0 and not inner.called


def test_project_asgi_app_is_wrapped():
    from config import asgi

    assert isinstance(asgi.application, BodyLimitMiddleware)


@pytest.mark.django_db
def test_over_limit_without_asgi_is_a_json_413(settings):
    # WSGI and the test client: the input layer refuses while Django reads the body.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    r = Client().post("/api/categories/", "x" * 5000, content_type="application/json")
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    r = Client().post("/v1/completions", "x" * 5000, content_type="application/json")
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"


def test_django_behind_the_limit_gets_the_body_in_chunks():
    """The real app behind the middleware: a body in two chunks reaches Django's handler,
    which answers (an unknown API path: JSON 404) once it has read it."""
    from config.asgi import application

    messages = [
        {"type": "http.request", "body": b'{"a": ', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    ]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # no disconnect while the response is being sent

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/no-such-thing/",
        "raw_path": b"/api/no-such-thing/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(application(scope, receive, send))
    assert sent[0]["status"] == 404 and messages == []
    assert b'"code"' in b"".join(m.get("body", b"") for m in sent[1:])
