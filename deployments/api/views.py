"""API views for camera-site governance: ViewSets that declare `required_permissions`."""

from rest_framework import viewsets

from ..models import Site
from .serializers import SiteSerializer


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """The site register: every site, with its position only for those who may see it."""

    required_permissions = ("deployments.view_site",)
    serializer_class = SiteSerializer
    queryset = Site.objects.select_related("owner").prefetch_related("cameras")
    filterset_fields = ["status", "area"]
