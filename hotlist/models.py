"""Hotlists of vehicles of interest, their entries, the matching index, alerts and the live
alert stream.
"""

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from core.models import person_field


class Priority(models.IntegerChoices):
    """Lower is more urgent; alerts sound and sort by it."""

    CRITICAL = 1, "Critical"
    HIGH = 2, "High"
    MEDIUM = 3, "Medium"
    LOW = 4, "Low"


def webhook_approved(url: str) -> bool:
    """Whether `url` goes to a host the force has approved (settings.WEBHOOK_ALLOWED_HOSTS)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == allowed.lower() or (allowed.startswith(".") and host.endswith(allowed))
               for allowed in settings.WEBHOOK_ALLOWED_HOSTS)  # fmt: skip


def approved_destination(url: str) -> None:
    if not webhook_approved(url):
        raise ValidationError(
            f"{urlsplit(url).hostname} is not a destination the force has approved for alerts "
            "(WEBHOOK_ALLOWED_HOSTS): ask the system administrator."
        )


class Hotlist(models.Model):
    """A list of vehicles of interest with an owner, a source and a matching policy."""

    class Source(models.TextChoices):
        NATIONAL = "national", "National (PNC extract)"
        FORCE_INTELLIGENCE = "force_intelligence", "Force intelligence"
        LOCAL = "local", "Local manual list"
        INSURANCE = "insurance", "Insurance status feed"
        MOT = "mot", "MOT status feed"

    class Marking(models.TextChoices):
        OFFICIAL = "official", "OFFICIAL"
        OFFICIAL_SENSITIVE = "official_sensitive", "OFFICIAL-SENSITIVE"
        SECRET = "secret", "SECRET"

    # Unique to its owner only: a clash with a list the person may not see would say it exists.
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hotlists"
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.LOCAL)
    default_priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.MEDIUM
    )
    protective_marking = models.CharField(
        max_length=20, choices=Marking.choices, default=Marking.OFFICIAL_SENSITIVE
    )
    fuzzy_tolerance = models.PositiveSmallIntegerField(
        default=1,
        help_text="Look-alike characters (0/O, 1/I, 8/B...) a read may differ by and still "
        "match; 0 matches the exact VRM only, ignoring alternative readings too.",
    )
    is_active = models.BooleanField(default=True)
    webhook_url = models.URLField(
        blank=True,
        validators=[URLValidator(schemes=["https"]), approved_destination],
        help_text="The list's alerts are also sent here as signed JSON (e.g. to a dispatch "
        "system). HTTPS only.",
    )
    webhook_secret = models.CharField(
        max_length=64, blank=True, help_text="HMAC-SHA256 key for the signature; made when empty."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="hotlist_name_per_owner")
        ]
        # Held per list (object permission, to users or groups): operators see and act on the
        # alerts of the lists they hold it for, and of no others.
        permissions = [
            ("receive_alerts", "Receive and act on this list's alerts"),
            ("manage_hotlist", "See and keep this list's entries"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.webhook_url and not self.webhook_secret:
            self.webhook_secret = secrets.token_hex(32)
        super().save(*args, **kwargs)

    @property
    def webhook_host(self) -> str:
        """Where the webhook goes, without the path and query (which may carry a token)."""
        return urlsplit(self.webhook_url).netloc


class HotlistEntry(models.Model):
    """One vehicle of interest on a hotlist: why, what to do, and until when (R-HOT-2)."""

    class Reason(models.TextChoices):
        STOLEN = "stolen", "Stolen"
        WANTED = "wanted", "Wanted / linked to offender"
        NO_INSURANCE = "no_insurance", "No insurance"
        NO_MOT = "no_mot", "No MOT"
        NO_TAX = "no_tax", "No tax"
        MISSING_PERSON = "missing_person", "Missing person"
        INTELLIGENCE = "intelligence", "Intelligence"
        COUNTER_TERRORISM = "counter_terrorism", "Counter terrorism"
        OTHER = "other", "Other"

    class Action(models.TextChoices):
        STOP = "stop", "Stop the vehicle"
        REPORT = "report", "Do not stop - report sighting"
        INTELLIGENCE_ONLY = "intelligence_only", "Intelligence only - no action"
        CONTACT_OWNER = "contact_owner", "Contact the entry owner"

    class Warning(models.TextChoices):
        FIREARMS = "firearms", "Firearms"
        WEAPONS = "weapons", "Weapons"
        VIOLENT = "violent", "Violent"
        DRUGS = "drugs", "Drugs"
        ESCAPE_RISK = "escape_risk", "Escape risk"
        MENTAL_HEALTH = "mental_health", "Mental health"
        SELF_HARM = "self_harm", "Self harm"
        CONTAGIOUS = "contagious", "Contagious"

    hotlist = models.ForeignKey(Hotlist, on_delete=models.PROTECT, related_name="entries")
    vrm = models.CharField(max_length=16, help_text="Canonical: upper case, no spaces.")
    make = models.CharField(max_length=50, blank=True)
    model = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=30, blank=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.REPORT)
    instruction = models.TextField(blank=True, help_text="What the officer should do, in words.")
    warning_markers = ArrayField(
        models.CharField(max_length=20, choices=Warning.choices), default=list, blank=True
    )
    information = models.TextField(blank=True)
    intelligence_grading = models.CharField(max_length=10, blank=True)
    source_reference = models.CharField(max_length=100, blank=True)
    owner_contact = models.CharField(max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, null=True, blank=True, help_text="Empty: the list's default."
    )
    valid_from = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Weed date.")
    created_by = person_field()
    approved_by = person_field()
    import_record = models.ForeignKey(
        "HotlistImport", null=True, blank=True, on_delete=models.PROTECT, related_name="entries",
        help_text="The bulk import that added it (bulk writes leave no change-log record).",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "hotlist entries"
        indexes = [models.Index(fields=["vrm"], name="hotlist_entry_vrm")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True)
                | models.Q(expires_at__gt=models.F("valid_from")),
                name="hotlist_entry_expires_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vrm} ({self.hotlist})"

    def get_absolute_url(self) -> str:
        return reverse("hotlist:hotlistentry_detail", args=[self.pk])

    def is_expired(self, now) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def warning_labels(self) -> list[str]:
        return [self.Warning(marker).label for marker in self.warning_markers]

    @property
    def effective_priority(self) -> int:
        return self.priority or self.hotlist.default_priority


class Alert(models.Model):
    """A hit: a read that matched a hotlist entry. The read is copied in, because alerts are
    kept longer than reads (each has its own retention clock) and reads have no foreign keys.
    """

    class MatchType(models.TextChoices):
        EXACT = "exact", "Exact"
        LOOK_ALIKE = "look_alike", "Look-alike characters"
        ALTERNATIVE = "alternative", "Alternative reading"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CLAIMED = "claimed", "Claimed"
        VERIFIED = "verified", "Verified"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    class Outcome(models.TextChoices):
        DEPLOYED = "deployed", "Resources deployed"
        STOPPED = "stopped", "Vehicle stopped"
        ARRESTED = "arrested", "Arrest made"
        NO_TRACE = "no_trace", "No trace"
        OTHER = "other", "Other"

    class RejectReason(models.TextChoices):
        MISREAD = "misread", "Misread: the plate in the image is not the VRM"
        WRONG_VEHICLE = "wrong_vehicle", "Wrong vehicle (e.g. cloned plate, other make)"
        OUT_OF_DATE = "out_of_date", "Hotlist entry out of date"
        DUPLICATE = "duplicate", "Duplicate of another alert"

    read_id = models.UUIDField()
    read_vrm = models.CharField(max_length=16, help_text="The VRM as read.")
    matched_vrm = models.CharField(max_length=16, help_text="The reading that matched.")
    captured_at = models.DateTimeField()
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="alerts")
    plate_image = models.CharField(max_length=255, blank=True)
    overview_image = models.CharField(max_length=255, blank=True)
    observed_make = models.CharField(max_length=50, blank=True, help_text="As the camera saw it.")
    observed_model = models.CharField(max_length=50, blank=True)
    observed_colour = models.CharField(max_length=30, blank=True)
    entry = models.ForeignKey(HotlistEntry, on_delete=models.PROTECT, related_name="alerts")
    hotlist = models.ForeignKey(Hotlist, on_delete=models.PROTECT, related_name="alerts")
    match_type = models.CharField(max_length=12, choices=MatchType.choices)
    historic = models.BooleanField(
        default=False,
        help_text="Not for the control room's queue: found by matching a new entry against "
        "stored reads, or by a read that arrived after its entry had expired.",
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now)
    escalated_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was escalated for lying unclaimed too long."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = person_field()
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = person_field()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = person_field()
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reject_reason = models.CharField(max_length=16, choices=RejectReason.choices, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["priority", "-created_at"]
        constraints = [
            # A read raises at most one alert per entry, however often it is ingested.
            models.UniqueConstraint(fields=["read_id", "entry"], name="alert_one_per_read_entry")
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="alert_status_created")]

    def __str__(self) -> str:
        return f"{self.read_vrm} on {self.hotlist} ({self.get_match_type_display()})"

    def get_absolute_url(self) -> str:
        return reverse("hotlist:alert_detail", args=[self.pk])

    def claim(self, *, by) -> None:
        """Take the alert to work on it; two operators can never hold the same alert."""
        self._move(
            by,
            {self.Status.NEW},
            "You have already claimed this alert.",
            status=self.Status.CLAIMED,
            claimed_by=by,
            claimed_at=timezone.now(),
        )

    def release(self, *, by) -> None:
        """The holder gives a claimed alert back to the queue, for another operator to take."""
        self._move(
            by,
            {self.Status.CLAIMED},
            "Only a claimed alert is given back.",
            status=self.Status.NEW,
            claimed_by=None,
            claimed_at=None,
        )

    @property
    def last_step_at(self) -> datetime | None:
        """When its holder last moved it on (claimed or verified it)."""
        if self.claimed_at is None:
            return None
        return max(self.claimed_at, self.verified_at or self.claimed_at)

    @property
    def take_over_from(self) -> datetime | None:
        """When another operator may take the alert over from its holder: ALERT_TAKE_OVER_SECONDS
        after the holder's last step (off shift, a browser lost, the list taken from them)."""
        last = self.last_step_at
        if last is None or self.status not in (self.Status.CLAIMED, self.Status.VERIFIED):
            return None
        return last + timedelta(seconds=settings.ALERT_TAKE_OVER_SECONDS)

    def take_over(self, *, by) -> None:
        """Take over an alert its holder has left (take_over_from), as it stands: nothing stays
        stuck with someone who has gone."""
        with transaction.atomic(), set_actor(by):
            current = Alert.objects.select_for_update().get(pk=self.pk)
            free_at = current.take_over_from
            if free_at is None or current.claimed_by_id == by.pk:
                raise AlertWorkflowError("Only an alert someone else holds is taken over.")
            if timezone.now() < free_at:
                raise AlertWorkflowError(
                    f"{current.refusal(by, '')} It may be taken over from "
                    f"{timezone.localtime(free_at):%H:%M:%S}."
                )
            current.claimed_by, current.claimed_at = by, timezone.now()
            current.save(update_fields=["claimed_by", "claimed_at"])
        self.refresh_from_db()

    def verify(self, *, by, image_matches: bool) -> None:
        """The holder has compared the plate image with the VRM: a match verifies the alert,
        a mismatch closes it as a misread. A read without an image cannot be verified (nor
        accepted): there is nothing to check the VRM by."""
        now = timezone.now()
        if image_matches:
            self._move(
                by,
                {self.Status.CLAIMED},
                "Claim the alert before verifying it.",
                needs_image=True,
                status=self.Status.VERIFIED,
                verified_by=by,
                verified_at=now,
            )
        else:
            self._move(
                by,
                {self.Status.CLAIMED},
                "Claim the alert before verifying it.",
                status=self.Status.REJECTED,
                verified_by=by,
                verified_at=now,
                reject_reason=self.RejectReason.MISREAD,
                closed_by=by,
                closed_at=now,
            )

    def accept(self, *, by, outcome: str, notes: str = "") -> None:
        """Close a verified alert with what happened."""
        if outcome not in self.Outcome.values:
            raise AlertWorkflowError("Say what happened: an outcome is required to accept.")
        self._move(
            by,
            {self.Status.VERIFIED},
            "Verify the plate image before accepting.",
            status=self.Status.ACCEPTED,
            outcome=outcome,
            notes=notes,
            closed_by=by,
            closed_at=timezone.now(),
        )

    def reject(self, *, by, reason: str, notes: str = "") -> None:
        """Close a claimed or verified alert as not a real hit, saying why."""
        if reason not in self.RejectReason.values:
            raise AlertWorkflowError("Say why: a reason is required to reject an alert.")
        self._move(
            by,
            {self.Status.CLAIMED, self.Status.VERIFIED},
            "Claim the alert before rejecting it.",
            status=self.Status.REJECTED,
            reject_reason=reason,
            notes=notes,
            closed_by=by,
            closed_at=timezone.now(),
        )

    def _move(self, by, allowed: set, need: str, needs_image: bool = False, **changes) -> None:
        """Apply a workflow step under a row lock, change-logged with `by` as the actor; `need`
        says what must come first when the alert is not in an `allowed` state."""
        with transaction.atomic(), set_actor(by):
            current = Alert.objects.select_for_update().get(pk=self.pk)
            held_by_other = current.claimed_by_id not in (None, by.pk)
            if current.status not in allowed or held_by_other:
                raise AlertWorkflowError(current.refusal(by, need))
            if needs_image and not (current.plate_image or current.overview_image):
                raise AlertWorkflowError("No image came with this read: nothing to check it by.")
            for field, value in changes.items():
                setattr(current, field, value)
            current.save(update_fields=list(changes))
        self.refresh_from_db()

    def vehicle_comparison(self) -> list[tuple[str, str, str, bool]]:
        """(attribute, listed, observed, mismatch) for make, model and colour; a mismatch only
        where both are known and differ."""
        rows = []
        for label, listed, observed in (
            ("Make", self.entry.make, self.observed_make),
            ("Model", self.entry.model, self.observed_model),
            ("Colour", self.entry.colour, self.observed_colour),
        ):
            mismatch = bool(listed and observed) and listed.casefold() != observed.casefold()
            rows.append((label, listed, observed, mismatch))
        return rows

    def refusal(self, by, need: str) -> str:
        """Why `by` cannot take a step on this alert as it stands."""
        if self.status in (self.Status.ACCEPTED, self.Status.REJECTED):
            return f"This alert is already closed ({self.get_status_display().lower()})."
        holder = self.claimed_by
        if holder is not None and holder.pk != by.pk:
            return f"{holder.get_full_name() or holder.get_username()} has claimed this alert."
        return need


class AlertWorkflowError(Exception):
    """A workflow step that is not allowed now; the message says why, for the operator."""


class WebhookDelivery(models.Model):
    """One alert sent to its list's webhook: tried, retried with back-off, and then delivered
    or failed, for all to see (R-ALERT-5)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="delivery_status_created")]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} to {self.host}: {self.get_status_display()}"

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


class EntryChange(models.Model):
    """One change to an entry, in order (R-HOT-7): the revision mobile units sync by. Written for
    every save and delete of an entry, however it was made."""

    class Kind(models.TextChoices):
        SAVED = "saved", "Added or changed"
        REMOVED = "removed", "Removed"

    revision = models.BigAutoField(primary_key=True)
    hotlist = models.ForeignKey(Hotlist, on_delete=models.CASCADE, related_name="changes")
    entry_id = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["hotlist", "revision"], name="entry_change_list_rev")]

    def __str__(self) -> str:
        return f"{self.revision}: entry {self.entry_id} {self.kind}"


class HotlistImport(models.Model):
    """A bulk import of entries from a CSV file (R-HOT-5), kept: who, when, the file's SHA-256,
    the counts and each rejected row's reason."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking the rows"
        CHECKED = "checked", "Checked: waiting for your decision"
        IMPORTING = "importing", "Importing"
        DONE = "done", "Imported"
        REFUSED = "refused", "Not imported"
        LAPSED = "lapsed", "Not decided in time: not imported"
        FAILED = "failed", "Failed"

    hotlist = models.ForeignKey(Hotlist, on_delete=models.PROTECT, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    progress = models.PositiveSmallIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    valid_rows_only = models.BooleanField(default=False)
    decided_by = person_field()
    touched_at = models.DateTimeField(default=timezone.now, help_text="Last moved on.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename} into {self.hotlist}"

    def get_absolute_url(self) -> str:
        return reverse("hotlist:hotlistimport_detail", args=[self.pk])
