"""Request plumbing shared by every app."""

from auditlog import middleware as auditlog_middleware
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponse


def client_address(request) -> str | None:
    """The connection's own address (see AuditlogMiddleware), for the access audit."""
    return request.META.get("REMOTE_ADDR")


def background(view):
    """Mark a view as background traffic (the live feed and its refreshes): it does not count
    as the user's activity, so an open console does not keep an idle session alive."""
    view.background = True
    return view


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that background requests neither save the session nor extend it: views
    marked `background`, and a page's own htmx polls (GET with HX-Request)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        polled = request.method == "GET" and bool(request.headers.get("HX-Request"))
        request.background = getattr(view_func, "background", False) or polled

    def process_response(self, request, response):
        if getattr(request, "background", False):
            return response
        return super().process_response(request, response)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Deny by default: pages need a signed-in user and send others to the login page.

    The API is left to DRF, which authenticates people and cameras itself and answers 401
    rather than redirecting a machine to a login form.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        # A page's own background requests (htmx, the event stream) get 401, and the page
        # sends the person to sign in, rather than a login form swapped into a table.
        if request.headers.get("HX-Request") or "text/event-stream" in request.headers.get(
            "Accept", ""
        ):
            return HttpResponse("Your session has ended: sign in again.", status=401)
        return super().handle_no_permission(request, view_func)


class AuditlogMiddleware(auditlog_middleware.AuditlogMiddleware):
    """Change-log actor and address. The address is the connection's own (REMOTE_ADDR), which the
    ASGI server sets from X-Forwarded-For only for trusted proxies (uvicorn
    --forwarded-allow-ips); a client-supplied header never reaches the audit."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)
