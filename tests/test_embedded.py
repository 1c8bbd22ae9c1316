"""The zero-configuration default: embedded PostgreSQL and Redis start, serve and stop cleanly."""

import os
import subprocess

import psycopg
import pytest
import redis

from core.embedded import Embedded, read_env_file
from tests.conftest import ROOT, python

pytestmark = pytest.mark.slow


def pg(url: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3)


def test_embedded_servers_start_serve_and_stop(tmp_path):
    embedded = Embedded(tmp_path)
    started = embedded.start({})
    try:
        assert set(started) == {"DATABASE_URL", "REDIS_URL"}
        assert read_env_file(tmp_path) == started
        with pg(started["DATABASE_URL"]) as conn:
            # The read store needs the trigram extension: the embedded build ships it.
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            assert conn.execute("SELECT similarity('AB12CDE', 'AB12CDF')").fetchone()[0] > 0
        with redis.Redis.from_url(started["REDIS_URL"]) as client:
            assert client.ping()
        # Asking again while they run changes nothing.
        assert embedded.start({}) == started
    finally:
        stopped = embedded.stop()
    assert stopped == ["PostgreSQL", "Redis"]
    assert read_env_file(tmp_path) == {}
    with pytest.raises(psycopg.OperationalError):
        pg(started["DATABASE_URL"])
    with pytest.raises(redis.ConnectionError), redis.Redis.from_url(started["REDIS_URL"]) as c:
        c.ping()


def test_configured_servers_are_not_replaced(tmp_path):
    configured = {"DATABASE_URL": "postgres://elsewhere/db", "REDIS_URL": "redis://elsewhere"}
    assert Embedded(tmp_path).start(configured) == {}
    assert not (tmp_path / "postgres").exists()


def test_run_gives_the_command_the_addresses_and_stops_the_servers_after(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    probe = (
        "import os, psycopg, redis; "
        "psycopg.connect(os.environ['DATABASE_URL'].replace('postgres:', 'postgresql:', 1)); "
        "redis.Redis.from_url(os.environ['REDIS_URL']).ping(); print('served')"
    )
    result = subprocess.run(
        [python(), "-m", "core.embedded", "--root", str(tmp_path), "run", "--",
         python(), "-c", probe],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "served"
    assert Embedded(tmp_path).stop() == []  # nothing left running
