"""Catalog load benchmark: search and home page under a steady open-loop load.

    python -m bench.catalog [--tools 10000] [--rate 20] [--duration 20] [--quick]

1. A separate database, `gptstore_bench`, on the same PostgreSQL server as DATABASE_URL (the
   embedded one under var/ when DATABASE_URL is unset), migrated and filled once with
   generated tools (reused while its marker matches; `--regenerate` builds it again).
2. A real uvicorn server (config.asgi, one process, DEBUG off) on a free loopback port,
   warmed up (the first search loads the sentence model).
3. An open-loop load generator (asyncio + httpx): requests leave at fixed times whatever
   the server does, latency is measured from the *scheduled* send time (no coordinated
   omission), every phase is bounded in time. First a steady `--rate` on each page, then a
   step-up to the highest rate whose p95 stays under 500 ms.

Prints a table and writes var/bench/catalog.json. Stops the server (and any embedded
service it started) on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

from bench.catalog import report as reporting
from bench.catalog.data import GENERATOR_VERSION, generate
from bench.catalog.database import BENCH_DB, ensure_database, libpq, read_marker, with_database
from bench.catalog.load import run_load
from bench.catalog.server import start_server, stop_server, wait_ready
from bench.common import BASE_DIR, free_port, load_average, say
from ops import embedded

OUT_DIR = embedded.VAR_DIR / "bench"
BENCH_REDIS_DB = 3  # the bench server's cache must not mix with a dev stack's (db 0) or tests (1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.catalog", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tools", type=int, default=10_000, help="generated tools (10000)")
    parser.add_argument("--rate", type=float, default=20, help="steady request rate (20/s)")
    parser.add_argument("--duration", type=float, default=20, help="steady phase seconds (20)")
    parser.add_argument("--step-duration", type=float, default=10, help="step-up phase seconds")
    parser.add_argument("--max-rate", type=float, default=400, help="highest step-up rate")
    parser.add_argument("--quick", action="store_true", help="short phases (smoke run)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the bench database")
    parser.add_argument("--output", type=Path, default=OUT_DIR / "catalog.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 8)
        args.step_duration = min(args.step_duration, 4)
    return args


def server_env(svc: dict) -> dict:
    """The environment of the server, and of this process once it sets Django up."""
    base_db = os.environ.get("DATABASE_URL") or svc["DATABASE_URL"]
    return {
        **os.environ,
        # DEBUG off; another settings module (e.g. one with a connection pool) can be
        # benchmarked by setting DJANGO_SETTINGS_MODULE.
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
        "DEBUG": "False",
        "DATABASE_URL": with_database(base_db, BENCH_DB),
        "REDIS_URL": os.environ.get("REDIS_URL") or embedded.redis_url(db=BENCH_REDIS_DB),
        "PYTHONUNBUFFERED": "1",
        # The server runs with the default connection pool (DB_POOL_SIZE). Without one
        # (DB_POOL_SIZE=0), persistent connections (CONN_MAX_AGE > 0) pile up under ASGI
        # until PostgreSQL refuses more clients, so they stay off here.
        "CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "0"),
    }


def prepare_catalog(env: dict, args) -> dict:
    """Migrate the bench database, filling it first when its marker does not match `args`;
    leaves Django set up on it in this process. Returns what the catalog holds."""
    db_url = env["DATABASE_URL"]
    marker = read_marker(libpq(db_url))
    wanted = {"version": GENERATOR_VERSION, "tools": args.tools}
    fresh = args.regenerate or not marker or any(marker.get(k) != v for k, v in wanted.items())
    if fresh:
        say(f"creating database {BENCH_DB} with {args.tools} generated tools…")
        ensure_database(libpq(with_database(db_url, "postgres")), BENCH_DB, recreate=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
    )
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")})
    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if fresh:
        catalog = generate(args.tools)
        say(f"generated in {catalog['seconds']} s: {catalog}")
    else:
        catalog = marker
        say(f"reusing {BENCH_DB}: {catalog}")
    from django.db import connections

    connections.close_all()
    return catalog


def run(args, cleanup: contextlib.ExitStack) -> int:
    """The whole benchmark; `cleanup` stops what it starts. Returns the exit status."""
    svc = embedded.ensure_up()
    cleanup.callback(embedded.stop, [n for n in svc.pop("GPTSTORE_STARTED").split(",") if n])
    env = server_env(svc)
    catalog = prepare_catalog(env, args)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(env, port, OUT_DIR / "catalog-server.log")
    cleanup.callback(stop_server, proc)
    asyncio.run(wait_ready(base, proc))
    say(f"server up at {base} (pid {proc.pid}); load {load_average()}")
    report = asyncio.run(run_load(base, args))
    reporting.add_context(report, catalog, args)
    print()
    reporting.print_table(report)
    reporting.write(report, args.output)
    return 0 if reporting.targets_met(report) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    cleanup = contextlib.ExitStack()
    try:
        return run(args, cleanup)
    except (embedded.ServiceError, RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"error: {exc}")
        return 2
    finally:
        cleanup.close()


if __name__ == "__main__":
    sys.exit(main())
