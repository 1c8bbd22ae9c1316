"""API views for hotlists and alerts: ViewSets that declare `required_permissions`."""

from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404

from ..models import HotlistEntry
from ..selectors import managed_hotlists
from ..services import HotlistError, hotlist_create, hotlist_entry_save, hotlist_update
from .serializers import HotlistEntrySerializer, HotlistSerializer


class HotlistViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The lists the caller keeps; others, restricted ones included, are 404. Settings are
    changed by a list's owner only."""

    required_permissions = ("access.manage_hotlists",)
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


class HotlistEntryViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """A list's entries: /hotlists/<list>/entries/. Saves go through the entry service."""

    required_permissions = ("access.manage_hotlists",)
    serializer_class = HotlistEntrySerializer

    def hotlist(self):
        return get_object_or_404(managed_hotlists(self.request.user), pk=self.kwargs["hotlist_pk"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema has no list to look in
            return HotlistEntry.objects.none()
        return self.hotlist().entries.all()

    def perform_create(self, serializer):
        self._save(serializer, serializer.Meta.model(hotlist=self.hotlist()))

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
