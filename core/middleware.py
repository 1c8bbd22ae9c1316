"""Request plumbing shared by every app."""

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
