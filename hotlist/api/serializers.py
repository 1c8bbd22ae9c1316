"""Serializers for hotlists and alerts's API: fields listed explicitly, never __all__."""

from rest_framework import serializers

from ..models import Hotlist, HotlistEntry


class HotlistSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Hotlist
        fields = ["id", "name", "description", "owner", "source", "default_priority",
                  "protective_marking", "fuzzy_tolerance", "is_active", "created_at"]  # fmt: skip
        read_only_fields = ["created_at"]


class HotlistEntrySerializer(serializers.ModelSerializer):
    """Every field of a vehicle of interest (R-HOT-2); the VRM is canonicalised on save."""

    warning_markers = serializers.ListField(
        child=serializers.ChoiceField(choices=HotlistEntry.Warning.choices), required=False
    )
    warnings = serializers.SerializerMethodField(help_text="E.g. a VRM in no UK format.")

    class Meta:
        model = HotlistEntry
        fields = ["id", "hotlist", "vrm", "make", "model", "colour", "reason", "action",
                  "instruction", "warning_markers", "information", "intelligence_grading",
                  "source_reference", "owner_contact", "priority", "valid_from", "expires_at",
                  "created_at", "updated_at", "warnings"]  # fmt: skip
        read_only_fields = ["hotlist", "created_at", "updated_at"]

    def get_warnings(self, entry) -> list[str]:
        return getattr(entry, "save_warnings", [])
