"""API plumbing: authentication and the deny-by-default permission gate."""

from rest_framework import authentication, pagination, permissions


class SessionAuthentication(authentication.SessionAuthentication):
    """Session authentication that answers 401 (not 403) to a request with no credentials."""

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
