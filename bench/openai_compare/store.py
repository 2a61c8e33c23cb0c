"""This store's own /v1: a real stack (uvicorn + one Celery inference worker, as `make run`
starts them) on a database and Redis db of its own, and a user with an API token."""

from __future__ import annotations

import os

from bench import processes
from bench.common import isolated_services

DB_NAME = "gptstore_openai_bench"
REDIS_DB = 4  # 0: make run, 1: tests, 2: bench.stack, 3: bench.load and bench.catalog
MODEL = "base"  # the /v1 alias of the default model


def setup(max_streams: int) -> tuple[list[str], str]:
    """Recreate the benchmark database and Redis db, and make a user's API token:
    (embedded servers this started, the token). Call before Django is set up."""
    started = isolated_services(DB_NAME, redis_db=REDIS_DB)
    # One user holds every stream, so the per-user live-run cap must let them all run, and a
    # daily budget must not end the benchmark; the servers inherit this environment.
    os.environ["GPTSTORE_MAX_LIVE_RUNS_PER_USER"] = str(max(4, max_streams))
    os.environ["GPTSTORE_DAILY_TOKEN_BUDGET"] = "0"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from api.services import token_create
    from tools import streams

    call_command("migrate", "--noinput", verbosity=0)
    streams.client().flushdb()  # this Redis db belongs to the benchmark
    user = get_user_model().objects.create_user("bench-openai", password="bench-pass-123")
    return started, token_create(user=user, name="openai compare")[1]


class StoreServer:
    """The stack up, serving /v1 at `base_url`; `close()` stops it."""

    name = "store /v1"
    model = MODEL
    weights = "SmolLM2-135M-Instruct float32 (var/models), this project's engine"

    def __init__(self, api_key: str, max_streams: int) -> None:
        self.worker, self.web, base = processes.start_stack(
            "openai-bench", concurrency=max(32, max_streams + 4)
        )
        self.base_url = base + "/v1"
        self.api_key = api_key

    def close(self) -> None:
        processes.stop(self.web)
        processes.stop(self.worker)
