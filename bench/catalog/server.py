"""The server under load: one uvicorn process serving config.asgi on a loopback port."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bench import processes
from bench.common import BASE_DIR

SHUTDOWN_TIMEOUT_S = 15


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")  # closed with the process, in stop_server
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "5",
        ],
        env=env,
        cwd=BASE_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    proc._bench_log = log
    return proc


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    processes.stop(proc, timeout=SHUTDOWN_TIMEOUT_S)
    proc._bench_log.close()


async def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}")
            try:
                if (await client.get("/healthz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")
