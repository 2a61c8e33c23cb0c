"""Sustained load benchmark: locust users browse, search and run a tool for minutes against
the real stack, as `make run` starts it (uvicorn + one Celery inference worker).

    python -m bench.load [--minutes 10] [--users 20] [--spawn-rate 2] [--max-new-tokens 16]

Headless locust (bench/load/locustfile.py) in a subprocess, on 127.0.0.1 only, with a bounded
number of users and a bounded time. Reported: requests/s, p50/p95 and errors per page; time to
first token and the gaps between streamed texts of the runs; memory (RSS of the web and worker
process trees) at the start and at the end. `--json PATH` also writes the figures as JSON.

Uses its own database (gptstore_load_bench, recreated) and Redis db 3 of the embedded servers,
so a running `make run` (db 0), the test suite (db 1) and bench.stack (db 2) are not disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import BASE_DIR, isolated_services, say
from bench.load.report import MemorySampler, read_locust_csv, render, run_figures

DB_NAME = "gptstore_load_bench"
MAX_USERS = 200  # bounded: locust and the stack share this machine's cores
MAX_MINUTES = 120


def setup_env() -> list[str]:
    return isolated_services(DB_NAME, redis_db=3)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--spawn-rate", type=float, default=2.0, help="users started per second")
    ap.add_argument("--max-new-tokens", type=int, default=16, help="per run of the bench tool")
    ap.add_argument(
        "--run-weight", type=int, default=2, help="weight of 'run the tool' among 22 of browsing"
    )
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if not 1 <= args.users <= MAX_USERS:
        ap.error(f"--users must be 1 to {MAX_USERS}")
    if not 0 < args.minutes <= MAX_MINUTES:
        ap.error(f"--minutes must be more than 0 and at most {MAX_MINUTES}")
    if args.spawn_rate <= 0 or args.max_new_tokens < 1 or args.run_weight < 0:
        ap.error("--spawn-rate, --max-new-tokens and --run-weight must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = setup_env()
    import django

    django.setup()
    from bench.load.catalog import prepare
    from bench.load.stack import LoadStack

    work = Path(tempfile.mkdtemp(prefix="gptstore-load-"))
    say(f"preparing the catalog and {args.users} signed-in users ({os.environ['DATABASE_URL']})")
    config = prepare(users=args.users, max_new_tokens=args.max_new_tokens)
    config["run_weight"] = args.run_weight
    stack = LoadStack()
    try:
        say(f"stack up at {stack.base}; worker engine ready")
        (work / "config.json").write_text(json.dumps(config))
        seconds = max(1, round(args.minutes * 60))
        say(f"locust: {args.users} users, {seconds} s, spawn rate {args.spawn_rate}/s")
        with MemorySampler(stack) as samples:
            code = _locust(stack.base, work, args, seconds)
    finally:
        stack.close()
        from ops import embedded

        embedded.stop(started)
    if code not in (0, 1):  # 1: some requests failed, which the report shows
        say(f"locust exited {code}; see {work}/locust.log")
        return code
    pages = read_locust_csv(work / "stats_stats.csv")
    runs = run_figures(json.loads((work / "runs.json").read_text()))
    figures = {
        "users": args.users,
        "seconds": seconds,
        "pages": pages,
        "runs": runs,
        "rss_mib": samples.summary(),
    }
    print(render(figures), flush=True)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _locust(base: str, work: Path, args, seconds: int) -> int:
    env = {
        **os.environ,
        "GPTSTORE_LOAD_CONFIG": str(work / "config.json"),
        "GPTSTORE_LOAD_RESULTS": str(work / "runs.json"),
    }
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(BASE_DIR / "bench" / "load" / "locustfile.py"),
        "--headless",
        "--host",
        base,
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "60",
        "--csv",
        str(work / "stats"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with open(work / "locust.log", "wb") as log:
        return subprocess.call(cmd, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    sys.exit(main())
