"""`make run`: start everything the store needs, and stop all of it on Ctrl-C.

Embedded PostgreSQL/Redis are started only when their URL is not set, and stopped on
exit only if this process started them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    threads = os.environ.get("WORKER_THREADS", "32")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    env.setdefault("PYTHONUNBUFFERED", "1")
    started: list[str] = []
    children: list[subprocess.Popen] = []
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
        for args in commands.values():
            # Own process group each, so shutdown reaches their children too.
            children.append(subprocess.Popen(args, env=env, start_new_session=True))
        _say(f"GPT Store is running at http://{host}:{port}/  (demo login: demo / demo-pass-123)")
        _say("press Ctrl-C to stop everything")
        while not stopping:
            dead = [p for p in children if p.poll() is not None]
            if dead:
                _say(f"a process exited (code {dead[0].returncode}); stopping the rest")
                return 1
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
        _stop_children(children)
        embedded.stop(started)
        _say("stopped")


if __name__ == "__main__":
    sys.exit(main())
