"""Project-level endpoints that belong to no app."""

import redis
from django.db import DatabaseError, connection
from django.http import JsonResponse

from .metrics import live_engines, worker_stale_after


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def healthz(request):
    """For load balancers and `make run`: 200 when the database answers, else a 503."""
    if not _database_answers():
        return JsonResponse({"ok": False, "database": "unreachable"}, status=503)
    return JsonResponse({"ok": True})


def readyz(request):
    """200 when runs can be served: the database answers and at least one inference worker
    with a loaded model has reported recently; else 503 naming what is missing."""
    body: dict = {"database": "ok", "redis": "ok", "workers": 0, "missing": []}
    if not _database_answers():
        body["database"] = "unreachable"
        body["missing"].append("database")
    try:
        body["workers"] = len(live_engines())
    except (redis.RedisError, OSError):
        body["redis"] = "unreachable"
        body["missing"].append("redis")
    else:
        if not body["workers"]:
            body["missing"].append("worker")
            body["detail"] = (
                "no inference worker with a loaded model reported in the last"
                f" {worker_stale_after():g} s"
            )
    body["ok"] = not body["missing"]
    return JsonResponse(body, status=200 if body["ok"] else 503)
