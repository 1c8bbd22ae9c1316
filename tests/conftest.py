"""Test set-up: real PostgreSQL and Redis (the configured ones or the embedded ones), personas.

Settings come from the environment like everywhere else; the defaults below only fill in what a
test run needs and a developer's shell may lack. DEBUG stays off: tests see production settings.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true")


def pytest_configure(config):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")
    os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
    django.setup()


@pytest.fixture(autouse=True)
def _retention_policy_fresh():
    """Each test sees its own database's retention policy, not one a process cached before."""
    from reads.models import RetentionPolicy

    RetentionPolicy.forget()


@pytest.fixture
def personas(db):
    """One user per role, plus one holding two roles: the people every access test speaks for."""
    from tests.factories import PERSONA_ROLES, make_persona

    return {name: make_persona(name) for name in PERSONA_ROLES}


@pytest.fixture
def offence_categories(db):
    """The starting list of offence categories, as the migration seeds them (transactional
    tests empty every table between tests)."""
    import importlib

    from django.apps import apps

    importlib.import_module("access.migrations.0006_offence_categories").seed(apps, None)


@pytest.fixture
def camera(db):
    """A camera at a live site."""
    from tests.factories import CameraFactory

    return CameraFactory()


@pytest.fixture
def api(camera):
    """The camera API, as `camera` with a credential of its own."""
    from rest_framework.test import APIClient

    from cameras.services import camera_credential_issue

    client = APIClient()
    token = camera_credential_issue(camera=camera, acting_user=None)[1]
    client.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    return client


@pytest.fixture
def client_for(client, personas):
    """A test client signed in as the named persona (both sign-in steps done)."""
    from tests.factories import sign_in_verified

    def sign_in(name):
        sign_in_verified(client, personas[name])
        return client

    return sign_in


def chromium_path() -> str:
    """Debian's Chromium; in CI its absence is a failure, elsewhere the browser tests skip."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if IN_CI:
        pytest.fail("Chromium is not installed (apt-get install chromium); CI needs it.")
    pytest.skip("Chromium is not installed (apt-get install chromium)")
    raise AssertionError  # unreachable


def python() -> str:
    return sys.executable


def test_database_url() -> str:
    """A URL for the database the tests run on, for processes the tests start."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{quote(db['HOST'], safe='')}{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class Workers:
    """Real Celery worker processes consuming every queue, working on the test database."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []

    def start(self, **env: str) -> subprocess.Popen:
        from anpr_site.celery import app

        name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [python(), "-m", "celery", "-A", "anpr_site", "worker", "-Q", "ingest,ocr,default",
                 "--pool", "solo", "--without-mingle", "--without-gossip", "-n", name,
                 "--loglevel", "INFO"],
                env={**os.environ, "DATABASE_URL": test_database_url(), "OCR_PRELOAD": "false",
                     **env},
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.processes.append(process)
        deadline = time.monotonic() + 90
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Celery worker did not start:\n{log_path.read_text()}")
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


@pytest.fixture
def workers(transactional_db, tmp_path):
    import redis
    from django.conf import settings

    from anpr_site.celery import app

    # Start from an empty broker: no queued tasks, and none that a worker killed in an earlier
    # run still holds (the broker would hand those back later).
    app.control.purge()
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        client.delete("unacked", "unacked_index", "unacked_mutex")
    runner = Workers(tmp_path)
    yield runner
    runner.stop_all()


@pytest.fixture
def celery_worker(workers):
    return workers.start()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",  # the console's alert sounds
]


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium (Debian's) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    # Playwright's sync API keeps an event loop in this thread; the tests' ORM calls are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    violations: list[str] = []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        new_context = launched.new_context

        def watched_context(**options):
            """Every page of every context reports what the Content-Security-Policy refused,
            and uncaught script errors."""
            context = new_context(**options)
            context.on("console", lambda msg: violations.append(msg.text)
                       if msg.type == "error" and "Content Security Policy" in msg.text
                       else None)  # fmt: skip
            context.on("weberror", lambda error: violations.append(str(error.error)))
            return context

        launched.new_context = watched_context
        yield launched
        launched.close()
    assert violations == [], "The browser refused content or a script failed"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.console_errors = errors
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


class Server:
    """The back office served by uvicorn, as in production (pages, API and the live alert
    stream), on the test database. Tests may kill it and start it again."""

    def __init__(self, root: Path, static_root: Path):
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.media_root = root / "media"
        self.static_root = static_root
        self.log_path = root / "server.log"
        self.process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        paths = {"MEDIA_ROOT": str(self.media_root), "STATIC_ROOT": str(self.static_root)}
        return {**os.environ, "DATABASE_URL": test_database_url(), **paths}

    def start(self) -> None:
        from urllib.request import urlopen

        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [python(), "-m", "uvicorn", "anpr_site.asgi:application", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    pytest.fail(f"The server did not start:\n{self.log_path.read_text()}")
                time.sleep(0.2)

    def kill(self) -> None:
        """Stop it as a crash would: open streams are cut, not closed."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> Path:
    """The static files, collected as a deployment collects them."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run([python(), "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   env={**os.environ, "STATIC_ROOT": str(root)}, cwd=ROOT, check=True)  # fmt: skip
    return root


@pytest.fixture
def server(transactional_db, static_root, tmp_path):
    """A server per test: the test database's content types and permissions are recreated
    between tests, and a server process would otherwise keep the old ones cached."""
    running = Server(tmp_path, static_root)
    running.start()
    yield running
    running.kill()


@pytest.fixture
def read_store(transactional_db):
    """An empty read store. Django's flush between tests skips it: it is not a managed model.
    Hotlists emptied by the flush (TRUNCATE sends no signals) are announced to the workers'
    matching indexes the way every hotlist change is: by moving the version on."""
    import redis
    from django.conf import settings
    from django.db import connection

    from hotlist.matching import VERSION_KEY

    with redis.Redis.from_url(settings.REDIS_URL) as client:
        client.incr(VERSION_KEY)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reads_read")
    yield
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reads_read")


@pytest.fixture(scope="session", autouse=True)
def _no_read_claims_of_earlier_runs():
    """Read ids repeat from one run to the next (cameras are numbered from 1 again in a new
    test database): the camera API's claims on them from an earlier run are dropped."""
    import redis
    from django.conf import settings

    from cameras.services import CLAIM_KEY

    with redis.Redis.from_url(settings.REDIS_URL) as client:
        for key in client.scan_iter(f"{CLAIM_KEY}*"):
            client.delete(key)


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(django_db_setup, django_db_blocker):
    """At the end, end database sessions nobody will close, so the test database can be dropped:
    ORM calls made while Playwright's event loop runs get connections of their own (Django's
    connections are context-local), which Django's per-test cleanup does not see."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
