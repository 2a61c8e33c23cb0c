"""Start the real stack (uvicorn, Celery inference worker) against the TEST database.

Live tests and the stack benchmark use these: the processes see the test database through
DATABASE_URL, the same Redis (db 1 under the test settings) through REDIS_URL, and run
`config.settings.test`. Each process gets its own session so it can be killed as a group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from bench.common import BASE_DIR, free_port
from ops.run import web_args, worker_args

LOG_DIR = Path(tempfile.gettempdir()) / "gptstore-stack-logs"


def database_url(settings_dict: dict, base_url: str | None = None) -> str:
    """A libpq URL for Django's (test) database: the configured URL with the test db name."""
    from django.conf import settings

    parts = urlsplit(base_url or settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + quote(settings_dict["NAME"])))


def stack_env(settings_dict: dict, redis_url: str, **extra: str) -> dict[str, str]:
    from django.conf import settings

    env = dict(os.environ)
    # The servers run with the deployed connection pool (the test process itself has none).
    env.setdefault("DB_POOL_SIZE", str(settings.DB_POOL_SIZE_DEFAULT))
    env.update(
        DATABASE_URL=database_url(settings_dict),
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        PYTHONUNBUFFERED="1",
        CONN_MAX_AGE="0",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _spawn(args: list[str], env: dict, name: str) -> subprocess.Popen:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = open(LOG_DIR / f"{name}.log", "wb")  # the child's output, for as long as it runs
    proc = subprocess.Popen(
        args, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log_path = LOG_DIR / f"{name}.log"  # type: ignore[attr-defined]
    return proc


def start_worker(env: dict, name: str, *, concurrency: int = 20) -> subprocess.Popen:
    env = {**env, "GPTSTORE_WORKER_ID": name}
    args = worker_args(name, concurrency) + ["--without-gossip", "--without-mingle"]
    return _spawn(args, env, name)


def wait_engine_ready(redis_client, name: str, proc=None, timeout: float = 300.0) -> dict:
    """Wait until the worker `name` has built its engine (it then publishes metrics)."""
    key = f"gptstore:engine:metrics:{name}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = redis_client.get(key)
        if raw:
            return json.loads(raw)
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"worker {name} exited ({proc.returncode}); see {proc.log_path}")
        time.sleep(0.2)
    raise TimeoutError(f"worker {name} built no engine in {timeout} s")


def start_web(env: dict, name: str = "web", port: int | None = None):
    port = port or free_port()
    args = web_args("127.0.0.1", port) + ["--no-access-log", "--timeout-graceful-shutdown", "2"]
    proc = _spawn(args, env, name)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited ({proc.returncode}); see {proc.log_path}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise TimeoutError("uvicorn did not answer /healthz in 60 s")


def start_stack(prefix: str, *, concurrency: int) -> tuple[subprocess.Popen, subprocess.Popen, str]:
    """A worker (engine ready) and a web server on this process's database and Redis, as the
    benchmarks run them: (worker, web, base URL). Nothing is left running on a failure."""
    from django.conf import settings
    from django.db import connection

    from tools import streams

    env = stack_env(connection.settings_dict, settings.REDIS_URL)
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    worker = start_worker(env, f"{prefix}-worker", concurrency=concurrency)
    try:
        wait_engine_ready(streams.client(), f"{prefix}-worker", worker)
        web, base = start_web(env, f"{prefix}-web")
    except BaseException:
        stop(worker)
        raise
    return worker, web, base


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def read_sse(
    client: httpx.Client,
    url: str,
    *,
    timeout: float = 120.0,
    headers=None,
    stop_after: int | None = None,
) -> list[tuple[str | None, dict]]:
    """Read a run's event stream until its final event: [(event id, event)]."""
    events: list[tuple[str | None, dict]] = []
    deadline = time.monotonic() + timeout
    with client.stream("GET", url, headers=headers or {}, timeout=timeout) as resp:
        resp.raise_for_status()
        event_id, data = None, []
        for line in resp.iter_lines():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no final event from {url} in {timeout} s")
            if line == "":
                if data:
                    ev = json.loads("\n".join(data))
                    events.append((event_id, ev))
                    if ev.get("type") == "final":
                        return events
                    if stop_after is not None and len(events) >= stop_after:
                        return events
                event_id, data = None, []
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
    return events


def streamed_text(events) -> str:
    parts: list[str] = []
    for _, ev in events:
        if ev.get("type") == "reset":
            parts = []
        elif ev.get("type") == "text":
            parts.append(ev["text"])
    return "".join(parts)
