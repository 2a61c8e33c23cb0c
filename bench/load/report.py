"""The load benchmark's figures: locust's per-page statistics, the runs' streaming timings,
the processes' memory, and the table that shows them."""

from __future__ import annotations

import csv
import statistics
import threading
import time
from pathlib import Path

from bench.common import format_table, interpolated


def memory(stack) -> dict[str, float]:
    """RSS in MiB of each process tree (the process and all its children)."""
    import psutil

    out = {}
    for name, proc in stack.processes().items():
        try:
            root = psutil.Process(proc.pid)
            tree = [root, *root.children(recursive=True)]
            out[name] = round(sum(p.memory_info().rss for p in tree) / 2**20, 1)
        except psutil.Error:
            out[name] = None
    return out


def read_locust_csv(path: Path) -> list[dict]:
    """One row per page (request name) and the aggregate, from locust's `--csv` stats."""
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.append(
                {
                    "name": row["Name"] if row["Type"] else "all",
                    "method": row["Type"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(float(row["Requests/s"]), 2),
                    "p50_ms": _num(row["50%"]),
                    "p95_ms": _num(row["95%"]),
                }
            )
    return rows


def _num(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:  # "N/A" when a page got no answer
        return None


def run_figures(runs: list[dict]) -> dict:
    """TTFT (from the form POST to the first streamed text) and the gaps between texts."""
    ttfts = [r["ttft"] for r in runs if r["ttft"] is not None]
    gaps = [g for r in runs for g in r["gaps"]]

    def ms(values: list[float], q: float) -> float | None:
        return round(interpolated(values, q) * 1000, 1) if values else None

    return {
        "runs": len(runs),
        "succeeded": sum(r["state"] == "succeeded" for r in runs),
        "tokens": sum(r["tokens"] for r in runs),
        "ttft_p50_ms": ms(ttfts, 0.5),
        "ttft_p95_ms": ms(ttfts, 0.95),
        "gap_p50_ms": ms(gaps, 0.5),
        "gap_p95_ms": ms(gaps, 0.95),
        "gap_max_ms": round(max(gaps) * 1000, 1) if gaps else None,
        "gap_mean_ms": round(statistics.fmean(gaps) * 1000, 1) if gaps else None,
    }


class MemorySampler:
    """RSS of the stack's processes every `every` seconds while the load runs.

    The first minute is the warm-up (the search model, the engine's first batches, pools
    filling up); memory that keeps growing after it is what a leak looks like, so the
    summary sets the end and the peak against the value at one minute.
    """

    def __init__(self, stack, every: float = 15.0) -> None:
        self.stack, self.every = stack, every
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append((time.monotonic() - self._t0, memory(self.stack)))

    def _loop(self) -> None:
        while True:
            self.samples.append((time.monotonic() - self._t0, memory(self.stack)))
            if self._stop.wait(self.every):
                return

    def summary(self) -> dict[str, dict[str, float]]:
        start = self.samples[0][1]
        warm = next((m for t, m in self.samples if t >= 60), self.samples[-1][1])
        end = self.samples[-1][1]
        peak = {name: max(m.get(name, 0.0) for _, m in self.samples) for name in start}
        return {"start": start, "after 1 min": warm, "end": end, "peak": peak}


def render(figures: dict) -> str:
    rows = [("page", "requests", "errors", "req/s", "p50 ms", "p95 ms")]
    for p in figures["pages"]:
        name = p["name"] if p["name"] == "all" else f"{p['method']} {p['name']}"
        rows.append((name, p["requests"], p["failures"], p["rps"], p["p50_ms"], p["p95_ms"]))
    runs = figures["runs"]
    rss = figures["rss_mib"]
    lines = [
        f"[load] {figures['users']} users for {figures['seconds']} s",
        format_table(rows),
        "",
        f"runs: {runs['runs']} ({runs['succeeded']} succeeded, {runs['tokens']} tokens); "
        f"TTFT p50 {runs['ttft_p50_ms']} ms, p95 {runs['ttft_p95_ms']} ms; "
        f"inter-token gaps p50 {runs['gap_p50_ms']} ms, p95 {runs['gap_p95_ms']} ms, "
        f"max {runs['gap_max_ms']} ms",
        "memory (RSS MiB, process trees; start / after 1 min / end / peak): "
        + ", ".join(
            f"{name} " + " / ".join(str(rss[k].get(name)) for k in rss) for name in rss["start"]
        ),
    ]
    return "\n".join(lines)
