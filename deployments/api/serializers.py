"""Serializers for camera-site governance's API: fields listed explicitly, never __all__."""

from rest_framework import serializers

from ..models import Site

EXACT = "access.view_exact_locations"


class SiteSerializer(serializers.ModelSerializer):
    """A site, its status and cameras. Its position only for those who may see exact
    locations; everyone else gets its area alone."""

    latitude = serializers.FloatField(
        required=False, allow_null=True, help_text="Absent unless you may see exact locations."
    )
    longitude = serializers.FloatField(
        required=False, allow_null=True, help_text="Absent unless you may see exact locations."
    )
    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True)
    review_overdue = serializers.BooleanField(read_only=True)
    cameras = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Site
        fields = ["id", "reference", "name", "area", "latitude", "longitude", "status",
                  "deployment", "ends_on", "owner", "next_review_due", "review_overdue",
                  "cameras"]  # fmt: skip

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context["request"].user.has_perm(EXACT):
            del data["latitude"], data["longitude"]
        return data
