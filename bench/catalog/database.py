"""The benchmark's own database, `gptstore_bench`: creating it, the SQL that finishes a
generated catalog in bulk, and the marker row that says which catalog it holds (it is reused
while the marker matches)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "gptstore_bench"


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def libpq(url: str) -> str:
    """The URL in the spelling psycopg accepts."""
    return url.replace("postgres://", "postgresql://", 1)


def ensure_database(admin_url: str, name: str, *, recreate: bool = False) -> bool:
    """Create `name` on admin_url's server if missing (drop it first with recreate).

    Returns True when the database was (re)created.
    """
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def read_marker(url: str) -> dict | None:
    """What the database at `url` was filled with, or None (no marker, or no database)."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT v FROM bench_marker WHERE k = 'catalog'").fetchone()
    except psycopg.Error:
        return None
    return json.loads(row[0]) if row else None


def write_marker(info: dict) -> None:
    """Record `info` in the database Django is set up on."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_marker (k text PRIMARY KEY, v text)")
        cursor.execute(
            "INSERT INTO bench_marker VALUES ('catalog', %s) "
            "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
            [json.dumps(info)],
        )


def fill_derived_columns() -> None:
    """Current versions, review totals and search vectors, for every tool at once."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tools_tool t SET current_version_id = v.id "
            "FROM tools_toolversion v WHERE v.tool_id = t.id"
        )
        cursor.execute(
            "UPDATE tools_tool t SET review_count = r.n, rating_sum = r.s "
            "FROM (SELECT tool_id, count(*) n, sum(stars) s FROM store_review "
            "GROUP BY tool_id) r WHERE r.tool_id = t.id"
        )
        # The same weighted vector as `tool_reindex` (the search index service).
        cursor.execute(
            """
            UPDATE tools_tool t SET search_vector =
                setweight(to_tsvector('english', coalesce(t.name, '')), 'A')
                || setweight(to_tsvector('english', coalesce(t.tagline, '')), 'B')
                || setweight(to_tsvector('english', coalesce(g.names, '')), 'B')
                || setweight(to_tsvector('english', coalesce(t.description, '')), 'C')
            FROM (
                SELECT tt.tool_id, string_agg(tag.name, ' ') AS names
                FROM tools_tool_tags tt JOIN tools_tag tag ON tag.id = tt.tag_id
                GROUP BY tt.tool_id
            ) g
            WHERE g.tool_id = t.id
            """
        )


def compact() -> None:
    """The bulk UPDATEs left a dead copy of every row: compact, as a catalog that grew over
    time under autovacuum would be, and refresh the planner's statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM FULL ANALYZE tools_tool")
        cursor.execute("VACUUM ANALYZE")
