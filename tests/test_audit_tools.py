"""Auditor tools (R-ACCESS-5): flags for patterns worth a look, and dip-sampled reviews."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from access.models import OffenceCategory, SearchReview
from access.selectors import audit_flags
from access.services import ReviewError, audit_dip_sample, audit_record_add, search_review_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


YESTERDAY_NOON = timezone.localtime().replace(hour=12, minute=0) - timedelta(days=1)


def searched(user, plate="AB12CDE", results=1, at=YESTERDAY_NOON, action="search"):
    record = audit_record_add(user=user, action=action, target=f"plate {plate}",
                              result_count=results, parameters={"plate": plate})  # fmt: skip
    # Back-dated (the test runs at any hour), with the append-only trigger switched off.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE access_auditrecord SET at = %s WHERE id = %s", [at, record.pk])
        cursor.execute("SET session_replication_role = DEFAULT")
    return record


def test_flags_name_volume_odd_hours_empty_searches_and_a_plate_many_people_search(personas):
    busy, night, fishing = UserFactory(), UserFactory(), UserFactory()
    others = [UserFactory() for _ in range(3)]
    for user in others:
        searched(user, plate="TARGET1")
    for n in range(25):
        searched(busy, plate=f"BUSY{n:03d}")
    three_am = timezone.localtime().replace(hour=3, minute=0) - timedelta(days=1)
    searched(night, at=three_am)
    for n in range(10):
        searched(fishing, plate=f"FISH{n:03d}", results=0)
    now = timezone.now()
    flags = {(flag.kind, flag.subject) for flag in audit_flags(since=now - timedelta(days=7),
                                                              until=now)}  # fmt: skip
    assert flags == {
        ("volume", busy.username), ("odd_hours", night.username),
        ("no_results", fishing.username), ("same_plate", "TARGET1"),
    }  # fmt: skip


def test_exports_are_flagged_and_sampled_as_the_searches_they_run(personas):
    exporter, night = UserFactory(), UserFactory()
    for n in range(2):
        searched(UserFactory(), plate=f"OTHER{n}")
    for n in range(25):
        searched(exporter, plate=f"EXP{n:03d}", action="export")
    searched(night, at=timezone.localtime().replace(hour=2) - timedelta(days=1), action="export")
    now = timezone.now()
    flags = {(flag.kind, flag.subject) for flag in audit_flags(since=now - timedelta(days=7),
                                                              until=now)}  # fmt: skip
    assert flags == {("volume", exporter.username), ("odd_hours", night.username)}
    picked = audit_dip_sample(by=personas["auditor"], count=100, since=now - timedelta(days=7),
                              until=now)  # fmt: skip
    assert picked == 28
    assert SearchReview.objects.filter(record__action="export").count() == 26


def test_a_review_is_recorded_once_and_its_notes_are_text(personas):
    searched(personas["investigator"])
    now = timezone.now()
    audit_dip_sample(by=personas["auditor"], count=1, since=now - timedelta(days=2), until=now)
    review = SearchReview.objects.get()
    with pytest.raises(ReviewError, match="NUL"):
        search_review_record(review=review, by=personas["auditor"], finding="proper",
                             notes="fine\x00")  # fmt: skip
    search_review_record(review=review, by=personas["auditor"], finding="misuse", notes="No case.")
    other = UserFactory()
    with pytest.raises(ReviewError, match="reviewed already"):
        search_review_record(review=review, by=other, finding="proper", notes="")
    review.refresh_from_db()
    assert (review.finding, review.reviewed_by) == ("misuse", personas["auditor"])


def test_a_plate_is_one_plate_however_it_was_typed(client_for, offence_categories):
    from access.roles import Role
    from access.services import user_roles_set
    from tests.factories import sign_in_verified
    from tests.test_search import CASE, WHY, days_ago

    robbery = OffenceCategory.objects.get(name="Robbery")
    third = UserFactory()
    user_roles_set(user=third, roles=[Role.INVESTIGATOR], acting_user=None)
    for name, typed in (("investigator", "AB12CDE"), ("investigator2", "ab12 cde"),
                        (third, "AB12 CDE")):  # fmt: skip
        client = client_for("investigator" if name is third else name)
        if name is third:
            sign_in_verified(client, third)
        client.post("/search/", {"category": robbery.pk, "case_reference": CASE,
                                 "justification": WHY, "plate": typed,
                                 "captured_from": days_ago(30)})  # fmt: skip
    now = timezone.now()
    flags = audit_flags(since=now - timedelta(days=1), until=now + timedelta(minutes=1))
    assert [flag.subject for flag in flags if flag.kind == "same_plate"] == ["AB12CDE"]


def test_dip_sampled_searches_are_reviewed_by_someone_else(personas, client_for):
    for n in range(5):
        searched(personas["investigator"], plate=f"DIP{n:03d}")
    now = timezone.now()
    picked = audit_dip_sample(by=personas["auditor"], count=3, since=now - timedelta(days=2),
                              until=now + timedelta(minutes=1))  # fmt: skip
    assert picked == 3 and SearchReview.objects.count() == 3
    review = SearchReview.objects.first()
    with pytest.raises(ReviewError, match="Someone else"):
        search_review_record(review=review, by=personas["investigator"], finding="proper",
                             notes="")  # fmt: skip
    search_review_record(review=review, by=personas["auditor"], finding="question",
                         notes="Case reference does not match the plate's history.")  # fmt: skip
    review.refresh_from_db()
    assert (review.finding, review.reviewed_by) == ("question", personas["auditor"])
    page = client_for("auditor").get("/access/audit/").content.decode()
    assert "Questionable" in page and 'data-testid="flags"' in page
    yesterday = YESTERDAY_NOON.date().isoformat()
    filtered = client_for("auditor").get("/access/audit/", {"user": "investigator",
                                                            "since": yesterday,
                                                            "until": yesterday})  # fmt: skip
    listed = filtered.content.decode().split('data-testid="audit"')[1]
    assert listed.count('<tr class="outcome-ok">') == 5
    none = client_for("auditor").get("/access/audit/", {"category": "Terrorism"})
    assert 'data-testid="audit"' not in none.content.decode()
    response = client_for("auditor").post("/access/audit/", {"action": "sample", "count": "5"})
    assert response.status_code == 302 and SearchReview.objects.count() == 5
    assert (
        client_for("investigator").post("/access/audit/", {"action": "sample"}).status_code == 403
    )
