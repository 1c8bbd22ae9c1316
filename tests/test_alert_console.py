"""The control room's pages: who sees which alerts, what an alert shows, the workflow through the
pages, the access audit of every alert and image opened, and escalation."""

import asyncio
import contextlib
import json
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape

from access.models import GENESIS_HASH, AuditRecord
from access.roles import Role
from access.services import user_roles_set
from hotlist.models import Alert
from hotlist.selectors import alert_recipients
from hotlist.services import alerts_escalate
from hotlist.views import vrm_differences
from tests.factories import (
    AlertFactory,
    HotlistEntryFactory,
    HotlistFactory,
    UserFactory,
    entitle,
    sign_in_verified,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(personas):
    """Two lists: every operator receives `open`; only the inspector receives `restricted`."""
    open_list = HotlistFactory(name="Stolen", owner=personas["hotlists"])
    restricted = HotlistFactory(name="Firearms operation", owner=personas["hotlists"])
    entitle(Group.objects.get(name=Role.OPERATOR.value), open_list)
    entitle(personas["inspector"], restricted)
    return open_list, restricted


def hit(hotlist, vrm="AB12CDE", **fields):
    return AlertFactory(entry=HotlistEntryFactory(hotlist=hotlist, vrm=vrm), **fields)


def test_operators_see_only_the_alerts_of_lists_they_are_entitled_to(client_for, lists):
    open_list, restricted = lists
    seen, hidden = hit(open_list, "OPEN1"), hit(restricted, "SECRET1")
    page = client_for("operator").get("/alerts/").content.decode()
    assert "OPEN1" in page and "SECRET1" not in page and "Firearms operation" not in page
    client = client_for("inspector")
    assert "SECRET1" in client.get("/alerts/feed/").content.decode()
    operator = client_for("operator")
    for url in (f"/alerts/{hidden.pk}/", f"/alerts/{hidden.pk}/image/plate/"):
        assert operator.get(url).status_code == 404  # as if it did not exist
    assert operator.post(f"/alerts/{hidden.pk}/claim/").status_code == 404
    assert operator.get(f"/alerts/{seen.pk}/").status_code == 200


def test_roles_without_the_console_get_nothing(client_for, lists):
    alert = hit(lists[0])
    for persona in ("investigator", "auditor", "admin", "nobody"):
        client = client_for(persona)
        assert client.get("/alerts/").status_code == 403, persona
        assert client.get("/alerts/events/").status_code == 403, persona
        assert client.get(f"/alerts/{alert.pk}/").status_code == 404, persona


def test_the_stream_is_refused_where_it_would_hold_a_wsgi_worker(client_for):
    response = client_for("operator").get("/alerts/events/")  # the test client speaks WSGI
    assert response.status_code == 503
    assert b"events process" in response.content


def test_only_entitled_active_operators_are_told_of_an_alert(personas, lists):
    open_list, restricted = lists
    extra = UserFactory(username="relief")  # entitled directly, but holds no operator role
    entitle(extra, open_list)
    leaver = personas["operator"]
    recipients = alert_recipients({open_list.pk, restricted.pk})
    assert recipients[restricted.pk] == {personas["inspector"].pk}
    assert recipients[open_list.pk] == {personas["operator"].pk, personas["inspector"].pk}
    leaver.is_active = False
    leaver.save()
    assert alert_recipients({open_list.pk})[open_list.pk] == {personas["inspector"].pk}


def test_console_filters_and_the_unacknowledged_queue(client_for, lists):
    open_list = lists[0]
    critical = hit(open_list, "CRIT1", priority=1)
    hit(open_list, "LOW1", priority=4)
    claimed = hit(open_list, "TAKEN1")
    claimed.claim(by=lists[0].owner)
    client = client_for("operator")
    feed = client.get("/alerts/feed/").content.decode()
    queue = feed.split('id="alerts-heading"')[0]
    assert queue.index("CRIT1") < queue.index("LOW1") and "TAKEN1" not in queue
    assert 'data-testid="queue-count">2<' in feed
    filtered = client.get("/alerts/feed/", {"priority": 1}).content.decode()
    listed = filtered.split('id="alerts-heading"')[1]
    assert "CRIT1" in listed and "LOW1" not in listed
    critical.claim(by=claimed.hotlist.owner)
    critical.reject(by=claimed.hotlist.owner, reason="misread")
    open_only = client.get("/alerts/feed/").content.decode().split('id="alerts-heading"')[1]
    assert "CRIT1" not in open_only
    closed = client.get("/alerts/feed/", {"status": "rejected"}).content.decode()
    assert "CRIT1" in closed.split('id="alerts-heading"')[1]


def test_a_queue_longer_than_the_console_shows_says_so(client_for, lists, monkeypatch):
    monkeypatch.setattr("hotlist.views.CONSOLE_ROWS", 2)
    for n, priority in enumerate((4, 1, 3)):
        hit(lists[0], f"WAIT{n}", priority=priority)
    feed = client_for("operator").get("/alerts/feed/").content.decode()
    queue = feed.split('id="alerts-heading"')[0]
    assert "WAIT1" in queue and "WAIT2" in queue and "WAIT0" not in queue
    assert 'data-testid="queue-count">3<' in feed
    assert "The 2 most urgent of 3 shown" in queue
    Alert.objects.filter(read_vrm="WAIT1").update(status=Alert.Status.CLAIMED)
    assert (
        'data-testid="queue-more"'
        not in client_for("operator").get("/alerts/feed/").content.decode()
    )


def test_alert_detail_shows_the_decision_material_and_is_audited(client_for, personas, lists):
    entry = HotlistEntryFactory(
        hotlist=lists[0], vrm="AB12CDE", make="Ford", model="Focus", colour="Blue",
        instruction="Stop and search", warning_markers=["firearms", "violent"],
    )  # fmt: skip
    alert = AlertFactory(entry=entry, read_vrm="A812CDE", match_type="look_alike")
    page = client_for("operator").get(f"/alerts/{alert.pk}/").content.decode()
    assert "A<mark" in page and ">8</mark>" in page  # the look-alike character is marked
    assert "Firearms" in page and "Violent" in page and "Stop and search" in page
    assert "Ford" in page and "Focus" in page and "Blue" in page
    assert 'data-testid="exact-location"' not in page  # operators see the area only
    record = AuditRecord.objects.get()
    assert (record.user, record.action, record.target) == (
        personas["operator"],
        "alert_view",
        f"alert {alert.pk}",
    )
    assert record.detail["vrm"] == "A812CDE"
    inspector = client_for("inspector").get(f"/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="exact-location"' in inspector  # a senior officer sees the position


def test_listed_and_seen_vehicles_side_by_side_with_a_mismatch_warning(client_for, lists):
    entry = HotlistEntryFactory(hotlist=lists[0], vrm="CL0NED1", make="Ford", colour="Blue")
    same = AlertFactory(entry=entry, observed_make="FORD", observed_colour="")
    page = client_for("operator").get(f"/alerts/{same.pk}/").content.decode()
    assert "not recognised" in page and 'data-testid="vehicle-mismatch"' not in page
    cloned = AlertFactory(entry=entry, observed_make="Vauxhall", observed_colour="Blue")
    page = client_for("operator").get(f"/alerts/{cloned.pk}/").content.decode()
    assert 'data-testid="vehicle-mismatch"' in page and "Vauxhall" in page


def test_every_image_view_is_audited_in_an_append_only_chain(client_for, lists, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "plate.jpg").write_bytes(b"\xff\xd8\xff\xe0jpeg")
    alert = hit(lists[0], plate_image="plate.jpg")
    client = client_for("operator")
    for _ in range(2):
        response = client.get(f"/alerts/{alert.pk}/image/plate/")
        assert response.status_code == 200
        assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert client.get(f"/alerts/{alert.pk}/image/overview/").status_code == 404  # none sent
    first, second, refused = AuditRecord.objects.order_by("pk")
    (tmp_path / "plate.jpg").unlink()  # gone: the view is recorded as failed, not as seen
    assert client.get(f"/alerts/{alert.pk}/image/plate/").status_code == 410
    assert AuditRecord.objects.order_by("pk").last().outcome == "error"
    assert refused.outcome == "refused"
    assert first.action == second.action == "image_view"
    assert first.previous_hash == GENESIS_HASH and second.previous_hash == first.hash
    assert second.hash == second.compute_hash()
    for statement in (
        "UPDATE access_auditrecord SET target = 'x'",
        "DELETE FROM access_auditrecord",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def test_workflow_through_the_pages(client_for, personas, lists):
    alert = hit(lists[0])
    url = f"/alerts/{alert.pk}"
    assert client_for("operator").post(f"{url}/claim/").status_code == 302
    page = client_for("inspector").post(f"{url}/claim/", follow=True).content.decode()
    assert escape(f"{personas['operator'].get_full_name()} has claimed this alert.") in page
    olivia = client_for("operator")
    page = olivia.post(f"{url}/accept/", {"outcome": "arrested"}, follow=True).content.decode()
    assert "Verify the plate image before accepting" in page
    page = olivia.post(f"{url}/verify/", {}, follow=True).content.decode()
    assert "Not done" in page
    olivia.post(f"{url}/verify/", {"image_matches": "yes"})
    typed = {"outcome": "", "notes": "Driver gave a false name"}
    refused = olivia.post(f"{url}/accept/", typed)
    page = refused.content.decode()
    assert refused.status_code == 400 and "Not done" in page
    accept_form = page.split('data-testid="accept-form"')[1].split("</form>")[0]
    assert "This field is required" in accept_form and "Driver gave a false name" in accept_form
    olivia.post(f"{url}/accept/", {"outcome": "arrested", "notes": "Driver detained"})
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.notes) == ("accepted", "arrested", "Driver detained")
    assert alert.claimed_by == alert.verified_by == alert.closed_by == personas["operator"]


def test_every_workflow_step_and_refusal_is_in_the_access_audit(client_for, personas, lists):
    alert, hidden = hit(lists[0]), hit(lists[1], "SECRET3")
    url = f"/alerts/{alert.pk}"
    client_for("operator").post(f"{url}/claim/")
    client_for("inspector").post(f"{url}/claim/")  # held by the operator: refused
    olivia = client_for("operator")
    olivia.post(f"{url}/verify/", {"image_matches": "yes"})
    olivia.post(f"{url}/accept/", {"outcome": "arrested", "notes": "Driver detained"})
    assert olivia.post(f"/alerts/{hidden.pk}/claim/").status_code == 404  # not her list's
    # An operator who also keeps a list reads its hits, but acts only on those sent to them.
    keeper = UserFactory(username="keeper")
    user_roles_set(user=keeper, roles=[Role.OPERATOR, Role.HOTLIST_MANAGER], acting_user=None)
    kept = hit(HotlistFactory(name="Kept", owner=keeper), "KEPT1")
    client = client_for("operator")
    sign_in_verified(client, keeper)
    assert client.post(f"/alerts/{kept.pk}/reject/", {"reason": "duplicate"}).status_code == 403
    steps = AuditRecord.objects.filter(action="alert_action").order_by("pk")
    assert [(r.user.username, r.target, r.outcome) for r in steps] == [
        ("operator", f"alert {alert.pk}: claim", "ok"),
        ("inspector", f"alert {alert.pk}: claim", "refused"),
        ("operator", f"alert {alert.pk}: verify", "ok"),
        ("operator", f"alert {alert.pk}: accept", "ok"),
        ("operator", f"alert {hidden.pk}: claim", "refused"),
        ("keeper", f"alert {kept.pk}: reject", "refused"),
    ]
    assert steps[3].detail["parameters"] == {"outcome": "arrested", "notes": "Driver detained"}
    assert steps[3].detail["vrm"] == alert.read_vrm
    holder = personas["operator"].get_full_name()
    assert steps[1].detail["reason"] == f"{holder} has claimed this alert."
    assert "SECRET3" not in str(steps[4].detail)  # a refusal says nothing of what it hides


def test_a_claim_is_given_back_or_taken_over_once_its_holder_has_left_it(
    client_for, personas, lists, settings
):
    settings.ALERT_TAKE_OVER_SECONDS = 600
    alert = hit(lists[0])
    url = f"/alerts/{alert.pk}"
    olivia = client_for("operator")
    olivia.post(f"{url}/claim/")
    olivia.post(f"{url}/release/")  # off shift: back to the queue
    alert.refresh_from_db()
    assert (alert.status, alert.claimed_by) == ("new", None)
    olivia.post(f"{url}/claim/")
    olivia.post(f"{url}/verify/", {"image_matches": "yes"})
    ian = client_for("inspector")
    page = ian.get(f"{url}/").content.decode()
    assert 'data-testid="held"' in page and "may be taken over from" in page
    refused = ian.post(f"{url}/take_over/", follow=True).content.decode()
    assert "has claimed this alert. It may be taken over from" in refused
    # Eleven minutes on, nothing moved: the operator's browser was lost.
    eleven = timedelta(minutes=11)
    Alert.objects.filter(pk=alert.pk).update(claimed_at=F("claimed_at") - eleven,
                                             verified_at=F("verified_at") - eleven)  # fmt: skip
    page = ian.get(f"{url}/").content.decode()
    assert "Take it over" in page and "Not moved on for 11" in page
    ian.post(f"{url}/take_over/")
    alert.refresh_from_db()
    assert (alert.status, alert.claimed_by) == ("verified", personas["inspector"])
    assert alert.verified_by == personas["operator"]  # the check she made stands
    ian.post(f"{url}/accept/", {"outcome": "stopped"})
    alert.refresh_from_db()
    assert (alert.status, alert.closed_by) == ("accepted", personas["inspector"])
    refused = client_for("operator").post(f"{url}/take_over/", follow=True).content.decode()
    assert "Only an alert someone else holds is taken over" in refused


def test_a_read_without_an_image_cannot_be_verified(client_for, lists):
    alert = hit(lists[0], plate_image="")
    url = f"/alerts/{alert.pk}"
    olivia = client_for("operator")
    olivia.post(f"{url}/claim/")
    page = olivia.get(f"{url}/").content.decode()
    assert 'data-testid="no-image"' in page and 'data-testid="verify-form"' not in page
    refused = olivia.post(f"{url}/verify/", {"image_matches": "yes"}, follow=True)
    assert "No image came with this read" in refused.content.decode()
    alert.refresh_from_db()
    assert alert.status == "claimed" and alert.verified_by is None
    olivia.post(f"{url}/reject/", {"reason": "misread"})  # it can still be closed
    alert.refresh_from_db()
    assert alert.status == "rejected"


def test_entry_owners_see_the_outcomes_of_their_entries_hits(client_for, personas, lists):
    alert = hit(lists[1], "OWNED1")
    alert.claim(by=personas["inspector"])
    alert.reject(by=personas["inspector"], reason="wrong_vehicle", notes="Cloned plate")
    manager = client_for("hotlists")  # owns both lists, receives neither
    assert "Hits on your entries" in manager.get("/").content.decode()
    page = manager.get("/hotlists/outcomes/").content.decode()
    assert "OWNED1" in page and "Wrong vehicle" in page and "Cloned plate" in page
    detail = manager.get(f"/alerts/{alert.pk}/").content.decode()
    assert "OWNED1" in detail and "Claim</button>" not in detail  # reads, does not act
    assert "previous-heading" not in detail  # nor sees the vehicle's other reads
    assert manager.post(f"/alerts/{alert.pk}/claim/").status_code == 403
    assert "OWNED1" not in client_for("investigator").get("/hotlists/outcomes/").content.decode()


def test_a_manager_who_has_lost_a_list_sees_its_hits_no_more(client, personas, lists):
    from guardian.shortcuts import assign_perm, remove_perm

    from access.services import user_roles_set

    keeper = UserFactory(username="keeper")
    user_roles_set(user=keeper, roles=[Role.HOTLIST_MANAGER], acting_user=None)
    assign_perm("hotlist.manage_hotlist", keeper, lists[1])
    alert = AlertFactory(entry=HotlistEntryFactory(hotlist=lists[1], vrm="KEPT1",
                                                   created_by=keeper))  # fmt: skip
    sign_in_verified(client, keeper)
    assert "KEPT1" in client.get("/hotlists/outcomes/").content.decode()
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200
    remove_perm("hotlist.manage_hotlist", keeper, lists[1])  # the restricted list taken back
    assert "KEPT1" not in client.get("/hotlists/outcomes/").content.decode()
    for url in (f"/alerts/{alert.pk}/", f"/alerts/{alert.pk}/image/plate/"):
        assert client.get(url).status_code == 404


def test_stale_high_priority_alerts_escalate_once(lists):
    now = timezone.now()
    stale = hit(lists[0], "STALE1", priority=2, created_at=now - timedelta(minutes=5))
    hit(lists[0], "MEDIUM1", priority=3, created_at=now - timedelta(minutes=5))
    hit(lists[0], "FRESH1", priority=1, created_at=now)
    taken = hit(lists[0], "TAKEN1", priority=1, created_at=now - timedelta(minutes=5))
    taken.claim(by=lists[0].owner)
    hit(lists[0], "PAST1", priority=1, created_at=now - timedelta(minutes=5), historic=True)
    assert alerts_escalate(now=now) == [stale.pk]
    assert alerts_escalate(now=now + timedelta(minutes=1)) == []
    stale.refresh_from_db()
    assert stale.escalated_at == now and stale.status == Alert.Status.NEW


def test_the_live_feed_does_not_keep_an_idle_session_alive(client_for, lists):
    from django.contrib.sessions.models import Session

    client = client_for("operator")
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    client.get("/alerts/feed/")
    assert Session.objects.get(pk=key).expire_date < timezone.now() + timedelta(minutes=2)
    client.get("/alerts/", headers={"HX-Request": "true"})  # a page's own poll does not
    assert Session.objects.get(pk=key).expire_date < timezone.now() + timedelta(minutes=2)
    client.get("/alerts/")  # a person's own request does count
    assert Session.objects.get(pk=key).expire_date > timezone.now() + timedelta(minutes=10)
    Session.objects.filter(pk=key).delete()
    response = client.get("/alerts/feed/", headers={"HX-Request": "true"})
    assert response.status_code == 401  # the page reloads to the sign-in page


def test_stored_stream_events_are_kept_a_day(personas):
    from django_eventstream import send_event
    from django_eventstream.models import Event as StoredEvent

    from hotlist.events import stream_events_trim

    send_event("operator-1", "alert", {"alerts": []})
    send_event("operator-1", "alert", {"alerts": []})
    # The first event of a channel comes with the library's placeholder (eid 0).
    StoredEvent.objects.filter(eid__lte=1).update(created=timezone.now() - timedelta(hours=25))
    assert stream_events_trim() == 2
    assert StoredEvent.objects.filter(channel="operator-1").count() == 1


@pytest.mark.parametrize(
    ("read", "listed", "marked"),
    [("A812CDE", "AB12CDE", [1]), ("AB12CDE", "AB12CDE", []), ("AB12CDEX", "AB12CDE", [7]),
     ("0B12CD5", "OB12CDS", [0, 6])],
)  # fmt: skip
def test_characters_that_differ_from_the_listed_vrm_are_marked(read, listed, marked):
    flags = vrm_differences(read, listed)
    assert "".join(char for char, _ in flags) == read
    assert [i for i, (_, differs) in enumerate(flags) if differs] == marked


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_the_alert_shows_the_vehicles_other_reads_of_the_last_hours(client_for, lists):
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    HotlistEntryFactory(hotlist=lists[0], vrm="PR3VIOU")
    earlier = CameraFactory(name="Ring road north")
    now = timezone.now()
    two_hours_ago, seven_hours_ago = (
        plain_read("PR3VIOU", captured_at=now - timedelta(hours=hours), capture_id=str(hours))
        for hours in (2, 7)
    )
    ingest(earlier, [two_hours_ago, seven_hours_ago])
    Alert.objects.all().delete()  # keep the newest hit only
    ingest(CameraFactory(), [plain_read("PR3VIOU", captured_at=now, capture_id="c")])
    alert = Alert.objects.get()
    page = client_for("operator").get(f"/alerts/{alert.pk}/").content.decode()
    table = page.split('data-testid="previous-reads"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the heading and the read two hours before; not 7 hours
    assert "Ring road north" in table
    assert AuditRecord.objects.get().detail["previous_reads"] == [two_hours_ago["id"]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_an_old_alert_shows_no_reads_older_than_a_standard_search_may(client_for, lists, settings):
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    settings.SEARCH_WINDOW_DAYS = 90
    HotlistEntryFactory(
        hotlist=lists[0], vrm="0LD1HIT", valid_from=timezone.now() - timedelta(days=200)
    )
    then = timezone.now() - timedelta(days=100)
    ingest(CameraFactory(), [plain_read("0LD1HIT", captured_at=then - timedelta(hours=1))])
    Alert.objects.all().delete()
    ingest(CameraFactory(), [plain_read("0LD1HIT", captured_at=then, capture_id="hit")])
    page = client_for("operator").get(f"/alerts/{Alert.objects.get().pk}/").content.decode()
    assert 'data-testid="previous-reads"' not in page
    assert AuditRecord.objects.get().detail["previous_reads"] == []


def test_refused_alert_and_image_views_are_audited_too(client_for, personas, lists):
    hidden = hit(lists[1], "SECRET2")
    operator = client_for("operator")
    assert operator.get(f"/alerts/{hidden.pk}/").status_code == 404
    assert operator.get(f"/alerts/{hidden.pk}/image/plate/").status_code == 404
    records = AuditRecord.objects.order_by("pk")
    assert [(r.action, r.outcome, r.user) for r in records] == [
        ("alert_view", "refused", personas["operator"]),
        ("image_view", "refused", personas["operator"]),
    ]
    assert "SECRET2" not in str([r.detail for r in records])  # nothing of it is recorded


def test_a_superuser_receives_no_list_unless_entitled_like_anyone(client_for, lists):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", password="correct-horse-battery-staple")
    alert = hit(lists[1], "SECRET3")
    client = client_for("operator")
    sign_in_verified(client, root)
    assert "SECRET3" not in client.get("/alerts/feed/").content.decode()
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404


def test_bad_filters_are_named_and_the_defaults_apply(client_for, lists):
    hit(lists[0], "OPEN2")
    closed = hit(lists[0], "SHUT2")
    closed.claim(by=lists[0].owner)
    closed.reject(by=lists[0].owner, reason="duplicate")
    client = client_for("operator")
    page = client.get("/alerts/", {"hotlist": lists[1].pk}).content.decode()  # not received
    assert "Select a valid choice" in page
    listed = page.split('id="alerts-heading"')[1]
    assert "OPEN2" in listed and "SHUT2" not in listed  # open alerts, on the lists received


def test_the_audit_chain_verifies_and_reports_the_first_edited_or_removed_record(client_for, lists):
    from django.core.management import CommandError, call_command

    alert = hit(lists[0])
    client = client_for("operator")
    for _ in range(3):
        client.get(f"/alerts/{alert.pk}/")
    call_command("audit_verify")  # intact
    _, second, third = AuditRecord.objects.order_by("pk")
    tamper(f"UPDATE access_auditrecord SET target = 'alert 999' WHERE id = {second.pk}")
    with pytest.raises(CommandError, match=f"record {second.pk} .*edited"):
        call_command("audit_verify")
    tamper(f"DELETE FROM access_auditrecord WHERE id = {second.pk}")
    with pytest.raises(CommandError, match=f"record {third.pk} .*removed or inserted"):
        call_command("audit_verify")


def tamper(statement: str, *values) -> None:
    """What someone with the database owner's rights could do, bypassing the trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off
        cursor.execute(statement, values)
        cursor.execute("SET session_replication_role = DEFAULT")


def test_anchored_heads_show_records_taken_off_the_end_and_a_chain_rewritten_whole(
    client_for, lists, settings, tmp_path, caplog
):
    from django.core.management import CommandError, call_command

    from access.services import audit_anchor

    anchors = tmp_path / "anchors.log"
    settings.AUDIT_ANCHOR_FILE = str(anchors)
    alert = hit(lists[0])
    client = client_for("operator")
    for _ in range(3):
        client.get(f"/alerts/{alert.pk}/")
    audit_anchor()
    head = AuditRecord.objects.order_by("pk").last()
    assert f"audit head record {head.pk} hash {head.hash}" in caplog.text  # for the log store
    call_command("audit_verify", anchors=[anchors])  # holds its anchored head

    # The newest record edited and its hash made anew: the chain alone still verifies.
    head.target = "alert 999"
    tamper("UPDATE access_auditrecord SET target = %s, hash = %s WHERE id = %s",
           head.target, head.compute_hash(), head.pk)  # fmt: skip
    call_command("audit_verify")
    with pytest.raises(CommandError, match=f"record {head.pk} is not as it was at .*rewritten"):
        call_command("audit_verify", anchors=[anchors])
    # Records taken off the end: likewise.
    tamper("DELETE FROM access_auditrecord WHERE id >= %s", head.pk - 1)
    call_command("audit_verify")
    with pytest.raises(CommandError, match=f"record {head.pk}, the newest at .* is gone"):
        call_command("audit_verify", anchors=[anchors])
    # Only whole lines count: not the same words in another line (a request for a made-up path).
    forged = f"2026-12-07 04:50:00,123 WARNING django.request Not Found: /x {anchors.read_text()}"
    (tmp_path / "other.log").write_text(forged)
    with pytest.raises(CommandError, match="No audit anchors"):
        call_command("audit_verify", anchors=[tmp_path / "other.log"])


def test_the_event_stream_answers_401_once_the_session_has_ended(client):
    response = client.get("/alerts/events/", headers={"Accept": "text/event-stream"})
    assert response.status_code == 401


def test_historic_alerts_are_listed_but_not_queued(client_for, lists):
    hit(lists[0], "HIST0RY", historic=True)
    feed = client_for("operator").get("/alerts/feed/").content.decode()
    queue, listed = feed.split('id="alerts-heading"')
    assert "HIST0RY" not in queue and "HIST0RY" in listed and "historic" in listed


@pytest.mark.django_db(transaction=True)
def test_an_open_stream_ends_once_its_session_has_ended(client, personas, monkeypatch):
    import asyncio

    import django_eventstream.eventstream as eventstream
    import django_eventstream.views as eventstream_views
    from asgiref.sync import async_to_sync, sync_to_async
    from django.contrib.sessions.models import Session
    from django.test import AsyncClient
    from django_eventstream import send_event

    from hotlist.events import channel_for

    # Events delivered within this process (the library's Redis fan-out left out).
    monkeypatch.setattr(eventstream, "redis_client", None)
    monkeypatch.setattr(eventstream_views.listener_manager, "redis_listener", None)
    operator = personas["operator"]
    sign_in_verified(client, operator)
    seen = {}

    async def watch():
        browser = AsyncClient()
        browser.cookies = client.cookies
        response = await browser.get("/alerts/events/", headers={"Accept": "text/event-stream"})
        chunks = response.streaming_content.__aiter__()
        seen["opened"] = await asyncio.wait_for(chunks.__anext__(), 10)
        waiting = asyncio.ensure_future(chunks.__anext__())
        await asyncio.sleep(1)  # the stream now waits for events
        await sync_to_async(Session.objects.all().delete)()  # signed out, in another tab
        await sync_to_async(send_event)(channel_for(operator.pk), "alert",
                                        {"alerts": [{"id": 4242, "priority": 1}]})  # fmt: skip
        try:
            seen["after"] = await asyncio.wait_for(waiting, 10)
        except StopAsyncIteration:
            seen["after"] = None  # the stream ended

    async_to_sync(watch)()
    assert b"stream-open" in seen["opened"]
    assert seen["after"] is None


class RedisCable:
    """A TCP path to Redis that can be cut (its connections closed, new ones refused) and
    joined again on the same port: Redis gone from where a process stands, and back."""

    def __init__(self, target: dict):
        self.target, self.port, self.server, self.writers, self.pipes = target, 0, None, [], []

    async def join(self) -> None:
        self.server = await asyncio.start_server(self._carry, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for writer in self.writers:
            writer.close()
        self.writers = []

    async def _carry(self, reader, writer) -> None:
        if "unix_socket_path" in self.target:
            far_reader, far_writer = await asyncio.open_unix_connection(
                self.target["unix_socket_path"]
            )
        else:
            far_reader, far_writer = await asyncio.open_connection(
                self.target["host"], self.target["port"]
            )
        self.writers += [writer, far_writer]
        for source, sink in ((reader, far_writer), (far_reader, writer)):
            self.pipes.append(asyncio.ensure_future(self._pipe(source, sink)))

    @staticmethod
    async def _pipe(source, sink) -> None:
        with contextlib.suppress(OSError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        sink.close()


@pytest.mark.slow
def test_the_stream_listener_outlasts_a_redis_outage_and_open_streams_catch_up(settings, caplog):
    import redis
    from django_eventstream.views import Listener, get_listener_manager

    from hotlist.events import LastingRedisListener

    channel = f"operator-drill-{uuid.uuid4().hex}"
    publisher = redis.Redis(**settings.EVENTSTREAM_REDIS)

    def publish(number: int) -> None:
        publisher.publish(
            "events_channel",
            json.dumps(
                {"channel": channel, "event_type": "alert", "data": {"n": number}, "pub_id": None}
            ),
        )

    async def heard(stream, number: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            publish(number)
            await asyncio.sleep(0.3)
            if any(event.data == {"n": number} for event in stream.channel_items.get(channel, [])):
                return True
        return False

    async def drill() -> None:
        cable = RedisCable(settings.EVENTSTREAM_REDIS)
        await cable.join()
        settings.EVENTSTREAM_REDIS = {"host": "127.0.0.1", "port": cable.port}
        listening = asyncio.ensure_future(LastingRedisListener().start())
        stream = Listener()  # an open console's stream
        stream.channels = {channel}
        stream.assign_loop()
        manager = get_listener_manager()
        with manager.lock:
            manager.listeners_by_channel[channel] = {stream}
        try:
            assert await heard(stream, 1, 10)
            for number, seconds in ((2, 8), (3, 1)):  # longer than redis-py's retries, shorter
                await cable.cut()
                await asyncio.sleep(seconds)
                assert not stream.overflow
                await cable.join()
                assert await heard(stream, number, 10)  # listening again
                assert stream.overflow  # so the console reconnects, and is sent what it missed
                stream.overflow = False  # as its reconnection would start it afresh
        finally:
            listening.cancel()
            with manager.lock:
                manager.listeners_by_channel.pop(channel, None)
            await cable.cut()

    asyncio.run(drill())
    assert "The live alert stream lost Redis" in caplog.text
