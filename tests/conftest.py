import os
import sys

import pytest

from ops import embedded

_started: list[str] = []


def pytest_configure(config):
    # Real PostgreSQL and Redis for every test; started here when no URL is configured.
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


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "pw-bob-123")


@pytest.fixture(scope="session")
def stack_db(django_db_setup, django_db_blocker):
    """The test database, for servers started by tests/stack.py.

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
