"""Fixtures every test folder shares: users, a category, tools (`make_tool`), the live stack.

Folder conftests hold only what their folder alone uses; none imports another conftest.
"""

import os
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench import processes
from ops import embedded
from tests.factories import CategoryFactory, ToolFactory, UserFactory
from tools.models import Tool

_started: list[str] = []
E2E_DIR = Path(__file__).resolve().parent / "e2e"
# Requesting one of these starts server or worker processes, loads the real model, or embeds
# the whole demo catalog (tens of seconds).
SLOW_FIXTURES = {"stack_env", "smollm", "smollm_engine", "demo_embedded"}


def pytest_configure(config):
    # Real PostgreSQL and Redis for every test; started here when no URL is configured.
    os.environ.setdefault("GPTSTORE_CACHE_PREFIX", f"gptstore-test-{os.getpid()}")
    env = embedded.ensure_up()
    _started.extend(n for n in env.pop("GPTSTORE_STARTED").split(",") if n)
    for key, value in env.items():
        os.environ.setdefault(key, value)


def pytest_unconfigure(config):
    # Tests that ran a run in this process started its supervisor thread: stop it before
    # Redis goes, or it keeps logging that Redis is gone.
    worker = sys.modules.get("tools.worker")
    if worker is not None:
        worker.supervisor.stop()
    # Leave no server behind that the test run itself started.
    embedded.stop(_started)


def pytest_collection_modifyitems(config, items):
    """Markers that follow from what a test uses, so `-m "not slow and not e2e"` is right
    even where a module forgot its pytestmark: everything under tests/e2e/ drives a browser;
    a test that starts processes or loads the real model is slow."""
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def user(db):
    return UserFactory(username="alice", email="alice@example.com", password="pw-alice-123")


@pytest.fixture
def other_user(db):
    return UserFactory(username="bob", email="bob@example.com", password="pw-bob-123")


@pytest.fixture
def category(db):
    return CategoryFactory(name="Writing", slug="writing")


@pytest.fixture
def make_tool(db):
    """make_tool(name=None, **fields) -> a published public Tool with one version.

    By a shared "maker" unless `author=` says otherwise; see ToolFactory for `status=`,
    `tags=`, version fields and the `lister=True` trait."""

    def make(name: str | None = None, **fields):
        if name is not None:
            fields["name"] = name
        return ToolFactory(**fields)

    return make


# One long text field, as the builder's tests edit it.
ECHO = {
    "prompt_template": "Echo {{text}}",
    "system_prompt": "",
    "input_schema": [{"name": "text", "label": "Text", "type": "long_text"}],
}


@pytest.fixture
def draft(user):
    """Alice's draft (one version, never published)."""
    return ToolFactory(author=user, name="Draft Tool", status=Tool.Status.DRAFT, **ECHO)


@pytest.fixture
def published(user):
    """Alice's published public tool, tagged "alpha", at version 1."""
    return ToolFactory(author=user, name="Public Tool", tags=["alpha"], **ECHO)


# --- the live stack (uvicorn and workers as separate processes; bench/processes.py) ---------


@pytest.fixture(scope="session")
def stack_db(django_db_setup, django_db_blocker):
    """The test database, for servers started by bench/processes.py.

    Those servers keep pooled connections until they exit, and PostgreSQL ends their sessions
    a moment later; at the end, end any still there, so pytest-django can drop the database.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="module")
def stack_env(stack_db):
    """Environment for a web or worker process on the test database and Redis."""
    from django.db import connection

    return processes.stack_env(connection.settings_dict, settings.REDIS_URL)


@pytest.fixture(scope="module")
def web(stack_env):
    """Base URL of a uvicorn web process (no worker) with SSE keepalives every second."""
    proc, base = processes.start_web({**stack_env, "GPTSTORE_SSE_KEEPALIVE": "1"})
    yield base
    processes.stop(proc)


@pytest.fixture
def one_rate_window(monkeypatch):
    """Hold the page rate limits' clock inside one window, so a test's requests are never
    split across a window boundary (the limits count in fixed windows)."""
    from core import ratelimit

    start = 3600 * 1_000_000 + 1  # one second into a window of every period up to an hour
    monkeypatch.setattr(ratelimit, "clock", lambda: start)
