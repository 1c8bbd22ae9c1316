"""API plumbing: authentication, the deny-by-default permission gate, and the error answers
every operation documents."""

from datetime import UTC, datetime

from django.db import InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import authentication, pagination, permissions, serializers
from rest_framework.response import Response


class SessionAuthentication(authentication.SessionAuthentication):
    """Session authentication that answers 401 (not 403) to a request with no credentials, and
    takes a session for signed in only once its second factor is verified."""

    def authenticate(self, request):
        result = super().authenticate(request)
        return result if result and result[0].is_verified() else None  # OTPMiddleware's

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'


class RequiredPermissions(permissions.BasePermission):
    """Let in only signed-in users holding every permission in the view's `required_permissions`.

    A view that does not declare `required_permissions` lets nobody in: deny by default.
    """

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_permissions", None)
        if required is None or not request.user.is_authenticated:
            return False
        return request.user.has_perms(required)


class CursorPagination(pagination.CursorPagination):
    """Stable paging over large tables; views with a better order set `ordering` themselves."""

    ordering = "-pk"


class DateTimeField(serializers.DateTimeField):
    """DRF's, for dates from 1900 on: earlier ones are typing mistakes, and before standard time
    (1847 in Britain) local time was offset by seconds, which RFC 3339 cannot write back."""

    EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
    default_error_messages = {"too_early": "Give a date from 1900 on."}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if moment < self.EARLIEST:
            self.fail("too_early")
        return moment


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, except that a value with a NUL character names nothing (PostgreSQL text cannot
    hold one, and the lookup would fail as a server error rather than find no row)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def not_found(request, exception):
    """The project's 404 handler: under /api/ a URL that names nothing is answered in JSON,
    like any other API miss (an id that is not a number, say); elsewhere, the page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


class ErrorSerializer(serializers.Serializer):
    """DRF's own refusals: not signed in, not permitted, not found, a body it cannot read."""

    detail = serializers.CharField()


# The answers DRF gives before a view's own code runs, for `extend_schema(responses=...)`: the
# document must list every status an operation can answer with (the API fuzz test holds it to).
ERRORS = {
    400: OpenApiResponse(
        {"type": "object", "additionalProperties": {}},
        "Not valid: each field in error with its messages (`non_field_errors` for the whole; "
        "`detail` when the body cannot be read).",
    ),
    401: OpenApiResponse(ErrorSerializer, "Not signed in, or the session has ended."),
    403: OpenApiResponse(
        ErrorSerializer, "Not permitted: the role lacks the right, or the CSRF token is missing."
    ),
    404: OpenApiResponse(
        ErrorSerializer,
        "No such object among those you may see (or a cursor this list never gave).",
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error answers with these status codes."""
    return {code: ERRORS[code] for code in codes}


class RecentlyConfirmed(permissions.BasePermission):
    """Changes through a sensitive operation need the person to have confirmed who they are
    (password and code) within REAUTHENTICATE_SECONDS, as on the pages."""

    message = ("Confirm it is you first (password and code, at /access/confirm/): this change "
               "needs a confirmation within the last few minutes.")  # fmt: skip

    def has_permission(self, request, view) -> bool:
        from access.mfa import confirmed_recently

        return request.method in permissions.SAFE_METHODS or confirmed_recently(request)


def exception_handler(exc, context):
    """DRF's, and for a database that cannot be reached (restarting, failing over) a 503 with
    Retry-After rather than a server error: a camera sends its batch again."""
    if isinstance(exc, OperationalError | InterfaceError):
        connection.close()  # a broken connection is not reused for the next request
        detail = "The service is briefly unavailable; nothing was accepted. Send it again."
        return Response({"detail": detail}, status=503, headers={"Retry-After": "5"})
    from rest_framework.views import exception_handler  # it reads these settings, so: late

    return exception_handler(exc, context)
