"""The application's database role (core/migrations/0001_application_role.py): it reads and writes
rows, appends to the audit tables but never edits, deletes or empties them, and makes and drops
day partitions of the read store only through the two functions for it.

The suite connects as the migration role (a superuser); each test becomes the application role
with SET ROLE for the part that the running back office would do, and RESETs after.
"""

import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone
from django_eventstream.models import Event as StoredEvent
from psycopg import errors

from access.models import AuditRecord
from access.services import audit_record_add
from hotlist.models import Alert
from hotlist.services import hotlist_create, hotlist_update
from reads import partitions
from reads.models import Read
from reads.services import read_batch_ingest
from tests.factories import CameraFactory, HotlistEntryFactory, UserFactory, entitle

pytestmark = pytest.mark.django_db(transaction=True)

APP_ROLE = getattr(settings, "DATABASE_APP_ROLE", "anpr_app")
# The day the partition tests make and drop: long before any other test's reads.
FAR_DAY = date(2001, 1, 1)

KEPT_AS_WRITTEN = ["access_auditrecord", "auditlog_logentry", "reads_retentionpolicy",
                   "reads_deletionrecord", "deployments_assessmentfactor",
                   "deployments_privacyrisk", "deployments_consultation",
                   "deployments_sitestatuschange", "deployments_selfassessment",
                   "deployments_principleanswer"]  # fmt: skip
DECIDED_IN_PLACE = ["deployments_deploymentassessment", "deployments_privacyassessment",
                    "deployments_review"]  # fmt: skip


def sql(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@contextmanager
def as_app_role():
    """What runs in the block runs as the application role, on_commit callbacks included."""
    sql(f"SET ROLE {connection.ops.quote_name(APP_ROLE)}")
    try:
        yield
    finally:
        sql("RESET ROLE")


@contextmanager
def denied():
    """The block fails for want of a privilege (Django's ProgrammingError around psycopg's
    InsufficientPrivilege); its transaction is rolled back and the test goes on."""
    with pytest.raises(ProgrammingError) as refusal, transaction.atomic():
        yield
    assert isinstance(refusal.value.__cause__, errors.InsufficientPrivilege), refusal.value


@pytest.fixture
def far_day_cleared():
    """No partition for FAR_DAY before or after the test, whatever it left."""
    name = partitions.partition_name(FAR_DAY)
    sql(f"DROP TABLE IF EXISTS {name}")
    yield FAR_DAY
    sql(f"DROP TABLE IF EXISTS {name}")


def test_application_role_exists_owns_nothing_and_is_reset_after_each_use():
    [(superuser, can_create_roles)] = sql(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [APP_ROLE]
    )
    assert not superuser and not can_create_roles
    owned = "SELECT count(*) FROM pg_class WHERE relowner = %s::regrole AND relpersistence <> 't'"
    assert sql(owned, [APP_ROLE]) == [(0,)]  # temporary tables of its own sessions aside
    with as_app_role():
        assert sql("SELECT current_user") == [(APP_ROLE,)]
    assert sql("SELECT current_user") == sql("SELECT session_user")


def test_application_role_appends_to_and_reads_the_access_audit():
    user = UserFactory()
    with as_app_role():
        first = audit_record_add(user=user, action=AuditRecord.Action.SEARCH, target="AB12CDE")
        second = audit_record_add(user=user, action=AuditRecord.Action.EXPORT, target="AB12CDE")
        assert list(AuditRecord.objects.values_list("pk", flat=True)) == [second.pk, first.pk]
    assert second.previous_hash == first.hash


@pytest.mark.parametrize("table", KEPT_AS_WRITTEN)
def test_application_role_cannot_update_delete_or_truncate_an_audit_table(table):
    with as_app_role():
        sql(f"SELECT count(*) FROM {table}")  # reading is allowed
        with denied():
            sql(f"UPDATE {table} SET id = id")
        with denied():
            sql(f"DELETE FROM {table}")
        with denied():
            sql(f"TRUNCATE {table}")


def test_application_role_cannot_edit_or_remove_access_audit_records_through_the_orm():
    record = audit_record_add(user=UserFactory(), action=AuditRecord.Action.SEARCH, target="X1")
    with as_app_role():
        with denied():
            AuditRecord.objects.filter(pk=record.pk).update(target="edited")
        with denied():
            AuditRecord.objects.filter(pk=record.pk).delete()
    record.refresh_from_db()
    assert record.target == "X1"


def test_application_role_writes_the_change_log_but_cannot_rewrite_it():
    manager = UserFactory()
    with as_app_role():
        hotlist = hotlist_create(by=manager, name="Roles", description="first")
        hotlist_update(hotlist=hotlist, by=manager, description="second")
        entries = LogEntry.objects.get_for_object(hotlist)
        assert entries.count() == 2
        with denied():
            entries.update(changes_text="rewritten")
        with denied():
            entries.delete()
    assert not LogEntry.objects.filter(changes_text="rewritten").exists()


@pytest.mark.parametrize("table", DECIDED_IN_PLACE)
def test_application_role_decides_governance_records_in_place_but_never_deletes_them(table):
    with as_app_role():
        sql(f"UPDATE {table} SET id = id WHERE false")  # their triggers guard what may change
        with denied():
            sql(f"DELETE FROM {table}")
        with denied():
            sql(f"TRUNCATE {table}")


@pytest.mark.usefixtures("read_store")
def test_application_role_ingests_reads_and_raises_alerts(personas):
    camera = CameraFactory()
    entry = HotlistEntryFactory(vrm="AB12CDE")
    entitle(personas["operator"], entry.hotlist)
    now = timezone.now()
    partitions.ensure_days({partitions.day_of(now)})
    # Ingest's staging table is per session: one the suite's role made would not be ours.
    sql("DROP TABLE IF EXISTS pg_temp.reads_staging")
    reads = [{"id": str(uuid.uuid4()), "vrm": vrm, "vrm_raw": vrm, "capture_id": "c",
              "captured_at": (now - timedelta(seconds=5)).isoformat(), "confidence": 0.9,
              "alternatives": []} for vrm in ("AB12CDE", "XY99ZZZ")]  # fmt: skip
    with as_app_role():
        result = read_batch_ingest(
            camera_id=camera.pk, site_id=camera.site_id, received_at=now.isoformat(), reads=reads
        )
    assert (result.stored, len(result.alert_ids)) == (2, 1)
    assert Read.objects.count() == 2
    assert Alert.objects.get().read_vrm == "AB12CDE"
    assert StoredEvent.objects.exists()  # announced to the entitled operator's stream
    camera.refresh_from_db()
    assert camera.reads_stored == 2


def test_application_role_syncs_a_mobile_units_hotlists():
    from hotlist.selectors import entry_changes_since

    unit = CameraFactory(kind="mobile")
    entry = HotlistEntryFactory(vrm="SYNC1")
    unit.hotlists.add(entry.hotlist)
    with as_app_role():  # it may take the lock that waits for changes still being written
        changes = entry_changes_since(camera=unit, since=0)["changes"]
    assert [change["vrm"] for change in changes] == ["SYNC1"]


def test_application_role_makes_and_drops_day_partitions_only_through_the_functions(
    far_day_cleared,
):
    day, name = far_day_cleared, partitions.partition_name(far_day_cleared)
    bounds = f"FROM ('{day} 00:00+00') TO ('{day + timedelta(days=1)} 00:00+00')"
    with as_app_role():
        with denied():
            sql(f"CREATE TABLE {name} PARTITION OF reads_read FOR VALUES {bounds}")
        assert sql("SELECT reads_partition_create(%s)", [day]) == [(True,)]
        assert sql("SELECT reads_partition_create(%s)", [day]) == [(False,)]
        sql("INSERT INTO reads_read (id, vrm, vrm_raw, captured_at, received_at, camera_id,"
            " site_id, capture_id) VALUES (%s, 'AB12CDE', 'AB12CDE', %s, now(), 1, 1, 'c')",
            [uuid.uuid4(), f"{day} 12:00+00"])  # fmt: skip
        assert sql(f"SELECT count(*) FROM {name}") == [(1,)]  # as retention counts a day
        with denied():
            sql(f"DROP TABLE {name}")
        assert sql("SELECT reads_partition_drop(%s)", [day]) == [(True,)]
        assert sql("SELECT reads_partition_drop(%s)", [day]) == [(False,)]
    assert day not in partitions.existing_days()


def test_the_partition_function_makes_the_same_partition_as_ingest(far_day_cleared):
    day, name = far_day_cleared, partitions.partition_name(far_day_cleared)
    sql("SELECT reads_partition_create(%s)", [day])
    made = sql("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s", [name])
    sql(f"DROP TABLE {name}")
    partitions.forget_known()
    partitions.ensure_days({day})
    partitions.forget_known()
    assert made == sql(
        "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s", [name]
    )


def test_tables_the_migration_role_makes_later_are_open_to_the_application_role():
    sql("CREATE TABLE roles_later (id bigint GENERATED ALWAYS AS IDENTITY, note text)")
    try:
        with as_app_role():
            sql("INSERT INTO roles_later (note) VALUES ('a')")
            sql("UPDATE roles_later SET note = 'b'")
            assert sql("SELECT note FROM roles_later") == [("b",)]
            sql("DELETE FROM roles_later")
    finally:
        sql("DROP TABLE roles_later")


def test_application_role_cannot_create_tables():
    with as_app_role(), denied():
        sql("CREATE TABLE roles_own (id int)")
