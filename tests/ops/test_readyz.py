"""/readyz: ready only when the database answers and a worker with a loaded model is alive."""

import json
import time

import pytest

from tools import streams

pytestmark = pytest.mark.django_db

FAKE = "readyz-test-worker"


@pytest.fixture
def no_workers():
    r = streams.client()
    for key in list(r.scan_iter(match=streams.METRICS_PREFIX + "*")):
        r.delete(key)
    yield r
    r.delete(streams.METRICS_PREFIX + FAKE)


def publish(r, *, age: float = 0.0) -> None:
    data = {"last_batch_size": 0, "worker": FAKE, "updated": time.time() - age}
    r.set(streams.METRICS_PREFIX + FAKE, json.dumps(data), ex=300)


def test_not_ready_without_a_worker(client, no_workers):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["ok"] is False and body["missing"] == ["worker"]
    assert body["database"] == "ok" and body["workers"] == 0
    assert "loaded model" in body["detail"]


def test_ready_with_a_live_worker(client, no_workers):
    publish(no_workers)
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {
        "ok": True,
        "database": "ok",
        "redis": "ok",
        "workers": 1,
        "missing": [],
    }


def test_worker_that_stopped_reporting_is_not_alive(client, no_workers, settings):
    # The key outlives its worker (5 min TTL); the timestamp inside decides.
    publish(no_workers, age=3 * settings.GPTSTORE_RUN_LEASE_TTL + 5)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json()["missing"] == ["worker"]


def test_unreachable_redis_is_named(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["redis"] == "unreachable" and body["missing"] == ["redis"]


def test_healthz_unchanged(client, no_workers):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"ok": True}
