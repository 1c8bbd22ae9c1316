"""The demo command seeds one user per role, refuses live systems, and is safe to re-run."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.roles import Role
from access.selectors import user_roles
from core.demo_data import SITES
from core.management.commands.demo import DEMO_PASSWORD, DEMO_TOTP_KEY, DEMO_USERS
from deployments.models import Site
from deployments.services import approval_blockers

pytestmark = pytest.mark.django_db


def test_demo_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo")
    assert not User.objects.exists()


@override_settings(DEBUG=True)
def test_demo_creates_a_user_for_every_role_and_can_run_twice():
    call_command("demo")
    call_command("demo")
    assert User.objects.count() == len(DEMO_USERS)
    covered = set()
    for username, _first, _last, roles in DEMO_USERS:
        sign_in = RequestFactory().post("/login/")  # the lockout backend needs the request
        user = authenticate(sign_in, username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert TOTPDevice.objects.get(user=user).key == DEMO_TOTP_KEY  # the documented app
        assert user_roles(user) == roles
        covered.update(roles)
    assert covered == set(Role)
    # The demo sites are assessed, approved and live; one more is proposed.
    live = Site.objects.filter(status=Site.Status.LIVE)
    assert live.count() == len(SITES)
    assert all(not approval_blockers(site) for site in live)
    assert Site.objects.get(reference="NT-003").status == Site.Status.PROPOSED


def test_demo_runs_with_debug_off_only_when_forced():
    call_command("demo", force=True)
    assert User.objects.filter(username="operator").exists()
