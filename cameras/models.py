"""Cameras, their per-camera credentials, the camera adapters (frame upload, smart-camera feed),
plate OCR and camera health.
"""

import hashlib
import hmac

from django.db import models
from django.utils import timezone

from core.models import person_field


class Camera(models.Model):
    """An ANPR camera, fixed at a site or in a vehicle, that submits reads or frames."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed"
        MOBILE = "mobile", "Mobile (vehicle unit)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    class Direction(models.TextChoices):
        TOWARDS = "towards", "Towards the camera"
        AWAY = "away", "Away from the camera"
        BOTH = "both", "Both directions"

    reference = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    site = models.ForeignKey("deployments.Site", on_delete=models.PROTECT, related_name="cameras")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIXED)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.BOTH)
    lanes = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)
    clock_offset_ms = models.IntegerField(
        null=True, blank=True, help_text="Camera clock minus back-office clock, last measured."
    )
    reads_stored = models.BigIntegerField(default=0)
    reads_refused = models.BigIntegerField(default=0)
    frames_unread = models.BigIntegerField(
        default=0, help_text="Frames sent for OCR in which no plate was found."
    )
    hotlists = models.ManyToManyField(
        "hotlist.Hotlist",
        blank=True,
        related_name="cameras",
        help_text="Lists this camera (a mobile unit) may hold, to match on board.",
    )
    silent_after_minutes = models.PositiveSmallIntegerField(
        default=15, help_text="No read or heartbeat for this long raises a silent-camera alert."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def health(self) -> str:
        """Its open operational alerts, or OK (prefetch `operational_alerts` for lists)."""
        open_alerts = [alert for alert in self.operational_alerts.all() if alert.cleared_at is None]
        return ", ".join(alert.get_kind_display() for alert in open_alerts) or "OK"

    def refusal_reason(self) -> str | None:
        """Why this camera may not submit reads now, or None when it may."""
        if self.status != self.Status.ACTIVE:
            return f"Camera {self.reference} is {self.get_status_display().lower()}."
        if reason := self.site.collection_refusal():
            return f"{reason}: it does not collect reads."
        return None


class CameraHour(models.Model):
    """A camera's reads in one hour of capture time: the baseline its health is judged by."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    reads = models.PositiveIntegerField(default=0)
    confidence_sum = models.FloatField(default=0)
    confidence_reads = models.PositiveIntegerField(default=0, help_text="Reads with a confidence.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["camera", "hour"], name="camera_hour")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.hour:%Y-%m-%d %H}:00 {self.reads}"


class OperationalAlert(models.Model):
    """A camera that is not working as it should (R-ALERT-4). Raised once when the problem
    starts; cleared by itself when it ends."""

    class Kind(models.TextChoices):
        SILENT = "silent", "Silent"
        RATE_DROP = "rate_drop", "Read rate dropped"
        CONFIDENCE_DROP = "confidence_drop", "Read confidence dropped"
        CLOCK_DRIFT = "clock_drift", "Clock drift"

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="operational_alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["camera", "kind"], condition=models.Q(cleared_at__isnull=True),
                name="one_open_operational_alert_per_kind",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.camera.reference}: {self.get_kind_display()}"


class CameraPosition(models.Model):
    """Where a mobile unit was (its GPS track), reported with its heartbeats; deleted by
    retention on its own clock."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="positions")
    at = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["camera", "-at"], name="camera_position_at")]

    def __str__(self) -> str:
        return f"{self.camera_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class UnreadFrame(models.Model):
    """A frame in which the OCR found no plate: kept a few hours (the retention policy's
    frames_hours) so an administrator can see what the camera sees, then deleted with its image."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="unread_frames")
    image = models.CharField(max_length=255, unique=True)
    captured_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.camera.reference} frame {self.captured_at:%Y-%m-%d %H:%M:%S}"


def _hash_secret(secret: str) -> str:
    # Secrets are 32 random bytes, so a fast hash is enough (a slow one would cap ingest rates).
    return hashlib.sha256(secret.encode()).hexdigest()


class CameraCredential(models.Model):
    """A secret a camera presents with each submission. Shown once, stored hashed, revocable.

    A camera may hold several so that a new one can be issued before the old one is revoked.
    The token a camera sends is `<key_id>.<secret>`.
    """

    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="credentials")
    key_id = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = person_field()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = person_field()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.camera.reference} credential {self.key_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, _hash_secret(secret))
