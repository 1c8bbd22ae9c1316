"""The second factor and session assurance for people (never for cameras, which hold their own
credentials): TOTP from an authenticator app, enrolled at the first sign-in, with hashed
single-use backup codes; no SMS. A session is fully signed in once a factor is verified, for at
most SESSION_ABSOLUTE_SECONDS; sensitive actions ask for the password and a code again when
the last confirmation is older than REAUTHENTICATE_SECONDS.
"""

import functools
import secrets
import time
from urllib.parse import quote

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import BackupCode, BackupCodeDevice, backup_code_hash

BACKUP_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
SIGNED_IN_AT = "signed_in_at"  # session keys: when the password was given...
CONFIRMED_AT = "confirmed_at"  # ...and when the person last proved who they are (both factors)


class FactorRefused(Exception):
    """A code or password that did not verify; the message says what to do."""


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The device being enrolled: a new secret, until a code from it confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app",
                                               confirmed=False)  # fmt: skip


def totp_qr_code(device: TOTPDevice) -> str:
    """The enrolment QR code (otpauth URL) as an SVG data URI, for an <img>."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, dark="#000",
                                                                 light="#fff")  # fmt: skip


def totp_secret(device: TOTPDevice) -> str:
    """The secret as an app asks to be typed (base32, in groups of four)."""
    text = device.config_url.split("secret=")[1].split("&")[0]
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def totp_enrolment_confirm(*, request, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the app with a code from it; it replaces any earlier app. Returns new backup
    codes (shown once) and marks the session verified."""
    if device.user_id != request.user.pk or not device.verify_token(token.strip()):
        raise FactorRefused("That code does not match: check the app's clock and try the "
                            "newest code.")  # fmt: skip
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_issue(user=device.user)
    _verified(request, device)
    return codes


@transaction.atomic
def backup_codes_issue(*, user) -> list[str]:
    """New backup codes for `user` (the old ones stop working); only their hashes are kept."""
    BackupCodeDevice.objects.filter(user=user).delete()
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes")
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(BACKUP_CODES)]  # fmt: skip
    BackupCode.objects.bulk_create(
        [BackupCode(device=device, code_hash=backup_code_hash(code)) for code in codes]
    )
    return codes


def second_factor_verify(*, request, token: str) -> None:
    """Verify a code from the app, or a backup code, for the signed-in person."""
    device = _device_for(request.user, token)
    if device is None:
        raise FactorRefused("That code does not match. Use the newest code from your app, or one "
                            "of your backup codes.")  # fmt: skip
    _verified(request, device)


def reauthenticate(*, request, password: str, token: str) -> None:
    """Prove again who is at the keyboard: the password and a code."""
    user = authenticate(request, username=request.user.get_username(), password=password)
    if user is None or user.pk != request.user.pk:
        raise FactorRefused("The password or the code is wrong.")
    if _device_for(request.user, token) is None:
        raise FactorRefused("The password or the code is wrong.")
    request.session[CONFIRMED_AT] = time.time()


def session_start(sender, request, user, **kwargs) -> None:
    """On signing in with the password (user_logged_in): the absolute session clock starts."""
    request.session[SIGNED_IN_AT] = time.time()


def confirmed_recently(request) -> bool:
    confirmed = request.session.get(CONFIRMED_AT, 0)
    return time.time() - confirmed < settings.REAUTHENTICATE_SECONDS


def session_expired(session) -> bool:
    """Signed in longer ago than the absolute limit, however active since."""
    signed_in = session.get(SIGNED_IN_AT)
    return signed_in is not None and time.time() - signed_in > settings.SESSION_ABSOLUTE_SECONDS


def _device_for(user, token: str):
    token = token.strip()
    if not token:
        return None
    with transaction.atomic():
        # Locked: codes sent at once wait for each other, so each guess counts against the
        # throttle and a code is used once.
        devices = [
            *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
            *BackupCodeDevice.objects.select_for_update().filter(user=user, confirmed=True),
        ]
        for device in devices:
            if device.verify_token(token):
                return device
    return None


def _verified(request, device) -> None:
    """The session verified by `device`, and the person confirmed as of when they gave their
    password (signing in), never later: a code alone confirms nothing."""
    django_otp.login(request, device)
    given = request.session.get(SIGNED_IN_AT, 0)
    request.session[CONFIRMED_AT] = max(request.session.get(CONFIRMED_AT, 0), given)


def reauthenticated(view):
    """For a view doing something sensitive (approving access, an export, a hotlist edit,
    retention, camera credentials): send the person to confirm who they are first when the
    last confirmation is older than REAUTHENTICATE_SECONDS; they then do it again."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return reauthentication_needed(request) or view(request, *args, **kwargs)

    return wrapper


def reauthentication_needed(request):
    """A redirect to the confirmation page (and back to this page), or None when recent."""
    if confirmed_recently(request):
        return None
    messages.info(request, "Confirm it is you, then do it again.")
    return redirect(f"{reverse('access:confirm')}?next={quote(request.path)}")
