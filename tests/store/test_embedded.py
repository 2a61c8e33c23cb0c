"""The embedded-services module: start, stale pid files, clear errors, clean stop."""

import os
import subprocess
import sys

import pytest

from config import connections
from ops import embedded


def test_redis_start_stop_with_stale_pid_file(tmp_path):
    # A pid file naming a live process that is not redis (this test) must not block a start.
    rdir = embedded.redis_dir(tmp_path)
    rdir.mkdir(parents=True)
    (rdir / "redis.pid").write_text(str(os.getpid()))
    assert not embedded.redis_running(tmp_path)
    assert embedded.redis_start(tmp_path) is True
    try:
        assert embedded.redis_ping(embedded.redis_url(tmp_path))
        assert embedded.redis_start(tmp_path) is False  # already up: nothing started
        import redis

        client = redis.Redis.from_url(embedded.redis_url(tmp_path))
        assert client.config_get("appendonly")["appendonly"] == "yes"
    finally:
        embedded.redis_stop(tmp_path)
    assert not embedded.redis_running(tmp_path)


def test_postgres_url_points_at_data_dir_socket(tmp_path):
    url = embedded.postgres_url(tmp_path)
    assert url == f"postgresql://postgres@/gptstore?host={tmp_path / 'postgres'}"


@pytest.mark.slow
def test_postgres_restarts_over_stale_postmaster_pid(tmp_path):
    # After kill -9 the pid in postmaster.pid may belong to another live process.
    assert embedded.postgres_start(tmp_path) is True
    try:
        embedded.postgres_stop(tmp_path)
        data = embedded.pg_dir(tmp_path)
        (data / "postmaster.pid").write_text(f"{os.getpid()}\n{data}\n0\n5432\n{data}\n\n\n")
        assert not embedded.postgres_running(tmp_path)
        assert embedded.postgres_start(tmp_path) is True
        assert embedded.postgres_running(tmp_path)
        import psycopg

        with psycopg.connect(embedded.postgres_url(tmp_path)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded.postgres_stop(tmp_path)
    assert not embedded.postgres_running(tmp_path)


def test_celery_url_translation():
    assert (
        connections.celery_url("unix:///x/redis.sock?db=1")
        == "redis+socket:///x/redis.sock?virtual_host=1"
    )
    assert connections.celery_url("redis://h:6379/0") == "redis://h:6379/0"


def test_unreachable_urls_give_one_clear_message(tmp_path):
    with pytest.raises(embedded.ServiceError, match="PostgreSQL is not reachable"):
        embedded.check_reachable("postgresql://u@127.0.0.1:1/db", "redis://127.0.0.1:1/0")


def test_manage_py_with_unreachable_database_url_prints_one_line():
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://u@127.0.0.1:1/db",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "ops.run"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    assert "PostgreSQL is not reachable at DATABASE_URL" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_concurrent_redis_starts_launch_one_server(tmp_path):
    # Two processes starting at once must not both launch a server on one data folder.
    import threading

    results = []
    barrier = threading.Barrier(4)

    def start():
        barrier.wait()
        results.append(embedded.redis_start(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        sock = str(embedded.redis_dir(tmp_path) / "redis.sock")
        servers = subprocess.run(["pgrep", "-f", sock], capture_output=True, text=True).stdout
        assert sorted(results) == [False, False, False, True]
        assert len(servers.split()) == 1
    finally:
        embedded.redis_stop(tmp_path)
