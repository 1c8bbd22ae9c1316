"""Backup and restore: the drill restores a backup into a fresh database and media folder and
verifies it, the search audit's hash chain included; a damaged backup, a database that is not
empty and a folder that holds files are refused before anything is written."""

import json
import os
import uuid
from datetime import UTC, timedelta
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from access.models import AuditRecord
from access.services import audit_record_add
from core.backup import BackupError, client_tool
from reads.models import Read
from tests.conftest import test_database_url
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

# Every day partition with its reads (empty ones too): what a restore must bring back.
PER_PARTITION = (
    "SELECT c.relname, (SELECT count(*) FROM reads_read r WHERE r.tableoid = c.oid)"
    " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'reads_read'::regclass ORDER BY 1"
)
AUDIT = "SELECT id, at, user_id, target, previous_hash, hash FROM access_auditrecord ORDER BY id"


@pytest.fixture
def live(settings, tmp_path, personas):
    """A system with reads on three days, images in the media root, and searches in the audit;
    returns its media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
    camera = CameraFactory()
    for n, days_ago in enumerate([1, 2, 5]):
        day = (timezone.now() - timedelta(days=days_ago)).astimezone(UTC).replace(hour=12)
        ingest(camera, [plain_read(f"AB{n}{i}CDE", captured_at=day - timedelta(seconds=i),
                                   capture_id=f"{n}-{i}") for i in range(n + 2)])  # fmt: skip
        folder = settings.MEDIA_ROOT / "reads" / f"{day:%Y/%m/%d}" / str(camera.pk)
        folder.mkdir(parents=True)
        (folder / "plate.jpg").write_bytes(os.urandom(3_000))
        (folder / "overview.jpg").write_bytes(os.urandom(25_000))
    (settings.MEDIA_ROOT / "holds" / "1").mkdir(parents=True)
    (settings.MEDIA_ROOT / "holds" / "1" / "plate.jpg").write_bytes(os.urandom(3_000))
    for plate in ["AB00CDE", "AB11CDE", "ZZ99ZZZ"]:
        audit_record_add(user=personas["investigator"], action=AuditRecord.Action.SEARCH,
                         target=f"plate {plate}", case_reference="NT/12345/26",
                         result_count=1, address="10.0.0.7")  # fmt: skip
    return settings.MEDIA_ROOT


@pytest.fixture
def drill_url():
    """A database nobody has used, on the tests' server; dropped at the end."""
    server = test_database_url().rsplit("/", 1)[0]
    name = f"anpr_drill_{uuid.uuid4().hex[:12]}"
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backup(folder) -> str:
    out = StringIO()
    call_command("backup", str(folder), stdout=out)
    return out.getvalue()


def restore(folder, database_url, media_root) -> str:
    out = StringIO()
    call_command("restore", str(folder), database_url=database_url, media_root=media_root,
                 stdout=out)  # fmt: skip
    return out.getvalue()


def files(root) -> dict:
    return {path.relative_to(root): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def database_exists(url) -> bool:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres") as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def test_restore_drill_brings_back_every_read_image_and_audit_record_with_the_chain_verified(
    live, tmp_path, drill_url
):
    with connection.cursor() as cursor:
        cursor.execute(PER_PARTITION)
        partitions = cursor.fetchall()
        cursor.execute(AUDIT)
        audit = cursor.fetchall()
    assert sum(count for _, count in partitions) == 2 + 3 + 4
    assert len([count for _, count in partitions if count]) == 3

    written = backup(tmp_path / "backup")
    assert "Dumping database" in written and "Archiving media root" in written
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["contents"]["reads"] == 9
    assert manifest["contents"]["audit_records"] == 3
    assert manifest["contents"]["audit_last_hash"] == audit[-1][-1]
    assert set(manifest["files"]) == {"database.dump", "media.tar"}
    # Its owner's alone: no other account on the host may read it.
    assert (tmp_path / "backup").stat().st_mode & 0o777 == 0o700
    assert {path.stat().st_mode & 0o777 for path in (tmp_path / "backup").iterdir()} == {0o600}

    restored = restore(tmp_path / "backup", drill_url, tmp_path / "restored")

    assert "The audit chain is intact: 3 records." in restored
    assert f"last hash {audit[-1][-1]}, as backed up" in restored
    with psycopg.connect(drill_url) as conn:
        assert conn.execute(PER_PARTITION).fetchall() == partitions
        assert conn.execute(AUDIT).fetchall() == audit
    assert files(tmp_path / "restored") == files(live)
    assert len(files(live)) == 7


def test_a_tampered_backup_is_refused_before_anything_is_restored(live, tmp_path, drill_url):
    backup(tmp_path / "backup")
    dump = tmp_path / "backup" / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(data)

    with pytest.raises(CommandError, match=r"database\.dump does not match its checksum"):
        restore(tmp_path / "backup", drill_url, tmp_path / "restored")
    assert not database_exists(drill_url)
    assert not (tmp_path / "restored").exists()


def test_a_restore_never_goes_into_a_database_that_has_tables(live, tmp_path):
    backup(tmp_path / "backup")

    with pytest.raises(CommandError, match=r"already has \d+ tables: a restore goes into a fresh"):
        restore(tmp_path / "backup", test_database_url(), tmp_path / "restored")
    assert not (tmp_path / "restored").exists()
    assert Read.objects.count() == 9


def test_the_drill_fails_when_the_backed_up_audit_chain_was_edited(live, tmp_path, drill_url):
    with connection.cursor() as cursor:
        # Past the append-only trigger, as only someone with the database's superuser could.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("UPDATE access_auditrecord SET target = 'plate AA11AAA'"
                       " WHERE id = (SELECT min(id) FROM access_auditrecord)")  # fmt: skip
        cursor.execute("SET session_replication_role = DEFAULT")
    backup(tmp_path / "backup")

    with pytest.raises(CommandError, match=r"audit chain does not verify.*\(edited\)"):
        restore(tmp_path / "backup", drill_url, tmp_path / "restored")


def test_a_backup_never_writes_into_a_folder_that_holds_files(tmp_path):
    (tmp_path / "notes.txt").write_text("someone else's")
    with pytest.raises(CommandError, match="is not empty: a backup goes into a new folder"):
        backup(tmp_path)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_without_a_client_program_new_enough_the_error_says_what_to_install():
    with pytest.raises(BackupError, match=r"No pg_dump of PostgreSQL 99 or newer \(found: .+\)"
                                          r".*postgresql-client-99"):  # fmt: skip
        client_tool("pg_dump", 99)
