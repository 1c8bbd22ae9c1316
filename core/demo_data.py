"""Demo sites (assessed and live), cameras and hotlists, so the demo shows reads and alerts
accumulating.

Idempotent: everything is found by its reference or name and created only when missing.
"""

import random
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from access.roles import Role
from cameras.models import Camera
from cameras.simulator import uk_plate
from deployments.models import Consultation, PrivacyAssessment, Site
from deployments.services import (
    assessment_decide,
    assessment_submit,
    consultation_record,
    privacy_assessment_submit,
    site_transition,
)
from hotlist.models import Hotlist, HotlistEntry, Priority
from hotlist.selectors import RECEIVE_ALERTS

SITES = [
    ("NT-001", "A14 eastbound, junction 31", "Northtown", 52.2180, 0.0790),
    ("NT-002", "Ring road, Castle Street", "Northtown", 52.2110, 0.1130),
    ("ST-001", "A10 Station Road", "Southvale", 52.1390, 0.0560),
    ("ST-002", "Market Square approach", "Southvale", 52.1470, 0.0820),
    ("WH-001", "M11 slip road, junction 12", "Westham", 52.1800, 0.0600),
]

# Every operator receives the first three lists; only the inspector receives the restricted one.
HOTLISTS = [
    ("PNC stolen vehicles", Hotlist.Source.NATIONAL, Priority.HIGH, 1,
     HotlistEntry.Reason.STOLEN, HotlistEntry.Action.STOP, []),
    ("Force intelligence", Hotlist.Source.FORCE_INTELLIGENCE, Priority.MEDIUM, 1,
     HotlistEntry.Reason.INTELLIGENCE, HotlistEntry.Action.REPORT, []),
    ("No insurance (MID)", Hotlist.Source.INSURANCE, Priority.LOW, 0,
     HotlistEntry.Reason.NO_INSURANCE, HotlistEntry.Action.STOP, []),
    ("Firearms operation (restricted)", Hotlist.Source.FORCE_INTELLIGENCE, Priority.CRITICAL, 1,
     HotlistEntry.Reason.WANTED, HotlistEntry.Action.REPORT, [HotlistEntry.Warning.FIREARMS]),
]  # fmt: skip
RESTRICTED = "Firearms operation (restricted)"
ENTRIES_PER_LIST = 60
VEHICLES = [("Ford", "Focus", "Blue"), ("Vauxhall", "Corsa", "Silver"), ("BMW", "320d", "Black"),
            ("Toyota", "Yaris", "Red"), ("Volkswagen", "Golf", "Grey")]  # fmt: skip


@transaction.atomic
def seed(owner: User, restricted_to: User) -> None:
    for index, (reference, name, area, lat, lon) in enumerate(SITES):
        site, _ = Site.objects.get_or_create(
            reference=reference,
            defaults={"name": name, "area": area, "latitude": lat, "longitude": lon},
        )  # fmt: skip
        for n in (1, 2):
            Camera.objects.get_or_create(
                reference=f"CAM-{index + 1:02d}{n}",
                defaults={"name": f"{name} ({'towards' if n == 1 else 'away'})", "site": site,
                          "lanes": 2},
            )  # fmt: skip
    rng = random.Random(2026)  # the same plates every time the demo is seeded
    operators = Group.objects.get(name=Role.OPERATOR.value)
    for name, source, priority, tolerance, reason, action, warnings in HOTLISTS:
        hotlist, created = Hotlist.objects.get_or_create(
            name=name, owner=owner,
            defaults={"source": source, "default_priority": priority, "fuzzy_tolerance": tolerance},
        )  # fmt: skip
        assign_perm(RECEIVE_ALERTS, restricted_to if name == RESTRICTED else operators, hotlist)
        if created:
            start = timezone.now() - timedelta(days=30)
            for _ in range(ENTRIES_PER_LIST):
                make, model, colour = rng.choice(VEHICLES)
                HotlistEntry.objects.create(
                    hotlist=hotlist, vrm=uk_plate(rng), reason=reason, action=action,
                    make=make, model=model, colour=colour, valid_from=start,
                    warning_markers=warnings,
                    expires_at=start + timedelta(days=180), created_by=owner,
                )  # fmt: skip


@transaction.atomic
def seed_governance(*, lead: User, senior: User, dpo: User) -> None:
    """Each demo site assessed, signed off, consulted on and live, with reviews falling due
    at different times (one overdue); and one more site proposed, its assessment waiting."""
    demo_sites = Site.objects.filter(reference__in=[s[0] for s in SITES]).order_by("reference")
    for index, site in enumerate(demo_sites):
        if site.status != Site.Status.PROPOSED:
            continue
        _assess(site, lead=lead)
        for record, decider in ((site.current("assessments"), senior),
                                (site.current("privacy_assessments"), dpo)):  # fmt: skip
            assessment_decide(by=decider, record=record, approve=True)
        consultation_record(by=lead, site=site, method=Consultation.Method.PUBLIC_MEETING,
                            consultee=f"{site.area} residents' association",
                            consulted_on=timezone.localdate() - timedelta(days=60),
                            response="Supportive, asked for the yearly figures.")  # fmt: skip
        for status in (Site.Status.ASSESSED, Site.Status.APPROVED, Site.Status.LIVE):
            site_transition(by=lead, site=site, to=status)
        due = timezone.localdate() + timedelta(days=(-5, 20, 120, 200, 300)[index % 5])
        Site.objects.filter(pk=site.pk).update(next_review_due=due)
    proposed, created = Site.objects.get_or_create(
        reference="NT-003",
        defaults={"name": "B1049 Histon Road", "area": "Northtown", "latitude": 52.2290,
                  "longitude": 0.1090, "owner": lead},
    )  # fmt: skip
    if created:
        _assess(proposed, lead=lead)


def _assess(site: Site, *, lead: User) -> None:
    evidence = {"strategic_assessment": "Force strategic assessment 2026: vehicle-enabled "
                "acquisitive crime is a priority.", "crime_figures": "180 vehicle crimes and "
                "40 burglaries within 1 km in the last year.", "intelligence": "Graded B2 "
                "reports of an organised group using the route."}  # fmt: skip
    ratings = {"national_security": "low", "serious_crime": "high", "local_crime": "high",
               "community": "medium"}  # fmt: skip
    assessment_submit(
        by=lead, site=site,
        factors=[{"factor": f, "rating": r, **evidence} for f, r in ratings.items()],
        pressing_need="Vehicle-enabled crime on the route, detailed in the evidence.",
        alternatives_less_intrusive="Patrols and signage: tried, no lasting effect.",
        alternatives_more_intrusive="Video surveillance: not needed to identify vehicles.",
        expected_effectiveness="Hits on wanted and stolen vehicles; reviewed yearly.",
    )  # fmt: skip
    privacy_assessment_submit(
        by=lead, site=site, screening=dict.fromkeys(PrivacyAssessment.SCREENING, True),
        residual_risk="low",
        risks=[{"description": "Every passing vehicle is recorded, residents' included.",
                "likelihood": "probable", "severity": "significant",
                "mitigation": "90-day search window, purpose and audit for every search, "
                "365-day retention.", "residual": "low"}],
    )  # fmt: skip


def hotlisted_vrms() -> list[str]:
    return list(HotlistEntry.objects.values_list("vrm", flat=True))
