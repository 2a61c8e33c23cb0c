"""The open-loop load generator (asyncio + httpx).

Requests leave at fixed times whatever the server does and latency counts from the scheduled
send time (no coordinated omission); every phase is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from urllib.parse import urlencode

from bench.catalog.data import SEED
from bench.catalog.words import SEARCH_QUERIES
from bench.common import load_average, nearest_rank, say

PEAK_P95_LIMIT_MS = 500.0
PEAK_MAX_ERROR_RATE = 0.01
STEP_RATES = [20, 25, 30, 35, 40, 50, 60, 70, 80, 100, 120, 160, 200, 240, 320, 400]
REQUEST_TIMEOUT_S = 10.0
PAGES = ("search", "home")


async def open_loop(client, paths, *, rate: float, duration: float) -> dict:
    """Send len = rate*duration GETs at fixed times; latency counts from the scheduled time.

    Bounded: requests still open REQUEST_TIMEOUT_S after the last send are cancelled and
    counted as errors (with their time so far as latency).
    """
    import httpx

    loop = asyncio.get_running_loop()
    n = max(1, int(rate * duration))
    results: list[tuple[float, bool, float]] = []  # latency, ok, completion time
    lags: list[float] = []
    statuses: dict[str, int] = {}

    async def one(path: str, scheduled: float) -> None:
        ok, status = False, "error"
        try:
            response = await client.get(path, timeout=REQUEST_TIMEOUT_S)
            ok = response.status_code == 200
            status = str(response.status_code)
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        finally:
            now = loop.time()
            results.append((now - scheduled, ok, now))
            statuses[status] = statuses.get(status, 0) + 1

    t0 = loop.time() + 0.05
    tasks: dict[asyncio.Task, float] = {}
    for i in range(n):
        scheduled = t0 + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(loop.time() - scheduled)
        tasks[asyncio.create_task(one(paths[i % len(paths)], scheduled))] = scheduled
    _, pending = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return _phase_result(n, results, lags, statuses, rate=rate, duration=duration, t0=t0)


def _phase_result(n, results, lags, statuses, *, rate, duration, t0) -> dict:
    """One phase's figures from its n requests' (latency, ok, completion time) and send lags."""
    latencies = sorted(r[0] * 1000 for r in results)
    errors = sum(1 for r in results if not r[1])
    done_ok = n - errors
    return {
        "rate_target": rate,
        "duration_s": duration,
        "requests": n,
        "ok": done_ok,
        "errors": errors,
        "statuses": statuses,
        # Completed answers per second over the phase (the send window or longer).
        "achieved_rps": round(done_ok / max(max(r[2] for r in results) - t0, duration), 1),
        "p50_ms": round(nearest_rank(latencies, 50), 1),
        "p95_ms": round(nearest_rank(latencies, 95), 1),
        "p99_ms": round(nearest_rank(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "max_send_lag_ms": round(max(lags) * 1000, 1),
        "load": load_average(),
    }


async def drain(client, seconds: float = 30) -> None:
    """Wait until the server answers quickly again (after an overload step)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.monotonic()
        with contextlib.suppress(Exception):  # any failure: keep waiting
            await client.get("/healthz", timeout=5)
        if time.monotonic() - start < 0.05:
            return
        await asyncio.sleep(0.5)


def _search_paths(rng: random.Random, n: int) -> list[str]:
    paths = []
    for _ in range(n):
        params = rng.choice(SEARCH_QUERIES)
        paths.append("/search/?" + urlencode(params))
    return paths


async def warm_up(client) -> float:
    """Load the sentence model and cache the popular queries; the first search's seconds."""
    say("warming up (the first search loads the sentence model)…")
    start = time.monotonic()
    first = await client.get("/search/?q=translator", timeout=120)
    first.raise_for_status()
    first_search_s = round(time.monotonic() - start, 2)
    for params in SEARCH_QUERIES:  # popular queries: their embeddings are cached
        (await client.get("/search/?" + urlencode(params), timeout=60)).raise_for_status()
    for _ in range(5):
        (await client.get("/", timeout=60)).raise_for_status()
    return first_search_s


def _over_limit(result: dict) -> bool:
    return (
        result["p95_ms"] >= PEAK_P95_LIMIT_MS
        or result["errors"] > PEAK_MAX_ERROR_RATE * result["requests"]
    )


async def step_up(client, page: str, paths: list[str], args) -> dict:
    """Rising rates until p95 reaches the limit (or errors pile up): the last rate under it."""
    steps = []
    peak = 0
    for rate in STEP_RATES:
        if rate > args.max_rate:
            break
        await drain(client)
        say(f"{page} step-up: {rate} req/s for {args.step_duration} s (load {load_average()})")
        result = await open_loop(client, paths, rate=rate, duration=args.step_duration)
        steps.append(result)
        if _over_limit(result):
            break
        peak = rate
    return {"peak_rps": peak, "steps": steps}


async def run_load(base: str, args) -> dict:
    import httpx

    rng = random.Random(SEED + 1)
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    report: dict = {"steady": {}, "peak": {}}
    pages = {
        "search": _search_paths(rng, 5000),
        "home": ["/"],
    }
    async with httpx.AsyncClient(base_url=base, limits=limits) as client:
        report["first_search_s"] = await warm_up(client)
        for page in PAGES:
            await drain(client)
            say(f"{page}: {args.rate} req/s for {args.duration} s (load {load_average()})")
            report["steady"][page] = await open_loop(
                client, pages[page], rate=args.rate, duration=args.duration
            )
        for page in PAGES:
            report["peak"][page] = await step_up(client, page, pages[page], args)
    return report
