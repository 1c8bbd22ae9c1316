from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import HotlistEntryViewSet, HotlistViewSet

app_name = "hotlist-api"

router = SimpleRouter()
router.register("", HotlistViewSet, basename="hotlist")

entries = HotlistEntryViewSet.as_view({"get": "list", "post": "create"})
entry = HotlistEntryViewSet.as_view({"get": "retrieve", "put": "update", "patch": "partial_update"})

urlpatterns = [
    path("<int:hotlist_pk>/entries/", entries, name="entry-list"),
    path("<int:hotlist_pk>/entries/<int:pk>/", entry, name="entry-detail"),
    *router.urls,
]
