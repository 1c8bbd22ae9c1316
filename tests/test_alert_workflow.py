"""The alert workflow (R-ALERT-3): claim, verify, accept or reject; each step attributed."""

import threading
import uuid

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.utils import timezone

from hotlist.models import Alert, AlertWorkflowError
from tests.factories import CameraFactory, HotlistEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert():
    entry = HotlistEntryFactory()
    return Alert.objects.create(
        read_id=uuid.uuid4(), read_vrm=entry.vrm, matched_vrm=entry.vrm,
        captured_at=timezone.now(), camera=CameraFactory(), entry=entry, hotlist=entry.hotlist,
        match_type=Alert.MatchType.EXACT, priority=2, plate_image="alerts/plate.jpg",
    )  # fmt: skip


def test_claim_verify_accept_records_who_and_when(alert, personas):
    olivia = personas["operator"]
    alert.claim(by=olivia)
    alert.verify(by=olivia, image_matches=True)
    alert.accept(by=olivia, outcome=Alert.Outcome.STOPPED, notes="Stopped on the A14.")
    assert alert.status == Alert.Status.ACCEPTED
    assert (alert.claimed_by, alert.verified_by, alert.closed_by) == (olivia, olivia, olivia)
    assert alert.claimed_at <= alert.verified_at <= alert.closed_at
    assert (alert.outcome, alert.notes) == ("stopped", "Stopped on the A14.")
    steps = LogEntry.objects.get_for_object(alert).order_by("timestamp")
    assert [entry.actor for entry in steps][-3:] == [olivia, olivia, olivia]
    assert "accepted" in str(steps.last().changes)


def test_a_second_operator_cannot_claim_or_work_a_claimed_alert(alert, personas):
    alert.claim(by=personas["operator"])
    other = personas["inspector"]
    for step in (
        lambda: alert.claim(by=other),
        lambda: alert.verify(by=other, image_matches=True),
        lambda: alert.reject(by=other, reason=Alert.RejectReason.DUPLICATE),
    ):
        with pytest.raises(AlertWorkflowError, match="has claimed this alert"):
            step()
    alert.refresh_from_db()
    assert alert.claimed_by == personas["operator"]


@pytest.mark.django_db(transaction=True)
def test_two_operators_claiming_at_once_get_one_claim(alert, personas):
    results = []

    def claim(user):
        try:
            Alert.objects.get(pk=alert.pk).claim(by=user)
            results.append(user.username)
        except AlertWorkflowError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(personas[name],))
               for name in ("operator", "inspector")]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in (["operator", "refused"], ["inspector", "refused"])


def test_reject_needs_a_reason_and_accept_needs_an_outcome(alert, personas):
    olivia = personas["operator"]
    alert.claim(by=olivia)
    with pytest.raises(AlertWorkflowError, match="a reason is required"):
        alert.reject(by=olivia, reason="")
    with pytest.raises(AlertWorkflowError, match="Verify the plate image before accepting"):
        alert.accept(by=olivia, outcome=Alert.Outcome.NO_TRACE)
    alert.verify(by=olivia, image_matches=True)
    with pytest.raises(AlertWorkflowError, match="an outcome is required"):
        alert.accept(by=olivia, outcome="")
    alert.reject(by=olivia, reason=Alert.RejectReason.WRONG_VEHICLE, notes="Different make.")
    assert (alert.status, alert.reject_reason) == ("rejected", "wrong_vehicle")


def test_an_image_that_does_not_match_closes_the_alert_as_a_misread(alert, personas):
    olivia = personas["operator"]
    with pytest.raises(AlertWorkflowError, match="Claim the alert before verifying it"):
        alert.verify(by=olivia, image_matches=False)
    alert.claim(by=olivia)
    alert.verify(by=olivia, image_matches=False)
    assert (alert.status, alert.reject_reason) == ("rejected", "misread")
    with pytest.raises(AlertWorkflowError, match="already closed"):
        alert.claim(by=personas["inspector"])
