"""The read store: ingest, day partitions, search, analytics, evidential export and retention."""

from django.db import models


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
