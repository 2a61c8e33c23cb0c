"""The stack path: uvicorn and one Celery inference worker on the benchmark database, started
as `make run` starts them, and the signed-in users who post runs to it."""

from __future__ import annotations

import asyncio
import json
import statistics

from bench import processes
from bench.stack.client import stack_round
from bench.stack.workload import summary


class Stack:
    """uvicorn + one Celery inference worker on the benchmark database, as `make run` runs."""

    def __init__(self, users: int) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        self.worker, self.web, self.base = processes.start_stack(
            "bench", concurrency=max(32, users + 4)
        )
        self.users = []  # one signed-in session per simulated user
        for i in range(users):
            user = get_user_model().objects.create_user(
                f"bench-user-{i}", password="bench-pass-123"
            )
            c = Client()
            c.force_login(user)
            self.users.append(
                {settings.SESSION_COOKIE_NAME: c.cookies[settings.SESSION_COOKIE_NAME].value}
            )

    def round(self, slug: str, questions: list[str], timeline: bool = False) -> dict:
        from tools import streams

        rows = asyncio.run(stack_round(self.base, self.users, slug, questions))
        if timeline:
            print(_timeline(rows), flush=True)
        wall = max(r["end"] for r in rows)  # from the moment all POSTs start
        bad = [r for r in rows if r["state"] != "succeeded"]
        if bad:
            raise RuntimeError(f"{len(bad)} runs did not succeed: {bad[:3]}")
        tokens, gaps = sum(r["tokens"] for r in rows), [g for r in rows for g in r["gaps"]]
        out = summary("stack", [r["ttft"] for r in rows], tokens, wall, gaps)
        out.update(_phases(rows))
        metrics = json.loads(streams.client().get(streams.METRICS_PREFIX + "bench-worker"))
        out["max_batch_size_seen"] = metrics.get("max_batch_size_seen")
        return out

    def close(self) -> None:
        processes.stop(self.web)
        processes.stop(self.worker)


def _phases(rows: list[dict]) -> dict:
    """Where the stack's time to first token goes (medians, ms), from the stored runs."""
    from tools.models import Run

    runs = Run.objects.order_by("-queued_at")[: len(rows)]
    runs = runs.values_list(
        "queued_at", "started_at", "first_token_at", "finished_at", "completion_tokens"
    )
    waits, engine, decode = [], [], []
    for queued, started, first, finished, tokens in runs:
        if queued and started:
            waits.append((started - queued).total_seconds())
        if started and first:
            engine.append((first - started).total_seconds())
        # The run's own pace in the worker once its first token is out.
        if first and finished and finished > first and (tokens or 0) > 1:
            decode.append((tokens - 1) / (finished - first).total_seconds())
    return {
        "decode_tok_s_per_run": round(statistics.median(decode), 1) if decode else None,
        "post_ms": round(statistics.median(r["post"] for r in rows) * 1000, 1),
        "post_max_ms": round(max(r["post"] for r in rows) * 1000, 1),
        "queue_wait_ms": round(statistics.median(waits) * 1000, 1) if waits else None,
        "engine_ttft_ms": round(statistics.median(engine) * 1000, 1) if engine else None,
    }


def _timeline(rows: list[dict]) -> str:
    """When each step of the round's runs happened, in ms after all POSTs started (sorted)."""
    from tools.models import Run

    t0 = rows[0]["t_wall"]
    runs = Run.objects.order_by("-queued_at")[: len(rows)]
    cols = runs.values_list("queued_at", "started_at", "first_token_at", "finished_at")
    names = ("queued", "claimed", "first token (worker)", "finished")
    lines = [f"  POST answered        {sorted(round(r['post'] * 1000) for r in rows)}"]
    for i, name in enumerate(names):
        ms = sorted(round((c[i].timestamp() - t0) * 1000) for c in cols if c[i])
        lines.append(f"  {name:20s} {ms}")
    lines.append(f"  first text (user)    {sorted(round(r['ttft'] * 1000) for r in rows)}")
    return "[timeline]\n" + "\n".join(lines)
