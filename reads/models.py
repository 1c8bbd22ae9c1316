"""The read store: ingest, day partitions, search, analytics, evidential export and retention."""

import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.models import person_field


class Read(models.Model):
    """One plate read by one camera (R-READ-1). Every read is stored, hit or not.

    The table is partitioned by day on `captured_at` and created by raw SQL in the migrations
    (Django does not manage it): see reads/partitions.py. The primary key in the database is
    (vrm, captured_at, id), which also serves plate searches and keeps the VRM in every unique
    key, as a table distributed by VRM requires. `id` is derived from the camera, its capture id
    and the capture time, so a read submitted twice is stored once.
    """

    class Direction(models.TextChoices):
        TOWARDS = "towards", "Towards"
        AWAY = "away", "Away"

    id = models.UUIDField(primary_key=True)
    vrm = models.CharField(max_length=16, help_text="Canonical: upper case, no spaces.")
    vrm_raw = models.CharField(max_length=32, help_text="As the camera sent it.")
    captured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.DO_NOTHING, related_name="reads", db_constraint=False
    )
    site = models.ForeignKey(
        "deployments.Site", on_delete=models.DO_NOTHING, related_name="reads", db_constraint=False
    )
    capture_id = models.CharField(max_length=64)
    confidence = models.FloatField(null=True)
    alternatives = models.JSONField(default=list)
    direction = models.CharField(max_length=8, choices=Direction.choices, blank=True)
    lane = models.PositiveSmallIntegerField(null=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    plate_image = models.CharField(max_length=255, blank=True)
    overview_image = models.CharField(max_length=255, blank=True)
    vehicle_make = models.CharField(max_length=50, blank=True, help_text="As the camera saw it.")
    vehicle_model = models.CharField(max_length=50, blank=True)
    vehicle_colour = models.CharField(max_length=30, blank=True)

    class Meta:
        managed = False
        db_table = "reads_read"

    def __str__(self) -> str:
        return f"{self.vrm} at {self.captured_at:%Y-%m-%d %H:%M:%S}"


class Analysis(models.Model):
    """A long analysis of reads for a case (cloned plates; later stakeout and convoy), run in
    the background with its progress and a result page (R-SEARCH-4). Audited once, like a
    search: when refused at the start, or when it has run."""

    class Kind(models.TextChoices):
        CLONES = "clones", "Cloned plates"
        CONVOY = "convoy", "Convoy (travelling with a vehicle)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="analyses"
    )
    purpose = models.ForeignKey(
        "access.SearchPurpose", on_delete=models.PROTECT, related_name="analyses"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    vrm = models.CharField(max_length=16, blank=True, help_text="The vehicle a convoy follows.")
    captured_from = models.DateTimeField()
    captured_to = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent done.")
    findings = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    touched_at = models.DateTimeField(null=True, blank=True, help_text="Last moved on.")
    finished_at = models.DateTimeField(null=True, blank=True)

    UNFINISHED = (Status.QUEUED, Status.RUNNING)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.purpose.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("reads:analysis_detail", args=[self.pk])


def _days(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class RetentionPolicy(models.Model):
    """How long each kind of personal data is kept, each on its own clock (R-RET-1). Never
    edited: a change is a new version saying who made it, when and why; the newest is in force.
    Keeping reads longer than READS_STANDARD_DAYS is a deliberate choice and needs a reason."""

    READS_STANDARD_DAYS = 365
    READS_MAX_DAYS = 730

    reads_days = models.PositiveSmallIntegerField(
        default=READS_STANDARD_DAYS, validators=_days(1, READS_MAX_DAYS),
        help_text="Reads and their images.",
    )  # fmt: skip
    alerts_days = models.PositiveSmallIntegerField(
        default=730, validators=_days(1, 3650), help_text="Hits and their alerts."
    )
    tracks_days = models.PositiveSmallIntegerField(
        default=365, validators=_days(1, READS_MAX_DAYS), help_text="Mobile units' GPS tracks."
    )
    frames_hours = models.PositiveSmallIntegerField(
        default=24, validators=_days(1, 168),
        help_text="Frames with no plate found, kept for camera diagnostics.",
    )  # fmt: skip
    reason = models.TextField(blank=True)
    changed_by = person_field()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name_plural = "retention policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reads_days__range=(1, 730), tracks_days__range=(1, 730),
                                   alerts_days__range=(1, 3650), frames_hours__range=(1, 168)),
                name="retention_policy_in_range",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"Reads {self.reads_days} days, alerts {self.alerts_days} days"

    @classmethod
    def in_force(cls) -> "RetentionPolicy":
        """The newest version (the defaults, recorded, before any change)."""
        return cls.objects.first() or cls.objects.create(
            reason="The defaults, in force until changed."
        )

    @classmethod
    def reads_days_now(cls) -> int:
        """The reads' retention in force, looked up at most every POLICY_CACHE_SECONDS in a
        process: the camera API asks for it with every batch."""
        cached = _reads_days.get("value")
        if cached is None or time.monotonic() - cached[0] > POLICY_CACHE_SECONDS:
            cached = _reads_days["value"] = (time.monotonic(), cls.in_force().reads_days)
        return cached[1]

    @staticmethod
    def forget() -> None:
        """Drop this process's cached figure (after a change)."""
        _reads_days.clear()


POLICY_CACHE_SECONDS = 60
_reads_days: dict[str, tuple[float, int]] = {}


class DeletionRecord(models.Model):
    """What one run of retention deleted, kept for auditors (R-RET-2): which data, which days,
    how many rows and files, when, and under which policy."""

    class What(models.TextChoices):
        READS = "reads", "Reads (day partitions dropped)"
        READ_IMAGES = "read_images", "Images of reads"
        ALERTS = "alerts", "Hits and alerts"
        TRACKS = "tracks", "GPS tracks of mobile units"
        FRAMES = "frames", "Diagnostic frames"
        HELD_READS = "held_reads", "Released legal holds' reads"
        NATIONAL_EXPORTS = "exports", "National exports sent"
        ANALYSES = "analyses", "Analyses of reads"

    at = models.DateTimeField(default=timezone.now)
    policy = models.ForeignKey(RetentionPolicy, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=12, choices=What.choices)
    days = models.JSONField(default=list, blank=True, help_text="The days deleted (ISO dates).")
    rows = models.PositiveBigIntegerField(default=0)
    files = models.PositiveBigIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0, help_text="Rows kept: under a legal hold.")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_what_display()}: {self.rows} rows, {self.files} files"


class LegalHold(models.Model):
    """Reads preserved for an investigation or prosecution beyond retention (R-RET-3). Asked by
    an investigator for a case (under one of their search purposes), approved by a senior
    officer who is not the requester, reviewed by a date. The reads are copied into the holds
    table (HeldRead) and their images into the holds store when it is asked, so nothing is lost
    while it waits; once released or refused, the copies go at the next retention run."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "In force"
        REFUSED = "refused", "Refused"
        RELEASED = "released", "Released"

    PRESERVING = (Status.PENDING, Status.ACTIVE)  # its copies are kept
    # A hold still waiting this many days after it was asked lapses, as refused, at the next
    # retention run: nothing preserves reads for long without an approver.
    DECISION_DAYS = 28

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds"
    )
    purpose = models.ForeignKey(
        "access.SearchPurpose", on_delete=models.PROTECT, related_name="legal_holds",
        help_text="The case (and offence) the reads are held for.",
    )  # fmt: skip
    reason = models.TextField()
    vrm = models.CharField(max_length=16, blank=True, help_text="Held by plate and period.")
    period_from = models.DateTimeField(null=True, blank=True)
    period_to = models.DateTimeField(null=True, blank=True)
    review_on = models.DateField(help_text="When the hold must be looked at again.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = person_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    released_by = person_field()
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)
    purged_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention deleted its copies, after release."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requester")),
                name="legal_hold_not_decided_by_requester",
            )
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk} for {self.purpose.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("reads:legalhold_detail", args=[self.pk])

    @property
    def review_overdue(self) -> bool:
        return self.status == self.Status.ACTIVE and self.review_on < timezone.localdate()


class HeldRead(models.Model):
    """A copy of a read under a legal hold, with its images copied into the holds store: it
    outlives the read's day partition until the hold is released."""

    hold = models.ForeignKey(LegalHold, on_delete=models.CASCADE, related_name="reads")
    read_id = models.UUIDField()
    vrm = models.CharField(max_length=16)
    vrm_raw = models.CharField(max_length=32)
    captured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    camera = models.ForeignKey(
        "cameras.Camera", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    site = models.ForeignKey(
        "deployments.Site", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    capture_id = models.CharField(max_length=64)
    confidence = models.FloatField(null=True)
    alternatives = models.JSONField(default=list)
    direction = models.CharField(max_length=8, blank=True)
    lane = models.PositiveSmallIntegerField(null=True)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    plate_image = models.CharField(max_length=255, blank=True)
    overview_image = models.CharField(max_length=255, blank=True)
    vehicle_make = models.CharField(max_length=50, blank=True)
    vehicle_model = models.CharField(max_length=50, blank=True)
    vehicle_colour = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-captured_at"]
        constraints = [
            models.UniqueConstraint(fields=["hold", "read_id"], name="held_read_once_per_hold")
        ]

    def __str__(self) -> str:
        return f"{self.vrm} at {self.captured_at:%Y-%m-%d %H:%M:%S} (hold {self.hold_id})"


class NationalExport(models.Model):
    """One day's reads written in the national capture format for submission upstream
    (R-RET-4), and what the transport made of it: part 0 the day's reads, each later part the
    day's reads received since the part before it (sent late)."""

    day = models.DateField(help_text="The capture day (UTC) exported.")
    part = models.PositiveSmallIntegerField(default=0, help_text="0: the day; 1...: late reads.")
    received_before = models.DateTimeField(
        null=True, blank=True, help_text="Holds the day's reads received before this."
    )
    reads = models.PositiveIntegerField()
    groups = models.PositiveIntegerField(help_text="Record groups of at most 50 reads.")
    manifest = models.CharField(max_length=255, help_text="Path of the manifest in storage.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the capture file.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    transport = models.CharField(max_length=100, blank=True)
    receipt = models.CharField(max_length=200, blank=True, help_text="What the transport said.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-day", "-part"]
        constraints = [
            models.UniqueConstraint(fields=["day", "part"], name="national_export_day_part")
        ]

    def __str__(self) -> str:
        late = f", late reads {self.part}" if self.part else ""
        return f"National export of {self.day}{late}: {self.reads} reads"
