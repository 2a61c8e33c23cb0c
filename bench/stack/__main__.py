"""Stack benchmark: N users running a tool over HTTP + SSE through the whole stack (uvicorn,
Django, PostgreSQL, Celery on Redis, the worker's engine) against the engine alone.

    python -m bench.stack [--users 16] [--max-new-tokens 32] [--strict] [--timeline]
    python -m bench.stack --sustained 10   # users run back to back; a 10 s window is measured

Both paths get the same prompts, greedy sampling and token limit, in the same process run.
Reported: time to first token (TTFT) p50/p95 and aggregate tokens per second. For the stack,
TTFT runs from the start of the form POST to the first text event on the run's SSE stream.
Bar: at 16 users the stack adds at most 50 ms to TTFT p50 and keeps at least 90%
of the engine's aggregate throughput. `--strict` exits 1 when the bar is missed.

Uses its own database (gptstore_runs_bench, recreated) and Redis db 2 of the embedded servers,
so a running `make run` (db 0) or the test suite (db 1) is not disturbed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys

from bench.common import isolated_services, say
from bench.stack.engine import EngineAlone
from bench.stack.servers import Stack
from bench.stack.sustained import engine_loop, stack_loop
from bench.stack.workload import QUESTIONS, SYSTEM, TEMPLATE

DB_NAME = "gptstore_runs_bench"
SUSTAINED_WARMUP_S = 3.0
MAX_ADDED_TTFT_MS = 50
MIN_KEPT_THROUGHPUT = 0.90


def setup_env() -> None:
    started = isolated_services(DB_NAME, redis_db=2)
    os.environ["GPTSTORE_BENCH_STARTED"] = ",".join(started)


def prepare(max_new_tokens: int):
    """Migrate the benchmark database and publish the tool every run uses."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tools import streams
    from tools.services import tool_create, tool_publish, tool_version_create

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
        # No repetition penalty (the bundled model's default): the same decoding as the
        # engine measured alone, so both paths generate the same tokens.
        sampling_defaults={
            "temperature": 0.0,
            "max_new_tokens": max_new_tokens,
            "frequency_penalty": 0.0,
        },
    )
    tool_publish(tool=tool, version=version)
    return tool


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.stack", description=__doc__.split("\n\n")[0])
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
        "measure a window of this length (bench/stack/sustained.py)",
    )
    return ap.parse_args(argv)


def measure_engine(alone: EngineAlone, questions: list[str], args) -> dict:
    if args.sustained:
        return engine_loop(
            alone.engine,
            args.users,
            QUESTIONS,
            args.max_new_tokens,
            SUSTAINED_WARMUP_S,
            args.sustained,
        )
    return alone.round(questions, args.max_new_tokens)


def measure_stack(stack_: Stack, slug: str, questions: list[str], args) -> dict:
    if args.sustained:
        return asyncio.run(
            stack_loop(
                stack_.base, stack_.users, slug, QUESTIONS, SUSTAINED_WARMUP_S, args.sustained
            )
        )
    return stack_.round(slug, questions, timeline=args.timeline)


def run_rounds(slug: str, questions: list[str], args) -> tuple[list[dict], list[dict]]:
    """Alternating measured rounds of the engine alone and of the stack: ([engine], [stack])."""
    stack_ = Stack(args.users)
    alone = None
    engine_rows: list[dict] = []
    stack_rows: list[dict] = []
    try:
        alone = EngineAlone()
        # One unmeasured round of each at full concurrency: a server that has been up a while
        # has its connection pools filled and its code paths warm.
        alone.round(questions, args.max_new_tokens)
        stack_.round(slug, questions)
        for _ in range(args.rounds):
            engine_rows.append(measure_engine(alone, questions, args))
            print(json.dumps(engine_rows[-1]), flush=True)
            stack_rows.append(measure_stack(stack_, slug, questions, args))
            print(json.dumps(stack_rows[-1]), flush=True)
    finally:
        if alone is not None:
            alone.close()
        stack_.close()
    return engine_rows, stack_rows


def _median(rows: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in rows), 1)


def report(engine_rows: list[dict], stack_rows: list[dict]) -> bool:
    """Print the medians over the rounds against the bar; True when the bar is met."""
    e = {k: _median(engine_rows, k) for k in ("ttft_p50_ms", "ttft_p95_ms", "tokens_per_s")}
    s = {k: _median(stack_rows, k) for k in ("ttft_p50_ms", "ttft_p95_ms", "tokens_per_s")}
    added = s["ttft_p50_ms"] - e["ttft_p50_ms"]
    kept = s["tokens_per_s"] / e["tokens_per_s"] if e["tokens_per_s"] else 0.0
    ok = added <= MAX_ADDED_TTFT_MS and kept >= MIN_KEPT_THROUGHPUT
    print(
        f"[bench] TTFT p50: engine {e['ttft_p50_ms']} ms, stack {s['ttft_p50_ms']} ms "
        f"(added {added:+.1f} ms; bar <= {MAX_ADDED_TTFT_MS} ms)"
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
        f"({kept:.1%} kept; bar >= {MIN_KEPT_THROUGHPUT:.0%})"
    )
    say("PASS" if ok else "FAIL")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, os.getcwd())
    setup_env()
    tool = prepare(args.max_new_tokens)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.users)]
    mode = f"sustained {args.sustained:g} s windows" if args.sustained else "runs released at once"
    say(
        f"{args.users} users, {args.max_new_tokens} new tokens, greedy, "
        f"{args.rounds} alternating rounds, {mode}"
    )
    engine_rows, stack_rows = run_rounds(tool.slug, questions, args)
    ok = report(engine_rows, stack_rows)
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
