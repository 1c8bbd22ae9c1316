"""/healthz answers 200 when the database and Redis answer, and names the part that failed."""

import json
import os
import subprocess
import sys

import pytest
from django.test import override_settings

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
CLOSED_PORT = 1  # nothing listens on port 1


def test_healthy_system_answers_200_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@override_settings(REDIS_URL=f"redis://127.0.0.1:{CLOSED_PORT}/0")
def test_redis_down_gives_503_naming_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "fail",
        "database": "ok",
        "redis": "fail",
        "failed": ["redis"],
    }


def test_database_down_gives_503_naming_the_database():
    # The database is fixed when Django starts, so ask a fresh process pointed at a dead server.
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', headers={'host': 'localhost'}); "
        "print(r.status_code, json.dumps(r.json()))"
    )
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/anpr"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
    )
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body)["failed"] == ["database"]
