"""docker-compose.yml is valid and coherent with the Procfile and the Dockerfile.

No Docker engine runs where the tests run, so the file is checked rather than started.
"""

import shlex
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

APP_SERVICES = {
    "migrate", "web", "events", "worker-ingest", "worker-background", "worker-ocr", "beat"
}  # fmt: skip


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_matches_the_compose_specification():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_process_of_the_back_office(compose):
    assert set(compose["services"]) == {"postgres", "redis"} | APP_SERVICES


def test_app_services_share_one_image_built_from_the_repository(compose):
    assert (ROOT / "Dockerfile").exists()
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"] == ".", name
        assert service["image"] == "anpr-back-office:latest", name
        env = service["environment"]
        assert env["DATABASE_URL"].endswith("@postgres:5432/anpr"), name
        assert env["REDIS_URL"] == "redis://redis:6379/0", name


def test_only_migrate_logs_in_as_the_owner_and_every_process_as_the_application_role(compose):
    # The owner is the postgres image's superuser: privileges do not bind it, so a process
    # logged in as it could change or empty the audit.
    services = compose["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith(f"postgres://{owner}:")
    for name in APP_SERVICES - {"migrate"}:
        url = services[name]["environment"]["DATABASE_URL"]
        assert url.startswith("postgres://anpr_app:"), name
    # The postgres image creates the role, able to log in, when it creates the database.
    init = "./deploy/postgres-app-role.sh:/docker-entrypoint-initdb.d/app-role.sh:ro"
    assert init in services["postgres"]["volumes"]
    script = (ROOT / "deploy" / "postgres-app-role.sh").read_text()
    assert "CREATE ROLE anpr_app LOGIN PASSWORD :'password'" in script
    assert "APP_DB_PASSWORD" in services["postgres"]["environment"]


def test_servers_have_health_checks_and_everything_waits_for_them(compose):
    services = compose["services"]
    for name in services:
        assert "healthcheck" in services[name] or name == "migrate", name
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"]["restart"] == "no"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_commands_agree_with_the_procfile(compose):
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    programs = {name: shlex.split(command)[:4] for name, command in procfile.items()}
    commands = {name: compose["services"][name]["command"] for name in APP_SERVICES}
    # In production the API and pages are served by gunicorn (sync workers serve the camera API
    # fastest) and the live stream by uvicorn (ASGI), behind one proxy; locally, uvicorn serves
    # everything on one port.
    assert commands["web"][:2] == ["gunicorn", "anpr_site.wsgi"]
    assert (
        commands["events"][:2] == programs["web"][:2] == ["uvicorn", "anpr_site.asgi:application"]
    )
    assert commands["beat"][:4] == programs["beat"][:4] == ["celery", "-A", "anpr_site", "beat"]
    worker = programs["worker"]
    assert worker == ["celery", "-A", "anpr_site", "worker"]
    queues = set()
    for name in ("worker-ingest", "worker-background", "worker-ocr"):
        assert commands[name][:4] == worker, name
        queues |= set(commands[name][commands[name].index("-Q") + 1].split(","))
    procfile_queues = set()
    for name in ("worker", "background", "ocr"):  # locally too, each queue its own process
        words = shlex.split(procfile[name])
        assert words[:4] == worker, name
        procfile_queues |= set(words[words.index("-Q") + 1].split(","))
    assert queues == procfile_queues
    assert commands["migrate"] == ["python", "manage.py", "migrate", "--noinput"]
