"""The pages of legal holds and retention, as each persona uses them."""

from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AuditRecord, OffenceCategory
from reads.models import LegalHold, Read, RetentionPolicy
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

CASE = "NT/777/26"
WHY = "Evidence for the prosecution of a burglary series, trial pending."


@pytest.fixture
def seen(settings, tmp_path):
    """AB12CDE seen twice this month, with plate images."""
    settings.MEDIA_ROOT = tmp_path
    camera = CameraFactory()
    reads = []
    for days in (3, 5):
        read = plain_read("AB12CDE", captured_at=timezone.now() - timedelta(days=days),
                          capture_id=str(days))  # fmt: skip
        day = timezone.now() - timedelta(days=days)
        path = f"reads/{day.astimezone(UTC):%Y/%m/%d}/{camera.reference}/{read['id']}-plate.jpg"
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(b"plate " + str(days).encode())
        reads.append({**read, "plate_image": path})
    ingest(camera, reads)
    return tmp_path


def purpose_fields(offence_categories):
    category = OffenceCategory.objects.get(name="Burglary")
    return {"category": category.pk, "case_reference": CASE, "justification": WHY}


def review_day(days=60):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_an_investigator_holds_search_results_and_a_senior_officer_approves(
    client_for, personas, offence_categories, seen
):
    client = client_for("investigator")
    since = (timezone.localtime() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(reverse("reads:search"), {
        **purpose_fields(offence_categories), "plate": "AB12CDE", "captured_from": since,
    }).content.decode()  # fmt: skip
    assert 'data-testid="hold-form"' in page and page.count('name="read"') == 2
    read = Read.objects.get(capture_id="3")
    ticked = f"{read.vrm}|{read.captured_at.isoformat()}|{read.id}"
    hold_fields = {"read": [ticked], "reason": WHY, "review_on": review_day()}
    response = client.post(reverse("reads:legalhold_from_search"), hold_fields)
    hold = LegalHold.objects.get()
    assert response["Location"] == hold.get_absolute_url()
    assert list(hold.reads.values_list("capture_id", flat=True)) == ["3"]
    detail = client.get(hold.get_absolute_url()).content.decode()
    assert "Waiting for approval" in detail and "1 read kept" in detail

    senior = client_for("senior")
    queue = senior.get(reverse("access:accessrequest_queue")).content.decode()
    assert f"Hold {hold.pk}</a> for case {CASE}" in queue
    senior.post(hold.get_absolute_url(), {"action": "approve"})
    hold.refresh_from_db()
    assert hold.status == LegalHold.Status.ACTIVE

    client = client_for("investigator")
    shown = client.get(hold.get_absolute_url(), {"show": "1"}).content.decode()
    assert 'data-testid="held-reads"' in shown and "AB12CDE" in shown
    held = hold.reads.get()
    image = client.get(reverse("reads:held_read_image", args=[hold.pk, held.read_id, "plate"]))
    assert b"".join(image.streaming_content) == b"plate 3"
    assert AuditRecord.objects.filter(action="held_reads_view", outcome="ok").count() == 1
    assert AuditRecord.objects.filter(action="image_view", user=personas["investigator"],
                                      target__contains="legal hold").count() == 1  # fmt: skip


def test_a_hold_by_plate_and_period_and_who_may_see_it(client_for, offence_categories, seen):
    client = client_for("investigator")
    start = (timezone.localtime() - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    fields = {**purpose_fields(offence_categories), "vrm": "AB12CDE", "period_from": start,
              "period_to": end, "reason": WHY}  # fmt: skip
    refused = client.post(reverse("reads:legalhold_list"), {**fields, "review_on": "2020-01-01"})
    assert "Set a review date after today" in refused.content.decode()
    response = client.post(reverse("reads:legalhold_list"), {**fields, "review_on": review_day()})
    hold = LegalHold.objects.get()
    assert response.status_code == 302 and hold.reads.count() == 2
    assert "AB12CDE" in client.get(reverse("reads:legalhold_list")).content.decode()

    # Another investigator, an operator: no such hold. An auditor sees it, not its reads.
    for persona in ("investigator2", "operator"):
        assert client_for(persona).get(hold.get_absolute_url()).status_code == 404
    held = hold.reads.first()
    image = reverse("reads:held_read_image", args=[hold.pk, held.read_id, "plate"])
    assert client_for("investigator2").get(image).status_code == 404
    auditor = client_for("auditor").get(hold.get_absolute_url(), {"show": "1"})
    assert auditor.status_code == 200
    assert 'data-testid="held-reads"' not in auditor.content.decode()


def test_auditors_see_retention_and_only_administrators_change_it(client_for, personas):
    auditor = client_for("auditor")
    page = auditor.get(reverse("reads:retention")).content.decode()
    assert "365 days" in page and 'data-testid="policy-form"' not in page
    why = "Kept two years for a serious-crime review agreed with the DPO."
    change = {"reads_days": 730, "alerts_days": 730, "tracks_days": 365, "frames_hours": 24,
              "reason": why}  # fmt: skip
    assert auditor.post(reverse("reads:retention"), change).status_code == 403
    assert client_for("operator").get(reverse("reads:retention")).status_code == 403

    admin = client_for("admin")
    too_long = admin.post(reverse("reads:retention"), {**change, "reads_days": 731})
    assert "less than or equal to 730" in too_long.content.decode()
    assert admin.post(reverse("reads:retention"), change).status_code == 302
    policy = RetentionPolicy.in_force()
    assert (policy.reads_days, policy.changed_by) == (730, personas["admin"])
    page = client_for("auditor").get(reverse("reads:retention")).content.decode()
    assert "730 days" in page and "beyond the standard year" in page and change["reason"] in page
