"""Camera sites and their governance: deployment assessments, privacy impact assessments,
consultation, reviews and decommissioning.
"""

from django.db import models


class Site(models.Model):
    """A place where cameras stand. Reads are collected only while the site is justified."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ASSESSED = "assessed", "Assessed"
        APPROVED = "approved", "Approved"
        LIVE = "live", "Live"
        UNDER_REVIEW = "under_review", "Under review"
        DECOMMISSIONED = "decommissioned", "Decommissioned"

    # A live site stays justified while its periodic review runs.
    COLLECTING = (Status.LIVE, Status.UNDER_REVIEW)

    reference = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    area = models.CharField(max_length=100, help_text="Coarse area, shown to every role.")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def collects_reads(self) -> bool:
        return self.status in self.COLLECTING
