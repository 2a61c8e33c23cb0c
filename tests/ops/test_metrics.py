"""/metrics: off without METRICS_TOKEN, bearer-protected, and what Prometheus reads."""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import RunFactory
from tools import streams
from tools.models import Run
from tools.registry import get_model

pytestmark = pytest.mark.django_db
TOKEN = "s3cret-metrics-token"
FAKE = "metrics-test-worker"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client, auth) -> dict:
    resp = client.get("/metrics", **auth)
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(resp.content.decode())
        for s in fam.samples
    }


def sample(samples: dict, name: str, **labels) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_off_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_wrong_or_missing_token_is_refused(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    resp = client.get("/metrics", **extra)
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"].startswith("Bearer")
    assert b"gptstore_" not in resp.content


def test_runs_by_state_and_model_and_latency_histograms(client, token):
    before = scrape(client, token)
    now = timezone.now()
    RunFactory.create_batch(2, state=Run.State.QUEUED)
    RunFactory(state=Run.State.RUNNING, model="my-model")
    RunFactory(state=Run.State.FAILED)
    # 3 s to the first token, then 10 more tokens 0.1 s apart.
    RunFactory(
        state=Run.State.SUCCEEDED,
        completion_tokens=11,
        started_at=now - timedelta(seconds=4),
        first_token_at=now - timedelta(seconds=1),
        finished_at=now,
    )
    Run.objects.filter(completion_tokens=11).update(queued_at=now - timedelta(seconds=4))
    after = scrape(client, token)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return sample(after, name, **labels) - before.get(key, 0)

    assert delta("gptstore_runs", state="queued", model="default") == 2
    assert delta("gptstore_runs", state="running", model="my-model") == 1
    assert delta("gptstore_runs", state="failed", model="default") == 1
    assert delta("gptstore_runs", state="succeeded", model="default") == 1
    assert delta("gptstore_run_ttft_seconds_count") == 1
    assert delta("gptstore_run_ttft_seconds_bucket", le="2.0") == 0
    assert delta("gptstore_run_ttft_seconds_bucket", le="5.0") == 1
    assert delta("gptstore_run_ttft_seconds_sum") == pytest.approx(3.0)
    assert delta("gptstore_run_inter_token_seconds_bucket", le="0.05") == 0
    assert delta("gptstore_run_inter_token_seconds_bucket", le="0.1") == 1
    assert delta("gptstore_run_inter_token_seconds_sum") == pytest.approx(0.1)
    assert sample(after, "gptstore_source_up", source="database") == 1


def test_queue_depth_and_engine_metrics_from_redis(client, token):
    r = streams.client()
    before = scrape(client, token)
    engine = {
        "last_batch_size": 3,
        "active_requests": 3,
        "queue_depth": 1,
        "tokens_per_second": 42.5,
        "tokens_generated": 900,
        "requests_finished": 7,
        "batch_size_histogram": {"1": 5, "3": 2},
        "worker": FAKE,
        "updated": time.time(),
    }
    r.set(streams.METRICS_PREFIX + FAKE, json.dumps(engine), ex=60)
    r.rpush(get_model("").queue, "m1", "m2")
    try:
        after = scrape(client, token)
    finally:
        r.delete(streams.METRICS_PREFIX + FAKE)
        r.lrem(get_model("").queue, 0, "m1")
        r.lrem(get_model("").queue, 0, "m2")
    assert sample(after, "gptstore_queue_depth") - sample(before, "gptstore_queue_depth") == 2
    assert sample(after, "gptstore_workers_live") >= 1
    assert sample(after, "gptstore_engine_last_batch_size", worker=FAKE) == 3
    assert sample(after, "gptstore_engine_tokens_per_second", worker=FAKE) == 42.5
    assert sample(after, "gptstore_engine_tokens_generated_total", worker=FAKE) == 900
    assert sample(after, "gptstore_engine_batch_size_bucket", worker=FAKE, le="1.0") == 5
    assert sample(after, "gptstore_engine_batch_size_bucket", worker=FAKE, le="3.0") == 7
    assert sample(after, "gptstore_engine_batch_size_sum", worker=FAKE) == 11
    assert sample(after, "gptstore_source_up", source="redis") == 1


def test_request_latency_by_route(client, token):
    key = "gptstore_http_request_duration_seconds_count"
    labels = {"method": "GET", "route": "healthz", "status": "200"}
    before = scrape(client, token).get((key, tuple(sorted(labels.items()))), 0)
    client.get("/healthz")
    client.get("/healthz")
    after = scrape(client, token)
    assert sample(after, key, **labels) - before == 2
    missing = {"method": "GET", "route": "<unmatched>", "status": "404"}
    client.get("/no-such-page-at-all")
    assert sample(scrape(client, token), key, **missing) >= 1


def test_unreachable_redis_still_scrapes(client, token, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape(client, token)
    assert sample(samples, "gptstore_source_up", source="redis") == 0
    assert sample(samples, "gptstore_source_up", source="database") == 1


def test_web_side_stays_free_of_torch():
    code = (
        "import django, sys; django.setup(); import config.urls, config.metrics;"
        " sys.exit(1 if 'torch' in sys.modules else 0)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    assert subprocess.run([sys.executable, "-c", code], env=env, timeout=120).returncode == 0
