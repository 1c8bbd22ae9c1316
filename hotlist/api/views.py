"""API views for hotlists and alerts: ViewSets that declare `required_permissions`."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404

from core.api import RecentlyConfirmed, RequiredPermissions, errors

from ..models import HotlistEntry
from ..selectors import managed_hotlists
from ..services import HotlistError, hotlist_create, hotlist_entry_save, hotlist_update
from .serializers import HotlistEntrySerializer, HotlistSerializer


def documented(serializer, *, create_needs_list: bool = False):
    """The answers of a list-and-edit viewset: its serializer, or why not."""
    create_errors = (400, 401, 403, 404) if create_needs_list else (400, 401, 403)
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **errors(401, 403, 404)}),
        create=extend_schema(responses={201: serializer, **errors(*create_errors)}),
        retrieve=extend_schema(responses={200: serializer, **errors(401, 403, 404)}),
        update=extend_schema(responses={200: serializer, **errors(400, 401, 403, 404)}),
        partial_update=extend_schema(responses={200: serializer, **errors(400, 401, 403, 404)}),
    )


@documented(HotlistSerializer)
class HotlistViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The lists the caller keeps; others, restricted ones included, are 404. Settings are
    changed by a list's owner only."""

    required_permissions = ("access.manage_hotlists",)
    permission_classes = [RequiredPermissions, RecentlyConfirmed]
    serializer_class = HotlistSerializer

    def get_queryset(self):
        return managed_hotlists(self.request.user).select_related("owner")

    def perform_create(self, serializer):
        serializer.instance = hotlist_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        try:
            serializer.instance = hotlist_update(hotlist=serializer.instance, by=self.request.user,
                                                 **serializer.validated_data)  # fmt: skip
        except HotlistError as refusal:
            raise PermissionDenied(str(refusal)) from None


@documented(HotlistEntrySerializer, create_needs_list=True)
class HotlistEntryViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """A list's entries: /hotlists/<list>/entries/. Saves go through the entry service."""

    required_permissions = ("access.manage_hotlists",)
    permission_classes = [RequiredPermissions, RecentlyConfirmed]
    serializer_class = HotlistEntrySerializer

    def hotlist(self):
        return get_object_or_404(managed_hotlists(self.request.user), pk=self.kwargs["hotlist_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema has no list to look in
            return HotlistEntry.objects.none()
        return self.hotlist().entries.all()

    def create(self, request, *args, **kwargs):
        self.kept = self.hotlist()  # a list the caller does not keep is 404 before the body
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        self._save(serializer, serializer.Meta.model(hotlist=self.kept))

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _save(self, serializer, entry):
        for field, value in serializer.validated_data.items():
            setattr(entry, field, value)
        try:
            entry, warnings = hotlist_entry_save(by=self.request.user, entry=entry)
        except HotlistError as error:
            raise ValidationError({"vrm": [str(error)]}) from None
        entry.save_warnings = warnings
        serializer.instance = entry
