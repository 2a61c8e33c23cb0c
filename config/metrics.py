"""Prometheus metrics: `/metrics`, behind METRICS_TOKEN, and the request-latency middleware.

Request latencies are counted in each web process. Everything else is read when Prometheus
scrapes: runs from PostgreSQL, the Celery queue and the workers' engine metrics (each
inference worker writes them to Redis every few seconds, `tools/worker/supervision.py`).
Under several uvicorn processes, set PROMETHEUS_MULTIPROC_DIR (`make run` does) so that
any one of them answers with the requests of all.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator

import redis
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, F, FloatField, Func, Q, Sum
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from tools import streams
from tools.models import Run
from tools.registry import models
from tools.worker import engine_metrics

REQUEST_LATENCY = Histogram(
    "gptstore_http_request_duration_seconds",
    "Time until the response (an event stream: until its headers), by route.",
    ["method", "route", "status"],
)
TTFT_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0)
INTER_TOKEN_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
# Celery's Redis transport keeps priorities 3, 6 and 9 of a queue in lists of their own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
LEGACY_QUEUE = "inference"  # messages sent before per-model queues; workers forward them


def worker_stale_after() -> float:
    """A worker that has not written its engine metrics for this long counts as gone (it
    writes them every third of a lease)."""
    return 3.0 * settings.GPTSTORE_RUN_LEASE_TTL


def live_engines() -> dict[str, dict]:
    """Engine metrics of the inference workers alive now (a loaded model, recently seen)."""
    now = time.time()
    return {
        worker: data
        for worker, data in engine_metrics().items()
        if now - float(data.get("updated") or 0) <= worker_stale_after()
    }


def _seconds(expr) -> Func:
    return Func(expr, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField())


def _histogram(name: str, doc: str, expr, buckets: tuple[float, ...], where: Q) -> Metric:
    """A cumulative histogram over every run matching `where`, in one aggregate query."""
    qs = Run.objects.filter(where).annotate(v=expr)
    agg = qs.aggregate(
        total=Count("pk"),
        sum=Sum("v"),
        **{f"b{i}": Count("pk", filter=Q(v__lte=b)) for i, b in enumerate(buckets)},
    )
    rows = [(repr(float(b)), agg[f"b{i}"]) for i, b in enumerate(buckets)]
    return HistogramMetricFamily(
        name, doc, buckets=[*rows, ("+Inf", agg["total"])], sum_value=agg["sum"] or 0.0
    )


class StoreCollector:
    """Read at scrape time; a source that does not answer is reported in gptstore_source_up
    instead of failing the whole scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "gptstore_source_up", "Whether a metrics source answered.", labels=["source"]
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except DatabaseError:
            up.add_metric(["database"], 0)
        try:
            yield from self._redis()
            up.add_metric(["redis"], 1)
        except (redis.RedisError, OSError, ValueError):
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> Iterator[Metric]:
        runs = GaugeMetricFamily(
            "gptstore_runs", "Runs stored, by state and requested model.", labels=["state", "model"]
        )
        counts = {(s, "default"): 0 for s in Run.State.values}
        for row in Run.objects.order_by().values("state", "model").annotate(n=Count("pk")):
            key = (row["state"], row["model"] or "default")
            counts[key] = counts.get(key, 0) + row["n"]
        for (state, model), n in sorted(counts.items()):
            runs.add_metric([state, model], n)
        metrics = [runs]
        metrics.append(
            _histogram(
                "gptstore_run_ttft_seconds",
                "From a run's queueing to its first token (what its user waits).",
                _seconds(F("first_token_at") - F("queued_at")),
                TTFT_BUCKETS,
                Q(first_token_at__isnull=False),
            )
        )
        metrics.append(
            _histogram(
                "gptstore_run_inter_token_seconds",
                "Mean time between a finished run's tokens after its first.",
                _seconds((F("finished_at") - F("first_token_at")) / (F("completion_tokens") - 1)),
                INTER_TOKEN_BUCKETS,
                Q(first_token_at__isnull=False, finished_at__isnull=False, completion_tokens__gt=1),
            )
        )
        yield from metrics  # all queries done: a failing one yields nothing half-way

    def _redis(self) -> Iterator[Metric]:
        r = streams.client()
        pipe = r.pipeline(transaction=False)
        for queue in [LEGACY_QUEUE, *(spec.queue for spec in models().values())]:
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
        depth = sum(pipe.execute())
        engines = live_engines()
        out: list[Metric] = [
            GaugeMetricFamily(
                "gptstore_queue_depth",
                "Runs waiting in the Celery inference queues (every model's).",
                value=depth,
            ),
            GaugeMetricFamily(
                "gptstore_workers_live", "Inference workers with a loaded model.", len(engines)
            ),
        ]
        gauges = {
            "last_batch_size": "Sequences decoded together in the engine's last step.",
            "active_requests": "Sequences the engine is decoding.",
            "queue_depth": "Requests waiting inside the engine.",
            "tokens_per_second": "Tokens generated per second, recent window.",
        }
        for key, doc in gauges.items():
            g = GaugeMetricFamily(f"gptstore_engine_{key}", doc, labels=["worker"])
            for worker, data in sorted(engines.items()):
                g.add_metric([worker], float(data.get(key) or 0))
            out.append(g)
        for key, doc in {
            "tokens_generated": "Tokens generated by the engine since the worker started.",
            "requests_finished": "Requests the engine finished since the worker started.",
        }.items():
            c = CounterMetricFamily(f"gptstore_engine_{key}", doc, labels=["worker"])
            for worker, data in sorted(engines.items()):
                c.add_metric([worker], float(data.get(key) or 0))
            out.append(c)
        batch = HistogramMetricFamily(
            "gptstore_engine_batch_size",
            "Engine steps by how many sequences they decoded together.",
            labels=["worker"],
        )
        for worker, data in sorted(engines.items()):
            steps = {int(k): int(v) for k, v in (data.get("batch_size_histogram") or {}).items()}
            cumulative, rows = 0, []
            for size in sorted(steps):
                cumulative += steps[size]
                rows.append((repr(float(size)), cumulative))
            rows.append(("+Inf", cumulative))
            batch.add_metric([worker], rows, sum(k * v for k, v in steps.items()))
        out.append(batch)
        yield from out


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        http = CollectorRegistry()
        multiprocess.MultiProcessCollector(http)
        text = generate_latest(http)
    else:
        text = generate_latest(REGISTRY)
    store = CollectorRegistry()
    store.register(StoreCollector())
    return text + generate_latest(store)


def metrics_view(request):
    """Off (404) without METRICS_TOKEN; otherwise `Authorization: Bearer <token>` or 401."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["Content-Type"] = "text/plain"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None else "<unmatched>"


class RequestLatencyMiddleware:
    """First in MIDDLEWARE, so the time covers the whole stack; labels are route patterns,
    never raw paths, so their number stays bounded."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        start = time.perf_counter()
        response = self.get_response(request)
        self._observe(request, response, start)
        return response

    async def __acall__(self, request):
        start = time.perf_counter()
        response = await self.get_response(request)
        self._observe(request, response, start)
        return response

    @staticmethod
    def _observe(request, response, start: float) -> None:
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(method, _route(request), str(response.status_code)).observe(
            time.perf_counter() - start
        )
