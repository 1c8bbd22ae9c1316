"""Bulk import and export of a hotlist's entries in one documented CSV template (R-HOT-5).

The template's columns are the national vehicle-of-interest fields. An import is checked first,
every row on its own, each bad row with its reason; the person then sees the counts and the
problems and chooses: import nothing unless every row is good, or import the good rows. Both
steps run in the background with progress, so 100,000 rows never block a page. Each import is
kept: who, when, the file's SHA-256, and the counts; the file itself (plates and why each is of
interest) goes once the import is done, refused, failed or left undecided too long.
"""

import csv
import hashlib
import io
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.spreadsheet import from_cell, to_cell
from reads.vrm import InvalidVRM, canonical_vrm

from .matching import bump_version, entries_retrospective_match, index_settled_in
from .models import EntryChange, Hotlist, HotlistEntry, HotlistImport, Priority

COLUMNS = [
    "vrm", "make", "model", "colour", "reason", "action", "instruction", "warning_markers",
    "information", "intelligence_grading", "source_reference", "owner_contact", "priority",
    "valid_from", "expires_at",
]  # fmt: skip
# The columns stored in fields of a fixed length, and that length: a longer value is the row's
# problem, found when the file is checked, not a failure part way through the import. (The VRM
# is checked as a VRM, spaces and all.)
LIMITS = {field.name: field.max_length or 0 for field in HotlistEntry._meta.concrete_fields
          if isinstance(field, models.CharField) and field.name in COLUMNS[1:]
          and not field.choices}  # fmt: skip
CHUNK = 2000
MAX_ERRORS_KEPT = 1000
MAX_BYTES = 50_000_000


class ImportRefused(Exception):
    """A file that cannot be imported at all; the message says why."""


def hotlist_import_upload(*, hotlist: Hotlist, by, name: str, content: bytes) -> HotlistImport:
    """Keep the file and check it in the background."""
    from .tasks import hotlist_import_check_task

    if len(content) > MAX_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_BYTES // 1_000_000} MB: split it.")
    sha256 = hashlib.sha256(content).hexdigest()
    path = default_storage.save(f"imports/{sha256}.csv", ContentFile(content))
    with transaction.atomic():
        record = HotlistImport.objects.create(hotlist=hotlist, uploaded_by=by, filename=name[:200],
                                              sha256=sha256, path=path)  # fmt: skip
        transaction.on_commit(lambda: hotlist_import_check_task.delay(record.pk))
    return record


def hotlist_import_check(*, import_id: int) -> None:
    """Check every row; keep the counts and each bad row's reason."""
    record = HotlistImport.objects.get(pk=import_id)
    rows, bad = 0, 0
    errors: list[dict] = []
    for number, row, problem in _rows(record, lambda done: _progress(record, done / 2)):
        rows += 1
        if problem:
            bad += 1
            if len(errors) < MAX_ERRORS_KEPT:  # all counted; the first thousand kept
                errors.append({"row": number, "vrm": row.get("vrm", ""), "reason": problem})
    HotlistImport.objects.filter(pk=record.pk, status=HotlistImport.Status.CHECKING).update(
        status=HotlistImport.Status.CHECKED, total_rows=rows, rejected_rows=bad, errors=errors,
        progress=50, touched_at=timezone.now(),
    )  # fmt: skip


def hotlist_import_confirm(*, record: HotlistImport, by, valid_rows_only: bool) -> None:
    """The person's choice after the check: import the good rows, or all or nothing."""
    from .tasks import hotlist_import_run_task

    # Decided once: a conditional update, so a second click (or a second tab) finds it decided.
    waiting = HotlistImport.objects.filter(pk=record.pk, status=HotlistImport.Status.CHECKED)
    if record.rejected_rows and not valid_rows_only:
        if waiting.update(status=HotlistImport.Status.REFUSED, decided_by=by,
                          finished_at=timezone.now()):  # fmt: skip
            default_storage.delete(record.path)
            raise ImportRefused(f"{record.rejected_rows} rows have problems: nothing was "
                                "imported (all or nothing).")  # fmt: skip
    elif waiting.update(status=HotlistImport.Status.IMPORTING, decided_by=by,
                        valid_rows_only=valid_rows_only, touched_at=timezone.now()):  # fmt: skip
        transaction.on_commit(lambda: hotlist_import_run_task.delay(record.pk))
        return
    raise ImportRefused("This import is not waiting for a decision.")


def hotlist_import_run(*, import_id: int) -> None:
    """Store the good rows in chunks, each chunk with its change records, telling the matching
    indexes and matching the chunk against recent reads; then match them all again once no read
    is matched against an index from before them."""
    from .tasks import hotlist_import_rematch_task

    record = HotlistImport.objects.select_related("hotlist", "decided_by").get(pk=import_id)
    if record.status != HotlistImport.Status.IMPORTING:
        return
    started = timezone.now()
    chunk: list[HotlistEntry] = []
    stored = 0
    for _, row, problem in _rows(record, lambda done: _progress(record, 0.5 + done / 2)):
        if problem:
            continue
        chunk.append(_entry(record, row))
        if len(chunk) >= CHUNK:
            stored += _store(record, chunk, started)
            chunk = []
    stored += _store(record, chunk, started)
    HotlistImport.objects.filter(pk=record.pk, status=HotlistImport.Status.IMPORTING).update(
        status=HotlistImport.Status.DONE, imported_rows=stored, progress=100,
        finished_at=timezone.now(),
    )  # fmt: skip
    default_storage.delete(record.path)
    hotlist_import_rematch_task.apply_async((record.pk, started.isoformat()),
                                            countdown=index_settled_in())  # fmt: skip


def hotlist_import_rematch(*, import_id: int, started_at: datetime) -> None:
    """An import's entries matched against recent reads again (entries_retrospective_match)."""
    ids = list(HotlistEntry.objects.filter(import_record_id=import_id).values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        entries_retrospective_match(entry_ids=ids[start : start + CHUNK], look_alikes=False,
                                    live_from=started_at)  # fmt: skip


def hotlist_imports_lapse(*, now: datetime | None = None) -> int:
    """Close the imports left waiting, and delete their files: one checked but not decided
    within HOTLIST_IMPORT_DECISION_DAYS lapses; one being checked or imported that has not
    moved on for an hour (its worker was lost) fails. Returns how many were closed."""
    now = now or timezone.now()
    Status = HotlistImport.Status
    decision_due = now - timedelta(days=settings.HOTLIST_IMPORT_DECISION_DAYS)
    stale = HotlistImport.objects.filter(
        models.Q(status=Status.CHECKED, touched_at__lt=decision_due)
        | models.Q(status__in=[Status.CHECKING, Status.IMPORTING],
                   touched_at__lt=now - timedelta(hours=1))
    )  # fmt: skip
    closed = 0
    for record in stale:
        stored = record.entries.count()
        change = {"status": Status.LAPSED, "finished_at": now}
        if record.status != Status.CHECKED:
            why = f"The import stopped, its worker lost: {stored} rows are on the list."
            errors = [{"row": 0, "vrm": "", "reason": why}, *record.errors]  # the check's kept
            change |= {"status": Status.FAILED, "imported_rows": stored, "errors": errors}
        # Conditional: a decision, or a worker that has moved it on since, wins.
        if HotlistImport.objects.filter(pk=record.pk, status=record.status,
                                        touched_at=record.touched_at).update(**change):  # fmt: skip
            default_storage.delete(record.path)
            closed += 1
    return closed


@contextmanager
def hotlist_import_failure(import_id: int):
    """An import that breaks is marked failed, saying why, rather than left running."""
    try:
        yield
    except Exception as error:
        HotlistImport.objects.filter(pk=import_id).update(
            status=HotlistImport.Status.FAILED, finished_at=timezone.now(),
            errors=[{"row": 0, "vrm": "", "reason": f"The import failed: {error}"[:300]}],
        )  # fmt: skip
        default_storage.delete(HotlistImport.objects.get(pk=import_id).path)
        raise


def _store(record: HotlistImport, entries: list[HotlistEntry], started: datetime) -> int:
    if not entries:
        return 0
    with transaction.atomic():
        created = HotlistEntry.objects.bulk_create(entries)
        EntryChange.objects.bulk_create(
            EntryChange(hotlist_id=record.hotlist_id, entry_id=entry.pk,
                        kind=EntryChange.Kind.SAVED) for entry in created
        )  # fmt: skip
        bump_version()  # bulk writes send no signals
    entries_retrospective_match(entry_ids=[entry.pk for entry in created], look_alikes=False,
                                live_from=started)  # fmt: skip
    return len(created)


def _rows(record: HotlistImport, progress):
    """(row number, row, problem or "") for every data row, reporting progress (0 to 1)."""
    with default_storage.open(record.path, "rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text, restval="")  # a short row's missing cells are empty
        missing = [
            column for column in ("vrm", "reason") if column not in (reader.fieldnames or [])
        ]
        if missing:
            yield 1, {}, f"The header lacks {', '.join(missing)}: use the template."
            return
        size = max(default_storage.size(record.path), 1)
        for number, cells in enumerate(reader, start=2):
            row = {key: from_cell(value) if isinstance(value, str) else value
                   for key, value in cells.items()}  # fmt: skip
            yield number, row, _problem(row)
            if number % 5000 == 0:
                progress(min(handle.tell() / size, 1.0))


def _problem(row: dict) -> str:
    """Why a row cannot be imported, or ""."""
    if None in row:  # csv.DictReader's key for cells beyond the header's columns
        return "The row has more cells than the header has columns."
    for column, limit in LIMITS.items():
        if len(row.get(column) or "") > limit:
            return f"The {column.replace('_', ' ')} is longer than {limit} characters."
    try:
        canonical_vrm(row.get("vrm") or "")
    except InvalidVRM as error:
        return str(error)
    if row.get("reason") not in HotlistEntry.Reason.values:
        return f"Unknown reason {row.get('reason')!r}."
    if row.get("action") and row["action"] not in HotlistEntry.Action.values:
        return f"Unknown action {row['action']!r}."
    markers = [m for m in (row.get("warning_markers") or "").split(";") if m]
    if any(marker not in HotlistEntry.Warning.values for marker in markers):
        return f"Unknown warning marker in {row['warning_markers']!r}."
    if row.get("priority") and row["priority"] not in {str(p) for p in Priority.values}:
        return f"Priority must be 1 to 4, not {row['priority']!r}."
    try:
        start, end = _when(row.get("valid_from")), _when(row.get("expires_at"))
    except ValueError:
        return "Dates must be ISO 8601, e.g. 2026-11-24T09:00:00+00:00."
    if end and end <= (start or timezone.now()):
        return "The entry would expire before it starts."
    return ""


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        raise ValueError(text)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _entry(record: HotlistImport, row: dict) -> HotlistEntry:
    start = _when(row.get("valid_from"))
    expires = _when(row.get("expires_at"))
    return HotlistEntry(
        hotlist=record.hotlist, vrm=canonical_vrm(row["vrm"]), reason=row["reason"],
        action=row.get("action") or HotlistEntry.Action.REPORT,
        make=row.get("make", ""), model=row.get("model", ""), colour=row.get("colour", ""),
        instruction=row.get("instruction", ""), information=row.get("information", ""),
        warning_markers=[m for m in (row.get("warning_markers") or "").split(";") if m],
        intelligence_grading=row.get("intelligence_grading", ""),
        source_reference=row.get("source_reference", ""),
        owner_contact=row.get("owner_contact", ""),
        priority=int(row["priority"]) if row.get("priority") else None,
        valid_from=start or timezone.now(), expires_at=expires,
        created_by=record.decided_by, import_record=record,
    )  # fmt: skip


def _progress(record: HotlistImport, share: float) -> None:
    HotlistImport.objects.filter(pk=record.pk).update(progress=round(100 * share),
                                                      touched_at=timezone.now())  # fmt: skip


def hotlist_export(hotlist: Hotlist) -> str:
    """A list's entries in the import template."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for entry in hotlist.entries.order_by("vrm").iterator(chunk_size=5000):
        writer.writerow(to_cell(value) for value in [
            entry.vrm, entry.make, entry.model, entry.colour, entry.reason, entry.action,
            entry.instruction, ";".join(entry.warning_markers), entry.information,
            entry.intelligence_grading, entry.source_reference, entry.owner_contact,
            entry.priority or "", entry.valid_from.isoformat(),
            entry.expires_at.isoformat() if entry.expires_at else "",
        ])  # fmt: skip
    return buffer.getvalue()
