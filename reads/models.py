"""The read store: ingest, day partitions, search, analytics, evidential export and retention."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


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
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.purpose.case_reference}"

    def get_absolute_url(self) -> str:
        return reverse("reads:analysis_detail", args=[self.pk])
