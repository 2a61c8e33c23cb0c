"""The stack under load: uvicorn and one Celery inference worker on the benchmark database,
started as `make run` starts them (bench/processes.py), and their memory."""

from __future__ import annotations

import os

from bench import processes

WORKER = "load-worker"


class LoadStack:
    def __init__(self) -> None:
        from django.conf import settings
        from django.db import connection

        from tools import streams

        env = processes.stack_env(connection.settings_dict, settings.REDIS_URL)
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        self.worker = processes.start_worker(env, WORKER, concurrency=32)
        self.web = None
        try:
            processes.wait_engine_ready(streams.client(), WORKER, self.worker)
            self.web, self.base = processes.start_web(env, "load-web")
        except BaseException:
            self.close()
            raise

    def processes(self) -> dict:
        return {"web": self.web, "worker": self.worker}

    def close(self) -> None:
        processes.stop(self.web)
        processes.stop(self.worker)
