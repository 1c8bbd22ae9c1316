"""Purpose-bound, time-windowed, audited search (R-SEARCH-1..3, R-ACCESS-3), as each persona."""

import re
import uuid
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.models import AccessRequest, AuditRecord, OffenceCategory, SearchPurpose
from access.policy import WindowRefused, search_window
from access.services import (
    AccessRequestError,
    access_request_create,
    access_request_decide,
    access_request_revoke,
)
from reads.search import (
    COUNT_CAP,
    Criteria,
    SearchRefused,
    plate_condition,
    read_search,
    search_purpose_create,
)
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

CASE = "NT/12345/26"
OTHER_CASE = "NT/99999/26"
WHY = "Linked vehicle seen near the scene of the robbery on the night."


@pytest.fixture
def robbery(offence_categories):
    return OffenceCategory.objects.get(name="Robbery")


@pytest.fixture
def store():
    """A vehicle seen 10, 100 and 200 days ago."""
    camera = CameraFactory()
    now = timezone.now()
    ingest(camera, [plain_read("AB12CDE", captured_at=now - timedelta(days=days),
                               capture_id=str(days)) for days in (10, 100, 200)])  # fmt: skip
    return camera


def search(user, category, days_back, case=CASE, plate="AB12CDE"):
    purpose = search_purpose_create(user=user, category=category, case_reference=case,
                                    justification=WHY)  # fmt: skip
    criteria = Criteria(plate=plate, captured_from=timezone.now() - timedelta(days=days_back))
    return read_search(user=user, purpose=purpose, criteria=criteria, address="10.0.0.7")


def days_ago(days: int) -> str:
    # With its offset: a local time 30 days back may fall in a clock change's missing hour.
    return (timezone.now() - timedelta(days=days)).isoformat()


def grant(personas, category, days_back=150, case=CASE, decide=True):
    today = timezone.localdate()
    request = access_request_create(
        requester=personas["investigator"], case_reference=case, category=category,
        date_from=today - timedelta(days=days_back), date_to=today - timedelta(days=80),
        justification=WHY,
    )  # fmt: skip
    if decide:
        access_request_decide(access_request=request, by=personas["senior"], approve=True)
    return request


def test_investigator_cannot_search_past_90_days_without_grant(personas, robbery, store):
    investigator = personas["investigator"]
    assert search(investigator, robbery, 30).total == 1  # the standard window
    with pytest.raises(SearchRefused, match="need extended access for case NT/12345/26"):
        search(investigator, robbery, 120)
    refused = AuditRecord.objects.get(action="search", outcome="refused")
    assert (refused.user, refused.case_reference, refused.category) == (
        investigator,
        CASE,
        "Robbery",
    )
    assert refused.detail["parameters"]["plate"] == "AB12CDE" and refused.address == "10.0.0.7"
    assert "extended access" in refused.detail["reason"]


def test_with_a_grant_for_the_case_the_older_search_runs(personas, robbery, store):
    request = grant(personas, robbery)
    result = search(personas["investigator"], robbery, 120)
    assert result.total == 2 and result.window.grant == request
    record = AuditRecord.objects.get(action="search", outcome="ok")
    assert (record.result_count, record.detail["grant"]) == (2, request.pk)
    with pytest.raises(SearchRefused, match="covers"):
        search(personas["investigator"], robbery, 199)  # older than the grant's days


def test_a_grant_serves_only_its_case_and_only_while_in_force(personas, robbery, store):
    request = grant(personas, robbery)
    with pytest.raises(SearchRefused):
        search(personas["investigator"], robbery, 120, case=OTHER_CASE)
    with pytest.raises(SearchRefused):
        search(personas["investigator2"], robbery, 120)  # another investigator, same case
    access_request_revoke(access_request=request, by=personas["inspector"], reason="Case closed")
    with pytest.raises(SearchRefused):
        search(personas["investigator"], robbery, 120)
    expired = grant(personas, robbery)
    AccessRequest.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    with pytest.raises(SearchRefused):
        search(personas["investigator"], robbery, 120)


def test_a_grant_ending_before_the_standard_window_serves_not_an_instant_after_it(
    personas, robbery
):
    # Granted to 100 days ago: the first instant of the day after (99 days ago, outside the
    # standard window of 90) is not granted.
    today = timezone.localdate()
    request = access_request_create(
        requester=personas["investigator"], case_reference=CASE, category=robbery,
        date_from=today - timedelta(days=150), date_to=today - timedelta(days=100),
        justification=WHY,
    )  # fmt: skip
    access_request_decide(access_request=request, by=personas["senior"], approve=True)
    after = timezone.make_aware(datetime.combine(today - timedelta(days=99), datetime.min.time()))
    purpose = SearchPurpose(case_reference=CASE, category=robbery)
    since = after - timedelta(days=20)
    with pytest.raises(WindowRefused, match="covers"):
        search_window(user=personas["investigator"], purpose=purpose, wanted_from=since,
                      wanted_to=after)  # fmt: skip
    window = search_window(user=personas["investigator"], purpose=purpose, wanted_from=since,
                           wanted_to=after - timedelta(microseconds=1))  # fmt: skip
    assert window.grant == request


def test_a_search_finding_more_than_it_counts_is_audited_as_capped(personas, robbery):
    now = timezone.now()
    reads = [plain_read("AB12CDE", now - timedelta(minutes=n + 1), capture_id=str(n))
             for n in range(COUNT_CAP + 1)]  # fmt: skip
    ingest(CameraFactory(), reads)
    result = search(personas["investigator"], robbery, 30)
    assert (result.total, result.capped) == (COUNT_CAP, True)
    record = AuditRecord.objects.get(action="search")
    assert (record.result_count, record.detail["capped"]) == (COUNT_CAP, True)


@pytest.mark.parametrize("offence", ["Assault", "Terrorism"])
def test_a_grant_serves_only_searches_for_its_offence(personas, robbery, store, offence):
    # A search for the same case, under another offence (serious or not), is no search for the
    # serious crime the grant was approved for.
    grant(personas, robbery)
    other = OffenceCategory.objects.get(name=offence)
    with pytest.raises(SearchRefused, match=f"is for Robbery, not {offence}"):
        search(personas["investigator"], other, 120)
    assert search(personas["investigator"], other, 30).total == 1  # the standard window


def test_a_senior_officer_cannot_approve_their_own_request(personas, robbery):
    senior = personas["inspector"]  # operator and senior officer
    today = timezone.localdate()
    request = access_request_create(
        requester=senior, case_reference=CASE, category=robbery,
        date_from=today - timedelta(days=120), date_to=today - timedelta(days=95),
        justification=WHY,
    )  # fmt: skip
    with pytest.raises(AccessRequestError, match="your own request"):
        access_request_decide(access_request=request, by=senior, approve=True)
    with pytest.raises(IntegrityError):  # and the database refuses it too
        AccessRequest.objects.filter(pk=request.pk).update(decided_by=senior)


def test_requests_are_for_serious_crime_and_decisions_are_explained(personas, robbery):
    burglary = OffenceCategory.objects.get(name="Burglary")
    with pytest.raises(AccessRequestError, match="not serious"):
        grant(personas, burglary, decide=False)
    request = grant(personas, robbery, decide=False)
    with pytest.raises(AccessRequestError, match="Say why"):
        access_request_decide(access_request=request, by=personas["senior"], approve=False)
    with pytest.raises(AccessRequestError, match="Only a senior officer"):
        access_request_decide(access_request=request, by=personas["investigator2"], approve=True)
    decided = access_request_decide(access_request=request, by=personas["senior"], approve=True)
    assert decided.expires_at - decided.decided_at == timedelta(days=28)


def test_every_search_path_writes_exactly_one_audit_row(client_for, personas, robbery, store):
    form = {"category": robbery.pk, "case_reference": CASE, "justification": WHY,
            "plate": "AB12CDE"}  # fmt: skip
    client = client_for("investigator")
    recent, old = days_ago(30), days_ago(120)
    api = {**form, "category": "Robbery"}
    calls = [
        lambda: client.post("/search/", {**form, "captured_from": recent}),
        lambda: client.post("/search/", {**form, "captured_from": old}),
        lambda: client.post("/api/v1/reads/search/", {**api, "captured_from": recent},
                            content_type="application/json"),
        lambda: client.post("/api/v1/reads/search/", {**api, "captured_from": old},
                            content_type="application/json"),
    ]  # fmt: skip
    statuses = []
    for n, call in enumerate(calls, start=1):
        statuses.append(call().status_code)
        assert AuditRecord.objects.filter(action="search").count() == n
    assert statuses == [200, 200, 200, 403]
    outcomes = list(
        AuditRecord.objects.filter(action="search").order_by("pk").values_list("outcome", flat=True)
    )
    assert outcomes == ["ok", "refused", "ok", "refused"]


def test_the_page_shows_the_refusal_and_the_window_searched(client_for, robbery, store):
    client = client_for("investigator")
    old = days_ago(120)
    page = client.post("/search/", {"category": robbery.pk, "case_reference": "nt/12345/26",
                                    "justification": WHY, "plate": "AB12 CDE",
                                    "captured_from": old}).content.decode()  # fmt: skip
    assert 'data-testid="refusal"' in page and "Extended access" in page
    recent = days_ago(30)
    page = client.post("/search/", {"category": robbery.pk, "case_reference": CASE,
                                    "justification": WHY, "plate": "AB12CDE",
                                    "captured_from": recent}).content.decode()  # fmt: skip
    assert 'data-testid="window"' in page and "1 read" in page


def test_no_purpose_no_search(client_for, store):
    page = client_for("investigator").post("/search/", {"plate": "AB12CDE"}).content.decode()
    assert "This field is required" in page
    assert not AuditRecord.objects.exists()
    for persona in ("operator", "auditor", "nobody"):
        assert client_for(persona).post("/search/", {"plate": "AB12CDE"}).status_code == 403
        response = client_for(persona).post("/api/v1/reads/search/", {"plate": "AB12CDE"},
                                            content_type="application/json")  # fmt: skip
        assert response.status_code == 403


def test_a_partial_plate_too_vague_to_run_fast_is_refused(personas, robbery, store):
    with pytest.raises(SearchRefused, match="too vague"):
        search(personas["investigator"], robbery, 30, plate="A?1*")
    assert search(personas["investigator"], robbery, 30, plate="AB1*").total == 1


PLATES = ["AB12CDE", "AB12CDF", "XB12CDE", "AB1CDE", "ZZ99ZZZ", "AB12CD", "B12CDEA"]


@pytest.fixture
def plates():
    ingest(CameraFactory(), [plain_read(plate, capture_id=plate) for plate in PLATES])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    plate=st.sampled_from(PLATES),
    holes=st.lists(st.tuples(st.integers(0, 6), st.sampled_from("?*")), max_size=3),
)
def test_partial_plate_wildcards_match_what_they_should_and_nothing_else(
    personas, robbery, plates, plate, holes
):
    pattern = list(plate)
    for position, wildcard in holes:
        if position < len(pattern):
            pattern[position] = wildcard
    text = "".join(pattern)
    try:
        plate_condition(text)
    except SearchRefused:
        return  # too vague: refused before any query (checked above)
    expected = {p for p in PLATES
                if re.fullmatch(text.replace("?", ".").replace("*", ".*"), p)}  # fmt: skip
    found = {read.vrm for read in search(personas["investigator"], robbery, 1, plate=text).reads}
    assert found == expected


@given(days=st.integers(min_value=0, max_value=364), minutes=st.integers(0, 1439))
def test_without_a_grant_the_window_is_the_last_90_days_exactly(days, minutes):
    now = timezone.now()
    wanted = now - timedelta(days=days, minutes=minutes)
    # 90 collection days, today included: from midnight (local) 89 days before today.
    first_day = timezone.localdate(now) - timedelta(days=89)
    inside = timezone.localdate(wanted) >= first_day
    try:
        window = search_window(user=None, purpose=SearchPurpose(case_reference=CASE),
                               wanted_from=wanted, now=now)  # fmt: skip
    except WindowRefused:
        assert not inside
    else:
        assert inside and (window.start, window.end, window.grant) == (wanted, now, None)


def test_a_full_plate_search_gives_the_vehicles_history(client_for, personas, robbery):
    now = timezone.now()
    ring_road, market = CameraFactory(site__name="Ring road"), CameraFactory(site__name="Market")
    ingest(ring_road, [plain_read("HI57ORY", captured_at=now - timedelta(days=d),
                                  capture_id=f"r{d}") for d in (3, 5, 20)])  # fmt: skip
    ingest(market, [plain_read("HI57ORY", captured_at=now - timedelta(days=4), capture_id="m")])
    history = search(personas["investigator"], robbery, 30, plate="HI57ORY").history
    assert history.first_seen == now - timedelta(days=20)
    assert history.last_seen == now - timedelta(days=3)
    assert [(s["site__name"], s["reads"]) for s in history.sites] == [("Ring road", 3),
                                                                      ("Market", 1)]  # fmt: skip
    assert sum(count for _, count in history.per_day) == 4
    assert search(personas["investigator"], robbery, 30, plate="HI57*").history is None
    api = client_for("investigator").post("/api/v1/reads/search/", {
        "category": "Robbery", "case_reference": CASE, "justification": WHY,
        "plate": "HI57ORY", "captured_from": days_ago(30),
    }, content_type="application/json").json()  # fmt: skip
    sites = [(site["name"], site["reads"]) for site in api["history"]["sites"]]
    assert sites == [("Ring road", 3), ("Market", 1)]
    page = client_for("investigator").post("/search/", {
        "category": robbery.pk, "case_reference": CASE, "justification": WHY,
        "plate": "HI57ORY", "captured_from": days_ago(30),
    }).content.decode()  # fmt: skip
    assert 'data-testid="history"' in page and 'id="history-points"' in page
    assert page.count("<rect ") == 4  # a bar for each day with reads


def test_every_vehicle_at_a_place_and_time(personas, robbery):
    camera = CameraFactory()
    now = timezone.now()
    ingest(camera, [plain_read(vrm, captured_at=now - timedelta(minutes=30), capture_id=vrm)
                    for vrm in ("PL1ACE", "PL2ACE")])  # fmt: skip
    purpose = search_purpose_create(user=personas["investigator"], category=robbery,
                                    case_reference=CASE, justification=WHY)  # fmt: skip

    def at(**criteria):
        return read_search(user=personas["investigator"], purpose=purpose,
                           criteria=Criteria(plate="", **criteria))  # fmt: skip

    found = at(site_id=camera.site_id, captured_from=now - timedelta(hours=1))
    assert {read.vrm for read in found.reads} == {"PL1ACE", "PL2ACE"}
    with pytest.raises(SearchRefused, match="site or camera"):
        at(captured_from=now - timedelta(hours=1))
    with pytest.raises(SearchRefused, match="at most 7 days"):
        at(site_id=camera.site_id, captured_from=now - timedelta(days=8))


def test_evidential_export_is_stamped_verifiable_and_audited_once(client_for, robbery, store):
    import hashlib

    # Written on two lines in the form's box: the stamp keeps it to one.
    why = WHY.replace(" on the night", "\r\non the night")
    form = {"category": robbery.pk, "case_reference": CASE, "justification": why,
            "plate": "AB12CDE", "captured_from": days_ago(30)}  # fmt: skip
    client = client_for("investigator")
    response = client.post("/search/", {**form, "export": "csv", "images": "on"})
    assert response["Content-Type"] == "text/csv"
    assert "no-store" in response["Cache-Control"]  # kept by no browser's or proxy's cache
    content = response.content.decode()
    stamp = [line for line in content.splitlines() if line.startswith("# ")]
    rows = "".join(line + "\n" for line in content.splitlines() if not line.startswith("# "))
    assert f"# Case: {CASE} (Robbery)" in stamp and f"# Purpose: {WHY}" in stamp
    assert any(line.startswith("# Legal basis: Standard window") for line in stamp)
    assert any("(investigator)" in line for line in stamp)
    stamped_hash = stamp[-1].rsplit(": ", 1)[1]
    assert hashlib.sha256(rows.encode()).hexdigest() == stamped_hash  # the rows verify
    assert rows.count("AB12CDE") == 1
    record = AuditRecord.objects.get(action="export")
    assert record.detail["file_sha256"] == response["X-Content-SHA256"]
    assert record.detail["file_sha256"] == hashlib.sha256(response.content).hexdigest()
    assert (record.result_count, record.detail["rows_sha256"]) == (1, stamped_hash)
    assert AuditRecord.objects.count() == 1  # the export, not also a search
    assert record.detail["parameters"]["images"] is False  # a CSV carries no images

    pdf = client.post("/search/", {**form, "export": "pdf", "images": "on"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    refused = client.post("/search/", {**form, "captured_from": days_ago(120), "export": "csv"})
    assert 'data-testid="refusal"' in refused.content.decode()
    exports = AuditRecord.objects.filter(action="export").order_by("pk")
    outcomes = list(exports.values_list("outcome", flat=True))
    assert outcomes == ["ok", "ok", "refused"]
    assert exports[1].detail["parameters"]["images"] is True
    assert "no-store" in client.post("/search/", form)["Cache-Control"]  # results pages too


def test_an_evidential_csv_opens_safely_in_a_spreadsheet(client_for, robbery):
    import csv
    import hashlib
    import io

    # A site's reference and area, and a justification, that a spreadsheet would run.
    camera = CameraFactory(site__reference="=1+2", site__area="@SUM(A1)")
    ingest(camera, [plain_read("AB12CDE", captured_at=timezone.now() - timedelta(days=1))])
    why = f'{WHY} Seen twice,=HYPERLINK("http://evil.example/"),"=1+2"'
    response = client_for("investigator").post("/search/", {
        "category": robbery.pk, "case_reference": CASE, "justification": why,
        "plate": "AB12CDE", "captured_from": days_ago(30), "export": "csv"})  # fmt: skip
    content = response.content.decode()
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert not [cell for cell in cells if cell.lstrip().startswith(("=", "+", "-", "@"))]
    stamp = [line for line in content.splitlines() if line.startswith("# ")]
    assert f'# Purpose: {WHY} Seen twice,\'=HYPERLINK("http://evil.example/"),\'"=1+2"' in stamp
    rows = [line for line in content.splitlines() if not line.startswith("# ")]
    assert rows[1].split(",")[4:6] == ["'=1+2", "'@SUM(A1)"]  # shown as typed, as text
    table = "".join(f"{line}\n" for line in rows)  # what follows the stamp verifies
    assert hashlib.sha256(table.encode()).hexdigest() == stamp[-1].rsplit(": ", 1)[1]


def test_a_pdf_export_can_carry_the_plate_images(personas, robbery, settings, tmp_path):
    from reads.export import read_export
    from tests.test_camera_api import jpeg

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "plate.jpg").write_bytes(jpeg())
    ingest(CameraFactory(), [{**plain_read("IM4GEPL"), "plate_image": "plate.jpg"}])
    purpose = search_purpose_create(user=personas["investigator"], category=robbery,
                                    case_reference=CASE, justification=WHY)  # fmt: skip
    criteria = Criteria(plate="IM4GEPL", captured_from=timezone.now() - timedelta(days=1))
    with_images = read_export(user=personas["investigator"], purpose=purpose, criteria=criteria,
                              fmt="pdf", images=True)  # fmt: skip
    without = read_export(user=personas["investigator"], purpose=purpose, criteria=criteria,
                          fmt="pdf")  # fmt: skip
    assert b"/Subtype /Image" in with_images.content and b"/Subtype /Image" not in without.content
    record = AuditRecord.objects.filter(action="export").order_by("pk").first()
    assert len(record.detail["images"]) == 1  # the images it carries are audited with it
    # A patch lost or broken since is said so in its row; the rest of the export stands.
    (tmp_path / "plate.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    broken = read_export(user=personas["investigator"], purpose=purpose, criteria=criteria,
                         fmt="pdf", images=True)  # fmt: skip
    assert b"/Subtype /Image" not in broken.content and broken.content.startswith(b"%PDF")
    record = AuditRecord.objects.filter(action="export").order_by("pk").last()
    assert record.outcome == "ok" and record.detail["images"] == []


def test_stakeout_finds_the_vehicles_seen_at_every_place(client_for, personas, robbery):
    from reads.stakeout import Place, stakeout_search

    now = timezone.now()
    bank, garage, depot = CameraFactory(), CameraFactory(), CameraFactory()
    ingest(bank, [plain_read(v, captured_at=now - timedelta(hours=30), capture_id=f"b{v}")
                  for v in ("GANG1", "GANG2", "BYST1")])  # fmt: skip
    ingest(garage, [plain_read(v, captured_at=now - timedelta(hours=20), capture_id=f"g{v}")
                    for v in ("GANG1", "GANG2", "BYST2")])  # fmt: skip
    ingest(depot, [plain_read(v, captured_at=now - timedelta(hours=2), capture_id=f"d{v}")
                   for v in ("GANG1", "BYST1")])  # fmt: skip
    purpose = search_purpose_create(user=personas["investigator"], category=robbery,
                                    case_reference=CASE, justification=WHY)  # fmt: skip

    def places(*cameras):
        return [Place(c.site_id, now - timedelta(hours=h + 1), now - timedelta(hours=h - 1))
                for c, h in cameras]  # fmt: skip

    found = stakeout_search(user=personas["investigator"], purpose=purpose,
                            places=places((bank, 30), (garage, 20)))  # fmt: skip
    assert [v["vrm"] for v in found] == ["GANG1", "GANG2"]
    found = stakeout_search(user=personas["investigator"], purpose=purpose,
                            places=places((bank, 30), (garage, 20), (depot, 2)))  # fmt: skip
    assert [v["vrm"] for v in found] == ["GANG1"] and len(found[0]["first_seen"]) == 3
    with pytest.raises(SearchRefused, match="2 to 5 places"):
        stakeout_search(user=personas["investigator"], purpose=purpose, places=places((bank, 30)))
    api = client_for("investigator").post("/api/v1/reads/stakeout/", {
        "category": "Robbery", "case_reference": CASE, "justification": WHY,
        "places": [{"site": p.site_id, "start": p.start.isoformat(), "end": p.end.isoformat()}
                   for p in places((bank, 30), (garage, 20))],
    }, content_type="application/json")  # fmt: skip
    assert [v["vrm"] for v in api.json()] == ["GANG1", "GANG2"]
    searches = AuditRecord.objects.filter(action="search").order_by("pk")
    assert [(r.target, r.outcome) for r in searches] == [
        ("stakeout of 2 places", "ok"), ("stakeout of 3 places", "ok"),
        ("stakeout of 1 places", "refused"),  # refused for its places: audited all the same
        ("stakeout of 2 places", "ok"),
    ]  # fmt: skip
    page = client_for("investigator").post("/search/stakeout/", {
        "category": robbery.pk, "case_reference": CASE, "justification": WHY,
        "form-TOTAL_FORMS": "5", "form-INITIAL_FORMS": "0",
        **{f"form-{n}-{key}": value for n, p in enumerate(places((bank, 30), (depot, 2)))
           for key, value in (("site", p.site_id), ("start", p.start.isoformat()),
                              ("end", p.end.isoformat()))},
    }).content.decode()  # fmt: skip
    assert "GANG1" in page and "BYST1" in page and "GANG2" not in page


def test_images_from_search_results_are_shown_within_the_window_and_audited(
    client_for, robbery, settings, tmp_path
):
    from tests.test_camera_api import jpeg

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "p.jpg").write_bytes(jpeg())
    now = timezone.now()
    recent = {**plain_read("IM4GE1", captured_at=now - timedelta(days=5)), "plate_image": "p.jpg"}
    old = {**plain_read("IM4GE1", captured_at=now - timedelta(days=120), capture_id="o"),
           "plate_image": "p.jpg"}  # fmt: skip
    ingest(CameraFactory(), [recent, old])
    client = client_for("investigator")

    def image(read):
        return client.get(f"/search/reads/{read['id']}/image/plate/",
                          {"vrm": "IM4GE1", "at": read["captured_at"]})  # fmt: skip

    assert image(recent).status_code == 404  # no purpose in this session yet
    page = client.post("/search/", {"category": robbery.pk, "case_reference": CASE,
                                    "justification": WHY, "plate": "IM4GE1",
                                    "captured_from": days_ago(30)}).content.decode()  # fmt: skip
    assert f"/search/reads/{recent['id']}/image/plate/" in page
    assert image(recent).status_code == 200
    assert image(old).status_code == 404  # older than the window, without a grant
    # A time without its zone is the force's local time.
    local = timezone.localtime(datetime.fromisoformat(recent["captured_at"]))
    naive = {"vrm": "IM4GE1", "at": local.replace(tzinfo=None).isoformat()}
    assert client.get(f"/search/reads/{recent['id']}/image/plate/", naive).status_code == 200
    assert client.get(f"/search/reads/{uuid.uuid4()}/image/plate/", naive).status_code == 404
    no_time = {"vrm": "IM4GE1", "at": "noon"}
    assert client.get(f"/search/reads/{recent['id']}/image/plate/", no_time).status_code == 404
    views = AuditRecord.objects.filter(action="image_view").order_by("pk")
    assert [r.outcome for r in views] == ["refused", "ok", "refused", "ok", "refused", "refused"]
    # Refused with no purpose open, so under no case; the rest under the session's.
    assert views[0].detail["reason"] == "No search purpose is open in this session."
    assert [r.case_reference for r in views] == ["", CASE, CASE, CASE, CASE, CASE]
    views = views[1:]
    # Each view keeps the window it was allowed in, and the grant (none here), as searches do.
    shown = datetime.fromisoformat(recent["captured_at"])
    assert [datetime.fromisoformat(at) for at in views[0].detail["window"]] == [shown, shown]
    assert views[0].detail["grant"] is None
