"""Measurements and the printed / saved report of `python -m inference.bench`."""

from __future__ import annotations

import json
import os
import platform
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..loader import LoadedModel


def _pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds


@dataclass
class Phase:
    name: str
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    itl: list[float] = field(default_factory=list)
    tokens: int = 0
    peak_mb: float | None = None
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def add_request(self, t0: float, token_times: list[float], n_tokens: int) -> None:
        self.starts.append(t0)
        self.tokens += n_tokens
        if token_times:
            self.ttft.append(token_times[0] - t0)
            self.itl += [b - a for a, b in zip(token_times, token_times[1:], strict=False)]
            self.ends.append(token_times[-1])

    def summary(self) -> dict:
        wall = (max(self.ends) - min(self.starts)) if self.ends else None
        return {
            "name": self.name,
            "tokens": self.tokens,
            "wall_s": wall,
            "tok_per_s": self.tokens / wall if wall else None,
            "ttft_p50_s": _pct(self.ttft, 0.5),
            "ttft_p95_s": _pct(self.ttft, 0.95),
            "itl_p50_ms": _ms(_pct(self.itl, 0.5)),
            "itl_p95_ms": _ms(_pct(self.itl, 0.95)),
            "peak_mem_mb": self.peak_mb,
            "error": self.error,
            **self.extra,
        }


class MemorySampler:
    """Peak resident memory of this process during a phase (CUDA: peak allocated)."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def _rss_mb(self) -> float:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __enter__(self) -> MemorySampler:
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
        else:
            self.peak_mb = self._rss_mb()
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.cuda:
            torch.cuda.synchronize()
            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:
            self._stop.set()
            self._thread.join()
            self.peak_mb = max(self.peak_mb, self._rss_mb())


def agreement(got: list[list[int]], ref: list[list[int]]) -> dict:
    """How many leading greedy tokens of the engine match float32 `generate`, per prompt."""
    prefix = []
    for g, r in zip(got, ref, strict=True):
        n = next(
            (i for i, (a, b) in enumerate(zip(g, r, strict=False)) if a != b), min(len(g), len(r))
        )
        prefix.append(n)
    return {
        "prompts": len(prefix),
        "first16_all_agree": sum(p >= 16 for p in prefix),
        "all64_agree": sum(p >= min(64, len(r)) for p, r in zip(prefix, ref, strict=True)),
        "matching_prefix_per_prompt": prefix,
    }


def _fmt(v: float | None, spec: str) -> str:
    return "-".rjust(int(spec.split(".")[0])) if v is None else format(v, spec)


def _speedup(row: dict, base: dict | None) -> float | None:
    if base is None or not base["tok_per_s"] or not row["tok_per_s"]:
        return None
    return row["tok_per_s"] / base["tok_per_s"]


def report(phases: list[Phase], agree: dict | None, lm: LoadedModel, n: int, out: Path) -> dict:
    rows = [p.summary() for p in phases]
    by = {r["name"][:2]: r for r in rows}
    seq, static = by.get("a)"), by.get("b)")
    for r in rows:
        for key, base in (("x_seq", seq), ("x_static", static)):
            r[key] = _speedup(r, base)
    head = f"{'run':34} {'tok/s':>7} {'TTFT p50':>9} {'p95':>6} {'ITL p50':>8} {'p95':>6}"
    print(f"\n{head} {'peak MB':>8} {'x(a)':>6} {'x(b)':>6} {'load':>5}")
    for r in rows:
        print(
            f"{r['name']:34} {_fmt(r['tok_per_s'], '7.1f')} {_fmt(r['ttft_p50_s'], '8.2f')}s"
            f" {_fmt(r['ttft_p95_s'], '5.2f')}s {_fmt(r['itl_p50_ms'], '6.0f')}ms"
            f" {_fmt(r['itl_p95_ms'], '4.0f')}ms {_fmt(r['peak_mem_mb'], '8.0f')}"
            f" {_fmt(r['x_seq'], '6.2f')} {_fmt(r['x_static'], '6.2f')}"
            f" {_fmt(r.get('load_1m'), '5.1f')}"
        )
        if r["error"]:
            print(f"    failed: {r['error']}")
    if agree:
        print(
            f"\ngreedy agreement, engine default config vs float32 generate: first 16 tokens equal"
            f" on {agree['first16_all_agree']}/{agree['prompts']} prompts, all {n} on"
            f" {agree['all64_agree']}/{agree['prompts']}; matching prefix per prompt:"
            f" {agree['matching_prefix_per_prompt']}"
        )
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = {
        "when": stamp,
        "model": lm.name,
        "device": str(lm.device),
        "dtype": str(lm.dtype),
        "new_tokens": n,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "torch_threads": torch.get_num_threads(),
            "load_avg": os.getloadavg(),
        },
        "rows": rows,
        "agreement": agree,
        "ttft_raw": {p.name: p.ttft for p in phases},
        "phases_raw": [asdict(p) | {"itl": None, "starts": None, "ends": None} for p in phases],
    }
    (out / f"bench-{stamp}.json").write_text(json.dumps(data, indent=1))
    (out / "latest.json").write_text(json.dumps(data, indent=1))
    _plot(rows, out / f"bench-{stamp}.png")
    print(f"\nwrote {out}/bench-{stamp}.json and .png (load avg {os.getloadavg()[0]:.2f})")
    return data


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["name"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.5))
    a.barh(names, [r["tok_per_s"] or 0 for r in rows], color="tab:blue")
    a.set_xlabel("aggregate tokens/s (higher is better)")
    a.invert_yaxis()
    b.barh(names, [r["ttft_p50_s"] or 0 for r in rows], color="tab:orange", label="p50")
    b.set_xlabel("time to first token p50, s (lower is better)")
    b.invert_yaxis()
    b.set_yticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
