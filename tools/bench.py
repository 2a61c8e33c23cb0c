"""Stack benchmark: N users running a tool over HTTP + SSE through the whole stack (uvicorn,
Django, PostgreSQL, Celery on Redis, the worker's engine) against the engine alone.

    python -m tools.bench [--users 16] [--max-new-tokens 32] [--strict] [--timeline]
    python -m tools.bench --sustained 10   # users run back to back; a 10 s window is measured

Both paths get the same prompts, greedy sampling and token limit, in the same process run.
Reported: time to first token (TTFT) p50/p95 and aggregate tokens per second. For the stack,
TTFT runs from the start of the form POST to the first text event on the run's SSE stream.
Bar (issue 4): at 16 users the stack adds at most 50 ms to TTFT p50 and keeps at least 90%
of the engine's aggregate throughput. `--strict` exits 1 when the bar is missed.

Uses its own database (gptstore_runs_bench, recreated) and Redis db 2 of the embedded servers,
so a running `make run` (db 0) or the test suite (db 1) is not disturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import sys
import threading
import time

QUESTIONS = [
    "What is the capital of France?",
    "Why is the sky blue?",
    "What do bees make?",
    "How many legs does a spider have?",
    "What is photosynthesis?",
    "Who wrote Hamlet?",
    "What is the boiling point of water?",
    "What is a prime number?",
    "Why do we have seasons?",
    "What is gravity?",
    "What is the largest ocean?",
    "How do vaccines work?",
    "What is a noun?",
    "What causes rain?",
    "What is the speed of light?",
    "What is an atom?",
    "What is democracy?",
    "How do plants drink water?",
    "What is a volcano?",
    "What is the moon made of?",
    "Why is exercise healthy?",
    "What is a computer?",
    "How do birds fly?",
    "What is electricity?",
    "What is the Internet?",
    "What is a galaxy?",
    "What is DNA?",
    "What is inflation?",
    "What is a haiku?",
    "Why do cats purr?",
    "What is recycling?",
    "What is a desert?",
]
SYSTEM = "You are a knowledgeable assistant. Answer briefly and clearly."
TEMPLATE = "Answer in two sentences: {{question}}"
DB_NAME = "gptstore_runs_bench"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def summary(name: str, ttfts: list[float], tokens: int, wall: float, gaps: list[float]) -> dict:
    """`gaps`: time between successive pieces of text of one run, as its reader receives them
    (the stack may merge a few tokens into one event; the engine calls back once per piece)."""
    return {
        "path": name,
        "requests": len(ttfts),
        "ttft_p50_ms": round(pct(ttfts, 0.5) * 1000, 1),
        "ttft_p95_ms": round(pct(ttfts, 0.95) * 1000, 1),
        "gap_p50_ms": round(pct(gaps, 0.5) * 1000, 1),
        "gap_p95_ms": round(pct(gaps, 0.95) * 1000, 1),
        "tokens": tokens,
        "wall_s": round(wall, 3),
        "tokens_per_s": round(tokens / wall, 1) if wall > 0 else 0.0,
    }


# --- environment ---------------------------------------------------------------------------


def setup_env() -> None:
    from store import embedded

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "store.settings.test")
    svc = embedded.ensure_up()
    started = [n for n in svc.pop("GPTSTORE_STARTED").split(",") if n]
    os.environ["GPTSTORE_BENCH_STARTED"] = ",".join(started)
    if not os.environ.get("DATABASE_URL"):
        embedded._psql(None, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        embedded._psql(None, f'CREATE DATABASE "{DB_NAME}"')
        os.environ["DATABASE_URL"] = embedded.postgres_url(database=DB_NAME)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = embedded.redis_url(db=2)


def prepare(max_new_tokens: int):
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from store.services import tool_create, tool_publish, tool_version_create
    from tools import streams

    call_command("migrate", "--noinput", verbosity=0)
    r = streams.client()
    r.flushdb()  # db 2 belongs to the benchmark
    users = get_user_model()
    author = users.objects.create_user("bench-author", password="bench-pass-123")
    tool = tool_create(author=author, name="Bench Answers", slug="bench-answers")
    version = tool_version_create(
        tool=tool,
        prompt_template=TEMPLATE,
        system_prompt=SYSTEM,
        input_schema=[{"name": "question", "type": "short_text", "max_length": 300}],
        sampling_defaults={"temperature": 0.0, "max_new_tokens": max_new_tokens},
    )
    tool_publish(tool=tool, version=version)
    return tool


# --- engine alone ----------------------------------------------------------------------------


class EngineAlone:
    """The same engine configuration as a worker's, driven directly in this process."""

    def __init__(self) -> None:
        from tools.engine import build_engine

        # Built the way a worker builds its engine (same settings, same CPU priority), in a
        # thread of its own so this process's other threads keep their priority.
        box: dict = {}
        builder = threading.Thread(target=lambda: box.update(engine=build_engine()[1]))
        builder.start()
        builder.join()
        self.engine = box["engine"]

    def round(self, questions: list[str], max_new_tokens: int) -> dict:
        from inference import SamplingParams

        params = SamplingParams(temperature=0.0, max_new_tokens=max_new_tokens)
        clocks = [TextClock() for _ in questions]
        t0 = time.perf_counter()
        handles = [
            engine_submit(self.engine, tool_messages(q), params, clock)
            for q, clock in zip(questions, clocks, strict=True)
        ]
        results = [h.result() for h in handles]
        wall = time.perf_counter() - t0
        ttfts = [(c.first or t0 + r.total_s) - t0 for c, r in zip(clocks, results, strict=True)]
        tokens = sum(r.completion_tokens for r in results)
        return summary("engine", ttfts, tokens, wall, [g for c in clocks for g in c.gaps])

    def close(self) -> None:
        self.engine.close()


def tool_messages(question: str) -> list[dict]:
    """The chat messages the benchmark tool's run sends for a question."""
    from tools.schema import render

    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": render(TEMPLATE, {"question": question})},
    ]


class TextClock:
    """An engine `on_text` that times one run's text as a user sees it: the first non-empty
    piece (as on the stack path) and the gaps between the pieces after it."""

    def __init__(self) -> None:
        self.first = self._last = 0.0
        self.gaps: list[float] = []

    def __call__(self, piece: str) -> None:
        if not piece:
            return
        now = time.perf_counter()
        if self.first:
            self.gaps.append(now - self._last)
        else:
            self.first = now
        self._last = now


def engine_submit(engine, messages, params, on_text):
    return engine.submit(messages=messages, params=params, on_text=on_text)


# --- whole stack -----------------------------------------------------------------------------


# The users' side is a small HTTP/1.1 client on raw asyncio streams. Real users' browsers do
# not run on the server's cores; here they do, and httpx cost ~1-2 ms of CPU per request on
# the same two cores that serve the stack, so the measuring side stays as light as it can.


async def _http(reader, writer, head: str, body: bytes = b"") -> tuple[int, dict[str, str]]:
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode("latin-1").partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers


async def _body_chunks(reader, headers: dict[str, str]):
    if "content-length" in headers:
        yield await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readline()).split(b";")[0], 16):
            yield await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readline()


async def _one_user(base: str, cookie: str, slug: str, question: str, t_start: float, token: str):
    from urllib.parse import urlencode, urlsplit

    host = urlsplit(base).netloc
    hostname, port = host.rsplit(":", 1)
    common = f"Host: {host}\r\nCookie: {cookie}\r\nConnection: keep-alive\r\n"
    form = urlencode({"csrfmiddlewaretoken": token, "in-question": question}).encode()
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(hostname, int(port))
    try:
        status, headers = await _http(
            reader,
            writer,
            f"POST /t/{slug}/run HTTP/1.1\r\n{common}"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\n\r\n",
            form,
        )
        async for _ in _body_chunks(reader, headers):
            pass
        if status != 302:
            raise RuntimeError(f"POST returned {status}")
        t_posted = time.perf_counter()
        path = urlsplit(headers["location"]).path + "events"
        status, headers = await _http(
            reader, writer, f"GET {path} HTTP/1.1\r\n{common}Accept: text/event-stream\r\n\r\n"
        )
        first = final = None
        pending, texts = b"", []
        async for chunk in _body_chunks(reader, headers):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.startswith(b'data: {"type":"text"'):
                    texts.append(time.perf_counter())
                    first = first or texts[0]
                elif line.startswith(b'data: {"type":"final"'):
                    final = json.loads(line[5:])
            if final is not None:
                break
    finally:
        writer.close()
    end = time.perf_counter()
    return {
        "ttft": (first or end) - t0,
        "post": t_posted - t0,
        "tokens": (final or {}).get("completion_tokens") or 0,
        "gaps": [b - a for a, b in itertools.pairwise(texts)],
        "start": t0 - t_start,
        "end": end - t_start,
        "state": (final or {}).get("state"),
    }


async def _signed_in(base: str, cookies: dict, slug: str) -> tuple[str, str]:
    """A signed-in user's Cookie header and CSRF token, from opening the run form (this is
    not part of any measure)."""
    import httpx

    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as client:
        html = (await client.get(f"/t/{slug}/run")).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items()), token


async def _stack_round(base: str, users: list[dict], slug: str, questions: list[str]) -> list[dict]:
    """Each question is asked by its own signed-in user, with a client of its own (own
    session, CSRF cookie and token, connection); all POSTs start together."""

    async def user_run(cookies: dict, question: str, barrier: asyncio.Barrier, box: dict) -> dict:
        cookie, token = await _signed_in(base, cookies, slug)
        await barrier.wait()
        if "t_start" not in box:
            box["t_start"], box["t_wall"] = time.perf_counter(), time.time()
        return await _one_user(base, cookie, slug, question, box["t_start"], token)

    barrier, box = asyncio.Barrier(len(questions)), {}
    rows = await asyncio.gather(
        *(user_run(users[i % len(users)], q, barrier, box) for i, q in enumerate(questions))
    )
    for row in rows:
        row["t_wall"] = box["t_wall"]
    return rows


class Stack:
    """uvicorn + one Celery inference worker on the benchmark database, as `make run` runs."""

    def __init__(self, users: int) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client

        from tests import stack
        from tools import streams

        self._stack = stack
        env = stack.stack_env(connection.settings_dict, settings.REDIS_URL)
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        self.worker = stack.start_worker(env, "bench-worker", concurrency=max(32, users + 4))
        self.web = None
        try:
            stack.wait_engine_ready(streams.client(), "bench-worker", self.worker)
            self.web, self.base = stack.start_web(env, "bench-web")
        except BaseException:
            self.close()
            raise
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

        rows = asyncio.run(_stack_round(self.base, self.users, slug, questions))
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
        self._stack.stop(self.web)
        self._stack.stop(self.worker)


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


SUSTAINED_WARMUP_S = 3.0


def _sustained_engine(alone: EngineAlone, args) -> dict:
    from .benchload import engine_loop

    return engine_loop(
        alone.engine, args.users, QUESTIONS, args.max_new_tokens, SUSTAINED_WARMUP_S, args.sustained
    )


def _sustained_stack(stack_: Stack, slug: str, args) -> dict:
    from .benchload import stack_loop

    return asyncio.run(
        stack_loop(stack_.base, stack_.users, slug, QUESTIONS, SUSTAINED_WARMUP_S, args.sustained)
    )


def _median(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians reported")
    ap.add_argument("--strict", action="store_true", help="exit 1 when the bar is missed")
    ap.add_argument(
        "--timeline", action="store_true", help="print when each run's steps happened, per round"
    )
    ap.add_argument(
        "--sustained",
        type=float,
        metavar="SECONDS",
        help="instead of releasing all runs at once, keep every user running back to back and "
        "measure a window of this length (tools/benchload.py)",
    )
    args = ap.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    setup_env()
    tool = prepare(args.max_new_tokens)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.users)]
    mode = f"sustained {args.sustained:g} s windows" if args.sustained else "runs released at once"
    print(
        f"[bench] {args.users} users, {args.max_new_tokens} new tokens, greedy, "
        f"{args.rounds} alternating rounds, {mode}",
        flush=True,
    )
    stack_ = Stack(args.users)
    alone = None
    try:
        alone = EngineAlone()
        # One unmeasured round of each at full concurrency: a server that has been up a while
        # has its connection pools filled and its code paths warm.
        alone.round(questions, args.max_new_tokens)
        stack_.round(tool.slug, questions)
        engine_rows, stack_rows = [], []
        for _ in range(args.rounds):
            if args.sustained:
                engine_rows.append(_sustained_engine(alone, args))
            else:
                engine_rows.append(alone.round(questions, args.max_new_tokens))
            print(json.dumps(engine_rows[-1]), flush=True)
            if args.sustained:
                stack_rows.append(_sustained_stack(stack_, tool.slug, args))
            else:
                stack_rows.append(stack_.round(tool.slug, questions, timeline=args.timeline))
            print(json.dumps(stack_rows[-1]), flush=True)
    finally:
        if alone is not None:
            alone.close()
        stack_.close()
    e = {k: _median(engine_rows, k) for k in ("ttft_p50_ms", "ttft_p95_ms", "tokens_per_s")}
    s = {k: _median(stack_rows, k) for k in ("ttft_p50_ms", "ttft_p95_ms", "tokens_per_s")}
    added = s["ttft_p50_ms"] - e["ttft_p50_ms"]
    kept = s["tokens_per_s"] / e["tokens_per_s"] if e["tokens_per_s"] else 0.0
    ok = added <= 50 and kept >= 0.90
    print(
        f"[bench] TTFT p50: engine {e['ttft_p50_ms']} ms, stack {s['ttft_p50_ms']} ms "
        f"(added {added:+.1f} ms; bar <= 50 ms)"
    )
    print(f"[bench] TTFT p95: engine {e['ttft_p95_ms']} ms, stack {s['ttft_p95_ms']} ms")
    g = {
        path: {k: _median(rows, k) for k in ("gap_p50_ms", "gap_p95_ms")}
        for path, rows in (("engine", engine_rows), ("stack", stack_rows))
    }
    print(
        f"[bench] gap between text pieces p50/p95: engine {g['engine']['gap_p50_ms']}/"
        f"{g['engine']['gap_p95_ms']} ms, stack {g['stack']['gap_p50_ms']}/"
        f"{g['stack']['gap_p95_ms']} ms"
    )
    print(
        f"[bench] throughput: engine {e['tokens_per_s']} tok/s, stack {s['tokens_per_s']} tok/s "
        f"({kept:.1%} kept; bar >= 90%)"
    )
    print(f"[bench] {'PASS' if ok else 'FAIL'}", flush=True)
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
