"""The web process through a PostgreSQL restart, with its connection pool: a clean 503 from
/healthz during the outage, and pooled connections that died with the server are never
handed out afterwards."""

import os

import httpx
import pytest

from bench import processes as stack
from ops import embedded

pytestmark = pytest.mark.slow


def test_web_survives_a_postgresql_restart(tmp_path):
    assert embedded.postgres_start(tmp_path) is True
    proc = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": embedded.postgres_url(tmp_path),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DB_POOL_SIZE": "2",
            "PYTHONUNBUFFERED": "1",
        }
        proc, base = stack.start_web(env, "pg-restart-web")
        for _ in range(3):  # fill the pool with connections to the first server
            assert httpx.get(base + "/healthz", timeout=10).status_code == 200
        embedded.postgres_stop(tmp_path)
        down = httpx.get(base + "/healthz", timeout=30)
        assert down.status_code == 503
        assert down.json() == {"ok": False, "database": "unreachable"}
        assert embedded.postgres_start(tmp_path) is True
        # The first request after the restart already works: dead connections are dropped
        # on checkout, not handed to it.
        assert httpx.get(base + "/healthz", timeout=10).status_code == 200
    finally:
        stack.stop(proc)
        embedded.postgres_stop(tmp_path)
