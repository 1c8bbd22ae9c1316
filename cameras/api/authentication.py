"""Camera authentication: `Authorization: Camera <key_id>.<secret>`, one credential per camera."""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from ..models import CameraCredential

SCHEME = "Camera"
REFUSED = "Unknown or revoked camera credential."


class CameraAuthentication(authentication.BaseAuthentication):
    """Authenticates a camera; `request.auth` is its credential, `request.user` is anonymous."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != SCHEME.lower():  # schemes ignore case
            return None
        if len(header) != 2 or "." not in header[1]:
            raise exceptions.AuthenticationFailed(f"Send 'Authorization: {SCHEME} <token>'.")
        key_id, secret = header[1].split(".", 1)
        credential = (
            CameraCredential.objects.select_related("camera__site").filter(key_id=key_id).first()
        )
        if credential is None or credential.is_revoked or not credential.matches(secret):
            raise exceptions.AuthenticationFailed(REFUSED)
        self._note_use(credential)
        return AnonymousUser(), credential

    def authenticate_header(self, request) -> str:
        return SCHEME

    @staticmethod
    def _note_use(credential: CameraCredential) -> None:
        # At most one write a minute per credential, not one per submission.
        now = timezone.now()
        if credential.last_used_at is None or now - credential.last_used_at > timedelta(minutes=1):
            CameraCredential.objects.filter(pk=credential.pk).update(last_used_at=now)


class IsCamera(permissions.BasePermission):
    """Only a request authenticated by a camera credential."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, CameraCredential)
