"""Signing in: the second factor (TOTP, backup codes), lockout, and how long a session lasts."""

import time
import uuid
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.mfa import CONFIRMED_AT, SIGNED_IN_AT
from access.models import BackupCode
from tests.factories import (
    PASSWORD,
    CameraFactory,
    HotlistFactory,
    UserFactory,
    sign_in_verified,
    totp_code,
)
from tests.test_access import _all_url_patterns

pytestmark = pytest.mark.django_db

# What a session signed in with the password alone may open.
SECOND_STEP_URL_NAMES = {"login", "logout", "healthz", "public_statistics", "access:verify",
                         "access:enrol"}  # fmt: skip
SAMPLE_ARGUMENTS = {"int": 1, "uuid": uuid.uuid4(), "string": "x", "slug": "x", "path": "x"}


def sign_in(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_first_sign_in_sets_up_the_app_and_gives_backup_codes_once(client):
    user = UserFactory(username="newcomer")
    assert sign_in(client, "newcomer")["Location"] == "/"
    page = client.get("/")
    assert page["Location"].startswith(reverse("access:enrol"))
    enrol = client.get(page["Location"]).content.decode()
    assert 'data-testid="qr-code"' in enrol and "data:image/svg+xml" in enrol
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    refused = client.post(reverse("access:enrol"), {"token": "000000"})
    assert "does not match" in refused.content.decode()
    codes_page = client.post(reverse("access:enrol"), {"token": f"{totp(device.bin_key):06d}"})
    codes = [line.split("<code>")[1][:11] for line in
             codes_page.content.decode().split("<li>")[1:]]  # fmt: skip
    assert len(codes) == 10 and len(set(codes)) == 10
    # Only hashes are kept.
    stored = set(BackupCode.objects.values_list("code_hash", flat=True))
    assert not stored & set(codes) and len(stored) == 10
    assert client.get("/").status_code == 200

    # A backup code signs in once.
    client.post(reverse("logout"))
    for attempt in ("first", "second"):
        sign_in(client, "newcomer")
        verified = client.post(reverse("access:verify"), {"token": codes[0].lower()})
        if attempt == "first":
            assert verified["Location"] == "/"
            client.post(reverse("logout"))
        else:
            assert "does not match" in verified.content.decode()
            assert client.get("/")["Location"].startswith(reverse("access:verify"))


def test_a_password_only_session_reaches_nothing_but_the_second_step(client, personas):
    sign_in(client, "admin")
    checked = 0
    for name, pattern in _all_url_patterns():
        if name in SECOND_STEP_URL_NAMES:
            continue
        converters = pattern.pattern.converters
        arguments = {key: SAMPLE_ARGUMENTS[type(c).__name__.removesuffix("Converter").lower()]
                     for key, c in converters.items()}  # fmt: skip
        try:
            url = reverse(name, kwargs=arguments)
        except NoReverseMatch:  # a regular expression's group (the admin's app list)
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if url.startswith("/api/"):
                assert response.status_code in (401, 403), (name, method)
            else:
                assert response.status_code == 302, (name, method)
                assert response["Location"].startswith(reverse("access:verify")), name
        checked += 1
    assert checked > 60
    # After the code, everything the role allows.
    client.post(reverse("access:verify"), {"token": totp_code(personas["admin"])})
    assert client.get(reverse("cameras:camera_list")).status_code == 200
    assert client.get(reverse("access-api:me")).status_code == 200


def test_five_failures_lock_an_account_for_fifteen_minutes_existing_or_not(client, personas):
    for username in ("operator", "no-such-user"):
        answers = [sign_in(client, username, "wrong-password-123") for _ in range(5)]
        assert all(a.status_code == 200 for a in answers[:4])
        locked = sign_in(client, username, PASSWORD)
        assert locked.status_code == 429
        assert "Too many failed sign-ins" in locked.content.decode()
    # The same answer, whether or not the account exists; the right password changes nothing.
    assert sign_in(client, "no-such-user").content == sign_in(client, "operator").content
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get(
        username="operator").attempt_time - timedelta(minutes=16))  # fmt: skip
    assert sign_in(client, "operator")["Location"] == "/"


def test_failures_during_a_lock_do_not_lengthen_it(client, personas):
    for _ in range(5):
        sign_in(client, "operator", "wrong-password-123")
    attempt = AccessAttempt.objects.get(username="operator")
    AccessAttempt.objects.update(attempt_time=attempt.attempt_time - timedelta(minutes=10))
    assert sign_in(client, "operator", "wrong-password-123").status_code == 429  # still locked
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=6))
    assert sign_in(client, "operator")["Location"] == "/"  # 15 minutes from the lock, as said


def test_a_failed_confirmation_keeps_no_code_with_its_record(client, personas):
    from access.mfa import backup_codes_issue

    sign_in_verified(client, personas["senior"])
    (code, *_) = backup_codes_issue(user=personas["senior"])
    client.post(reverse("access:confirm"), {"password": "wrong-password-123", "token": code})
    attempt = AccessAttempt.objects.get(username="senior")
    assert code not in attempt.post_data and "token" in attempt.post_data


def test_an_address_with_many_failures_is_paused_whatever_the_username(client, settings, personas):
    settings.SIGN_IN_ADDRESS_LIMIT = 6
    for n in range(6):
        sign_in(client, f"guess{n}", "wrong-password-123")
    paused = sign_in(client, "investigator")
    assert paused.status_code == 429 and "Too many failed sign-ins" in paused.content.decode()


def test_behind_a_trusted_proxy_each_person_keeps_their_own_address(client, settings, personas):
    settings.TRUSTED_PROXIES, settings.SIGN_IN_ADDRESS_LIMIT = ["127.0.0.0/8"], 6

    def sign_in_from(address, username, secret, via="127.0.0.1"):
        forwarded = f"10.9.9.9, {address}"  # the proxy adds the address it was reached from
        return client.post(reverse("login"), {"username": username, "password": secret},
                           REMOTE_ADDR=via, HTTP_X_FORWARDED_FOR=forwarded)  # fmt: skip

    for n in range(6):
        sign_in_from("203.0.113.9", f"guess{n}", "wrong-password-123")
    assert sign_in_from("203.0.113.9", "investigator", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    # A header from anyone but the proxy is not believed: the guesser cannot pick an address.
    spoofed = sign_in_from("198.51.100.8", "investigator", PASSWORD, via="203.0.113.9")
    assert spoofed.status_code == 429
    # Someone else behind the same proxy signs in.
    assert sign_in_from("198.51.100.7", "investigator", PASSWORD)["Location"] == "/"


def test_a_session_ends_after_twelve_hours_however_active(client, personas):
    sign_in_verified(client, personas["operator"])
    assert client.get("/").status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 12 * 3600 - 1
    session.save()
    assert client.get("/")["Location"].startswith(reverse("login"))
    assert client.get(reverse("access-api:me")).status_code == 401


def test_disabling_an_account_ends_its_sessions_at_once(client, personas):
    operator = personas["operator"]
    sign_in_verified(client, operator)
    assert client.get("/").status_code == 200
    operator.is_active = False
    operator.save()
    assert not [s for s in Session.objects.all()
                if s.get_decoded().get("_auth_user_id") == str(operator.pk)]  # fmt: skip
    assert client.get("/")["Location"].startswith(reverse("login"))


def test_sensitive_actions_need_a_confirmation_in_the_last_five_minutes(client, personas):
    admin, hotlists = personas["admin"], personas["hotlists"]
    hotlist = HotlistFactory(owner=hotlists)
    camera = CameraFactory()

    def stale(user):
        sign_in_verified(client, user)
        session = client.session
        session[CONFIRMED_AT] = time.time() - 6 * 60
        session.save()

    confirm = reverse("access:confirm")
    actions = [
        (personas["senior"], "post", reverse("access:accessrequest_queue"), {"request": 1}),
        (personas["investigator"], "post", reverse("reads:search"), {"export": "csv"}),
        (hotlists, "get", reverse("hotlist:hotlist_export", args=[hotlist.pk]), {}),
        (hotlists, "post", reverse("hotlist:hotlist_create"), {"name": "New list"}),
        (admin, "post", reverse("reads:retention"), {"reads_days": 30}),
        (admin, "post", reverse("admin:cameras_camera_changelist"),
         {"action": "issue_credential", "_selected_action": [camera.pk]}),
        (admin, "post", reverse("admin:auth_user_add"),
         {"username": "puppet", "password1": "x" * 16, "password2": "x" * 16}),
        (admin, "post", reverse("admin:auth_user_change", args=[personas["nobody"].pk]),
         {"username": "nobody", "groups": []}),
        (admin, "post", reverse("admin:auth_user_password_change",
                                args=[personas["nobody"].pk]),
         {"password1": "x" * 16, "password2": "x" * 16}),
    ]  # fmt: skip
    for user, method, url, data in actions:
        stale(user)
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(confirm), url
    assert not camera.credentials.exists() and not User.objects.filter(username="puppet").exists()
    stale(hotlists)
    api = client.patch(f"/api/v1/hotlists/{hotlist.pk}/", {"name": "Renamed"},
                       content_type="application/json")  # fmt: skip
    assert api.status_code == 403 and "Confirm it is you" in api.json()["detail"]

    # Password and a code: then the action goes through.
    wrong = client.post(confirm, {"password": PASSWORD, "token": "000000"})
    assert "wrong" in wrong.content.decode()
    time.sleep(1.1)  # each wrong code delays the next try by a second (and more each time)
    client.post(confirm, {"password": PASSWORD, "token": totp_code(hotlists), "next": "/"})
    api = client.patch(f"/api/v1/hotlists/{hotlist.pk}/", {"name": "Renamed"},
                       content_type="application/json")  # fmt: skip
    assert api.status_code == 200 and api.json()["name"] == "Renamed"


def test_new_backup_codes_replace_the_old_ones_after_a_confirmation(client, personas):
    from access.mfa import backup_codes_issue

    investigator = personas["investigator"]
    old = backup_codes_issue(user=investigator)
    sign_in_verified(client, investigator)
    home = client.get("/").content.decode()
    assert reverse("access:backup_codes") in home and reverse("access:enrol") in home
    session = client.session
    session[SIGNED_IN_AT] = session[CONFIRMED_AT] = time.time() - 6 * 60
    session.save()
    assert client.post(reverse("access:backup_codes"))["Location"].startswith(
        reverse("access:confirm")
    )
    # A code alone, without the password, confirms nothing.
    assert client.post(reverse("access:verify"), {"token": old[0]})["Location"] == "/"
    assert client.post(reverse("access:backup_codes"))["Location"].startswith(
        reverse("access:confirm")
    )
    time.sleep(1.1)  # the app's code was tried against the backup code: its next try waits
    assert client.get(reverse("access:enrol"))["Location"].startswith(reverse("access:confirm"))
    client.post(reverse("access:confirm"),
                {"password": PASSWORD, "token": totp_code(investigator)})  # fmt: skip
    page = client.post(reverse("access:backup_codes")).content.decode()
    new = [item.split("<code>")[1][:11] for item in page.split("<li>")[1:]]
    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    sign_in(client, "investigator")
    refused = client.post(reverse("access:verify"), {"token": old[0]})
    assert "does not match" in refused.content.decode()
    assert client.post(reverse("access:verify"), {"token": new[0]})["Location"] == "/"
