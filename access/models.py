"""Access control: roles, capabilities, search purposes, extended-access requests and grants, and
the access audit."""

import hashlib
import json
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_otp.models import Device

from core.models import person_field


class Capability(models.Model):
    """Anchor for the permissions that open a work area rather than guard one table's rows.

    It has no table. Roles (access/roles.py) hold these permissions; views require them.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("monitor_alerts", "Watch the live alert console and act on alerts"),
            ("search_reads", "Search reads for an investigation"),
            ("request_extended_access", "Ask for access to reads older than the standard window"),
            ("decide_extended_access", "Approve or refuse extended-access requests"),
            ("manage_sites", "Register and govern camera sites"),
            ("manage_hotlists", "Manage hotlists and their entries"),
            ("review_audit", "Review the search audit and change log"),
            ("administer_system", "Administer users, roles, cameras and settings"),
            ("view_exact_locations", "See cameras' exact positions, not only their area"),
            ("approve_deployments", "Approve or reject camera sites' deployment assessments"),
            ("sign_off_dpia", "Sign off camera sites' privacy impact assessments (DPIAs)"),
            ("assess_compliance", "Complete the Surveillance Camera Code self-assessment"),
            ("view_retention", "See retention settings, deletion records and legal holds"),
        ]

    def __str__(self) -> str:
        return "capability"


class OffenceCategory(models.Model):
    """An offence category a search or a grant names (R-SEARCH-1). The force keeps its own list
    on the admin site; only categories marked serious (serious, major or organised crime,
    counter terrorism) may justify access to reads older than the standard window."""

    name = models.CharField(max_length=100, unique=True)
    serious = models.BooleanField(
        default=False, help_text="Serious, major or organised crime, or counter terrorism."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-serious", "name"]
        verbose_name_plural = "offence categories"

    def __str__(self) -> str:
        return f"{self.name}{' (serious)' if self.serious else ''}"


class SearchPurpose(models.Model):
    """Why searches are run: the case they serve (R-SEARCH-1). Every search records one; a
    person may reuse theirs for follow-up searches in the same session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="search_purposes"
    )
    category = models.ForeignKey(OffenceCategory, on_delete=models.PROTECT, related_name="+")
    case_reference = models.CharField(max_length=40, help_text="Incident or crime reference.")
    justification = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_reference} ({self.category.name})"


class AccessRequest(models.Model):
    """A request for time-limited access to reads older than the standard window, for one case
    of serious crime (R-SEARCH-2). A senior officer other than the requester decides it; once
    approved it is a grant, until it expires or is revoked."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        REVOKED = "revoked", "Revoked"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_requests"
    )
    case_reference = models.CharField(max_length=40)
    category = models.ForeignKey(OffenceCategory, on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField(help_text="The oldest day of reads wanted.")
    date_to = models.DateField(help_text="The newest day of reads wanted.")
    justification = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = person_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = person_field()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Separation of duties, in the database too: nobody decides their own request.
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requester")),
                name="access_request_not_decided_by_requester",
            ),
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")),
                name="access_request_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Extended access for {self.case_reference} ({self.get_status_display()})"

    def is_active(self, now: datetime) -> bool:
        return (
            self.status == self.Status.APPROVED
            and self.expires_at is not None
            and now < self.expires_at
        )

    def state(self, now: datetime) -> str:
        """The status as a person would say it, with expiry."""
        if self.status == self.Status.APPROVED and not self.is_active(now):
            return "Expired"
        return self.get_status_display()


GENESIS_HASH = "0" * 64  # what the first audit record follows


class AuditRecord(models.Model):
    """One access to personal data (an alert opened, an image viewed; later searches and
    exports), or a refusal of one (R-ACCESS-3).

    Append-only (a database trigger refuses UPDATE and DELETE) and hash-chained: each record's
    hash covers its content and the previous record's hash, so an edited or removed record
    breaks the chain from that point on.
    """

    class Action(models.TextChoices):
        SEARCH = "search", "Search"
        EXPORT = "export", "Evidential export"
        ACCESS_REQUEST = "access_request", "Extended access asked"
        ACCESS_DECISION = "access_decision", "Extended access decided"
        ALERT_VIEW = "alert_view", "Alert opened"
        ALERT_ACTION = "alert_action", "Alert workflow step"
        IMAGE_VIEW = "image_view", "Image viewed"
        HOLD_REQUEST = "hold_request", "Legal hold asked"
        HOLD_DECISION = "hold_decision", "Legal hold decided"
        HOLD_RELEASE = "hold_release", "Legal hold released"
        HELD_READS_VIEW = "held_reads_view", "Held reads viewed"
        ANALYSIS_VIEW = "analysis_view", "Analysis findings viewed"

    # What the auditors' flags and dip-samples look at: an export runs its search again.
    SEARCHES = (Action.SEARCH, Action.EXPORT)

    class Outcome(models.TextChoices):
        OK = "ok", "Done"
        REFUSED = "refused", "Refused"
        ERROR = "error", "Failed"

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target = models.CharField(max_length=200, help_text="What was accessed.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OK)
    case_reference = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=100, blank=True, help_text="Offence category.")
    result_count = models.PositiveIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [
            models.Index(fields=["user", "-at"], name="audit_user_at"),
            models.Index(fields=["case_reference", "-at"], name="audit_case_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"

    def compute_hash(self) -> str:
        content = [self.previous_hash, self.at.isoformat(), self.user_id, self.action,
                   self.target, self.outcome, self.case_reference, self.category,
                   self.result_count, self.detail, self.address]  # fmt: skip
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()


class SearchReview(models.Model):
    """A search picked by dip-sampling for a supervisor's review, and what the review found
    (R-ACCESS-5)."""

    class Finding(models.TextChoices):
        PROPER = "proper", "Proper: necessary and proportionate"
        QUESTION = "question", "Questionable: followed up with the officer"
        MISUSE = "misuse", "Misuse: referred to professional standards"

    record = models.OneToOneField(AuditRecord, on_delete=models.PROTECT, related_name="review")
    sampled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sampled_at = models.DateTimeField(default=timezone.now)
    finding = models.CharField(max_length=10, choices=Finding.choices, blank=True)
    notes = models.TextField(blank=True)
    reviewed_by = person_field()
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sampled_at"]

    def __str__(self) -> str:
        return f"Review of {self.record}"


def backup_code_hash(code: str) -> str:
    """Backup codes are random (50 bits), so a fast hash is enough; typed with or without
    spaces and dashes, in either case."""
    normal = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(normal.encode()).hexdigest()


class BackupCodeDevice(Device):
    """A person's single-use backup codes: a second factor for when the authenticator app is
    lost. Only their hashes are kept; each works once."""

    def verify_token(self, token) -> bool:
        used = self.codes.filter(code_hash=backup_code_hash(str(token)), used_at__isnull=True)
        return used.update(used_at=timezone.now()) == 1  # one UPDATE: never twice

    def __str__(self) -> str:
        return f"Backup codes of {self.user}"


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Backup code of {self.device.user}{' (used)' if self.used_at else ''}"
