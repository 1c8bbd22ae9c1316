"""Request plumbing shared by every app."""

import contextlib
import ipaddress
from urllib.parse import quote

from auditlog import middleware as auditlog_middleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.deprecation import MiddlewareMixin

from access.mfa import enrolled, session_expired


class QueryStringMiddleware(MiddlewareMixin):
    """A query string holding a NUL character is refused, naming it: no stored value can hold
    one (PostgreSQL text cannot), so no filter could match, and a query with one would fail."""

    def process_request(self, request):
        if any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            detail = "The address holds a NUL character (%00), which no value can contain."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail}, status=400)
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return None


class TrustedProxyMiddleware(MiddlewareMixin):
    """The client's address behind the force's reverse proxy. Where the connection comes from
    one of TRUSTED_PROXIES, REMOTE_ADDR becomes the address that proxy put in X-Forwarded-For
    (the last one not itself a trusted proxy); anyone else's header is ignored, so no client
    can choose the address that the audit, the change log and the sign-in throttle see.
    Without it, behind a proxy every request would come from the proxy: one address for the
    whole force, paused for everyone by one person's failed sign-ins."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.proxies = [ipaddress.ip_network(proxy, strict=False)
                        for proxy in settings.TRUSTED_PROXIES]  # fmt: skip

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in proxy for proxy in self.proxies)

    def process_request(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self._trusted(request.META.get("REMOTE_ADDR", "")):
            for hop in reversed(forwarded.split(",")):
                if not self._trusted(hop):
                    with contextlib.suppress(ValueError):  # a malformed hop: left as it was
                        request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(hop.strip()))
                    break
        return None


class PrivateMiddleware(MiddlewareMixin):
    """What a signed-in person or a camera is sent (reads, alerts, findings, exports, hotlists)
    is kept by no browser or proxy cache: Cache-Control no-store, unless the view has said
    otherwise. (A camera signs in per request, through the API, so every API answer.)"""

    def process_response(self, request, response):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        private = signed_in or request.path_info.startswith("/api/")
        if private and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


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
        if _background(request):
            return HttpResponse("Your session has ended: sign in again.", status=401)
        return super().handle_no_permission(request, view_func)


def second_factor_not_required(view):
    """Mark a view a password-only session may reach: second-factor verification, enrolment,
    signing out."""
    view.second_factor_not_required = True
    return view


def _background(request) -> bool:
    return bool(request.headers.get("HX-Request")) or "text/event-stream" in request.headers.get(
        "Accept", ""
    )


class SessionAssuranceMiddleware(MiddlewareMixin):
    """A person's session counts only while it is younger than SESSION_ABSOLUTE_SECONDS (however
    active) and verified by a second factor. Until verified it reaches nothing but the views
    marked `second_factor_not_required` and public pages; the API treats it as signed out
    (core.api.SessionAuthentication)."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        if session_expired(request.session):
            logout(request)
            if request.path_info.startswith("/api/"):
                return None  # now signed out: the API answers 401
            if _background(request):
                return HttpResponse("Your session has ended: sign in again.", status=401)
            messages.info(request, "You were signed in for 12 hours: sign in again.")
            return redirect(f"{reverse('login')}?next={quote(request.get_full_path())}")
        exempt = getattr(view_func, "second_factor_not_required", False) or not getattr(
            view_func, "login_required", True
        )
        if user.is_verified() or exempt or request.path_info.startswith("/api/"):
            return None
        if _background(request):
            return HttpResponse("Verify your sign-in with a code first.", status=401)
        step = "access:verify" if enrolled(user) else "access:enrol"
        return redirect(f"{reverse(step)}?next={quote(request.get_full_path())}")


class AuditlogMiddleware(auditlog_middleware.AuditlogMiddleware):
    """Change-log actor and address. The address is REMOTE_ADDR, which only a trusted proxy's
    X-Forwarded-For changes (TrustedProxyMiddleware); a client-supplied header never reaches
    the audit."""

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request)
