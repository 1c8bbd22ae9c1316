"""The national export (R-RET-4): each day's reads in the national capture format, handed to a
transport adapter that a force plugs in.

A day's export is a folder in storage, exports/national/YYYY-MM-DD/:
    capture-YYYY-MM-DD.xml      the reads, in record groups of at most READ_BATCH_MAX
    images/<read id>-plate.jpg  copies of the reads' images (and -overview)
    manifest.json               the counts, and every file above with its size and SHA-256
    manifest.json.sha256        the manifest's SHA-256, as `sha256sum -c` reads it
A day is written once, after it has ended, and sent until a transport accepts it. Everything
goes through temporary files on its way to storage: a day holds millions of reads.
"""

import hashlib
import json
import logging
import posixpath
import re
import tempfile
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import IO, Protocol
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string

from cameras.models import Camera
from core.locks import advisory_lock
from deployments.models import Site

from . import partitions
from .models import NationalExport, Read

logger = logging.getLogger(__name__)

FOLDER = "exports/national"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PROGRESS_GROUPS = 2000  # a progress line in the log every 2000 record groups
_RUN_LOCK = 0x6E617469  # "nati": one run at a time (a task outliving its visibility timeout)


class Transport(Protocol):
    """Sends one day's export upstream. A force writes its own and names the class in
    NATIONAL_EXPORT_TRANSPORT. `folder` is the export's folder in default storage. Returns a
    receipt (what the receiver said); raises when the export was not accepted, and the next
    run sends it again."""

    def send(self, export: NationalExport, folder: str) -> str: ...


class StorageTransport:
    """The default: the files stay in storage, for the force to collect."""

    def send(self, export: NationalExport, folder: str) -> str:
        return f"Left in storage at {folder}/"


def national_export_due(*, today: date) -> list[NationalExport]:
    """The daily job: export each day after the last one exported, up to yesterday (only
    yesterday the first time), and the late reads of each day exported in the last
    NATIONAL_LATE_DAYS; then send every export not yet sent; return those sent or tried. A run
    that finds another one under way does nothing."""
    with advisory_lock(_RUN_LOCK) as running_alone:
        if not running_alone:
            logger.warning("The national export is already running; this run does nothing.")
            return []
        exported = NationalExport.objects.filter(
            part=0, day__gte=today - timedelta(days=settings.NATIONAL_LATE_DAYS)
        ).values_list("day", flat=True)  # fmt: skip
        for day in sorted(exported):
            national_export_late(day=day)
        for day in _days_due(today):
            national_export(day=day)
        unsent = NationalExport.objects.filter(sent_at__isnull=True).order_by("day")
        tried = [national_export_send(export=export) for export in unsent]
    failed = sum(1 for export in tried if export.error)
    logger.info("National export: %d sent, %d failed", len(tried) - failed, failed)
    return tried


def national_export(*, day: date) -> NationalExport:
    """Write the reads captured on `day` (a UTC day that has ended) in the national capture
    format, with copies of their images, a manifest and its checksum. A day is written once:
    for a day already exported, its record is returned and nothing is written. Reads received
    in the last NATIONAL_LATE_MARGIN_MINUTES are left to its late reads (their batches may not
    be stored yet)."""
    if export := NationalExport.objects.filter(day=day, part=0).first():
        return export
    if day >= partitions.day_of(timezone.now()):
        raise ValueError(f"{day} has not ended yet: a day is exported once it is over.")
    return _export(day, 0, None, _horizon())


def national_export_late(*, day: date) -> NationalExport | None:
    """The reads of an exported day received since its last part was written (a camera's
    backlog sent late), as the day's next part, in a folder of its own; None when there are
    none. Parts follow each other by when their reads were received, so each read is in one."""
    last = NationalExport.objects.filter(day=day).order_by("-part").first()
    if last is None:
        return None
    since, before = last.received_before or last.created_at, _horizon()
    if before <= since or not _day_reads(day, since, before).exists():
        return None
    return _export(day, last.part + 1, since, before)


def _horizon() -> datetime:
    """Reads received before this are all stored (a batch is stored within minutes of being
    received; one delayed longer, by an outage, may miss the national export)."""
    return timezone.now() - timedelta(minutes=settings.NATIONAL_LATE_MARGIN_MINUTES)


def _export(day: date, part: int, since: datetime | None, before: datetime) -> NationalExport:
    name = day.isoformat() + (f"-late-{part}" if part else "")
    capture_name = f"capture-{name}.xml"
    with tempfile.TemporaryFile("w+") as entries, tempfile.TemporaryFile() as capture:
        folder = _Folder(f"{FOLDER}/{name}", entries)
        reads, groups = _capture_write(capture, folder, day, _day_reads(day, since, before))
        sha256 = folder.save(capture_name, File(capture))
        created_at = timezone.now()
        manifest = folder.manifest({
            "format": "national-capture", "format_version": FORMAT_VERSION,
            "source_id": settings.NATIONAL_SOURCE_ID, "day": day.isoformat(), "part": part,
            "received_from": _utc(since) if since else None, "received_before": _utc(before),
            "reads": reads, "groups": groups, "capture_file": capture_name,
            "created_at": _utc(created_at),
        })  # fmt: skip
    export = NationalExport.objects.create(
        day=day, part=part, reads=reads, groups=groups, manifest=manifest, sha256=sha256,
        received_before=before, created_at=created_at,
    )  # fmt: skip
    logger.info("%s in %d record groups", export, groups)
    return export


def _day_reads(day: date, since: datetime | None, before: datetime):
    """The reads captured on `day` and received in [since, before)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    reads = Read.objects.filter(captured_at__gte=start, captured_at__lt=start + timedelta(days=1),
                                received_at__lt=before)  # fmt: skip
    return reads.filter(received_at__gte=since) if since else reads


def national_export_send(*, export: NationalExport) -> NationalExport:
    """Hand an export to the configured transport; record its receipt, or its error for the
    next run to try again."""
    export.transport = settings.NATIONAL_EXPORT_TRANSPORT
    try:
        transport: Transport = import_string(export.transport)()
        receipt = transport.send(export, posixpath.dirname(export.manifest))
    except Exception as error:  # whatever a force's transport raises is recorded, not lost
        logger.exception("Sending the national export of %s failed", export.day)
        export.error = f"{type(error).__name__}: {error}"[:300]
        export.save(update_fields=["transport", "error"])
        return export
    export.receipt = str(receipt)[:200]
    export.sent_at = timezone.now()
    export.error = ""
    export.save(update_fields=["transport", "receipt", "sent_at", "error"])
    return export


def _days_due(today: date) -> list[date]:
    """The days from the one after the last exported to yesterday: a missed run is caught up."""
    yesterday = today - timedelta(days=1)
    last = NationalExport.objects.filter(part=0).aggregate(last=Max("day"))["last"]
    first = last + timedelta(days=1) if last else yesterday
    return [first + timedelta(days=n) for n in range((yesterday - first).days + 1)]


def _capture_write(out: IO[bytes], folder: "_Folder", day: date, found) -> tuple[int, int]:
    """Write the capture file of `day`'s reads `found` to `out`, one line a read, copying the
    reads' images into the folder; return how many reads and record groups it holds."""
    reads = found.order_by("captured_at", "id").iterator(chunk_size=5000)
    # References by id from the small tables, not joined: a read whose camera or site were
    # gone would fail the export here rather than silently drop out of it.
    cameras = dict(Camera.objects.values_list("pk", "reference"))
    sites = dict(Site.objects.values_list("pk", "reference"))
    source = settings.NATIONAL_SOURCE_ID
    out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<NationalCapture FormatVersion="{FORMAT_VERSION}" SourceId={quoteattr(source)}'
              f' Day="{day.isoformat()}">\n'.encode())  # fmt: skip
    count = groups = 0
    while group := list(islice(reads, settings.READ_BATCH_MAX)):
        groups += 1
        count += len(group)
        lines = [f'<RecordGroup Sequence="{groups}" Count="{len(group)}">']
        lines += [_read_element(read, cameras[read.camera_id], sites[read.site_id], source,
                                folder) for read in group]  # fmt: skip
        lines.append("</RecordGroup>\n")
        out.write("\n".join(lines).encode())
        if groups % PROGRESS_GROUPS == 0:
            logger.info("National export of %s: %d reads written so far", day, count)
    out.write(b"</NationalCapture>\n")
    return count, groups


def _read_element(read: Read, camera: str, feed: str, source: str, folder: "_Folder") -> str:
    """One read as a Read element; what is unknown is left out."""
    fields = [
        ("VRM", read.vrm), ("CameraId", camera), ("FeedId", feed), ("SourceId", source),
        ("CaptureTime", _utc(read.captured_at)), ("Latitude", _decimal(read.latitude, 6)),
        ("Longitude", _decimal(read.longitude, 6)), ("Confidence", _decimal(read.confidence, 3)),
        ("Direction", read.direction),
        ("PlateImage", folder.image(read.plate_image, f"{read.id}-plate")),
        ("OverviewImage", folder.image(read.overview_image, f"{read.id}-overview")),
    ]  # fmt: skip
    inner = "".join(f"<{name}>{_text(value)}</{name}>" for name, value in fields if value)
    return f'<Read Id="{read.id}">{inner}</Read>'


def _text(value: str) -> str:
    """`value` as XML text: escaped, and each character XML cannot hold (a control character
    pasted into a site's reference) replaced by U+FFFD, so the file still parses."""
    return escape(_NOT_XML.sub("\ufffd", value))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _decimal(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


class _Folder:
    """An export's folder in storage. Every file saved in it is recorded for the manifest in
    `entries`, a temporary file: a day's images are millions of entries."""

    def __init__(self, path: str, entries: IO[str]):
        self.path = path
        self.entries = entries

    def save(self, name: str, content: File) -> str:
        """Save a file in the folder and record it; return its SHA-256."""
        size, sha256 = _store(f"{self.path}/{name}", content)
        self.entries.write(json.dumps({"name": name, "size": size, "sha256": sha256}) + "\n")
        return sha256

    def image(self, source: str, stem: str) -> str:
        """Copy a read's image into images/; return its name there ("" for none)."""
        if not source:
            return ""
        try:
            with default_storage.open(source) as file:
                content = file.read()
        except FileNotFoundError:
            logger.warning("National export: image %s is missing and left out", source)
            return ""
        name = f"images/{stem}{posixpath.splitext(source)[1]}"
        self.save(name, ContentFile(content))
        return name

    def manifest(self, header: dict) -> str:
        """Write the manifest (the header, then every file saved) and its checksum file;
        return the manifest's path."""
        self.entries.seek(0)
        with tempfile.TemporaryFile() as out:
            # The header's JSON without its closing brace, then the file list, streamed.
            out.write(json.dumps(header, indent=1)[:-2].encode() + b',\n "files": [\n')
            for number, entry in enumerate(self.entries):
                out.write((",\n" if number else "").encode() + b"  " + entry.rstrip().encode())
            out.write(b"\n ]\n}\n")
            _, sha256 = _store(f"{self.path}/{MANIFEST}", File(out))
        _store(f"{self.path}/{MANIFEST}.sha256", ContentFile(f"{sha256}  {MANIFEST}\n".encode()))
        return f"{self.path}/{MANIFEST}"


def _store(path: str, content: File) -> tuple[int, str]:
    """Save a file in storage, over one that an interrupted run left; return its size and
    SHA-256."""
    size, digest = 0, hashlib.sha256()
    for chunk in content.chunks():
        size += len(chunk)
        digest.update(chunk)
    default_storage.delete(path)
    default_storage.save(path, content)
    return size, digest.hexdigest()
