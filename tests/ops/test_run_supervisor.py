"""`make run` keeps its children alive: the restart policy with fake processes, and a real
`python -m ops.run` whose worker is killed with SIGKILL."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
import redis

from bench.common import free_port
from ops import embedded
from ops.run import Supervisor
from tools import streams
from tools.models import Run

REPO = Path(__file__).resolve().parents[2]


class FakeProc:
    pids = itertools.count(100)

    def __init__(self, args):
        self.args = args
        self.pid = next(self.pids)
        self.returncode = None

    def poll(self):
        return self.returncode

    def die(self, code=-9):
        self.returncode = code


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make(**kw):
    clock, spawned, said, cleaned = Clock(), [], [], []

    def spawn(args):
        spawned.append(FakeProc(args))
        return spawned[-1]

    sup = Supervisor(
        {"web": ["uvicorn"], "worker": ["celery", "worker"], "beat": ["celery", "beat"]},
        spawn,
        clock=clock,
        say=said.append,
        cleanup=cleaned.append,
        **kw,
    )
    sup.start()
    sup.cleaned = cleaned
    return sup, clock, spawned, said


def child(sup, name):
    return next(c for c in sup.children if c.name == name)


def test_starts_every_child_once_and_leaves_live_ones_alone():
    sup, clock, spawned, said = make()
    assert [p.args for p in spawned] == [["uvicorn"], ["celery", "worker"], ["celery", "beat"]]
    clock.now += 500
    sup.poll()
    assert len(spawned) == 3 and said == []


def test_dead_child_restarts_after_backoff_and_others_keep_running():
    sup, clock, spawned, said = make()
    web, worker, beat = spawned
    worker.die(-9)
    sup.poll()
    assert "worker exited (code -9)" in said[-1] and "restarting in 1 s" in said[-1]
    assert sup.cleaned == [worker]  # what is left of its process group goes first
    assert len(spawned) == 3  # not before the backoff is over
    clock.now += 0.5
    sup.poll()
    assert len(spawned) == 3
    clock.now += 0.5
    sup.poll()
    assert len(spawned) == 4 and spawned[-1].args == ["celery", "worker"]
    assert child(sup, "worker").proc is spawned[-1]
    assert said[-1] == f"worker restarted (pid {spawned[-1].pid})"
    assert web.poll() is None and beat.poll() is None
    assert set(sup.procs()) == {web, spawned[-1], beat}


def crash_and_restart(sup, clock, name, *, uptime=0.1):
    clock.now += uptime
    child(sup, name).proc.die(1)
    sup.poll()
    wait = child(sup, name).restart_at - clock.now
    clock.now += wait
    sup.poll()
    return round(wait, 6)


def test_backoff_doubles_up_to_the_cap():
    sup, clock, spawned, said = make(base=1.0, cap=30.0, stable_after=60.0)
    waits = [crash_and_restart(sup, clock, "beat") for _ in range(8)]
    assert waits == [1, 2, 4, 8, 16, 30, 30, 30]
    assert len(spawned) == 3 + 8


def test_backoff_resets_after_the_child_stayed_up():
    sup, clock, spawned, said = make(base=1.0, cap=30.0, stable_after=60.0)
    assert [crash_and_restart(sup, clock, "web") for _ in range(3)] == [1, 2, 4]
    assert crash_and_restart(sup, clock, "web", uptime=61) == 1
    assert crash_and_restart(sup, clock, "web") == 2


def test_each_child_has_its_own_backoff():
    sup, clock, spawned, said = make()
    for _ in range(3):
        crash_and_restart(sup, clock, "worker")
    assert crash_and_restart(sup, clock, "web") == 1


# --- the real thing: `python -m ops.run`, its worker killed with SIGKILL mid-run ------------


def _manage(env: dict, code: str) -> str:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


CREATE_RUN = """
from django.contrib.auth import get_user_model
from tools.services import run_create_base
user = get_user_model().objects.get(username="demo")
messages = [{{"role": "user", "content": {prompt!r}}}]
run = run_create_base(user=user, messages=messages, sampling={sampling!r})
print("RUN", run.pk)
"""


def _create_run(env: dict, prompt: str, max_new_tokens: int) -> str:
    sampling = {"max_new_tokens": max_new_tokens, "temperature": 0.0}
    out = _manage(env, CREATE_RUN.format(prompt=prompt, sampling=sampling))
    return out.split("RUN", 1)[1].split()[0]


def _run_row(db_url: str, run_id: str) -> tuple[str, str, str]:
    with psycopg.connect(db_url) as conn:
        row = conn.execute(
            f"SELECT state, error_code, output FROM {Run._meta.db_table} WHERE id = %s",
            (run_id,),
        ).fetchone()
    return row


def _wait(what: str, predicate, proc, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"ops.run exited ({proc.returncode}) waiting for {what}"
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _workers(proc) -> list[int]:
    pids = []
    for child in psutil.Process(proc.pid).children():
        try:
            cmd = child.cmdline()
        except psutil.Error:  # the killed worker, until `make run` reaps it
            continue
        if "worker" in cmd and "celery" in cmd:
            pids.append(child.pid)
    return pids


class HealthPoller(threading.Thread):
    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.results, self.stopping = url, [], threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.results.append(httpx.get(self.url, timeout=10).status_code)
            except httpx.HTTPError as exc:
                self.results.append(repr(exc))
            self.stopping.wait(0.3)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_make_run_restarts_a_worker_killed_mid_run():
    var = Path(tempfile.mkdtemp(prefix="gs-run-"))
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "WEB_WORKERS"}
    }
    env.update(
        GPTSTORE_VAR_DIR=str(var),
        PORT=str(port),
        WORKER_THREADS="2",
        GPTSTORE_MODEL_CACHE=str(REPO / "var" / "models"),
        GPTSTORE_RUN_LEASE_TTL="3",
        GPTSTORE_RECONCILE_EVERY="2",
        PYTHONUNBUFFERED="1",
    )
    shell_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": embedded.postgres_url(var),
        "REDIS_URL": embedded.redis_url(var),
    }
    log_path = var / "make-run.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ops.run"], cwd=REPO, env=env, stdout=log, stderr=log
        )
    poller = HealthPoller(base + "/healthz")
    try:

        def web_up():
            try:
                return httpx.get(base + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        _wait("the web", web_up, proc, 600)
        redis_client = redis.Redis.from_url(embedded.redis_url(var))
        _wait(
            "the engine",
            lambda: list(redis_client.scan_iter("gptstore:engine:metrics:*")),
            proc,
            600,
        )
        [worker] = _workers(proc)
        poller.start()

        long_run = _create_run(
            shell_env, "Write a long, detailed story about a dragon who lives in a city.", 480
        )
        _wait(
            "the run to start",
            lambda: _run_row(shell_env["DATABASE_URL"], long_run)[0] == "running",
            proc,
            300,
        )

        def has_text():
            state = _run_row(shell_env["DATABASE_URL"], long_run)[0]
            assert state == "running", f"the run ended ({state}) before it could be interrupted"
            entries = redis_client.xrange(streams.stream_key(long_run))
            return any(json.loads(fields[b"e"]).get("type") == "text" for _, fields in entries)

        _wait("its first words", has_text, proc, 300)
        os.kill(worker, signal.SIGKILL)

        restarted = _wait(
            "a new worker", lambda: [p for p in _workers(proc) if p != worker], proc, 60
        )
        assert "worker exited (code -9)" in log_path.read_text()
        state, code, output = _wait(
            "the interrupted run to fail",
            lambda: (row := _run_row(shell_env["DATABASE_URL"], long_run))[0] != "running" and row,
            proc,
            120,
        )
        assert (state, code) == ("failed", "worker_lost")
        assert output  # its partial text is kept

        next_run = _create_run(shell_env, "Say hello.", 8)
        state, code, output = _wait(
            "the next run",
            lambda: (
                (row := _run_row(shell_env["DATABASE_URL"], next_run))[0]
                in {"succeeded", "failed", "cancelled"}
                and row
            ),
            proc,
            600,
        )
        assert state == "succeeded", (state, code)
        assert _workers(proc) == restarted
        poller.stopping.set()
        poller.join(15)
        assert len(poller.results) > 3
        assert set(poller.results) == {200}, poller.results

        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(90) == 0
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert alive == []
        assert not embedded.postgres_running(var) and not embedded.redis_running(var)
    finally:
        poller.stopping.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
        if embedded.postgres_running(var):
            embedded.postgres_stop(var)
        if embedded.redis_running(var):
            embedded.redis_stop(var)
        print(log_path.read_text()[-4000:])
        shutil.rmtree(var, ignore_errors=True)
