"""Hotlist management (R-HOT-1, 2, 5, 6): lists kept by their managers, restricted lists out of
everyone else's sight, entries with their history and what they produced."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.roles import Role
from access.services import user_roles_set
from hotlist.models import HotlistEntry
from tests.factories import (
    AlertFactory,
    HotlistEntryFactory,
    HotlistFactory,
    UserFactory,
    sign_in_verified,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_manager():
    user = UserFactory(username="other-manager")
    user_roles_set(user=user, roles=[Role.HOTLIST_MANAGER], acting_user=None)
    return user


def entry_form(vrm, **fields):
    return {"vrm": vrm, "reason": "stolen", "action": "stop",
            "valid_from": timezone.now().isoformat(), **fields}  # fmt: skip


def test_a_manager_creates_a_list_and_keeps_its_entries(client_for, personas):
    client = client_for("hotlists")
    response = client.post("/hotlists/new/", {
        "name": "Burglary series", "source": "local", "default_priority": 2,
        "protective_marking": "official_sensitive", "fuzzy_tolerance": 1, "is_active": "on",
    })  # fmt: skip
    hotlist = personas["hotlists"].hotlists.get(name="Burglary series")
    assert response.status_code == 302 and hotlist.owner == personas["hotlists"]
    page = client.post(f"/hotlists/{hotlist.pk}/", entry_form("ab12 cde", make="Ford"),
                       follow=True).content.decode()  # fmt: skip
    entry = hotlist.entries.get()
    assert entry.vrm == "AB12CDE" and entry.created_by == personas["hotlists"]
    assert "not a UK registration format" not in page
    page = client.post(f"/hotlists/{hotlist.pk}/", entry_form("1ABC234"),
                       follow=True).content.decode()  # fmt: skip
    assert "1ABC234 is not a UK registration format" in page  # a warning, still saved
    assert hotlist.entries.filter(vrm="1ABC234").exists()
    page = client.post(f"/hotlists/{hotlist.pk}/", entry_form("AB-12?"), follow=True)
    assert "letters and digits" in page.content.decode()


def test_another_manager_cannot_see_a_restricted_list_at_all(client_for, personas, other_manager):
    from guardian.shortcuts import assign_perm

    restricted = HotlistFactory(name="Firearms operation", owner=personas["hotlists"])
    entry = HotlistEntryFactory(hotlist=restricted, vrm="SECR3T")
    client = client_for("hotlists")
    sign_in_verified(client, other_manager)
    assert "Firearms operation" not in client.get("/hotlists/").content.decode()
    assert client.get(f"/hotlists/{restricted.pk}/").status_code == 404
    assert client.get(entry.get_absolute_url()).status_code == 404
    assert client.post(f"/hotlists/{restricted.pk}/", entry_form("NEW1")).status_code == 404
    assign_perm("hotlist.manage_hotlist", other_manager, restricted)  # given it, per list
    assert client.get(f"/hotlists/{restricted.pk}/").status_code == 200
    settings_change = client.patch(f"/api/v1/hotlists/{restricted.pk}/", {"is_active": False},
                                   content_type="application/json")  # fmt: skip
    assert settings_change.status_code == 403  # keeps its entries; the owner keeps the list
    assert client_for("operator").get(f"/hotlists/{restricted.pk}/").status_code == 403


def test_the_entry_page_shows_its_history_and_what_it_produced(client_for, personas):
    hotlist = HotlistFactory(owner=personas["hotlists"])
    client = client_for("hotlists")
    client.post(f"/hotlists/{hotlist.pk}/", entry_form("HI5TORY", colour="Blue"))
    entry = hotlist.entries.get()
    client.post(entry.get_absolute_url(), entry_form("HI5TORY", colour="Red"))
    alert = AlertFactory(entry=entry)
    alert.claim(by=personas["operator"])
    alert.reject(by=personas["operator"], reason="wrong_vehicle")
    page = client.get(entry.get_absolute_url()).content.decode()
    history = page.split('data-testid="history"')[1]
    assert "Blue → Red" in history and "hotlists" in history
    assert "Wrong vehicle" in page.split('data-testid="entry-alerts"')[1]


def test_missing_person_entries_are_raised_fast_with_sensible_defaults(client_for, personas):
    hotlist = HotlistFactory(owner=personas["hotlists"], default_priority=4)
    client_for("hotlists").post(f"/hotlists/{hotlist.pk}/", {
        "missing_person": "1", "vrm": "MP 01 XYZ", "information": "Vulnerable adult, 84.",
    })  # fmt: skip
    entry = hotlist.entries.get()
    assert (entry.vrm, entry.reason, entry.action, entry.effective_priority) == (
        "MP01XYZ",
        "missing_person",
        "report",
        2,
    )
    assert timedelta(days=6) < entry.expires_at - timezone.now() <= timedelta(days=7)


def test_expired_entries_are_marked_and_those_expiring_soon_listed(client_for, personas):
    hotlist = HotlistFactory(owner=personas["hotlists"])
    now = timezone.now()
    HotlistEntryFactory(hotlist=hotlist, vrm="OLD1", valid_from=now - timedelta(days=30),
                        expires_at=now - timedelta(days=1))  # fmt: skip
    HotlistEntryFactory(hotlist=hotlist, vrm="SOON1", expires_at=now + timedelta(days=3))
    HotlistEntryFactory(hotlist=hotlist, vrm="LATER1", expires_at=now + timedelta(days=60))
    page = client_for("hotlists").get(f"/hotlists/{hotlist.pk}/").content.decode()
    assert "SOON1" in page.split('data-testid="expiring"')[1].split("</section>")[0]
    assert "LATER1" not in page.split('data-testid="expiring"')[1].split("</section>")[0]
    old_row = page.split(">OLD1<")[0].rsplit("<tr", 1)[1]
    assert 'class="expired"' in old_row
    assert HotlistEntry.objects.count() == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_new_entry_for_a_plate_read_3_days_ago_yields_a_historic_alert(
    celery_worker, client_for, personas
):
    import time

    from hotlist.models import Alert
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    now = timezone.now()
    ingest(CameraFactory(), [plain_read("RETR0S", captured_at=now - timedelta(days=3)),
                             plain_read("RETR05", captured_at=now - timedelta(days=2),
                                        capture_id="alike"),
                             plain_read("RETR0S", captured_at=now - timedelta(days=20),
                                        capture_id="too-old")])  # fmt: skip
    hotlist = HotlistFactory(owner=personas["hotlists"], fuzzy_tolerance=1)
    client_for("hotlists").post(f"/hotlists/{hotlist.pk}/", entry_form("RETR0S"))
    deadline = time.monotonic() + 30
    while Alert.objects.count() < 2:
        assert time.monotonic() < deadline, "no historic alert"
        time.sleep(0.2)
    time.sleep(1)
    alerts = Alert.objects.order_by("captured_at")
    assert [(a.read_vrm, a.match_type, a.historic) for a in alerts] == [
        ("RETR0S", "exact", True),
        ("RETR05", "look_alike", True),
    ]  # 14 days back only: the read 20 days ago is not matched
    outcomes = client_for("hotlists").get("/hotlists/outcomes/").content.decode()
    assert "RETR0S" in outcomes  # the entry's owner sees it


def test_the_owner_decides_who_may_see_a_list(client_for, personas, other_manager):
    from guardian.shortcuts import assign_perm

    hotlist = HotlistFactory(name="Drugs supply", owner=personas["hotlists"])
    alert = AlertFactory(entry=HotlistEntryFactory(hotlist=hotlist, vrm="DRUG5"))
    operator = client_for("operator")
    assert "DRUG5" not in operator.get("/alerts/feed/").content.decode()
    owner = client_for("hotlists")
    owner.post(f"/hotlists/{hotlist.pk}/", {"access": "grant", "permission": "receive_alerts",
                                            "holder": "Operator"})  # fmt: skip
    page = owner.get(f"/hotlists/{hotlist.pk}/").content.decode()
    assert "Receives its alerts" in page.split('data-testid="access"')[1]
    assert "DRUG5" in client_for("operator").get("/alerts/feed/").content.decode()
    assert client_for("operator").get(f"/alerts/{alert.pk}/").status_code == 200

    assign_perm("hotlist.manage_hotlist", other_manager, hotlist)
    client = client_for("hotlists")
    sign_in_verified(client, other_manager)  # keeps the entries, but does not decide who sees it
    page = client.post(f"/hotlists/{hotlist.pk}/", {"access": "revoke",
                                                    "permission": "receive_alerts",
                                                    "holder": "Operator"}, follow=True)  # fmt: skip
    assert "Only the list&#x27;s owner" in page.content.decode()
    client_for("hotlists").post(f"/hotlists/{hotlist.pk}/", {
        "access": "revoke", "permission": "receive_alerts", "holder": "Operator"})  # fmt: skip
    assert client_for("operator").get(f"/alerts/{alert.pk}/").status_code == 404


def test_delta_sync_returns_exactly_the_changes_since_a_revision(personas):
    from rest_framework.test import APIClient

    from cameras.services import camera_credential_issue
    from hotlist.selectors import entry_changes_since
    from tests.factories import CameraFactory

    allowed, other = HotlistFactory(), HotlistFactory()
    unit = CameraFactory(kind="mobile")
    unit.hotlists.add(allowed)
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Camera {camera_credential_issue(camera=unit, acting_user=None)[1]}"
    )

    def sync(since):
        response = api.get("/api/v1/cameras/hotlists/", {"since": since})
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]  # plates and reasons: kept by no cache
        return response.json()

    kept = HotlistEntryFactory(hotlist=allowed, vrm="KEPT1")
    changed = HotlistEntryFactory(hotlist=allowed, vrm="CHANGE1")
    removed = HotlistEntryFactory(hotlist=allowed, vrm="GONE1")
    HotlistEntryFactory(hotlist=other, vrm="NOTYOURS")
    first = sync(0)
    assert {c["vrm"] for c in first["changes"]} == {"KEPT1", "CHANGE1", "GONE1"}
    assert first["lists"] == [allowed.pk]

    changed.colour = "Red"
    changed.priority = 1
    changed.save()
    removed_id = removed.pk
    removed.delete()
    added = HotlistEntryFactory(hotlist=allowed, vrm="NEW1")
    HotlistEntryFactory(hotlist=other, vrm="NOTYOURS2")
    delta = sync(first["revision"])
    assert [(c["entry"], c["change"]) for c in delta["changes"]] == [
        (changed.pk, "save"), (removed_id, "remove"), (added.pk, "save"),
    ]  # fmt: skip
    assert delta["changes"][0]["priority"] == 1
    assert sync(delta["revision"])["changes"] == []  # nothing since
    assert kept.pk not in [c["entry"] for c in delta["changes"]]
    # A page at a time, oldest first.
    paged = entry_changes_since(camera=unit, since=0, limit=2)
    assert [c["entry"] for c in paged["changes"]] == [kept.pk, changed.pk] and paged["more"]
    rest = entry_changes_since(camera=unit, since=paged["revision"], limit=2)
    assert [c["entry"] for c in rest["changes"]] == [removed_id, added.pk]
    assert not rest["more"]
    # A revision the back office has not reached (restored from a backup) is refused, not
    # answered from: the changes up to it would never reach the unit.
    ahead = api.get("/api/v1/cameras/hotlists/", {"since": delta["revision"] + 1000})
    assert ahead.status_code == 409 and "sync again from 0" in ahead.json()["detail"]
    for bad in ("-5", "٣", "1e3", ""):
        assert api.get("/api/v1/cameras/hotlists/", {"since": bad}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_after_a_later_one_still_reaches_the_unit():
    import threading

    from django.db import connections, transaction

    from hotlist.selectors import entry_changes_since
    from tests.factories import CameraFactory

    hotlist, unit = HotlistFactory(), CameraFactory(kind="mobile")
    unit.hotlists.add(hotlist)
    HotlistEntryFactory(hotlist=hotlist, vrm="FIRST1")
    held = entry_changes_since(camera=unit, since=0)["revision"]
    written, release, synced = threading.Event(), threading.Event(), {}

    def slow_import():  # draws its revision, then commits only when released
        with transaction.atomic():
            HotlistEntryFactory(hotlist=hotlist, vrm="SLOW1")
            written.set()
            release.wait(20)
        connections.close_all()

    def sync():
        synced.update(entry_changes_since(camera=unit, since=held))
        connections.close_all()

    writer, syncer = threading.Thread(target=slow_import), threading.Thread(target=sync)
    writer.start()
    assert written.wait(20)
    HotlistEntryFactory(hotlist=hotlist, vrm="FAST1")  # a later revision, committed first
    syncer.start()
    syncer.join(1)
    assert syncer.is_alive()  # the sync waits for the slower change to commit
    release.set()
    writer.join(20)
    syncer.join(20)
    assert [change["vrm"] for change in synced["changes"]] == ["SLOW1", "FAST1"]


def test_a_unit_that_may_not_submit_reads_is_given_no_hotlist_entries(personas):
    from rest_framework.test import APIClient

    from cameras.services import camera_credential_issue
    from tests.factories import CameraFactory

    hotlist = HotlistFactory()
    HotlistEntryFactory(hotlist=hotlist, vrm="WA11NTD")
    unit = CameraFactory(kind="mobile")
    unit.hotlists.add(hotlist)
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Camera {camera_credential_issue(camera=unit, acting_user=None)[1]}"
    )
    assert "WA11NTD" in api.get("/api/v1/cameras/hotlists/", {"since": 0}).content.decode()
    unit.status = "disabled"
    unit.save()
    refused = api.get("/api/v1/cameras/hotlists/", {"since": 0})
    assert refused.status_code == 403 and "WA11NTD" not in refused.content.decode()
    assert refused.json()["detail"] == f"Camera {unit.reference} is disabled."
    unit.status = "active"
    unit.save()
    unit.site.status = "decommissioned"
    unit.site.save()
    refused = api.get("/api/v1/cameras/hotlists/", {"since": 0})
    assert refused.status_code == 403 and "does not collect reads" in refused.json()["detail"]


def test_lists_and_entries_through_the_api(client_for, personas, other_manager):
    client = client_for("hotlists")
    created = client.post("/api/v1/hotlists/", {
        "name": "API list", "source": "local", "default_priority": 3,
        "protective_marking": "official", "fuzzy_tolerance": 0, "is_active": True,
    }, content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["owner"] == "hotlists"
    list_id = created.json()["id"]
    entry = client.post(f"/api/v1/hotlists/{list_id}/entries/", {
        "vrm": "a1 abc", "reason": "wanted", "warning_markers": ["firearms"],
        "valid_from": timezone.now().isoformat(),
    }, content_type="application/json")  # fmt: skip
    assert entry.status_code == 201, entry.content
    assert entry.json()["vrm"] == "A1ABC" and entry.json()["warnings"] == []
    changed = client.patch(f"/api/v1/hotlists/{list_id}/entries/{entry.json()['id']}/",
                           {"colour": "Red"}, content_type="application/json")  # fmt: skip
    assert changed.status_code == 200 and changed.json()["colour"] == "Red"
    bad = client.post(f"/api/v1/hotlists/{list_id}/entries/", {"vrm": "??", "reason": "wanted"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    renamed = client.patch(f"/api/v1/hotlists/{list_id}/", {"is_active": False},
                           content_type="application/json")  # fmt: skip
    assert renamed.status_code == 200 and renamed.json()["is_active"] is False
    page = client.post(f"/hotlists/{list_id}/edit/", {
        "name": "API list (renamed)", "source": "local", "default_priority": 3,
        "protective_marking": "official", "fuzzy_tolerance": 0,
    })  # fmt: skip
    assert page.status_code == 302
    assert client.get(f"/api/v1/hotlists/{list_id}/").json()["name"] == "API list (renamed)"
    sign_in_verified(client, other_manager)
    assert client.get(f"/api/v1/hotlists/{list_id}/").status_code == 404
    assert client.get(f"/api/v1/hotlists/{list_id}/entries/").status_code == 404
    assert client_for("operator").get("/api/v1/hotlists/").status_code == 403


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_an_edit_reaches_a_running_workers_matching_index_within_seconds(celery_worker, personas):
    import time
    import uuid

    from rest_framework.test import APIClient

    from cameras.services import camera_credential_issue
    from hotlist.models import Alert
    from hotlist.services import hotlist_entry_save
    from reads.models import Read
    from tests.factories import CameraFactory
    from tests.test_camera_api import a_read

    camera = CameraFactory()
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Camera {camera_credential_issue(camera=camera, acting_user=None)[1]}"
    )

    def read(vrm):
        """Post a read; return the alerts it raised once it is stored."""
        capture = uuid.uuid4().hex
        assert api.post("/api/v1/cameras/reads/", {"reads": [a_read(capture, vrm)]},
                        format="json").status_code == 202  # fmt: skip
        deadline = time.monotonic() + 20
        while not Read.objects.filter(capture_id=capture).exists():
            assert time.monotonic() < deadline, "not stored"
            time.sleep(0.1)
        # Live alerts only: the entry also finds the earlier read, as a historic alert.
        return list(Alert.objects.filter(read_vrm=vrm.replace(" ", ""), historic=False))

    assert read("ED17 ONE") == []  # the worker's index is loaded, without it
    hotlist = HotlistFactory(owner=personas["hotlists"], fuzzy_tolerance=0)
    new = HotlistEntry(hotlist=hotlist, vrm="ED17ONE", reason="stolen",
                       valid_from=timezone.now() - timedelta(hours=1))  # fmt: skip
    entry, _ = hotlist_entry_save(by=personas["hotlists"], entry=new)
    started = time.monotonic()
    assert len(read("ED17 ONE")) == 1  # the very next batch sees the new entry
    entry.vrm = "ED17TWO"
    hotlist_entry_save(by=personas["hotlists"], entry=entry)
    assert len(read("ED17 ONE")) == 1  # no new alert for the old plate
    assert len(read("ED17 TWO")) == 1
    assert time.monotonic() - started < 30


def test_a_list_name_is_unique_to_its_owner_and_says_nothing_of_others_lists(client_for, personas):
    from access.services import user_roles_set
    from tests.factories import UserFactory, sign_in_verified

    HotlistFactory(name="Operation Kestrel", owner=personas["hotlists"])  # restricted: not hers
    other = UserFactory(username="other-manager")
    user_roles_set(user=other, roles=[Role.HOTLIST_MANAGER], acting_user=None)
    client = client_for("hotlists")
    sign_in_verified(client, other)
    form = {"name": "Operation Kestrel", "source": "local", "default_priority": 2,
            "protective_marking": "official", "fuzzy_tolerance": 1}  # fmt: skip
    assert client.post("/hotlists/new/", form).status_code == 302  # her own list, made
    again = client.post("/hotlists/new/", form).content.decode()
    assert "You already keep a list of this name." in again
    api = client.post("/api/v1/hotlists/", {"name": "Operation Kestrel", "source": "local"},
                      content_type="application/json")  # fmt: skip
    assert api.status_code == 400 and api.json()["name"] == [
        "You already keep a list of this name."
    ]


def test_only_the_owner_opens_a_lists_settings(client_for, personas):
    from guardian.shortcuts import assign_perm

    from access.services import user_roles_set
    from tests.factories import UserFactory, sign_in_verified

    hotlist = HotlistFactory(owner=personas["hotlists"],
                             webhook_url="https://dispatch.example/hook/TOKEN123")  # fmt: skip
    keeper = UserFactory(username="keeper")
    user_roles_set(user=keeper, roles=[Role.HOTLIST_MANAGER], acting_user=None)
    assign_perm("hotlist.manage_hotlist", keeper, hotlist)
    client = client_for("hotlists")
    sign_in_verified(client, keeper)
    assert client.get(f"/hotlists/{hotlist.pk}/").status_code == 200  # keeps its entries
    assert client.get(f"/hotlists/{hotlist.pk}/edit/").status_code == 404  # not its address
    assert (
        "TOKEN123" in client_for("hotlists").get(f"/hotlists/{hotlist.pk}/edit/").content.decode()
    )


def test_a_nul_in_an_access_change_names_no_one(client_for, personas):
    hotlist = HotlistFactory(owner=personas["hotlists"])
    page = client_for("hotlists").post(
        f"/hotlists/{hotlist.pk}/",
        {"access": "grant", "permission": "receive_alerts", "holder": "Op\x00erator"},
        follow=True,
    )
    assert "There is no role or user called" in page.content.decode()


def test_a_checked_import_is_decided_once(personas):
    from hotlist.imports import ImportRefused, hotlist_import_confirm
    from hotlist.models import HotlistImport

    hotlist = HotlistFactory(owner=personas["hotlists"])
    record = HotlistImport.objects.create(
        hotlist=hotlist, uploaded_by=personas["hotlists"], filename="a.csv", sha256="x",
        path="imports/x.csv", status="checked", total_rows=3)  # fmt: skip
    first, second = (HotlistImport.objects.get(pk=record.pk) for _ in range(2))  # two tabs
    hotlist_import_confirm(record=first, by=personas["hotlists"], valid_rows_only=True)
    with pytest.raises(ImportRefused, match="not waiting for a decision"):
        hotlist_import_confirm(record=second, by=personas["hotlists"], valid_rows_only=True)
    record.refresh_from_db()
    assert record.status == "importing"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_corrected_plate_and_an_expired_import_are_matched_as_they_stand(celery_worker, personas):
    import time

    from hotlist.matching import entries_retrospective_match
    from hotlist.models import Alert
    from hotlist.services import hotlist_entry_save
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    now = timezone.now()
    ingest(CameraFactory(), [plain_read("AB12CDE", captured_at=now - timedelta(days=3)),
                             plain_read("EXP1RED", captured_at=now - timedelta(days=2),
                                        capture_id="late")])  # fmt: skip
    hotlist = HotlistFactory(owner=personas["hotlists"], fuzzy_tolerance=0)
    entry, _ = hotlist_entry_save(
        by=personas["hotlists"], entry=HotlistEntry(hotlist=hotlist, vrm="AB12CDX", reason="stolen")
    )  # a slip of the keyboard
    entry.vrm = "AB12CDE"
    hotlist_entry_save(by=personas["hotlists"], entry=entry)  # corrected: its reads looked at
    deadline = time.monotonic() + 30
    while not Alert.objects.filter(read_vrm="AB12CDE").exists():
        assert time.monotonic() < deadline, "the corrected plate was not matched"
        time.sleep(0.2)
    # An imported entry that had expired before the read is no match for it.
    expired = HotlistEntryFactory(hotlist=hotlist, vrm="EXP1RED",
                                  valid_from=now - timedelta(days=10),
                                  expires_at=now - timedelta(days=5))  # fmt: skip
    assert entries_retrospective_match(entry_ids=[expired.pk], look_alikes=False) == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_read_in_flight_as_an_entry_is_saved_is_matched_once_the_workers_know_it(
    celery_worker, personas, settings
):
    """A batch matched against an index from before the entry, and stored only after the
    entry's first look back at recent reads, is caught by its second look."""
    import threading
    import time

    import psycopg
    from django.db import connection

    from hotlist.models import Alert
    from hotlist.services import hotlist_entry_save
    from tests.conftest import test_database_url
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    settings.HOTLIST_INDEX_MAX_AGE_SECONDS = 2  # the second look 4 s after the save
    camera = CameraFactory()
    ingest(camera, [plain_read("FL16HTS", captured_at=timezone.now() - timedelta(days=1))])
    in_flight = plain_read("FL16HTS")
    # The batch's reads are locked by id as it stores them: holding that lock keeps the batch
    # in flight, matched already (against an index without the entry) but not yet stored.
    with psycopg.connect(test_database_url(), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [in_flight["id"]])

        def store():
            try:
                ingest(camera, [in_flight])
            finally:
                connection.close()

        batch = threading.Thread(target=store)
        batch.start()
        while not holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                 " AND NOT granted").fetchone()[0]:  # fmt: skip
            time.sleep(0.05)
        hotlist = HotlistFactory(owner=personas["hotlists"], fuzzy_tolerance=0)
        entry = HotlistEntry(hotlist=hotlist, vrm="FL16HTS", reason="stolen")
        hotlist_entry_save(by=personas["hotlists"], entry=entry)
        deadline = time.monotonic() + 30
        while not Alert.objects.filter(read_vrm="FL16HTS").exists():  # the first look's
            assert time.monotonic() < deadline, "the entry's first look back did not run"
            time.sleep(0.1)
        holder.execute("SELECT pg_advisory_unlock_all()")
        batch.join()
    assert not Alert.objects.filter(read_id=in_flight["id"]).exists()  # the batch matched nothing
    deadline = time.monotonic() + 30
    while not Alert.objects.filter(read_id=in_flight["id"]).exists():
        assert time.monotonic() < deadline, "the read in flight was never matched"
        time.sleep(0.2)
    # Received before the entry was saved: the entry's look back found it, as for older reads.
    assert Alert.objects.get(read_id=in_flight["id"]).historic


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_read_received_after_an_entry_was_saved_but_missed_raises_a_live_alert(personas):
    """Redis down as an entry is saved: no worker is told to rebuild its index, so reads
    received in the next minute are stored unmatched. The entry's look back raises their live
    alerts (queued, sent on), and historic ones for reads received before it was saved."""
    from hotlist.matching import entry_retrospective_match
    from hotlist.models import Alert, WebhookDelivery
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    camera = CameraFactory()
    earlier = plain_read("RD15DWN", captured_at=timezone.now() - timedelta(hours=1))
    ingest(camera, [earlier])
    saved_at = timezone.now()
    missed = plain_read("RD15DWN")
    ingest(camera, [missed])  # no entry in any index yet: stored unmatched
    hotlist = HotlistFactory(owner=personas["hotlists"], fuzzy_tolerance=0,
                             webhook_url="https://dispatch.example.police.uk/anpr")  # fmt: skip
    entry = HotlistEntryFactory(hotlist=hotlist, vrm="RD15DWN",
                                valid_from=saved_at - timedelta(days=1))  # fmt: skip

    assert entry_retrospective_match(entry_id=entry.pk, saved_at=saved_at) == 2
    live = Alert.objects.get(read_id=missed["id"])
    assert (live.historic, live.status) == (False, Alert.Status.NEW)
    assert WebhookDelivery.objects.filter(alert=live).count() == 1
    assert Alert.objects.get(read_id=earlier["id"]).historic
    # Its second look raises nothing twice.
    entry_retrospective_match(entry_id=entry.pk, saved_at=saved_at)
    assert Alert.objects.count() == 2 and WebhookDelivery.objects.count() == 1
