"""URL map. Pages per app; the REST API under /api/v1/; /healthz for load balancers."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from access.views import SignInView
from core.middleware import second_factor_not_required
from core.views import HomeView, healthz
from deployments.views import public_statistics_view

api_patterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include("access.api.urls")),
    path("cameras/", include("cameras.api.urls")),
    path("sites/", include("deployments.api.urls")),
    path("hotlists/", include("hotlist.api.urls")),
    path("reads/", include("reads.api.urls")),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("statistics/", public_statistics_view, name="public_statistics"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", second_factor_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("admin/", admin.site.urls),
    path("access/", include("access.urls")),
    path("cameras/", include("cameras.urls")),
    path("", include("deployments.urls")),
    path("", include("hotlist.urls")),
    path("", include("reads.urls")),
    path("api/v1/", include(api_patterns)),
]

# Under /api/ a URL that names nothing is answered in JSON, like any other API miss.
handler404 = "core.api.not_found"
