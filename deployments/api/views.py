"""API views for camera-site governance: ViewSets that declare `required_permissions`."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from core.api import errors

from ..models import Site
from .serializers import SiteSerializer


@extend_schema_view(
    list=extend_schema(responses={200: SiteSerializer(many=True), **errors(400, 401, 403, 404)}),
    retrieve=extend_schema(responses={200: SiteSerializer, **errors(401, 403, 404)}),
)
class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """The site register: every site, with its position only for those who may see it."""

    required_permissions = ("deployments.view_site",)
    serializer_class = SiteSerializer
    queryset = Site.objects.select_related("owner").prefetch_related("cameras")
    filterset_fields = ["status", "area"]
