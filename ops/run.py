"""`make run`: start everything the store needs, keep it running, and stop all of it on Ctrl-C.

Embedded PostgreSQL/Redis are started only when their URL is not set, and stopped on
exit only if this process started them. A child (web, worker, beat) that dies is started
again after a backoff (`Supervisor`); the rest keeps serving meanwhile.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ops import embedded

PY = sys.executable


def _say(msg: str) -> None:
    try:
        print(f"[gptstore] {msg}", flush=True)
    except OSError:
        pass  # stdout gone (e.g. a pipe closed by Ctrl-C): shutting down matters more


def _run(args: list[str], env: dict) -> None:
    subprocess.run([PY, *args], env=env, check=True)


def worker_args(name: str, concurrency: int) -> list[str]:
    """The inference worker's command line: one process, a thread pool sharing one engine.
    The test suite and the stack benchmark start workers with exactly this."""
    return [
        PY,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        "inference,default",
        "--pool",
        "threads",
        "-c",
        str(concurrency),
        "-n",
        f"{name}@%h",
        "--loglevel",
        "INFO",
    ]


def web_args(host: str, port: int) -> list[str]:
    """uvicorn; WEB_WORKERS > 1 runs that many processes (a process runs Python on one core at
    a time, so processes are how the web side uses more cores)."""
    args = [PY, "-m", "uvicorn", "config.asgi:application", "--host", host, "--port", str(port)]
    workers = int(os.environ.get("WEB_WORKERS") or 1)
    return args + (["--workers", str(workers)] if workers > 1 else [])


@dataclass
class Child:
    name: str
    args: list[str]
    proc: Any = None  # a Popen, or whatever `spawn` returns
    started_at: float = 0.0
    failures: int = 0  # crashes in a row, each within `stable_after` of its start
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Keeps `make run`'s children alive: a child that exits is started again after
    `base` seconds, doubling with each crash in a row up to `cap`; a child that stayed up
    `stable_after` seconds before dying starts over at `base`. Clock and spawn are injected
    so the policy is tested without real processes or waiting."""

    commands: dict[str, list[str]]
    spawn: Callable[[list[str]], Any]
    clock: Callable[[], float] = time.monotonic
    say: Callable[[str], None] = _say
    # Called on a dead child before its restart; `make run` kills what is left of its
    # process group (e.g. uvicorn's worker processes, which would keep the port).
    cleanup: Callable[[Any], None] = lambda proc: None
    base: float = 1.0
    cap: float = 30.0
    stable_after: float = 60.0
    children: list[Child] = field(default_factory=list)

    def start(self) -> None:
        for name, args in self.commands.items():
            child = Child(name, args)
            self._spawn(child)
            self.children.append(child)

    def delay(self, failures: int) -> float:
        return min(self.base * 2 ** max(failures - 1, 0), self.cap)

    def poll(self) -> None:
        """One look at every child: note the dead, restart those whose backoff is over."""
        now = self.clock()
        for child in self.children:
            if child.restart_at is None:
                code = child.proc.poll()
                if code is None:
                    continue
                self.cleanup(child.proc)
                uptime = now - child.started_at
                child.failures = 1 if uptime >= self.stable_after else child.failures + 1
                wait = self.delay(child.failures)
                child.restart_at = now + wait
                self.say(
                    f"{child.name} exited (code {code}) after {uptime:.0f} s;"
                    f" restarting in {wait:g} s"
                )
            elif now >= child.restart_at:
                self._spawn(child)
                self.say(f"{child.name} restarted (pid {child.proc.pid})")

    def procs(self) -> list:
        return [c.proc for c in self.children if c.proc is not None]

    def _spawn(self, child: Child) -> None:
        child.proc = self.spawn(child.args)
        child.started_at = self.clock()
        child.restart_at = None


def _stop_children(children: list[subprocess.Popen]) -> None:
    for proc in children:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in children:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left of it


def _backoff_from_env() -> dict[str, float]:
    """RESTART_BACKOFF_MAX and RESTART_STABLE_AFTER (seconds) tune the restart policy."""
    return {
        "cap": float(os.environ.get("RESTART_BACKOFF_MAX") or 30),
        "stable_after": float(os.environ.get("RESTART_STABLE_AFTER") or 60),
    }


def _prepare_multiprocess_metrics(env: dict) -> None:
    """Several uvicorn processes each count their own requests: prometheus-client then keeps
    the counts in files shared by all of them, emptied at every start."""
    if int(env.get("WEB_WORKERS") or 1) > 1 and not env.get("PROMETHEUS_MULTIPROC_DIR"):
        path = embedded.VAR_DIR / "prometheus"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    threads = os.environ.get("WORKER_THREADS", "32")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    env.setdefault("PYTHONUNBUFFERED", "1")
    started: list[str] = []
    supervisor: Supervisor | None = None
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        _say("starting services…")
        svc = embedded.ensure_up()
        started = [n for n in svc.pop("GPTSTORE_STARTED").split(",") if n]
        env.update(svc)
        embedded.check_reachable(env["DATABASE_URL"], env["REDIS_URL"])
        _run(["manage.py", "migrate", "--noinput", "-v", "0"], env)
        _run(["manage.py", "load_demo"], env)
        _run(["manage.py", "reindex"], env)
        if not env.get("GPTSTORE_MODEL"):
            _say("preparing the model (the first start converts it once, about a minute)…")
            _run(["-m", "inference", "prepare"], env)
        commands = {
            "worker": worker_args("inference", int(threads)),
            "beat": [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "-s",
                str(embedded.VAR_DIR / "celerybeat-schedule"),
            ],
            "web": web_args(host, int(port)) + ["--timeout-graceful-shutdown", "5"],
        }
        _prepare_multiprocess_metrics(env)

        def spawn(args: list[str]) -> subprocess.Popen:
            # Own process group each, so shutdown reaches their children too.
            return subprocess.Popen(args, env=env, start_new_session=True)

        supervisor = Supervisor(commands, spawn, cleanup=_kill_group, **_backoff_from_env())
        supervisor.start()
        _say(f"GPT Store is running at http://{host}:{port}/  (demo login: demo / demo-pass-123)")
        _say("press Ctrl-C to stop everything")
        while not stopping:
            supervisor.poll()
            time.sleep(0.5)
        return 0
    except embedded.ServiceError as exc:
        _say(f"error: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        _say(f"error: {' '.join(map(str, exc.cmd[1:]))} failed with code {exc.returncode}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _say("stopping…")
        _stop_children(supervisor.procs() if supervisor else [])
        embedded.stop(started)
        _say("stopped")


if __name__ == "__main__":
    sys.exit(main())
