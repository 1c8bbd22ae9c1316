"""Serializers for the camera API: fields listed explicitly, never __all__."""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from reads.models import Read
from reads.vrm import InvalidVRM, canonical_vrm

from ..images import InvalidImage, decode_image
from ..models import Camera


def _vrm(value: str) -> str:
    try:
        return canonical_vrm(value)
    except InvalidVRM as error:
        raise serializers.ValidationError(str(error)) from None


class AlternativeSerializer(serializers.Serializer):
    vrm = serializers.CharField(max_length=32, help_text="Another candidate reading.")
    score = serializers.FloatField(min_value=0, max_value=1)

    def validate_vrm(self, value: str) -> str:
        return _vrm(value)


class ReadSubmissionSerializer(serializers.Serializer):
    """One read as a smart camera sends it (the national capture fields)."""

    capture_id = serializers.CharField(max_length=64, help_text="The camera's own id for it.")
    vrm = serializers.CharField(max_length=32, help_text="As read; spaces are removed.")
    captured_at = serializers.DateTimeField(
        default_timezone=UTC, help_text="UTC capture time, to the millisecond."
    )
    confidence = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)
    alternatives = AlternativeSerializer(many=True, required=False, max_length=10)
    direction = serializers.ChoiceField(
        choices=Read.Direction.choices, required=False, allow_blank=True
    )
    lane = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True
    )
    plate_image = serializers.CharField(
        required=False, allow_blank=True, help_text="Plate patch: base64 JPEG or PNG."
    )
    overview_image = serializers.CharField(
        required=False, allow_blank=True, help_text="Overview: base64 JPEG or PNG."
    )

    def validate_vrm(self, value: str) -> str:
        return _vrm(value)

    def validate_captured_at(self, value):
        now = timezone.now()
        tolerance = settings.CAPTURE_FUTURE_TOLERANCE_SECONDS
        if value > now + timedelta(seconds=tolerance):
            raise serializers.ValidationError(
                f"The capture time is more than {tolerance} s in the future: check the "
                "camera's clock."
            )
        if value < now - timedelta(days=settings.READ_RETENTION_DAYS):
            raise serializers.ValidationError(
                f"The capture time is older than the retention period "
                f"({settings.READ_RETENTION_DAYS} days)."
            )
        return value

    def validate_plate_image(self, value: str):
        return self._image(value, settings.PLATE_IMAGE_MAX_BYTES)

    def validate_overview_image(self, value: str):
        return self._image(value, settings.OVERVIEW_IMAGE_MAX_BYTES)

    @staticmethod
    def _image(value: str, max_bytes: int):
        if not value:
            return None
        try:
            return decode_image(value, max_bytes=max_bytes)
        except InvalidImage as error:
            raise serializers.ValidationError(str(error)) from None

    def validate(self, attrs):
        camera: Camera = self.context["camera"]
        attrs["vrm_raw"] = self.initial_data["vrm"]  # kept as sent; `vrm` is canonical
        if camera.kind == Camera.Kind.MOBILE and (
            attrs.get("latitude") is None or attrs.get("longitude") is None
        ):
            raise serializers.ValidationError("A mobile camera's read needs latitude, longitude.")
        lane = attrs.get("lane")
        if lane is not None and lane > camera.lanes:
            raise serializers.ValidationError(
                {"lane": f"Lane {lane} does not exist: camera {camera.reference} covers "
                 f"{camera.lanes} lane(s)."}
            )  # fmt: skip
        return attrs


class ReadBatchSerializer(serializers.Serializer):
    """A batch of reads (documentation of the request; reads are validated one by one)."""

    sent_at = serializers.DateTimeField(
        default_timezone=UTC, required=False,
        help_text="The camera's clock when it sent the batch, to track its clock offset.",
    )  # fmt: skip
    reads = ReadSubmissionSerializer(many=True, min_length=1, max_length=50)


class AcceptedReadSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    capture_id = serializers.CharField()
    read_id = serializers.UUIDField()


class RejectedReadSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    capture_id = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ReadBatchResultSerializer(serializers.Serializer):
    accepted = AcceptedReadSerializer(many=True)
    rejected = RejectedReadSerializer(many=True)


class HeartbeatSerializer(serializers.Serializer):
    sent_at = serializers.DateTimeField(default_timezone=UTC, required=False)


class ProblemSerializer(serializers.Serializer):
    detail = serializers.CharField()
