"""The catalog benchmark's report: the table, the verdicts against the targets, and the JSON."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bench.catalog.load import PEAK_P95_LIMIT_MS
from bench.common import format_table, say

SEARCH_P95_TARGET_MS = 100.0
HOME_P95_TARGET_MS = 150.0
SERVER = "uvicorn config.asgi:application, 1 process, DEBUG=False"
COLUMNS = (
    "page",
    "phase",
    "target/s",
    "achieved/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "errors",
    "load 1/5/15",
)


def add_context(report: dict, catalog: dict, args) -> None:
    """When, on what catalog and with which settings the figures were measured."""
    report.update(
        {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "catalog": catalog,
            "settings": {
                "rate": args.rate,
                "duration_s": args.duration,
                "step_duration_s": args.step_duration,
                "targets_ms": {
                    "search_p95": SEARCH_P95_TARGET_MS,
                    "home_p95": HOME_P95_TARGET_MS,
                    "peak_p95": PEAK_P95_LIMIT_MS,
                },
                "server": SERVER,
                "cpus": os.cpu_count(),
            },
        }
    )


def _row(page: str, phase: str, r: dict) -> tuple:
    return (
        page,
        phase,
        f"{r['rate_target']:g}",
        f"{r['achieved_rps']:g}",
        f"{r['p50_ms']:.1f}",
        f"{r['p95_ms']:.1f}",
        f"{r['p99_ms']:.1f}",
        f"{r['errors']}/{r['requests']}",
        r["load"],
    )


def print_table(report: dict) -> None:
    rows = [_row(page, "steady", res) for page, res in report["steady"].items()]
    for page, peak in report["peak"].items():
        rows.extend(_row(page, "step-up", res) for res in peak["steps"])
    print(format_table([COLUMNS, *rows]))
    print()
    for page, target in (("search", SEARCH_P95_TARGET_MS), ("home", HOME_P95_TARGET_MS)):
        steady = report["steady"].get(page)
        if steady:
            verdict = "PASS" if steady["p95_ms"] < target and not steady["errors"] else "FAIL"
            print(
                f"{page}: p95 {steady['p95_ms']:.1f} ms at {steady['rate_target']:g} req/s "
                f"(target < {target:g} ms) {verdict}; peak with p95 < {PEAK_P95_LIMIT_MS:g} ms: "
                f"{report['peak'].get(page, {}).get('peak_rps', '?')} req/s"
            )


def write(report: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    say(f"wrote {output}")


def targets_met(report: dict) -> bool:
    """Both steady phases' p95 under their targets."""
    steady = report["steady"]
    return (
        steady["search"]["p95_ms"] < SEARCH_P95_TARGET_MS
        and steady["home"]["p95_ms"] < HOME_P95_TARGET_MS
    )
