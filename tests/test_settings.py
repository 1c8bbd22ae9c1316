"""Settings come from the environment, with production-safe defaults."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PRINT_SETTINGS = """
import json, django
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG, "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "db": [db["HOST"], db["PORT"], db["NAME"], db["USER"], db["OPTIONS"]],
    "REDIS_URL": settings.REDIS_URL, "BROKER": settings.CELERY_BROKER_URL,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "HSTS": settings.SECURE_HSTS_SECONDS, "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    "SEARCH_WINDOW_DAYS": settings.SEARCH_WINDOW_DAYS,
}))
"""
BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "anpr_site.settings",
    "SECRET_KEY": "s" * 50,
    "DATABASE_URL": "postgres://anpr:pw@db.example:6543/anprdb",
    "REDIS_URL": "redis://cache.example:6380/2",
}


def load_settings(tmp_path, **env):
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {"PATH": os.environ["PATH"], "LOCAL_DIR": str(tmp_path), **BASE_ENV, **env}
    clean = {key: value for key, value in clean.items() if value is not None}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], env=clean, cwd=ROOT, capture_output=True, text=True
    )
    return result


def settings_from(tmp_path, **env) -> dict:
    result = load_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_servers_and_hosts_come_from_the_environment(tmp_path):
    loaded = settings_from(tmp_path, ALLOWED_HOSTS="anpr.force.example, localhost")
    assert loaded["db"] == ["db.example", 6543, "anprdb", "anpr", {"options": "-c jit=off"}]
    assert loaded["REDIS_URL"] == "redis://cache.example:6380/2"
    assert loaded["BROKER"] == "redis://cache.example:6380/2"
    assert loaded["ALLOWED_HOSTS"] == ["anpr.force.example", "localhost"]


def test_defaults_are_production_safe(tmp_path):
    loaded = settings_from(tmp_path)
    assert loaded["DEBUG"] is False
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["HSTS"] >= 31_536_000
    assert loaded["SEARCH_WINDOW_DAYS"] == 90


@pytest.mark.parametrize("days", ["0", "91"])
def test_standard_search_window_cannot_exceed_ninety_days(tmp_path, days):
    refused = load_settings(tmp_path, SEARCH_WINDOW_DAYS=days)
    assert "SEARCH_WINDOW_DAYS must be between 1 and 90" in refused.stderr


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    refused = load_settings(tmp_path, SECRET_KEY=None)
    assert "SECRET_KEY must be set when DEBUG is off" in refused.stderr
    assert settings_from(tmp_path, SECRET_KEY=None, DEBUG="true")["DEBUG"] is True


def test_bad_boolean_is_named(tmp_path):
    refused = load_settings(tmp_path, DEBUG="maybe")
    assert "DEBUG must be true or false, not 'maybe'" in refused.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_missing_server_without_embedded_one_says_how_to_fix_it(tmp_path, missing):
    refused = load_settings(tmp_path, **{missing: None})
    assert f"{missing} is not set and no embedded server is running" in refused.stderr


def test_embedded_addresses_are_used_when_variables_are_absent(tmp_path):
    socket_dir = "%2Ftmp%2Fpg"
    (tmp_path / "services.env").write_text(
        f"DATABASE_URL=postgres://postgres@{socket_dir}/anpr\n"
        "REDIS_URL=unix:///tmp/anpr/redis.sock?db=0\n"
    )
    loaded = settings_from(tmp_path, DATABASE_URL=None, REDIS_URL=None)
    assert loaded["db"][0] == "/tmp/pg"
    assert loaded["db"][2] == "anpr"
    # Celery spells a Unix-socket Redis differently from redis-py.
    assert loaded["BROKER"] == "redis+socket:///tmp/anpr/redis.sock?virtual_host=0"
