"""Request plumbing shared by every app."""

from auditlog import middleware as auditlog_middleware
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Deny by default: pages need a signed-in user and send others to the login page.

    The API is left to DRF, which authenticates people and cameras itself and answers 401
    rather than redirecting a machine to a login form.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class AuditlogMiddleware(auditlog_middleware.AuditlogMiddleware):
    """Change-log actor and address. The address is the connection's own (REMOTE_ADDR), which the
    ASGI server sets from X-Forwarded-For only for trusted proxies (uvicorn
    --forwarded-allow-ips); a client-supplied header never reaches the audit."""

    @staticmethod
    def _get_remote_addr(request):
        return request.META.get("REMOTE_ADDR")
