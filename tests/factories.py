"""Small factories for test data."""

import time
from datetime import timedelta
from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.mfa import CONFIRMED_AT, SIGNED_IN_AT
from access.roles import Role
from access.services import user_roles_set

PASSWORD = "correct-horse-battery"

# The personas of every access test (style.md): one per role, one out of scope, one with two roles.
PERSONA_ROLES = {
    "operator": [Role.OPERATOR],
    "investigator": [Role.INVESTIGATOR],
    "investigator2": [Role.INVESTIGATOR],
    "senior": [Role.SENIOR_OFFICER],
    "intel": [Role.INTELLIGENCE_LEAD],
    "hotlists": [Role.HOTLIST_MANAGER],
    "auditor": [Role.AUDITOR],
    "admin": [Role.ADMINISTRATOR],
    "inspector": [Role.OPERATOR, Role.SENIOR_OFFICER],
    "nobody": [],
}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # Argon2 is slow by design: hash the shared test password once per run.
    password = factory.LazyFunction(lambda: password_hash())


@cache
def password_hash() -> str:
    return make_password(PASSWORD)


def make_persona(name: str) -> User:
    """A person with their roles and an authenticator app (TOTP) enrolled."""
    user = UserFactory(username=name)
    user_roles_set(user=user, roles=PERSONA_ROLES[name], acting_user=None)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    return user


def totp_code(user: User) -> str:
    """The code the person's authenticator app shows now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key):06d}"


def sign_in_verified(client, user: User) -> None:
    """Sign `client` in as `user`, second factor verified and identity just confirmed, as after
    the two sign-in steps."""
    client.force_login(user)
    session = client.session
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SIGNED_IN_AT] = session[CONFIRMED_AT] = time.time()
    session.save()


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deployments.Site"

    reference = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"Site {n}")
    area = "Northtown"
    latitude = 52.2
    longitude = 0.12
    status = "live"


class CameraFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cameras.Camera"

    reference = factory.Sequence(lambda n: f"CAM{n:04d}")
    name = factory.Sequence(lambda n: f"Camera {n}")
    site = factory.SubFactory(SiteFactory)
    lanes = 2


class HotlistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "hotlist.Hotlist"

    name = factory.Sequence(lambda n: f"List {n}")
    owner = factory.SubFactory(UserFactory)


class HotlistEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "hotlist.HotlistEntry"

    hotlist = factory.SubFactory(HotlistFactory)
    vrm = "AB12CDE"
    reason = "stolen"
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))


class AlertFactory(factory.django.DjangoModelFactory):
    """A hit on an entry, as ingest raises it."""

    class Meta:
        model = "hotlist.Alert"

    read_id = factory.Faker("uuid4")
    entry = factory.SubFactory(HotlistEntryFactory)
    hotlist = factory.SelfAttribute("entry.hotlist")
    read_vrm = factory.SelfAttribute("entry.vrm")
    matched_vrm = factory.SelfAttribute("entry.vrm")
    captured_at = factory.LazyFunction(timezone.now)
    camera = factory.SubFactory(CameraFactory)
    match_type = "exact"
    priority = 2
    # As a camera sends it: the patch to verify the VRM by (the file itself is a test's to write).
    plate_image = factory.LazyAttribute(lambda alert: f"alerts/{alert.read_id}-plate.jpg")


def entitle(holder, hotlist) -> None:
    """Give a user or group the alerts of a list, as a hotlist manager would."""
    from guardian.shortcuts import assign_perm

    assign_perm("hotlist.receive_alerts", holder, hotlist)
