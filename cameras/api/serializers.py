"""Serializers for the camera API: fields listed explicitly, never __all__."""

from datetime import UTC

from django.conf import settings
from rest_framework import serializers

from reads.models import Read


class AlternativeSerializer(serializers.Serializer):
    vrm = serializers.CharField(max_length=32, help_text="Another candidate reading.")
    score = serializers.FloatField(min_value=0, max_value=1)


class ReadSubmissionSerializer(serializers.Serializer):
    """One read as a smart camera sends it (the national capture fields).

    Documentation only: reads are validated by cameras/submission.py, the fast path.
    """

    capture_id = serializers.CharField(max_length=64, help_text="The camera's own id for it.")
    vrm = serializers.CharField(max_length=32, help_text="As read; spaces are removed.")
    captured_at = serializers.DateTimeField(
        help_text="UTC capture time, to the millisecond; at most "
        f"{settings.CAPTURE_FUTURE_TOLERANCE_SECONDS} s ahead of the back office's clock."
    )
    confidence = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)
    alternatives = AlternativeSerializer(many=True, required=False, max_length=10)
    direction = serializers.ChoiceField(
        choices=Read.Direction.choices, required=False, allow_blank=True
    )
    lane = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    latitude = serializers.FloatField(
        min_value=-90, max_value=90, required=False, allow_null=True,
        help_text="Required for mobile cameras.",
    )  # fmt: skip
    longitude = serializers.FloatField(
        min_value=-180, max_value=180, required=False, allow_null=True,
        help_text="Required for mobile cameras.",
    )  # fmt: skip
    plate_image = serializers.CharField(
        required=False, allow_blank=True, help_text="Plate patch: base64 JPEG or PNG."
    )
    overview_image = serializers.CharField(
        required=False, allow_blank=True, help_text="Overview: base64 JPEG or PNG."
    )
    vehicle_make = serializers.CharField(
        max_length=50, required=False, allow_blank=True,
        help_text="Make as the camera recognised it, where it can.",
    )  # fmt: skip
    vehicle_model = serializers.CharField(max_length=50, required=False, allow_blank=True)
    vehicle_colour = serializers.CharField(max_length=30, required=False, allow_blank=True)


class ReadBatchSerializer(serializers.Serializer):
    """A batch of reads (documentation of the request; reads are validated one by one)."""

    sent_at = serializers.DateTimeField(
        default_timezone=UTC, required=False,
        help_text="The camera's clock when it sent the batch, to track its clock offset.",
    )  # fmt: skip
    reads = ReadSubmissionSerializer(many=True, min_length=1, max_length=50)


class ReadBatchUploadSerializer(serializers.Serializer):
    """A batch with its images as separate file uploads (multipart/form-data)."""

    batch = serializers.CharField(
        help_text="The batch as JSON, as for application/json, without the images. Files are "
        'named "reads.<index>.plate_image" and "reads.<index>.overview_image".'
    )


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


class ReadBatchRefusedSerializer(serializers.Serializer):
    """A batch refused whole: what is wrong, and each read's reasons where reads were looked at."""

    detail = serializers.CharField()
    accepted = AcceptedReadSerializer(many=True, required=False, help_text="Always empty.")
    rejected = RejectedReadSerializer(many=True, required=False)


class HeartbeatSerializer(serializers.Serializer):
    sent_at = serializers.DateTimeField(default_timezone=UTC, required=False)
    latitude = serializers.FloatField(
        min_value=-90, max_value=90, required=False,
        help_text="A mobile unit's position now (with longitude): its GPS track.",
    )  # fmt: skip
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False)

    def validate(self, attrs):
        if ("latitude" in attrs) != ("longitude" in attrs):
            raise serializers.ValidationError("Send latitude and longitude together.")
        return attrs


class FrameUploadSerializer(serializers.Serializer):
    """A frame for the OCR workers to read (multipart/form-data)."""

    frame = serializers.FileField(help_text="The whole frame, JPEG or PNG.")
    capture_id = serializers.CharField(max_length=64, help_text="The camera's own id for it.")
    captured_at = serializers.DateTimeField(help_text="When it was captured (ISO 8601, UTC).")
    latitude = serializers.FloatField(
        required=False, min_value=-90, max_value=90,
        help_text="Where it was taken (WGS84); required from a mobile camera.",
    )  # fmt: skip
    longitude = serializers.FloatField(
        required=False, min_value=-180, max_value=180,
        help_text="Where it was taken (WGS84); required from a mobile camera.",
    )  # fmt: skip
    direction = serializers.ChoiceField(
        choices=Read.Direction.choices, required=False, allow_blank=True,
        help_text="Which way the vehicle went.",
    )  # fmt: skip


class FrameAcceptedSerializer(serializers.Serializer):
    capture_id = serializers.CharField()
    read_id = serializers.UUIDField(help_text="The id the read gets if a plate is found.")


class ProblemSerializer(serializers.Serializer):
    detail = serializers.CharField()
