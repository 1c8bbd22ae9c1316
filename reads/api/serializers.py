"""Serializers for the read store's API: fields listed explicitly, never __all__."""

from rest_framework import serializers

from access.models import OffenceCategory
from access.policy import case_reference_clean
from core.api import SlugRelatedField

from ..models import Analysis, Read
from ..search import MAX_PAGE


class PurposeSerializer(serializers.Serializer):
    """Why the search is run (R-SEARCH-1): no purpose, no search."""

    category = SlugRelatedField(
        slug_field="name", queryset=OffenceCategory.objects.filter(is_active=True),
        help_text="Offence category, by name.",
    )  # fmt: skip
    case_reference = serializers.CharField(max_length=40)
    justification = serializers.CharField(min_length=20)

    def validate_case_reference(self, value):
        try:
            return case_reference_clean(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None


class SearchRequestSerializer(PurposeSerializer):
    """A plate search (or every vehicle at a place and time) and its purpose."""

    plate = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="",
        help_text="A full VRM, or part of one with ? (one character) and * (any); empty for "
        "every vehicle at a site or camera (at most 7 days).",
    )  # fmt: skip
    captured_from = serializers.DateTimeField()
    captured_to = serializers.DateTimeField(required=False, allow_null=True)
    area = serializers.CharField(required=False, allow_blank=True, default="")
    site = serializers.IntegerField(required=False, allow_null=True)
    camera = serializers.IntegerField(required=False, allow_null=True)
    direction = serializers.ChoiceField(
        choices=Read.Direction.choices, required=False, allow_blank=True, default=""
    )
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)


class PlaceSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class StakeoutRequestSerializer(PurposeSerializer):
    places = PlaceSerializer(many=True, min_length=2, max_length=5)


class StakeoutVehicleSerializer(serializers.Serializer):
    vrm = serializers.CharField()
    first_seen = serializers.ListField(child=serializers.DateTimeField(),
                                       help_text="First read at each place, in order.")  # fmt: skip


class ReadResultSerializer(serializers.ModelSerializer):
    camera = serializers.CharField(source="camera.reference")
    site = serializers.CharField(source="site.reference")
    area = serializers.CharField(source="site.area")

    class Meta:
        model = Read
        fields = ["id", "vrm", "captured_at", "camera", "site", "area", "direction", "lane",
                  "confidence"]  # fmt: skip


class SiteSightingsSerializer(serializers.Serializer):
    site = serializers.IntegerField(source="site_id")
    name = serializers.CharField(source="site__name")
    area = serializers.CharField(source="site__area")
    reads = serializers.IntegerField()
    first = serializers.DateTimeField()
    last = serializers.DateTimeField()


class VehicleHistorySerializer(serializers.Serializer):
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    sites = SiteSightingsSerializer(many=True)


class SearchResultSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    capped = serializers.BooleanField(help_text="True when there are more than `total`.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    window_start = serializers.DateTimeField(source="window.start")
    window_end = serializers.DateTimeField(source="window.end")
    grant = serializers.IntegerField(source="window.grant.pk", allow_null=True, default=None)
    reads = ReadResultSerializer(many=True)
    history = VehicleHistorySerializer(
        allow_null=True, help_text="For a full plate: where and when the vehicle was seen."
    )


class AnalysisRequestSerializer(PurposeSerializer):
    kind = serializers.ChoiceField(choices=Analysis.Kind.choices)
    vrm = serializers.CharField(max_length=32, required=False, allow_blank=True, default="",
                                help_text="The vehicle a convoy follows.")  # fmt: skip
    captured_from = serializers.DateTimeField()
    captured_to = serializers.DateTimeField(required=False, allow_null=True)


class AnalysisSerializer(serializers.ModelSerializer):
    case_reference = serializers.CharField(source="purpose.case_reference")

    class Meta:
        model = Analysis
        fields = [
            "id", "kind", "vrm", "case_reference", "captured_from", "captured_to", "status",
            "progress", "findings", "message", "created_at", "finished_at",
        ]  # fmt: skip
