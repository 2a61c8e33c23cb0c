"""Where the services are when no URL is configured: the embedded ones under var/.

Pure functions of paths, so the settings can name the embedded servers without importing
the launcher that starts them (`ops.embedded`).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GPTSTORE_VAR_DIR", BASE_DIR / "var")).resolve()
DB_NAME = "gptstore"


def default_postgres_url(var_dir: Path | None = None, database: str = DB_NAME) -> str:
    # The embedded server listens on a Unix socket in its data folder.
    return f"postgresql://postgres@/{database}?host={(var_dir or VAR_DIR) / 'postgres'}"


def default_redis_url(var_dir: Path | None = None, db: int = 0) -> str:
    return f"unix://{(var_dir or VAR_DIR) / 'redis' / 'redis.sock'}?db={db}"


def celery_url(url: str) -> str:
    """Celery/kombu spell a Unix-socket Redis differently from redis-py."""
    if not url.startswith("unix://"):
        return url
    path, _, query = url[len("unix://") :].partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return f"redis+socket://{path}?virtual_host={params.get('db', '0')}"
