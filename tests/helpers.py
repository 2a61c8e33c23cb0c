"""Small helpers several test modules share (fixtures live in conftest.py files)."""

from __future__ import annotations

import re
import threading
import time

import httpx
from django.conf import settings
from django.test import Client

from tests.factories import RunFactory
from tools.models import Run


def wait_final(run_id, timeout: float = 60.0) -> Run:
    """Poll until a run is final, or the timeout passes; returns the run either way."""
    deadline = time.monotonic() + timeout
    while True:
        run = Run.objects.get(pk=run_id)
        if run.is_final or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def make_run(user, tool, *, state: str = Run.State.RUNNING, **fields) -> Run:
    """A run of a lister tool stored directly (nothing enqueued), to drive its stream by hand."""
    return RunFactory(user=user, tool=tool, state=state, inputs={"topic": "x"}, **fields)


class FakeResult:
    """What the engine's handle.result() returns, for finishing a hand-driven run."""

    def __init__(self, text, finish_reason="stop", prompt_tokens=5, completion_tokens=None):
        self.text, self.finish_reason = text, finish_reason
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens or max(1, len(text) // 4)
        self.error = None


def login_cookies(user) -> dict:
    """Session cookie of `user` in the test database, for httpx or a browser."""
    c = Client()
    c.force_login(user)
    return {"sessionid": c.cookies[settings.SESSION_COOKIE_NAME].value}


def http_client(base: str, user=None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    if user is not None:
        for k, v in login_cookies(user).items():
            client.cookies.set(k, v)
    return client


def csrf_token(client: httpx.Client, path: str) -> str:
    html = client.get(path).text
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def in_thread(fn):
    """Run `fn` in a thread of its own and return its value (ORM work from browser tests)."""
    # Playwright's sync API runs an event loop in this thread; keep the ORM out of it.
    box = {}

    def call():
        from django.db import connection

        try:
            box["value"] = fn()
        finally:
            connection.close()

    t = threading.Thread(target=call)
    t.start()
    t.join(30)
    return box.get("value")


def until(predicate, timeout=15.0):
    # Polled from Python: wait_for_function would need eval, which the site's CSP forbids.
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.1)


def all_at_once(n: int, call, refused: type[BaseException]) -> list:
    """Run `call(i)` in `n` threads released together; each result is "ok" or the `refused`
    exception it raised (anything else fails the test). For races on atomic limits."""
    from django.db import connection

    barrier = threading.Barrier(n)
    results: list = [None] * n

    def attempt(i):
        try:
            barrier.wait()
            call(i)
            results[i] = "ok"
        except refused as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results
