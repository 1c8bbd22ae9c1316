"""Camera-site governance (R-SITE-1..6): the lifecycle and its approvals, reviews with evidence
from live data, decommissioning that stops collection, who sees locations, and the public page."""

import json
import math
import re
import zlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import OffenceCategory
from cameras.models import Camera
from cameras.services import camera_credential_issue
from deployments.models import (
    AssessmentFactor,
    Decision,
    PrivacyAssessment,
    Review,
    Site,
    SiteStatusChange,
)
from deployments.services import (
    SiteError,
    approval_blockers,
    assessment_decide,
    assessment_submit,
    consultation_record,
    months_after,
    privacy_assessment_submit,
    review_complete,
    review_start,
    site_save,
    site_transition,
)
from hotlist.models import Alert
from reads.export import read_export
from reads.search import Criteria, read_search, search_purpose_create
from tests.factories import CameraFactory, HotlistEntryFactory, SiteFactory, sign_in_verified
from tests.test_ingest import ingest, plain_read

pytestmark = pytest.mark.django_db

ASSESSMENT = {
    "pressing_need": "Vehicle-borne burglary and drug supply on the A14 corridor.",
    "alternatives_less_intrusive": "Patrols and signage: tried for a year, no reduction.",
    "alternatives_more_intrusive": "Overt CCTV with video: not needed to identify vehicles.",
    "expected_effectiveness": "Hits on wanted vehicles; measured by outcomes at review.",
}
SCREENING = dict.fromkeys(PrivacyAssessment.SCREENING, True)
RISK = {"description": "Every passing vehicle is recorded, including residents'.",
        "likelihood": "probable", "severity": "significant",
        "mitigation": "90-day search window, audited searches, 365-day retention.",
        "residual": "low"}  # fmt: skip


def factors(rating="high") -> list[dict]:
    return [{"factor": factor, "rating": rating, "strategic_assessment": "Force strategic "
             "assessment 2026", "crime_figures": "212 burglaries", "intelligence": "Grade B2"}
            for factor in AssessmentFactor.Factor.values]  # fmt: skip


def written(personas, site):
    """The deployment assessment and DPIA written by the intelligence lead."""
    intel = personas["intel"]
    assessment = assessment_submit(by=intel, site=site, factors=factors(), **ASSESSMENT)
    dpia = privacy_assessment_submit(by=intel, site=site, screening=SCREENING,
                                     residual_risk="low", risks=[RISK])  # fmt: skip
    return assessment, dpia


def live_site(personas, **fields) -> Site:
    """A site taken through every approval and live."""
    site = SiteFactory(status="proposed", owner=personas["intel"], **fields)
    intel = personas["intel"]
    assessment, dpia = written(personas, site)
    site_transition(by=intel, site=site, to="assessed")
    assessment_decide(by=personas["senior"], record=assessment, approve=True)
    assessment_decide(by=personas["auditor"], record=dpia, approve=True)
    consultation_record(by=intel, site=site, method="public_meeting", consultee="Residents",
                        consulted_on=timezone.localdate(), response="In favour.")  # fmt: skip
    site_transition(by=intel, site=site, to="approved")
    return site_transition(by=intel, site=site, to="live")


def refusal(call) -> str:
    with pytest.raises(SiteError) as raised:
        call()
    return str(raised.value)


def test_a_site_cannot_go_live_without_the_three_approvals(personas):
    intel = personas["intel"]
    site = SiteFactory(status="proposed")

    def move(to):
        return lambda: site_transition(by=intel, site=site, to=to)

    assert "A proposed site cannot become live" in refusal(move("live"))
    assert "The deployment assessment is not written yet" in refusal(move("assessed"))
    assessment, dpia = written(personas, site)
    site = site_transition(by=intel, site=site, to="assessed")
    missing = refusal(move("approved"))
    for needed in ("deployment assessment is not approved", "DPIA is not signed off",
                   "No consultation is recorded"):  # fmt: skip
        assert needed in missing
    assessment_decide(by=personas["senior"], record=assessment, approve=True)
    assessment_decide(by=personas["auditor"], record=dpia, approve=True)
    assert refusal(move("approved")) == (
        "No consultation is recorded, nor the reason not to consult."
    )
    consultation_record(by=intel, site=site, method="not_consulted",
                        reason_not_consulted="Covert deployment against an organised crime "
                        "group: notice would defeat it.")  # fmt: skip
    site = site_transition(by=intel, site=site, to="approved")
    assert site.next_review_due == months_after(timezone.localdate(), 12)
    site = site_transition(by=intel, site=site, to="live")
    assert site.collects_reads
    steps = list(
        site.status_changes.order_by("changed_at", "pk").values_list("to_status", flat=True)
    )
    assert steps == ["assessed", "approved", "live"]


def test_each_approval_is_decided_by_its_own_role_and_never_by_the_author(personas):
    site = SiteFactory(status="proposed")
    assessment, dpia = written(personas, site)
    intel, senior, auditor = personas["intel"], personas["senior"], personas["auditor"]
    assert "may not decide a DPIA" in refusal(
        lambda: assessment_decide(by=senior, record=dpia, approve=True)
    )
    assert "may not decide a deployment assessment" in refusal(
        lambda: assessment_decide(by=auditor, record=assessment, approve=True)
    )
    assert "may not decide" in refusal(
        lambda: assessment_decide(by=intel, record=assessment, approve=True)
    )
    assert "reason for rejecting" in refusal(
        lambda: assessment_decide(by=senior, record=assessment, approve=False)
    )
    # Someone holding both roles still cannot decide what they wrote.
    inspector = personas["inspector"]
    own = assessment_submit(by=inspector, site=site, factors=factors(), **ASSESSMENT)
    assert "cannot decide a deployment assessment you wrote" in refusal(
        lambda: assessment_decide(by=inspector, record=own, approve=True)
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        own.decided_by = inspector
        own.save()


def test_a_revision_supersedes_the_record_in_force_and_needs_its_own_decision(personas):
    site = SiteFactory(status="proposed")
    first, _ = written(personas, site)
    assessment_decide(by=personas["senior"], record=first, approve=True)
    second = assessment_submit(by=personas["intel"], site=site, factors=factors("medium"),
                               **ASSESSMENT)  # fmt: skip
    first.refresh_from_db()
    assert first.superseded_at is not None and first.decision == Decision.APPROVED
    assert site.current("assessments") == second and not second.is_approved
    assert "not a deployment assessment waiting" in refusal(
        lambda: assessment_decide(by=personas["senior"], record=first, approve=False, note="x")
    )
    site = site_transition(by=personas["intel"], site=site, to="assessed")
    assert "assessment is not approved" in refusal(
        lambda: site_transition(by=personas["intel"], site=site, to="approved")
    )


def test_governance_records_are_evidential_never_deleted_nor_edited_once_decided(personas):
    site = live_site(personas)
    assessment = site.current("assessments")
    assessment.pressing_need = "Rewritten after the decision."
    with pytest.raises(DatabaseError, match="kept as decided"), transaction.atomic():
        assessment.save()
    consultation = site.consultations.first()
    consultation.response = "Changed."
    with pytest.raises(DatabaseError, match="kept as written"), transaction.atomic():
        consultation.save()
    for table in ("deploymentassessment", "assessmentfactor", "privacyassessment", "privacyrisk",
                  "consultation", "sitestatuschange"):  # fmt: skip
        refused = pytest.raises(DatabaseError, match="records are kept")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM deployments_{table}")
    assert site.assessments.count() == 1


def test_a_live_sites_assessments_are_revised_only_during_its_review(personas):
    site = live_site(personas)
    assert "revised during its review" in refusal(lambda: written(personas, site))


@pytest.fixture
def category(offence_categories):
    return OffenceCategory.objects.get(name="Robbery")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_review_evidence_equals_counts_taken_straight_from_the_data(personas, category):
    site = live_site(personas)
    # It went live ten days ago.
    went_live = timezone.now() - timedelta(days=10)
    with connection.cursor() as cursor:  # back-dated, with the keep-as-written trigger off
        trigger = "deployments_sitestatuschange_as_written"
        cursor.execute(f"ALTER TABLE deployments_sitestatuschange DISABLE TRIGGER {trigger}")
        SiteStatusChange.objects.filter(site=site, to_status="live").update(changed_at=went_live)
        cursor.execute(f"ALTER TABLE deployments_sitestatuschange ENABLE TRIGGER {trigger}")
    north, south = CameraFactory(site=site), CameraFactory(site=site)
    elsewhere = CameraFactory()
    for camera in (north, south, elsewhere):
        camera.created_at = went_live - timedelta(days=30)
        camera.save()
    for vrm, reason in (("HIT1ONE", "stolen"), ("HIT2TWO", "no_insurance")):
        HotlistEntryFactory(vrm=vrm, reason=reason, valid_from=went_live - timedelta(days=30))
    now = timezone.now()
    for n, hours_ago in enumerate([3, 5, 30, 31, 75, 150, 151, 200, 230]):
        vrm = ("HIT1ONE", "HIT2TWO", f"AB{n:02d}CDE")[n % 3]
        ingest(north if n % 2 else south, [plain_read(vrm, now - timedelta(hours=hours_ago),
                                                     capture_id=f"s{n}")])  # fmt: skip
    ingest(north, [plain_read("OLD1OLD", went_live - timedelta(days=1), capture_id="old")])
    ingest(elsewhere, [plain_read("ELS1ELS", now - timedelta(hours=4), capture_id="e")])
    Alert.objects.filter(read_vrm="HIT1ONE").update(status="accepted", outcome="arrested")
    first = Alert.objects.filter(read_vrm="HIT2TWO").order_by("pk").first()
    Alert.objects.filter(pk=first.pk).update(status="rejected", reject_reason="misread")

    investigator = personas["investigator"]
    purpose = search_purpose_create(
        user=investigator,
        category=category,
        case_reference="NT/12345/26",
        justification="The stolen car used in the robbery.",
    )
    since = now - timedelta(days=20)
    for plate in ("HIT1ONE", "ELS1ELS", "NOPE123"):  # only the first returns reads from here
        read_search(user=investigator, purpose=purpose, criteria=Criteria(plate, since))
    read_export(user=investigator, purpose=purpose, criteria=Criteria("HIT2TWO", since), fmt="csv")

    review = review_start(by=personas["intel"], site=site)
    evidence = review.evidence
    start, end = review.period_start, review.period_end
    assert start == went_live
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (captured_at AT TIME ZONE 'Europe/London')::date, count(*) FROM reads_read"
            " WHERE site_id = %s AND captured_at >= %s AND captured_at < %s GROUP BY 1 ORDER BY 1",
            [site.pk, start, end],
        )
        per_day = [[day.isoformat(), n] for day, n in cursor.fetchall()]
        cursor.execute(
            "SELECT e.reason, a.status, a.outcome, a.reject_reason, count(*) FROM hotlist_alert a"
            " JOIN hotlist_hotlistentry e ON e.id = a.entry_id JOIN cameras_camera c"
            " ON c.id = a.camera_id WHERE c.site_id = %s GROUP BY 1, 2, 3, 4",
            [site.pk],
        )
        alerts = sorted(cursor.fetchall())
        cursor.execute(
            "SELECT c.reference, count(DISTINCT date_trunc('hour', r.captured_at)) FROM reads_read"
            " r JOIN cameras_camera c ON c.id = r.camera_id WHERE r.site_id = %s AND"
            " r.captured_at >= %s AND r.captured_at < %s GROUP BY 1 ORDER BY 1",
            [site.pk, start, end],
        )
        hours_with_reads = dict(cursor.fetchall())
    assert evidence["reads_total"] == 9 == sum(n for _, n in per_day)
    assert evidence["per_day"] == per_day
    days = (end - start).total_seconds() / 86400
    assert evidence["reads_per_day"] == round(9 / days, 1)
    assert evidence["days"] == round(days, 1) == 10.0
    assert alerts == [("no_insurance", "new", "", "", 2), ("no_insurance", "rejected", "",
                                                          "misread", 1),
                      ("stolen", "accepted", "arrested", "", 3)]  # fmt: skip
    assert evidence["hits"] == [
        {"category": "No insurance", "outcome": "Open", "count": 2},
        {"category": "No insurance", "outcome": "Rejected: Misread", "count": 1},
        {"category": "Stolen", "outcome": "Accepted: Arrest made", "count": 3},
    ]
    assert (evidence["searches"], evidence["search_cases"]) == (2, 1)
    uptime = {c["camera"]: c["hours_with_reads"] for c in evidence["cameras"]}
    assert uptime == hours_with_reads
    started_hours = math.ceil((end - start.replace(minute=0, second=0, microsecond=0))
                              .total_seconds() / 3600)  # fmt: skip
    assert [c["hours"] for c in evidence["cameras"]] == [started_hours] * 2

    page = _client(personas, "intel").get(f"/sites/reviews/{review.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="evidence-reads">9<' in html
    assert "Accepted: Arrest made" in html


def _client(personas, name):
    from django.test import Client

    client = Client()
    sign_in_verified(client, personas[name])
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_decommissioning_at_review_makes_the_sites_cameras_refuse_reads_and_count_them(
    personas, client_for
):
    site = live_site(personas)
    camera = CameraFactory(site=site)
    token = camera_credential_issue(camera=camera, acting_user=None)[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Camera {token}")
    read = {"capture_id": "c1", "vrm": "AB12CDE",
            "captured_at": (timezone.now() - timedelta(seconds=2)).isoformat()}  # fmt: skip
    assert api.post("/api/v1/cameras/reads/", {"reads": [read]}, format="json").status_code == 202

    review = review_start(by=personas["intel"], site=site)
    review_complete(by=personas["intel"], review=review, outcome="decommission",
                    findings="No hits in a year; the problem has moved.")  # fmt: skip
    site.refresh_from_db()
    assert site.status == "decommissioned" and not site.collects_reads
    response = api.post("/api/v1/cameras/reads/", {"reads": [read, {**read, "capture_id": "c2"}]},
                        format="json")  # fmt: skip
    assert response.status_code == 403
    assert f"Site {site.reference} is decommissioned" in response.json()["detail"]
    camera.refresh_from_db()
    assert camera.reads_refused == 2
    page = client_for("intel").get(f"/sites/{site.pk}/")
    assert 'data-testid="site-refused">2<' in page.content.decode()
    assert "Decommission" in page.content.decode()


def test_a_review_that_continues_sets_the_next_review_within_twelve_months(personas):
    site = live_site(personas)
    review = review_start(by=personas["intel"], site=site)
    site.refresh_from_db()
    assert site.status == "under_review" and site.collects_reads
    too_late = months_after(timezone.localdate(), 13)
    assert "at most 12 months away" in refusal(lambda: review_complete(
        by=personas["intel"], review=review, outcome="continue", findings="Still needed.",
        next_review_due=too_late))  # fmt: skip
    soon = timezone.localdate() + timedelta(days=180)
    review_complete(by=personas["intel"], review=review, outcome="continue",
                    findings="Still needed.", next_review_due=soon)  # fmt: skip
    site.refresh_from_db()
    assert (site.status, site.next_review_due) == ("live", soon)
    assert "already complete" in refusal(
        lambda: review_complete(
            by=personas["intel"], review=review, outcome="continue", findings="Again."
        )
    )


def test_relocation_proposes_a_new_site_and_its_cameras_collect_nothing_until_approved(personas):
    site = live_site(personas)
    camera = CameraFactory(site=site)
    review = review_start(by=personas["intel"], site=site)
    review = review_complete(by=personas["intel"], review=review, outcome="relocate",
                             findings="Move to the junction 200 m north.")  # fmt: skip
    site.refresh_from_db()
    camera.refresh_from_db()
    successor = review.successor
    assert site.status == "decommissioned"
    assert (successor.status, successor.relocated_from, camera.site) == ("proposed", site,
                                                                         successor)  # fmt: skip
    assert "is proposed: it does not collect reads" in camera.refusal_reason()


def test_a_revision_rejected_during_a_review_stops_the_site_collecting_until_one_is_approved(
    personas,
):
    site = live_site(personas)
    camera = CameraFactory(site=site)
    review_start(by=personas["intel"], site=site)
    site.refresh_from_db()
    assert site.status == "under_review" and camera.refusal_reason() is None
    _, dpia = written(personas, site)  # revised during the review: waiting, it still collects
    assert camera.refusal_reason() is None
    assessment_decide(by=personas["auditor"], record=dpia, approve=False, note="Risks understated.")
    assert camera.refusal_reason() == (
        f"Site {site.reference}'s revised DPIA was rejected in its review: it does not collect "
        "reads."
    )
    _, dpia = written(personas, site)
    assert camera.refusal_reason() is not None  # written again, undecided: nothing approved yet
    assessment_decide(by=personas["auditor"], record=dpia, approve=True)
    assert camera.refusal_reason() is None


def test_a_site_moved_before_approval_has_its_assessments_written_again(personas):
    site = SiteFactory(status="proposed", owner=personas["intel"])
    assessment, dpia = written(personas, site)
    site_transition(by=personas["intel"], site=site, to="assessed")
    assessment_decide(by=personas["senior"], record=assessment, approve=True)
    assessment_decide(by=personas["auditor"], record=dpia, approve=True)
    consultation_record(by=personas["intel"], site=site, method="public_meeting",
                        consultee="Residents", consulted_on=timezone.localdate(),
                        response="In favour.")  # fmt: skip
    site.refresh_from_db()
    site.latitude, site.deployment = (site.latitude or 52.0) + 2, "temporary"  # 200 km away
    site.ends_on = timezone.localdate() + timedelta(days=90)
    site = site_save(by=personas["intel"], site=site)
    site.refresh_from_db()
    assert site.status == "proposed"
    assert site.current("assessments") is None and site.current("privacy_assessments") is None
    assert "not written yet" in refusal(
        lambda: site_transition(by=personas["intel"], site=site, to="assessed")
    )
    # Written and approved again: the consultation, about the old place, no longer counts.
    assessment, dpia = written(personas, site)
    site_transition(by=personas["intel"], site=site, to="assessed")
    assessment_decide(by=personas["senior"], record=assessment, approve=True)
    assessment_decide(by=personas["auditor"], record=dpia, approve=True)
    assert approval_blockers(site) == [
        "No consultation is recorded, nor the reason not to consult, since the site moved."
    ]
    consultation_record(by=personas["intel"], site=site, method="letter", consultee="Residents",
                        consulted_on=timezone.localdate(), response="No objection.")  # fmt: skip
    assert approval_blockers(site) == []


def test_a_live_temporary_sites_end_may_be_brought_forward_never_cleared_or_put_back(personas):
    end = timezone.localdate() + timedelta(days=60)
    site = live_site(personas, deployment="temporary", ends_on=end)
    for changed in (None, end + timedelta(days=365)):
        site.ends_on = changed
        assert "its review decides" in refusal(lambda: site_save(by=personas["intel"], site=site))
    site.ends_on = end - timedelta(days=30)
    assert site_save(by=personas["intel"], site=site).ends_on == end - timedelta(days=30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_relocated_sites_review_keeps_the_evidence_of_its_cameras(personas):
    site = live_site(personas)
    camera = CameraFactory(site=site)
    HotlistEntryFactory(vrm="HIT1ONE")
    ingest(camera, [plain_read("HIT1ONE", timezone.now(), capture_id="1")])
    review = review_start(by=personas["intel"], site=site)
    review = review_complete(by=personas["intel"], review=review, outcome="relocate",
                             findings="Move it north.")  # fmt: skip
    assert review.evidence["hits"] == [{"category": "Stolen", "outcome": "Open", "count": 1}]
    assert [c["camera"] for c in review.evidence["cameras"]] == [camera.reference]
    assert review.evidence["reads_total"] == 1
    # Its camera put up at another site: that site's review counts none of the hits read here.
    other = live_site(personas, reference="S-NORTH")
    Camera.objects.filter(pk=camera.pk).update(site=other)
    evidence = review_start(by=personas["intel"], site=other).evidence
    assert (evidence["reads_total"], evidence["hits"]) == (0, [])


def test_overdue_reviews_are_flagged_on_the_dashboard(personas, client_for):
    overdue = live_site(personas, reference="S-LATE")
    Site.objects.filter(pk=overdue.pk).update(
        next_review_due=timezone.localdate() - timedelta(days=3)
    )
    live_site(personas, reference="S-FINE")
    page = client_for("intel").get("/sites/reviews/")
    html = page.content.decode()
    due = html[html.index('data-testid="reviews-due"') :]
    assert "S-LATE" in due and "overdue" in due and "S-FINE" not in due


LOCATION = {"latitude": 52.20531, "longitude": 0.12187}


@pytest.mark.parametrize("persona, sees", [("intel", True), ("senior", True), ("admin", True),
                                           ("auditor", False)])  # fmt: skip
def test_only_entitled_roles_see_exact_locations_on_pages_api_and_map(
    personas, client_for, persona, sees
):
    site = SiteFactory(area="Northtown", **LOCATION)
    client = client_for(persona)
    for url in ("/sites/", f"/sites/{site.pk}/"):
        html = client.get(url).content.decode()
        assert "Northtown" in html
        assert ("52.20531" in html) == sees, url
    assert ('id="sites-map"' in client.get("/sites/").content.decode()) == sees
    api = APIClient()
    api.force_authenticate(personas[persona])
    listed = api.get("/api/v1/sites/").json()["results"][0]
    one = api.get(f"/api/v1/sites/{site.pk}/").json()
    for data in (listed, one):
        assert data["area"] == "Northtown"
        assert ("latitude" in data, "longitude" in data) == (sees, sees)
    assert (one.get("latitude"), one.get("longitude")) == (
        (52.20531, 0.12187) if sees else (None, None)
    )
    geojson = client.get("/sites/map.json")
    assert geojson.status_code == (200 if sees else 404)
    if sees:
        feature = geojson.json()["features"][0]
        assert feature["geometry"]["coordinates"] == [0.12187, 52.20531]


@pytest.mark.parametrize("persona", ["operator", "investigator", "hotlists", "nobody"])
def test_roles_without_sites_get_nothing_of_them(personas, client_for, persona):
    site = SiteFactory(**LOCATION)
    client = client_for(persona)
    for url in ("/sites/", f"/sites/{site.pk}/", "/sites/map.json", "/sites/reviews/"):
        assert client.get(url).status_code == 403, url
    api = APIClient()
    api.force_authenticate(personas[persona])
    assert api.get("/api/v1/sites/").status_code == 403


def test_only_the_intelligence_lead_changes_sites(personas, client_for):
    site = SiteFactory(status="proposed")
    for persona in ("senior", "auditor", "admin"):
        client = client_for(persona)
        assert client.get("/sites/new/").status_code == 403
        assert (
            client.post(
                f"/sites/{site.pk}/status/", {"to": "decommissioned", "note": "x"}
            ).status_code
            == 403
        )
        assert client.get(f"/sites/{site.pk}/assessment/").status_code == 403
    assert client_for("intel").get("/sites/404404/").status_code == 404


def test_intelligence_lead_registers_a_site_and_its_location_is_fixed_once_approved(
    personas, client_for
):
    client = client_for("intel")
    response = client.post("/sites/new/", {"reference": "S-NEW", "name": "Mill Road", "area":
                                           "Southtown", "latitude": "52.19", "longitude": "0.14",
                                           "deployment": "fixed", "owner": ""})  # fmt: skip
    site = Site.objects.get(reference="S-NEW")
    assert response.status_code == 302 and response["Location"] == f"/sites/{site.pk}/"
    assert (site.status, site.owner, site.latitude) == ("proposed", personas["intel"], 52.19)
    bad = client.post("/sites/new/", {"reference": "S-BAD", "name": "x", "area": "y",
                                      "latitude": "52.1", "deployment": "fixed"})  # fmt: skip
    assert "Give both the latitude and the longitude" in bad.content.decode()
    Site.objects.filter(pk=site.pk).update(status="live")
    client.post(
        f"/sites/{site.pk}/edit/",
        {
            "reference": "S-NEW",
            "name": "Mill Road East",
            "area": "Southtown",
            "latitude": "50.0",
            "longitude": "1.0",
            "deployment": "temporary",
        },
    )
    site.refresh_from_db()
    assert (site.name, site.latitude, site.deployment, site.status) == (
        "Mill Road East", 52.19, "fixed", "live")  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_public_statistics_name_no_location_site_or_camera(client, personas):
    cache.clear()  # the figures are kept for a minute
    site = live_site(personas, reference="SITE-SECRET-7", name="Hidden Lane bridge",
                     area="Quietvale", latitude=51.48213, longitude=-0.31877)  # fmt: skip
    camera = CameraFactory(site=site, reference="CAM-SECRET-9", name="Hidden Lane north")
    yesterday = timezone.now() - timedelta(days=1)
    HotlistEntryFactory(vrm="HIT1ONE", valid_from=yesterday - timedelta(days=1))
    ingest(camera, [plain_read("HIT1ONE", yesterday, capture_id="1"),
                    plain_read("AB12CDE", yesterday, capture_id="2")])  # fmt: skip
    Alert.objects.update(status="accepted", outcome="stopped")
    HotlistEntryFactory(vrm="HIT2TWO", valid_from=yesterday - timedelta(days=1))
    ingest(camera, [plain_read("HIT2TWO", yesterday, capture_id="3")])
    Alert.objects.filter(read_vrm="HIT2TWO").update(status="rejected")  # no reason recorded
    HotlistEntryFactory(vrm="HIT3TOD")
    ingest(camera, [plain_read("HIT3TOD", capture_id="4")])  # today's: not published yet
    page = client.get("/statistics/")
    assert page.status_code == 200
    html = page.content.decode()
    for secret in ("SITE-SECRET-7", "Hidden Lane", "Quietvale", "CAM-SECRET-9", "51.48",
                   "0.318", "HIT1ONE", "AB12CDE"):  # fmt: skip
        assert secret not in html, secret
    assert re.search(r"[Ss]ite|[Cc]amera", html)  # the words, never the names
    text = re.sub(r"<[^>]+>", " ", html)
    assert re.search(r"Cameras in service\s+1\b", text)
    assert re.search(r"How long reads are kept\s+365 days", text)
    assert "Accepted: Vehicle stopped" in text and "Rejected" in text
    # Hits to last midnight only: someone driving past a camera sees no figure move.
    assert re.search(r"vehicles of interest\s+2\b", text) and "Open" not in text


def test_a_search_read_over_several_pages_is_published_as_one(personas):
    from deployments.selectors import public_statistics
    from tests.test_audit_tools import searched

    for page in (1, 2, 3):  # one search, read to its third page, yesterday
        record = searched(personas["investigator"])
        record.detail["parameters"]["page"] = page
        record.detail["grant"] = None  # the standard window, as a search records it
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("UPDATE access_auditrecord SET detail = %s WHERE id = %s",
                           [json.dumps(record.detail), record.pk])  # fmt: skip
            cursor.execute("SET session_replication_role = DEFAULT")
    assert public_statistics()["searches_standard"] == 1


def test_a_decision_by_the_wrong_role_is_refused_on_the_page(personas, client_for):
    site = SiteFactory(status="proposed")
    assessment, dpia = written(personas, site)
    page = client_for("auditor").post(f"/sites/assessments/{assessment.pk}/", {"approve": "yes"})
    assert "You may not decide a deployment assessment" in page.content.decode()
    page = client_for("senior").post(f"/sites/dpias/{dpia.pk}/", {"approve": "yes"})
    assert "You may not decide a DPIA" in page.content.decode()
    assessment.refresh_from_db()
    dpia.refresh_from_db()
    assert (assessment.decision, dpia.decision) == ("pending", "pending")


def test_nothing_is_decided_for_a_decommissioned_site(personas):
    site = SiteFactory(status="proposed")
    assessment, _ = written(personas, site)
    site_transition(by=personas["intel"], site=site, to="decommissioned", note="Abandoned.")
    from deployments.selectors import awaiting_decision

    assert not awaiting_decision(personas["senior"])["assessments"]
    assert "decommissioned" in refusal(
        lambda: assessment_decide(by=personas["senior"], record=assessment, approve=True)
    )


def test_sites_live_before_governance_was_recorded_are_due_a_review_at_once(personas):
    import importlib

    from django.apps import apps

    old = SiteFactory(status="live", next_review_due=None)
    migration = importlib.import_module("deployments.migrations.0003_sites_kept_as_decided")
    migration.reviews_due_now(apps, None)
    old.refresh_from_db()
    assert old.next_review_due == timezone.localdate()


def test_self_assessment_is_prefilled_answered_and_exported_as_pdf(personas, client_for):
    live_site(personas)
    client = client_for("auditor")
    form = client.get("/sites/code-of-practice/new/")
    assert form.status_code == 200
    initial = {f["principle"]: f["evidence"] for f in form.context["formset"].initial}
    assert sorted(initial) == list(range(1, 13))
    assert "1 sites collect reads; 1 of them have an approved deployment" in initial[1]
    assert "Reads are kept 365 days" in initial[6]
    assert "verified intact" in initial[10]
    assert "of them with no expiry or weed date set" in initial[12]
    data = {"principles-TOTAL_FORMS": "12", "principles-INITIAL_FORMS": "12"}
    for n in range(12):
        data |= {f"principles-{n}-principle": str(n + 1), f"principles-{n}-answer": "yes",
                 f"principles-{n}-evidence": initial[n + 1]}  # fmt: skip
    data |= {"principles-2-answer": "partly"}  # not fully met, and no action planned
    refused = client.post("/sites/code-of-practice/new/", data)
    assert refused.status_code == 200 and "Plan an action" in refused.content.decode()
    data |= {
        "principles-2-answer": "partly",
        "principles-2-action": "Publish a contact point.",
        "principles-2-action_owner": "DPO",
        "principles-2-action_due": "2027-03-31",
    }
    response = client.post("/sites/code-of-practice/new/", data)
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "Publish a contact point." in detail and "Partly" in detail
    pdf = client.get(response["Location"] + "pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    assert "Principle 3: Partly" in text and "Publish a contact point." in text
    assert client_for("investigator").get("/sites/code-of-practice/new/").status_code == 403
    assert client_for("senior").get("/sites/code-of-practice/").status_code == 403


def _pdf_text(content: bytes) -> str:
    """The text drawn in an fpdf2 PDF (its page streams, inflated)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            page = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        text += re.findall(r"\((.*?)\) ?Tj", page)
    return " ".join(text).replace("\\(", "(").replace("\\)", ")")


def test_a_review_is_only_for_a_live_site_and_one_at_a_time(personas):
    site = SiteFactory(status="approved")
    assert "Only a live site is reviewed" in refusal(
        lambda: review_start(by=personas["intel"], site=site)
    )
    site = live_site(personas)
    review_start(by=personas["intel"], site=site)
    assert "Only a live site" in refusal(lambda: review_start(by=personas["intel"], site=site))
    assert Review.objects.filter(site=site).count() == 1


def test_an_assessment_posted_with_a_factor_no_form_gives_is_refused_not_a_server_error(
    personas, client_for
):
    site = SiteFactory(status="proposed", owner=personas["intel"])
    form = {**ASSESSMENT, "factors-TOTAL_FORMS": "4", "factors-INITIAL_FORMS": "0",
            **{f"factors-{n}-factor": "bogus" for n in range(4)}}  # fmt: skip
    page = client_for("intel").post(f"/sites/{site.pk}/assessment/", form)
    assert page.status_code == 200 and "Unknown factor" in page.content.decode()


def test_a_cameras_site_is_not_changed_in_the_admin(client_for, personas):
    site, other = live_site(personas, reference="S-OLD"), live_site(personas, reference="S-NEW")
    camera = CameraFactory(site=site)
    client = client_for("admin")
    page = client.get(f"/admin/cameras/camera/{camera.pk}/change/").content.decode()
    assert 'name="site"' not in page  # a move is a relocation, decided in the site's review
    client.post(f"/admin/cameras/camera/{camera.pk}/change/", {
        "reference": camera.reference, "name": camera.name, "site": other.pk, "kind": camera.kind,
        "status": camera.status, "lanes": camera.lanes})  # fmt: skip
    camera.refresh_from_db()
    assert camera.site == site


@pytest.mark.django_db(transaction=True)
def test_a_review_completed_while_its_site_is_decommissioned_waits_and_never_deadlocks(personas):
    """Decommissioning locks the site, then closes its open review; completing the review must
    take them in the same order, or each waits for the other."""
    import threading
    import time

    import psycopg

    from tests.conftest import test_database_url

    site = live_site(personas)
    review = review_start(by=personas["intel"], site=site)
    failures = []

    def complete():
        try:
            review_complete(by=personas["intel"], review=review, outcome="continue",
                            findings="Still needed.")  # fmt: skip
        except Exception as error:  # reported below
            failures.append(error)
        finally:
            connection.close()

    with psycopg.connect(test_database_url()) as decommissioning:
        # As site_transition does: the site locked, then its open review written.
        decommissioning.execute("SELECT 1 FROM deployments_site WHERE id = %s FOR UPDATE",
                                [site.pk])  # fmt: skip
        completing = threading.Thread(target=complete)
        completing.start()
        while not decommissioning.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
        ).fetchone()[0]:
            time.sleep(0.05)
        time.sleep(0.3)  # what the review's completion locks while it waits, it holds
        decommissioning.execute(
            "UPDATE deployments_review SET findings = 'Closed.' WHERE id = %s", [review.pk]
        )
        decommissioning.rollback()
    completing.join()
    assert failures == []
    review.refresh_from_db()
    assert (review.outcome, review.findings) == ("continue", "Still needed.")


def test_a_page_open_from_before_a_review_began_cannot_end_it_by_a_plain_step(personas):
    site = live_site(personas)
    as_the_page_saw_it = Site.objects.get(pk=site.pk)  # live
    review = review_start(by=personas["intel"], site=site)
    assert "review page" in refusal(
        lambda: site_transition(by=personas["intel"], site=as_the_page_saw_it, to="live")
    )
    site.refresh_from_db()
    review.refresh_from_db()
    assert site.status == "under_review" and review.completed_at is None
