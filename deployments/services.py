"""Writes for camera-site governance: registering sites, moving them through their lifecycle,
recording assessments, DPIAs, consultations and reviews. Each in one transaction, attributed
and change-logged; evidential records are added and superseded, never changed once decided.
"""

import calendar
from datetime import date

from auditlog.context import set_actor
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import (
    AssessmentFactor,
    Consultation,
    Decision,
    DeploymentAssessment,
    PrincipleAnswer,
    PrivacyAssessment,
    PrivacyRisk,
    Review,
    SelfAssessment,
    Site,
    SiteStatusChange,
)
from .selectors import review_period_start, site_review_evidence

Status = Site.Status
# Revisions of a site's assessments are written before approval, or during a review.
REVISABLE = (Status.PROPOSED, Status.ASSESSED, Status.UNDER_REVIEW)


class SiteError(Exception):
    """A governance step that may not happen; the message says why."""


def months_after(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day where it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# What the site form changes; the lifecycle and review dates move only through the steps below.
DETAILS = ["reference", "name", "area", "latitude", "longitude", "deployment", "ends_on", "owner"]


def site_save(*, by, site: Site) -> Site:
    """Register a site (proposed, owned by its registrar unless another owner is named) or
    change its details. Its location and deployment are fixed once it is approved; moved
    before, its assessment and DPIA (which assessed the old place) are set aside, and an
    assessed site is proposed again. Once approved, a temporary deployment's planned end may
    be brought forward, never cleared or put back: a review decides whether it goes on. A
    decommissioned site is kept as it was."""
    with transaction.atomic(), set_actor(by):
        if site.pk is None:
            site.status = Status.PROPOSED
            site.owner = site.owner or by
            site.save()
            return site
        before = Site.objects.select_for_update().get(pk=site.pk)
        moved = any(getattr(before, field) != getattr(site, field)
                    for field in ("latitude", "longitude", "deployment"))  # fmt: skip
        if before.status == Status.DECOMMISSIONED:
            raise SiteError("A decommissioned site is kept as it was.")
        fixed = before.status not in Site.EDITABLE_LOCATION
        if moved and fixed:
            raise SiteError(f"An {before.get_status_display().lower()} site's location and "
                            "deployment are fixed: a review decides a relocation.")  # fmt: skip
        if fixed and before.ends_on and (not site.ends_on or site.ends_on > before.ends_on):
            raise SiteError("A temporary deployment's planned end may be brought forward, "
                            "not cleared or put back: its review decides whether it goes "
                            "on.")  # fmt: skip
        if moved:
            site.located_at = timezone.now()
        site.save(update_fields=[*DETAILS, "updated_at", *(["located_at"] if moved else [])])
        if moved:
            _supersede(site, "assessments")
            _supersede(site, "privacy_assessments")
            if before.status == Status.ASSESSED:
                _move(site, Status.PROPOSED, by=by, note="Moved: its assessment and DPIA "
                      "were for the old place, so both are to be written again.")  # fmt: skip
    return site


def site_blockers(site: Site, to: str) -> list[str]:
    """What stops the site becoming `to` now (empty: nothing)."""
    if to not in Site.TRANSITIONS[Status(site.status)]:
        return [f"A {site.get_status_display().lower()} site cannot become "
                f"{Status(to).label.lower()}."]  # fmt: skip
    if to == Status.ASSESSED:
        return [f"{label} is not written yet." for label, related in
                (("The deployment assessment", "assessments"), ("The DPIA", "privacy_assessments"))
                if site.current(related) is None]  # fmt: skip
    if to in (Status.APPROVED, Status.LIVE):
        return approval_blockers(site)
    return []


def approval_blockers(site: Site) -> list[str]:
    """What a site lacks to be approved or to go live (R-SITE-2)."""
    missing = []
    assessment = site.current("assessments")
    if not (assessment and assessment.is_approved):
        missing.append("The deployment assessment is not approved.")
    dpia = site.current("privacy_assessments")
    if not (dpia and dpia.is_approved):
        missing.append("The DPIA is not signed off by the data protection officer.")
    if not site.consultations.filter(recorded_at__gte=site.located_at).exists():
        missing.append(
            "No consultation is recorded, nor the reason not to consult"
            + (", since the site moved." if site.consultations.exists() else ".")
        )
    if site.deployment == Site.Deployment.TEMPORARY and not site.ends_on:
        missing.append("A temporary deployment needs its planned end date.")
    return missing


def manual_steps(site: Site) -> list[Status]:
    """The lifecycle steps taken here; a review takes a live site to review and back."""
    return [Status(to) for to in Site.TRANSITIONS[Status(site.status)]
            if (to != Status.UNDER_REVIEW and site.status != Status.UNDER_REVIEW)
            or to == Status.DECOMMISSIONED]  # fmt: skip


def site_transition(*, by, site: Site, to: str, note: str = "") -> Site:
    """Move a site along its lifecycle, when everything the step needs is in place."""
    if to == Status.DECOMMISSIONED and not note.strip():
        raise SiteError("Say why the site is decommissioned.")
    with transaction.atomic(), set_actor(by):
        site = Site.objects.select_for_update().get(pk=site.pk)  # its status as it stands
        if to in Site.TRANSITIONS[Status(site.status)] and to not in manual_steps(site):
            raise SiteError("Reviews start and finish on the review page.")
        blockers = site_blockers(site, to)
        if blockers:
            raise SiteError(" ".join(blockers))
        if to == Status.DECOMMISSIONED:
            # An urgent decommissioning closes the review that was running.
            open_review = site.reviews.filter(completed_at__isnull=True).first()
            if open_review:
                _review_evidence(open_review)
                _review_record(open_review, by=by, outcome=Review.Outcome.DECOMMISSION,
                               findings=note)  # fmt: skip
        if to == Status.APPROVED:
            site.next_review_due = months_after(timezone.localdate(), settings.SITE_REVIEW_MONTHS)
        _move(site, to, by=by, note=note)
    return site


def _move(site: Site, to: str, *, by, note: str) -> None:
    SiteStatusChange.objects.create(site=site, from_status=site.status, to_status=to,
                                    note=note.strip(), changed_by=by)  # fmt: skip
    site.status = to
    site.save()


def _revisable(site: Site) -> None:
    if site.status not in REVISABLE:
        raise SiteError(f"A {site.get_status_display().lower()} site's assessments are revised "
                        "during its review.")  # fmt: skip


def _supersede(site: Site, related: str) -> None:
    for record in getattr(site, related).filter(superseded_at__isnull=True):
        record.superseded_at = timezone.now()
        record.save(update_fields=["superseded_at"])  # saved one by one: change-logged


def assessment_submit(*, by, site: Site, factors: list[dict], **fields) -> DeploymentAssessment:
    """A deployment assessment, rating each of the four factors with its evidence; it
    supersedes the site's previous one and waits for a decision."""
    if sorted(f["factor"] for f in factors) != sorted(AssessmentFactor.Factor.values):
        raise SiteError("Rate each of the four factors once.")
    with transaction.atomic(), set_actor(by):
        site = Site.objects.select_for_update().get(pk=site.pk)
        _revisable(site)
        _supersede(site, "assessments")
        assessment = DeploymentAssessment.objects.create(site=site, created_by=by, **fields)
        for factor in factors:  # one by one, so each is change-logged
            AssessmentFactor.objects.create(assessment=assessment, **factor)
    return assessment


def privacy_assessment_submit(
    *, by, site: Site, screening: dict[str, bool], residual_risk: str, risks: list[dict]
) -> PrivacyAssessment:
    """A DPIA with at least one risk and its mitigation; it supersedes the site's previous one
    and waits for the data protection officer's sign-off."""
    if set(screening) != set(PrivacyAssessment.SCREENING):
        raise SiteError("Answer every screening question.")
    if not risks:
        raise SiteError("Record at least one risk to privacy and its mitigation.")
    with transaction.atomic(), set_actor(by):
        site = Site.objects.select_for_update().get(pk=site.pk)
        _revisable(site)
        _supersede(site, "privacy_assessments")
        dpia = PrivacyAssessment.objects.create(site=site, created_by=by, screening=screening,
                                                residual_risk=residual_risk)  # fmt: skip
        for risk in risks:
            PrivacyRisk.objects.create(assessment=dpia, **risk)
    return dpia


# Who decides what: a senior officer the deployment, the data protection officer the DPIA.
DECIDERS = {
    DeploymentAssessment: ("access.approve_deployments", "a deployment assessment"),
    PrivacyAssessment: ("access.sign_off_dpia", "a DPIA"),
}


def assessment_decide(
    *, by, record: DeploymentAssessment | PrivacyAssessment, approve: bool, note: str = ""
):
    """Approve or reject the site's assessment in force, never one's own."""
    permission, what = DECIDERS[type(record)]
    if not by.has_perm(permission):
        raise SiteError(f"You may not decide {what}.")
    if record.created_by_id == by.pk:
        raise SiteError(f"You cannot decide {what} you wrote: someone else must.")
    if not approve and not note.strip():
        raise SiteError("Give the reason for rejecting it.")
    with transaction.atomic(), set_actor(by):
        record = type(record).objects.select_for_update().select_related("site").get(pk=record.pk)
        if record.superseded_at or record.decision != Decision.PENDING:
            raise SiteError(f"This is not {what} waiting for a decision.")
        if record.site.status == Status.DECOMMISSIONED:
            raise SiteError("The site is decommissioned: there is nothing to decide.")
        record.decision = Decision.APPROVED if approve else Decision.REJECTED
        record.decision_note, record.decided_by = note.strip(), by
        record.decided_at = timezone.now()
        record.save()
    return record


def consultation_record(*, by, site: Site, **fields) -> Consultation:
    """Record a consultation (who, when, how, the response) or why there was none."""
    if site.status == Status.DECOMMISSIONED:
        raise SiteError("The site is decommissioned.")
    with transaction.atomic(), set_actor(by):
        return Consultation.objects.create(site=site, recorded_by=by, **fields)


def review_start(*, by, site: Site) -> Review:
    """Open the periodic review of a live site, with the evidence since its last review."""
    with transaction.atomic(), set_actor(by):
        site = Site.objects.select_for_update().get(pk=site.pk)
        if site.status != Status.LIVE:
            raise SiteError("Only a live site is reviewed.")
        start, end = review_period_start(site), timezone.now()
        review = Review.objects.create(
            site=site, due_on=site.next_review_due, period_start=start, period_end=end,
            evidence=site_review_evidence(site, start, end), started_by=by,
        )  # fmt: skip
        _move(site, Status.UNDER_REVIEW, by=by, note="Periodic review started.")
    return review


def review_complete(
    *, by, review: Review, outcome: str, findings: str, next_review_due: date | None = None
) -> Review:
    """Record the review's findings and outcome, with the evidence brought up to date:
    continue (the next review due within 12 months), relocate (a new site is proposed in its
    place and the cameras move to it, collecting nothing until it is approved), or
    decommission (its cameras refuse reads from now on)."""
    if not findings.strip():
        raise SiteError("Record the review's findings.")
    with transaction.atomic(), set_actor(by):
        # The site before its review, as decommissioning takes them: neither waits on the other.
        site = Site.objects.select_for_update().get(pk=review.site_id)
        review = Review.objects.select_for_update().select_related("site").get(pk=review.pk)
        if review.completed_at:
            raise SiteError("This review is already complete.")
        _review_evidence(review)  # before a relocation moves the cameras away
        if outcome == Review.Outcome.CONTINUE:
            _continue(site, by=by, next_review_due=next_review_due)
        elif outcome == Review.Outcome.RELOCATE:
            review.successor = _relocate(site, by=by)
        elif outcome == Review.Outcome.DECOMMISSION:
            _move(site, Status.DECOMMISSIONED, by=by, note=findings)
        else:
            raise SiteError("Choose the review's outcome: continue, relocate or decommission.")
        _review_record(review, by=by, outcome=outcome, findings=findings)
    return review


def _review_evidence(review: Review) -> None:
    review.period_end = timezone.now()
    review.evidence = site_review_evidence(review.site, review.period_start, review.period_end)


def _review_record(review: Review, *, by, outcome: str, findings: str) -> None:
    """Close the review: once saved, a database trigger keeps it as it is."""
    review.outcome, review.findings = outcome, findings.strip()
    review.completed_by, review.completed_at = by, review.period_end
    review.save()


def _continue(site: Site, *, by, next_review_due: date | None) -> None:
    blockers = approval_blockers(site)
    if blockers:
        raise SiteError("To continue, the site needs: " + " ".join(blockers))
    today = timezone.localdate()
    latest = months_after(today, settings.SITE_REVIEW_MONTHS)
    due = next_review_due or latest
    if not today < due <= latest:
        raise SiteError(
            f"The next review falls after today and at most "
            f"{settings.SITE_REVIEW_MONTHS} months away ({latest:%d %b %Y})."
        )
    site.next_review_due = due
    _move(site, Status.LIVE, by=by, note="Review: continue.")


def _relocate(site: Site, *, by) -> Site:
    number = 1
    while Site.objects.filter(reference=f"{site.reference[:26]}-R{number}").exists():
        number += 1
    successor = Site.objects.create(
        reference=f"{site.reference[:26]}-R{number}", name=site.name, area=site.area,
        deployment=site.deployment, ends_on=site.ends_on, owner=site.owner,
        relocated_from=site,
    )  # fmt: skip
    for camera in site.cameras.all():
        camera.site = successor
        camera.save(update_fields=["site"])
    _move(site, Status.DECOMMISSIONED, by=by,
          note=f"Review: relocate to {successor.reference}.")  # fmt: skip
    return successor


def self_assessment_create(*, by, answers: list[dict]) -> SelfAssessment:
    """The Surveillance Camera Code self-assessment: an answer for each of the 12 principles."""
    if sorted(a["principle"] for a in answers) != list(range(1, 13)):
        raise SiteError("Answer each of the 12 guiding principles once.")
    with transaction.atomic(), set_actor(by):
        assessment = SelfAssessment.objects.create(created_by=by)
        for answer in answers:
            PrincipleAnswer.objects.create(self_assessment=assessment, **answer)
    return assessment
