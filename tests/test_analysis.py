"""Long analyses in the background (R-SEARCH-3, 4): cloned plates, with progress, audited once,
run by a real Celery worker."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import AuditRecord, OffenceCategory
from reads.analysis import analysis_start
from reads.models import Analysis
from reads.search import SearchRefused, search_purpose_create
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("read_store", "offence_categories")]  # fmt: skip
WHY = "Two vehicles are thought to carry the same plate in this fraud."


@pytest.fixture
def purpose(personas):
    return search_purpose_create(
        user=personas["investigator"], category=OffenceCategory.objects.get(name="Fraud"),
        case_reference="NT/555/26", justification=WHY,
    )  # fmt: skip


def finished(analysis, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        analysis.refresh_from_db()
        if analysis.status in (Analysis.Status.DONE, Analysis.Status.FAILED):
            return analysis
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.2)


def test_a_planted_clone_is_found_and_ordinary_journeys_are_not(
    celery_worker, personas, purpose, client_for
):
    cambridge = CameraFactory(site__name="Cambridge", site__latitude=52.205,
                              site__longitude=0.119)  # fmt: skip
    leeds = CameraFactory(site__name="Leeds", site__latitude=53.801, site__longitude=-1.549)
    start = timezone.now() - timedelta(days=2)
    ingest(cambridge, [plain_read("CL0NE1", captured_at=start, capture_id="c1"),
                       plain_read("TRAV3L", captured_at=start, capture_id="t1"),
                       plain_read("L0CAL1", captured_at=start, capture_id="l1"),
                       plain_read("L0CAL1", captured_at=start + timedelta(minutes=5),
                                  capture_id="l2")])  # fmt: skip
    ingest(leeds, [plain_read("CL0NE1", captured_at=start + timedelta(minutes=20), capture_id="c2"),
                   plain_read("TRAV3L", captured_at=start + timedelta(hours=3),
                              capture_id="t2")])  # fmt: skip
    analysis = analysis_start(user=personas["investigator"], purpose=purpose,
                              kind=Analysis.Kind.CLONES, captured_from=start - timedelta(hours=1),
                              captured_to=None, address="10.0.0.9")  # fmt: skip
    analysis = finished(analysis)
    assert analysis.status == Analysis.Status.DONE and analysis.progress == 100
    assert [finding["vrm"] for finding in analysis.findings] == ["CL0NE1"]
    clone = analysis.findings[0]
    assert (clone["first_site"], clone["second_site"]) == ("Cambridge", "Leeds")
    assert 205 < clone["km"] < 215 and clone["kmh"] > 600  # 210 km in 20 minutes
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome, record.result_count) == ("search", "ok", 1)
    assert record.detail["kind"] == "clones" and record.address == "10.0.0.9"
    # Every located site was looked at: each one's review counts the analysis.
    assert record.detail["sites"] == sorted([cambridge.site_id, leeds.site_id])

    api = client_for("investigator").get(f"/api/v1/reads/analyses/{analysis.pk}/").json()
    assert (api["status"], api["findings"][0]["vrm"]) == ("done", "CL0NE1")
    assert (
        client_for("investigator2").get(f"/api/v1/reads/analyses/{analysis.pk}/").status_code == 404
    )
    page = client_for("investigator").get(analysis.get_absolute_url()).content.decode()
    assert "CL0NE1" in page and "Leeds" in page
    assert client_for("investigator2").get(analysis.get_absolute_url()).status_code == 404
    assert client_for("operator").get(analysis.get_absolute_url()).status_code == 403
    views = AuditRecord.objects.filter(action="analysis_view")
    assert [(r.outcome, r.result_count, r.address) for r in views] == [("ok", 1, "127.0.0.1")] * 2
    assert views.first().detail["grant"] is None and len(views.first().detail["window"]) == 2

    # Weeks on, its reads are older than the standard window, and no grant covers them.
    Analysis.objects.filter(pk=analysis.pk).update(captured_from=start - timedelta(days=100))
    page = client_for("investigator").get(analysis.get_absolute_url()).content.decode()
    assert "CL0NE1" not in page and 'data-testid="refusal"' in page and "extended access" in page
    api = client_for("investigator").get(f"/api/v1/reads/analyses/{analysis.pk}/")
    assert api.status_code == 403 and "CL0NE1" not in api.content.decode()
    assert views.filter(outcome="refused").count() == 2


def test_an_analysis_is_started_through_the_api_too(celery_worker, client_for):
    response = client_for("investigator").post("/api/v1/reads/analyses/", {
        "category": "Fraud", "case_reference": "NT/555/26", "justification": WHY,
        "kind": "convoy", "vrm": "AB12CDE",
        "captured_from": (timezone.now() - timedelta(days=3)).isoformat(),
    }, content_type="application/json")  # fmt: skip
    assert response.status_code == 202
    analysis = finished(Analysis.objects.get(pk=response.json()["id"]))
    assert analysis.status == "done" and analysis.findings == []
    refused = client_for("investigator").post("/api/v1/reads/analyses/", {
        "category": "Fraud", "case_reference": "NT/555/26", "justification": WHY,
        "kind": "convoy", "vrm": "AB1*",
        "captured_from": (timezone.now() - timedelta(days=3)).isoformat(),
    }, content_type="application/json")  # fmt: skip
    assert refused.status_code == 403 and "full plate" in refused.json()["detail"]


def test_an_analysis_beyond_the_window_is_refused_at_once_and_audited(personas, purpose):
    with pytest.raises(SearchRefused, match="extended access"):
        analysis_start(user=personas["investigator"], purpose=purpose, kind="clones",
                       captured_from=timezone.now() - timedelta(days=120), captured_to=None,
                       address=None)  # fmt: skip
    assert not Analysis.objects.exists()
    assert AuditRecord.objects.get().outcome == "refused"


def test_a_planted_convoy_ranks_above_busy_road_coincidences(celery_worker, personas, purpose):
    cameras = [CameraFactory() for _ in range(4)]
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    # The target: twice past the busy first site, then once at each of the others, a day apart;
    # the convoy a minute behind it every time.
    sightings = [(cameras[0], 1), (cameras[0], 2), (cameras[1], 3), (cameras[2], 4),
                 (cameras[3], 5)]  # fmt: skip
    reads = {camera.pk: [] for camera in cameras}
    for camera, days in sightings:
        at = noon - timedelta(days=days)
        reads[camera.pk] += [plain_read("TARG3T", captured_at=at, capture_id=f"t{days}"),
                             plain_read("C0NV0Y", captured_at=at + timedelta(seconds=60),
                                        capture_id=f"c{days}")]  # fmt: skip
    # A commuter past the busy site every 10 minutes, day and night: it meets the target there
    # twice, by chance.
    start = noon - timedelta(days=6)
    reads[cameras[0].pk] += [
        plain_read("C0MMUT", captured_at=start + timedelta(minutes=10 * k), capture_id=f"m{k}")
        for k in range(6 * 24 * 6)
    ]
    # Read twice in one pass (two lanes' cameras at a site): a stranger passing then is no convoy.
    third = noon - timedelta(days=3)
    reads[cameras[1].pk] += [
        plain_read("TARG3T", captured_at=third + timedelta(seconds=5), capture_id="t3b"),
        plain_read("STRANG3R", captured_at=third + timedelta(seconds=20), capture_id="s3"),
    ]
    # Seen with it once inside the window, and once just before it: the window holds only one.
    edge = noon - timedelta(days=6, hours=1)
    reads[cameras[3].pk] += [
        plain_read("TARG3T", captured_at=edge + timedelta(seconds=30), capture_id="t6"),
        plain_read("EDG3", captured_at=edge - timedelta(seconds=30), capture_id="e6"),
        plain_read("EDG3", captured_at=noon - timedelta(days=5, seconds=-30), capture_id="e5"),
    ]
    for camera in cameras:
        ingest(camera, reads[camera.pk])
    analysis = analysis_start(user=personas["investigator"], purpose=purpose, kind="convoy",
                              vrm="targ 3t", captured_from=edge, captured_to=None,
                              address=None)  # fmt: skip
    analysis = finished(analysis)
    found = {finding["vrm"]: finding for finding in analysis.findings}
    assert [finding["vrm"] for finding in analysis.findings] == ["C0NV0Y", "C0MMUT"]
    convoy, commuter = found["C0NV0Y"], found["C0MMUT"]
    assert (convoy["together"], convoy["sites"], convoy["days"]) == (5, 4, 5)
    assert (commuter["together"], commuter["sites"]) == (2, 1)
    assert commuter["expected"] > 100 * convoy["expected"]  # its own traffic explains it
    assert convoy["score"] > 10 * commuter["score"]
    # The audit names the sites it drew on, so each site's review counts the analysis.
    record = AuditRecord.objects.get(target="analysis: convoy (travelling with a vehicle)")
    assert record.detail["sites"] == sorted(camera.site_id for camera in cameras)


def test_one_analysis_at_a_time_covering_no_more_than_has_happened(personas, purpose):
    from reads.analysis import analyses_sweep

    now = timezone.now()
    started = analysis_start(user=personas["investigator"], purpose=purpose, kind="clones",
                             vrm="AB12" * 8, captured_from=now - timedelta(days=3),
                             captured_to=now + timedelta(days=3650), address=None)  # fmt: skip
    # Its period ends now, so retention deletes it with the reads it drew on; a clone analysis
    # looks at every vehicle, so keeps no plate.
    assert started.captured_to <= timezone.now() and started.vrm == ""
    with pytest.raises(SearchRefused, match="still running"):
        analysis_start(user=personas["investigator"], purpose=purpose, kind="clones",
                       captured_from=now - timedelta(days=1), captured_to=None,
                       address=None)  # fmt: skip
    # Its worker is lost: nothing moves it on for longer than any query may run.
    Analysis.objects.filter(pk=started.pk).update(status="running",
                                                  touched_at=now - timedelta(hours=1))  # fmt: skip
    analyses_sweep()
    started.refresh_from_db()
    assert started.status == "failed" and "worker was lost" in started.message
    lost = AuditRecord.objects.get(outcome="error")
    assert (lost.target, lost.case_reference) == ("analysis: cloned plates", "NT/555/26")
