"""Evidential export (R-SEARCH-5): a search's reads as CSV or PDF, stamped with the case, who
exported it and when, the legal basis, the window, and the SHA-256 of the rows; audited like
a search (one record, which also keeps the SHA-256 of the file as delivered)."""

import csv
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from fpdf import FPDF

from access.models import AuditRecord, SearchPurpose
from access.policy import Window
from core.spreadsheet import FORMULA_STARTS, from_cell, to_cell

from .search import Criteria, SearchRefused, reads_in_window, search_audited

EXPORT_MAX = 5000
COLUMNS = ("read_id", "captured_at", "vrm", "camera", "site", "area", "direction", "lane",
           "confidence")  # fmt: skip


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: bytes
    rows_sha256: str

    @property
    def file_sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def read_export(
    *, user, purpose: SearchPurpose, criteria: Criteria, fmt: str, images: bool = False,
    address: str | None = None,
) -> Export:  # fmt: skip
    """Export what a search finds (at most EXPORT_MAX reads) as `fmt` ("csv" or "pdf"), with
    the plate patches in a PDF when `images` is asked for."""

    def run(window: Window):
        rows = list(reads_in_window(window, criteria)[: EXPORT_MAX + 1])
        if len(rows) > EXPORT_MAX:
            raise SearchRefused(f"An export holds at most {EXPORT_MAX} reads: narrow the search.")
        table = _table(rows)
        rows_sha256 = hashlib.sha256(table).hexdigest()
        stamp = _stamp(user, purpose, window, len(rows), rows_sha256)
        name = f"anpr-{purpose.case_reference.replace('/', '-')}-{timezone.now():%Y%m%d-%H%M%S}"
        shown: list[str] = []
        if fmt == "pdf":
            content, shown = _pdf(stamp, rows, images)
            export = Export(f"{name}.pdf", "application/pdf", content, rows_sha256)
        else:
            content = _stamp_lines(stamp) + table
            export = Export(f"{name}.csv", "text/csv", content, rows_sha256)
        details = {
            "rows_sha256": rows_sha256,
            "file_sha256": export.file_sha256,
            "sites": sorted({read.site_id for read in rows}),
        }
        if images and fmt == "pdf":
            details["images"] = shown  # the plate images the file carries
        return export, len(rows), details

    return search_audited(
        user=user, purpose=purpose, criteria=criteria, address=address,
        action=AuditRecord.Action.EXPORT, run=run,
        parameters={"format": fmt, "images": images and fmt == "pdf"},  # a CSV carries none
    )  # fmt: skip


def _table(rows) -> bytes:
    """The rows as CSV: what the stamped SHA-256 covers, byte for byte."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for read in rows:
        writer.writerow(to_cell(value) for value in [
            read.id, read.captured_at.isoformat(), read.vrm, read.camera.reference,
            read.site.reference, read.site.area, read.direction, read.lane or "",
            "" if read.confidence is None else f"{read.confidence:.3f}",
        ])  # fmt: skip
    return buffer.getvalue().encode()


def _stamp_lines(stamp) -> bytes:
    """The stamp above the rows, each line beginning with # (so the rows are what follows the
    lines that do). A spreadsheet splits a line at its commas: a piece after one that it would
    take for a formula, or for a quoted cell (which may hold one), is written after an
    apostrophe, as a cell would be."""
    lines = (",".join(f"'{piece}" if piece.lstrip().startswith((*FORMULA_STARTS, '"')) else piece
                      for piece in f"# {label}: {value}".split(","))
             for label, value in stamp)  # fmt: skip
    return "".join(f"{line}\n" for line in lines).encode()


def _stamp(user, purpose, window: Window, count: int, rows_sha256: str) -> list[tuple[str, str]]:
    grant = window.grant
    if grant:
        basis = (f"Extended access grant {grant.pk} for case {grant.case_reference}, approved "
                 f"by {grant.decided_by.get_full_name() or grant.decided_by.get_username()} on "
                 f"{timezone.localtime(grant.decided_at):%d %b %Y}, in force until "
                 f"{timezone.localtime(grant.expires_at):%d %b %Y %H:%M}")  # fmt: skip
    else:
        basis = f"Standard window: reads collected in the last {settings.SEARCH_WINDOW_DAYS} days"
    return [
        ("ANPR evidential export", settings.SITE_NAME),
        ("Case", f"{purpose.case_reference} ({purpose.category.name})"),
        ("Purpose", " ".join(purpose.justification.split())),  # one line: the stamp's are
        ("Exported by", f"{user.get_full_name() or user.get_username()} ({user.get_username()})"),
        ("Exported at", f"{timezone.localtime():%d %b %Y %H:%M:%S %Z}"),
        ("Legal basis", basis),
        ("Window", f"{timezone.localtime(window.start):%d %b %Y %H:%M} to "
                   f"{timezone.localtime(window.end):%d %b %Y %H:%M}"),
        ("Reads", str(count)),
        ("SHA-256 of the rows (CSV below, header included)", rows_sha256),
    ]  # fmt: skip


def _pdf(stamp, rows, images: bool) -> tuple[bytes, list[str]]:
    """The PDF, and the ids of the reads whose plate image it carries."""
    pdf = FPDF(orientation="landscape")
    shown = []
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 8, pdf_text(stamp[0][0]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for label, value in stamp[1:]:
        pdf.multi_cell(0, 5, pdf_text(f"{label}: {value}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (70, 40, 25, 25, 25, 30, 20, 12, 20)
    pdf.set_font("Helvetica", "B", 8)
    for title, width in zip(COLUMNS, widths, strict=True):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=8)
    for values, read in zip(csv.reader(io.StringIO(_table(rows).decode())), [None, *rows],
                            strict=True):  # fmt: skip
        if read is None:
            continue  # the header, written above
        for value, width in zip(values, widths, strict=True):
            pdf.cell(width, 6, pdf_text(from_cell(value)), border=1)
        pdf.ln()
        if images and read.plate_image:
            try:  # one lost or broken patch does not stop the case's export
                with default_storage.open(read.plate_image) as image:
                    pdf.image(io.BytesIO(image.read()), h=12)
                shown.append(str(read.id))
            except OSError:
                pdf.cell(0, 6, "Plate image unavailable.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output()), shown


def pdf_text(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")
