"""What both benchmarks share: their console lines, percentiles, free ports and tables."""

from __future__ import annotations

import os
import socket
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent  # the repository root


def say(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def interpolated(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, interpolated linearly between the nearest two."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def nearest_rank(sorted_values: list[float], p: float) -> float:
    """Nearest-rank p-th percentile (0..100) of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def format_table(rows: list[tuple]) -> str:
    """Right-aligned columns; the first row is the header, underlined."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def isolated_services(database: str, redis_db: int) -> list[str]:
    """Point this benchmark process at a database and a Redis db of its own, recreated on
    the embedded servers (started if needed; the names started are returned, to stop them
    at the end). A DATABASE_URL or REDIS_URL already set is used as it is."""
    from ops import embedded

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    svc = embedded.ensure_up()
    started = [n for n in svc.pop("GPTSTORE_STARTED").split(",") if n]
    if not os.environ.get("DATABASE_URL"):
        embedded._psql(None, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        embedded._psql(None, f'CREATE DATABASE "{database}"')
        os.environ["DATABASE_URL"] = embedded.postgres_url(database=database)
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = embedded.redis_url(db=redis_db)
    return started
