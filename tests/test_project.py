"""Project-wide checks CI must not let slip: deploy checks, migrations, change-log coverage."""

import os
import subprocess
import sys

from django.apps import apps
from django.conf import settings

from tests.conftest import ROOT

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "anpr.force.example",
    "SECURE_SSL_REDIRECT": "true",
}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_models_and_migrations_agree():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_domain_model_is_change_logged():
    from auditlog.registry import auditlog

    domain_apps = {"access", "cameras", "deployments", "hotlist", "reads"}
    excluded = set(getattr(settings, "AUDITLOG_EXCLUDE_TRACKING_MODELS", ()))
    for model in apps.get_models():
        label = model._meta.app_label
        if label in domain_apps and model._meta.managed and model._meta.label_lower not in excluded:
            assert auditlog.contains(model), model._meta.label
    assert auditlog.contains(apps.get_model("auth", "User"))
