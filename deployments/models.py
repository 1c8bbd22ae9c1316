"""Camera sites and their governance (R-SITE): deployment assessments, privacy impact
assessments (DPIAs), consultation, reviews and decommissioning, and the Surveillance Camera Code
self-assessment.

Assessments, consultations, reviews and status changes are evidential: never deleted (a database
trigger refuses it) and never edited once decided; a revision is a new record that supersedes the
one before it.
"""

from django.db import models
from django.utils import timezone

from core.models import person_field


class Site(models.Model):
    """A place where cameras stand. Reads are collected only while the site is justified."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ASSESSED = "assessed", "Assessed"
        APPROVED = "approved", "Approved"
        LIVE = "live", "Live"
        UNDER_REVIEW = "under_review", "Under review"
        DECOMMISSIONED = "decommissioned", "Decommissioned"

    class Deployment(models.TextChoices):
        FIXED = "fixed", "Fixed"
        TEMPORARY = "temporary", "Temporary"

    # A live site stays justified while its periodic review runs.
    COLLECTING = (Status.LIVE, Status.UNDER_REVIEW)
    # Where each status may lead. Reviews move a site between live and under review; any site
    # may be decommissioned, and that is final.
    TRANSITIONS = {
        Status.PROPOSED: (Status.ASSESSED, Status.DECOMMISSIONED),
        Status.ASSESSED: (Status.PROPOSED, Status.APPROVED, Status.DECOMMISSIONED),
        Status.APPROVED: (Status.LIVE, Status.DECOMMISSIONED),
        Status.LIVE: (Status.UNDER_REVIEW, Status.DECOMMISSIONED),
        Status.UNDER_REVIEW: (Status.LIVE, Status.DECOMMISSIONED),
        Status.DECOMMISSIONED: (),
    }
    # Its location and deployment may change only before it is approved; afterwards a move is
    # a relocation, decided by a review, with a new assessment for the new place.
    EDITABLE_LOCATION = (Status.PROPOSED, Status.ASSESSED)

    reference = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    area = models.CharField(max_length=100, help_text="Coarse area, shown to every role.")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    deployment = models.CharField(
        max_length=10, choices=Deployment.choices, default=Deployment.FIXED
    )
    ends_on = models.DateField(
        null=True, blank=True, help_text="When a temporary deployment is planned to end."
    )
    owner = person_field()
    next_review_due = models.DateField(null=True, blank=True)
    located_at = models.DateTimeField(
        default=timezone.now,
        help_text="When its location or deployment was last set: a consultation recorded "
        "before then was about another place.",
    )
    relocated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="relocations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("deployments:site_detail", args=[self.pk])

    @property
    def collects_reads(self) -> bool:
        return self.collection_refusal() is None

    def collection_refusal(self) -> str | None:
        """Why the site collects no reads now, or None: it is live, or under review with no
        revision of its assessment or DPIA rejected (a revision supersedes the approved record;
        rejected, nothing justifies the site until another is approved)."""
        if self.status not in self.COLLECTING:
            return f"Site {self.reference} is {self.get_status_display().lower()}"
        if self.status == self.Status.UNDER_REVIEW:
            for related, label in (("assessments", "deployment assessment"),
                                   ("privacy_assessments", "DPIA")):  # fmt: skip
                # The latest decided: a revision written since a rejection, still undecided,
                # justifies nothing yet.
                record = (getattr(self, related).exclude(decision=Decision.PENDING)
                          .order_by("-decided_at", "-pk").first())  # fmt: skip
                if record is not None and record.decision == Decision.REJECTED:
                    return f"Site {self.reference}'s revised {label} was rejected in its review"
        return None

    @property
    def review_overdue(self) -> bool:
        due = self.next_review_due
        return self.collects_reads and due is not None and due < timezone.localdate()

    def current(self, related: str):
        """The record in force of `assessments` or `privacy_assessments`: the latest one."""
        return getattr(self, related).filter(superseded_at__isnull=True).first()


class SiteStatusChange(models.Model):
    """One step of a site's lifecycle: who moved it, when, and why."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Site.Status.choices)
    to_status = models.CharField(max_length=20, choices=Site.Status.choices)
    note = models.TextField(blank=True)
    changed_by = person_field()
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.site.reference}: {self.from_status} -> {self.to_status}"


class Decision(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class DecidedRecord(models.Model):
    """What assessments and DPIAs share: an author, a decision by someone else, and
    supersession by a later revision."""

    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decision_note = models.TextField(blank=True)
    decided_by = person_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = person_field()
    created_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_approved(self) -> bool:
        return self.decision == Decision.APPROVED and self.superseded_at is None


class DeploymentAssessment(DecidedRecord):
    """Why the site is needed (R-SITE-2): the four factors with their evidence, the pressing
    need, the alternatives considered, the expected effectiveness, and the decision."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="assessments")
    pressing_need = models.TextField()
    alternatives_less_intrusive = models.TextField(
        "Less intrusive alternatives considered", help_text="And why they would not do."
    )
    alternatives_more_intrusive = models.TextField(
        "More intrusive alternatives considered", help_text="And why they are not needed."
    )
    expected_effectiveness = models.TextField(
        help_text="What the cameras are expected to achieve, and how it will be measured."
    )

    class Meta(DecidedRecord.Meta):
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("created_by")),
                name="assessment_not_decided_by_author",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.reference} deployment assessment {self.pk}"


class AssessmentFactor(models.Model):
    """One of the four factors of a deployment assessment, rated, with its evidence."""

    class Factor(models.TextChoices):
        NATIONAL_SECURITY = "national_security", "National security and counter terrorism"
        SERIOUS_CRIME = "serious_crime", "Serious, organised and major crime"
        LOCAL_CRIME = "local_crime", "Local crime"
        COMMUNITY = (
            "community",
            ("Community confidence and reassurance, crime prevention and reduction"),
        )

    class Rating(models.TextChoices):
        NONE = "none", "None"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    assessment = models.ForeignKey(
        DeploymentAssessment, on_delete=models.PROTECT, related_name="factors"
    )
    factor = models.CharField(max_length=20, choices=Factor.choices)
    rating = models.CharField(max_length=10, choices=Rating.choices)
    strategic_assessment = models.TextField(
        blank=True, help_text="The strategic assessment of the problem."
    )
    crime_figures = models.TextField(blank=True)
    intelligence = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "factor"], name="one_rating_per_factor")
        ]

    def __str__(self) -> str:
        return f"{self.get_factor_display()}: {self.get_rating_display()}"


class PrivacyAssessment(DecidedRecord):
    """The site's data protection impact assessment (R-SITE-3): screening, risks and their
    mitigations, the residual risk, and the data protection officer's sign-off."""

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    # The screening questions (the ICO's, for a camera site): any yes means a full DPIA.
    SCREENING = {
        "public_monitoring": "Does it systematically monitor a publicly accessible place?",
        "matching": "Is the data matched against other datasets (hotlists, national lists)?",
        "large_scale": "Is personal data processed on a large scale (every passing vehicle)?",
        "decisions": "Can it lead to decisions about people (stops, arrests, investigations)?",
        "sensitive_places": "Are there places nearby where people would not expect to be "
        "recorded or may be vulnerable (schools, places of worship, clinics, refuges)?",
        "sharing": "Is data shared with other organisations (the national ANPR service)?",
        "new_technology": "Does it use new technology, or an existing one in a new way?",
    }

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="privacy_assessments")
    screening = models.JSONField(default=dict, help_text="Screening question -> yes/no.")
    residual_risk = models.CharField(max_length=10, choices=Risk.choices)

    class Meta(DecidedRecord.Meta):
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("created_by")),
                name="dpia_not_signed_off_by_author",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.reference} DPIA {self.pk}"

    def screening_answers(self) -> list[tuple[str, bool | None]]:
        return [(question, self.screening.get(key)) for key, question in self.SCREENING.items()]


class PrivacyRisk(models.Model):
    """A risk to people's privacy, scored as the ICO's template does, and its mitigation."""

    class Likelihood(models.TextChoices):
        REMOTE = "remote", "Remote"
        POSSIBLE = "possible", "Possible"
        PROBABLE = "probable", "Probable"

    class Severity(models.TextChoices):
        MINIMAL = "minimal", "Minimal"
        SIGNIFICANT = "significant", "Significant"
        SEVERE = "severe", "Severe"

    assessment = models.ForeignKey(
        PrivacyAssessment, on_delete=models.PROTECT, related_name="risks"
    )
    description = models.TextField()
    likelihood = models.CharField(max_length=10, choices=Likelihood.choices)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    mitigation = models.TextField()
    residual = models.CharField(
        "Residual risk", max_length=10, choices=PrivacyAssessment.Risk.choices
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def inherent(self) -> str:
        """The risk before mitigation: likelihood x severity on the ICO's 3 x 3 grid."""
        score = list(self.Likelihood.values).index(self.likelihood) + list(
            self.Severity.values
        ).index(self.severity)
        return ("Low", "Low", "Medium", "High", "High")[score]


class Consultation(models.Model):
    """Who was consulted about the site, when, how and what they said; or the recorded reason
    consultation would defeat the purpose (R-SITE-3)."""

    class Method(models.TextChoices):
        MEETING = "meeting", "Meeting"
        PUBLIC_MEETING = "public_meeting", "Public meeting"
        LETTER = "letter", "Letter"
        EMAIL = "email", "Email"
        SURVEY = "survey", "Survey"
        PHONE = "phone", "Telephone"
        NOT_CONSULTED = "not_consulted", "Not consulted"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="consultations")
    method = models.CharField(max_length=20, choices=Method.choices)
    consultee = models.CharField(
        max_length=200, blank=True, help_text="The person or organisation consulted."
    )
    consulted_on = models.DateField(null=True, blank=True)
    response = models.TextField(blank=True)
    reason_not_consulted = models.TextField(
        blank=True, help_text="Why consulting would defeat the purpose of the deployment."
    )
    recorded_by = person_field()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(method="not_consulted") & ~models.Q(reason_not_consulted="")
                    | ~models.Q(method="not_consulted")
                    & ~models.Q(consultee="")
                    & models.Q(consulted_on__isnull=False)
                ),
                name="consultation_who_when_or_why_not",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site.reference}: {self.consultee or 'not consulted'}"


class Review(models.Model):
    """A periodic review of a live site (R-SITE-4), with the evidence from live data since the
    last review, and its outcome."""

    class Outcome(models.TextChoices):
        CONTINUE = "continue", "Continue"
        RELOCATE = "relocate", "Relocate"
        DECOMMISSION = "decommission", "Decommission"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="reviews")
    due_on = models.DateField(null=True, blank=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    evidence = models.JSONField(default=dict)
    findings = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    started_by = person_field()
    started_at = models.DateTimeField(default=timezone.now)
    completed_by = person_field()
    completed_at = models.DateTimeField(null=True, blank=True)
    successor = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The site proposed in its place, when it is relocated.",
    )  # fmt: skip

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(completed_at__isnull=True),
                name="one_open_review_per_site",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.site.reference} review {self.started_at:%Y-%m-%d}"

    @property
    def on_time(self) -> bool | None:
        if self.completed_at is None or self.due_on is None:
            return None
        return timezone.localdate(self.completed_at) <= self.due_on


class SelfAssessment(models.Model):
    """The force's self-assessment against the 12 guiding principles of the Surveillance Camera
    Code of Practice (R-SITE-5)."""

    created_by = person_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Self-assessment {timezone.localdate(self.created_at)}"


class PrincipleAnswer(models.Model):
    """One guiding principle: the answer, the evidence, and the action planned."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        PARTLY = "partly", "Partly"
        NO = "no", "No"

    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.PROTECT, related_name="answers"
    )
    principle = models.PositiveSmallIntegerField()
    answer = models.CharField(max_length=10, choices=Answer.choices)
    evidence = models.TextField()
    action = models.TextField("Action plan", blank=True)
    action_owner = models.CharField(max_length=100, blank=True)
    action_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["principle"]
        constraints = [
            models.UniqueConstraint(
                fields=["self_assessment", "principle"], name="one_answer_per_principle"
            ),
            models.CheckConstraint(
                condition=models.Q(principle__gte=1, principle__lte=12), name="principle_1_to_12"
            ),
        ]

    def __str__(self) -> str:
        return f"Principle {self.principle}: {self.get_answer_display()}"
