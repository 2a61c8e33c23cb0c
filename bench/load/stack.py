"""The stack under load: uvicorn and one Celery inference worker on the benchmark database,
started as `make run` starts them (bench/processes.py)."""

from __future__ import annotations

from bench import processes


class LoadStack:
    def __init__(self) -> None:
        self.worker, self.web, self.base = processes.start_stack("load", concurrency=32)

    def processes(self) -> dict:
        return {"web": self.web, "worker": self.worker}

    def close(self) -> None:
        processes.stop(self.web)
        processes.stop(self.worker)
