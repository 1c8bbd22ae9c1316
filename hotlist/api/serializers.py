"""Serializers for hotlists and alerts's API: fields listed explicitly, never __all__."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from rest_framework import serializers

from core.api import DateTimeField

from ..forms import owned_name_unique
from ..models import Hotlist, HotlistEntry


class HotlistSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Hotlist
        fields = ["id", "name", "description", "owner", "source", "default_priority",
                  "protective_marking", "fuzzy_tolerance", "is_active", "created_at"]  # fmt: skip
        read_only_fields = ["created_at"]

    def validate_name(self, name: str) -> str:
        owner = self.instance.owner if self.instance else self.context["request"].user
        try:
            return owned_name_unique(name, owner, self.instance and self.instance.pk)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class HotlistEntrySerializer(serializers.ModelSerializer):
    """Every field of a vehicle of interest (R-HOT-2); the VRM is canonicalised on save."""

    warning_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=HotlistEntry.Warning.choices), required=False
    )
    warnings = serializers.SerializerMethodField(help_text="E.g. a VRM in no UK format.")
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    class Meta:
        model = HotlistEntry
        fields = ["id", "hotlist", "vrm", "make", "model", "colour", "reason", "action",
                  "instruction", "warning_markers", "information", "intelligence_grading",
                  "source_reference", "owner_contact", "priority", "valid_from", "expires_at",
                  "created_at", "updated_at", "warnings"]  # fmt: skip
        read_only_fields = ["hotlist", "created_at", "updated_at"]

    def validate(self, attrs):
        # The table's check constraint, said to the caller rather than failing the save. A
        # partial update is checked against the entry's other date as it stands.
        valid_from = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        expires_at = attrs.get("expires_at", getattr(self.instance, "expires_at", None))
        if expires_at is not None and expires_at <= (valid_from or timezone.now()):
            raise serializers.ValidationError(
                {"expires_at": "An entry expires after it is valid from."}
            )
        return attrs

    def get_warnings(self, entry) -> list[str]:
        return getattr(entry, "save_warnings", [])
