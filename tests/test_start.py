"""The README's start command brings the whole system up on the embedded default, and down."""

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import pytest
from django_otp.oath import totp

from core.embedded import Embedded, read_env_file
from core.management.commands.demo import DEMO_PASSWORD, DEMO_TOTP_KEY
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make demo exited early:\n{log.read_text()[-5000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or too slow to answer while it starts
            time.sleep(1)
    pytest.fail(f"{url} never answered 200:\n{log.read_text()[-5000:]}")


def test_make_demo_starts_the_system_and_demo_users_can_sign_in(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(WEB_PORT=str(port), LOCAL_DIR=str(tmp_path / "local"))
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "demo"], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_for(f"{base}/healthz", process, log)
        with urllib.request.urlopen(f"{base}/healthz") as response:
            assert json.load(response) == {"status": "ok", "database": "ok", "redis": "ok"}

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        browser.open(f"{base}/login/")
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        form = {"username": "operator", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
        request = urllib.request.Request(
            f"{base}/login/", data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": f"{base}/login/"},
        )  # fmt: skip
        verify = browser.open(request)
        assert "/access/verify/" in verify.url  # the second step: the demo app's code
        token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
        code = f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}"
        form = {"token": code, "next": "/", "csrfmiddlewaretoken": token}
        request = urllib.request.Request(
            verify.url, data=urllib.parse.urlencode(form).encode(), headers={"Referer": verify.url}
        )
        home = browser.open(request)
        html = home.read().decode()
        assert home.url == f"{base}/"
        assert 'data-area="alerts"' in html
        assert 'data-area="search"' not in html

        schema = json.load(browser.open(f"{base}/api/v1/schema/?format=json"))
        assert schema["openapi"].startswith("3.")

        # The camera simulator feeds the real API: reads accumulate and hotlist hits alert.
        database = read_env_file(tmp_path / "local")["DATABASE_URL"]
        with psycopg.connect(database.replace("postgres://", "postgresql://", 1)) as conn:

            def count(table):
                return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

            def ocr_reads():  # from the generic cameras, whose frames the OCR worker reads
                query = "SELECT count(*) FROM reads_read WHERE overview_image <> ''"
                return conn.execute(query).fetchone()[0]

            deadline = time.monotonic() + 120
            while count("hotlist_alert") == 0 or count("reads_read") < 20 or not ocr_reads():
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(2)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=90)
    # The embedded servers it started are stopped again.
    assert Embedded(tmp_path / "local").stop() == []
    assert "Demo users ready" in log.read_text()
