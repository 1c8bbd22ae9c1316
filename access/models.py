"""Access control: roles, capabilities, the access audit and (later) search purposes and grants."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone


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
        ]

    def __str__(self) -> str:
        return "capability"


GENESIS_HASH = "0" * 64  # what the first audit record follows


class AuditRecord(models.Model):
    """One access to personal data (an alert opened, an image viewed; later searches and
    exports), or a refusal of one (R-ACCESS-3).

    Append-only (a database trigger refuses UPDATE and DELETE) and hash-chained: each record's
    hash covers its content and the previous record's hash, so an edited or removed record
    breaks the chain from that point on.
    """

    class Action(models.TextChoices):
        ALERT_VIEW = "alert_view", "Alert opened"
        IMAGE_VIEW = "image_view", "Image viewed"

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
    detail = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="audit_user_at")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"

    def compute_hash(self) -> str:
        content = [self.previous_hash, self.at.isoformat(), self.user_id, self.action,
                   self.target, self.outcome, self.detail, self.address]  # fmt: skip
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()
