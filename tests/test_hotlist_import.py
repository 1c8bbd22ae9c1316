"""Bulk import and export of hotlist entries (R-HOT-5), checked and run by a real Celery worker,
and the import flow in Chromium."""

import csv
import io
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from hotlist.imports import COLUMNS
from hotlist.models import HotlistImport
from tests.conftest import screenshot
from tests.factories import HotlistFactory
from tests.test_browser import sign_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

GOOD = [{"vrm": "AB12 CDE", "reason": "stolen", "action": "stop", "make": "Ford"},
        {"vrm": "XY99ZZZ", "reason": "no_insurance", "warning_markers": "violent;drugs",
         "priority": "2", "expires_at": "2099-01-01T00:00:00+00:00"}]  # fmt: skip
BAD = [
    {"vrm": "AB-12?", "reason": "stolen"},  # row 4
    {"vrm": "CD34EFG", "reason": "joyriding"},  # row 5
    {"vrm": "EF56GHI", "reason": "stolen", "priority": "9"},  # row 6
    {"vrm": "GH78IJK", "reason": "stolen", "valid_from": "next tuesday"},  # row 7
    {"vrm": "HJ11KLM", "reason": "stolen", "make": "M" * 51},  # row 8
]
# A row with its last empty cells left off, which is good (row 9), and one with more cells than
# the header (row 10).
RAGGED = b"JK11LMN,,,,stolen\nKL22MNO,Ford,Focus,Blue,stolen" + b",x" * 11 + b"\n"


def csv_file(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def waited(record, status, timeout=120) -> HotlistImport:
    deadline = time.monotonic() + timeout
    while True:
        record.refresh_from_db()
        if record.status == status:
            return record
        assert time.monotonic() < deadline, f"still {record.status}"
        time.sleep(0.1)


def upload(client, hotlist, content, name="list.csv"):
    response = client.post(f"/hotlists/{hotlist.pk}/import/",
                           {"file": SimpleUploadedFile(name, content, "text/csv")})  # fmt: skip
    assert response.status_code == 302
    return HotlistImport.objects.latest("pk")


@pytest.mark.usefixtures("read_store")
def test_each_bad_row_is_reported_with_its_reason_and_exactly_the_good_rows_stored(
    celery_worker, client_for, personas
):
    from datetime import timedelta

    from django.utils import timezone

    from hotlist.models import Alert
    from tests.factories import CameraFactory
    from tests.test_ingest import ingest, plain_read

    ingest(CameraFactory(), [plain_read("XY99ZZZ", captured_at=timezone.now() - timedelta(days=3))])
    hotlist = HotlistFactory(owner=personas["hotlists"])
    client = client_for("hotlists")
    record = waited(upload(client, hotlist, csv_file(GOOD + BAD) + RAGGED), "checked")
    assert (record.total_rows, record.rejected_rows) == (9, 6)
    assert [(error["row"], error["reason"]) for error in record.errors] == [
        (4, "The VRM 'AB-12?' has characters other than letters and digits."),
        (5, "Unknown reason 'joyriding'."),
        (6, "Priority must be 1 to 4, not '9'."),
        (7, "Dates must be ISO 8601, e.g. 2026-11-24T09:00:00+00:00."),
        (8, "The make is longer than 50 characters."),
        (10, "The row has more cells than the header has columns."),
    ]
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Unknown reason" in page and "Import the good rows" in page

    client.post(record.get_absolute_url(), {"rows": "all"})  # all or nothing: nothing
    record.refresh_from_db()
    assert record.status == "refused" and not hotlist.entries.exists()
    assert not default_storage.exists(record.path)  # its SHA-256 is kept, not its plates

    record = waited(upload(client, hotlist, csv_file(GOOD + BAD) + RAGGED), "checked")
    client.post(record.get_absolute_url(), {"rows": "valid"})
    record = waited(record, "done")
    assert record.imported_rows == 3 and not default_storage.exists(record.path)
    entries = {entry.vrm: entry for entry in hotlist.entries.all()}
    assert set(entries) == {"AB12CDE", "XY99ZZZ", "JK11LMN"}
    assert entries["XY99ZZZ"].warning_markers == ["violent", "drugs"]
    assert entries["AB12CDE"].created_by == personas["hotlists"]
    assert entries["AB12CDE"].import_record == record  # its provenance, shown on its page
    entry_page = client.get(entries["AB12CDE"].get_absolute_url()).content.decode()
    assert 'data-testid="imported"' in entry_page and "list.csv" in entry_page
    assert len(record.sha256) == 64 and record.uploaded_by == personas["hotlists"]
    historic = Alert.objects.get()  # the imported plate read 3 days ago
    assert (historic.read_vrm, historic.historic) == ("XY99ZZZ", True)

    exported = client.get(f"/hotlists/{hotlist.pk}/export/").content.decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["vrm"] for row in rows] == ["AB12CDE", "JK11LMN", "XY99ZZZ"]
    assert rows[2]["warning_markers"] == "violent;drugs"  # the same template, round trip


def test_an_exported_list_opens_safely_in_a_spreadsheet_and_imports_as_it_was(
    celery_worker, client_for, personas
):
    from tests.factories import HotlistEntryFactory

    # What a spreadsheet would run as a formula: the export writes it as text.
    written = {"information": '=HYPERLINK("http://evil.example/","Details")',
               "instruction": "-2 occupants", "make": "@Ford", "owner_contact": "'=quoted'",
               "model": "Focus"}  # fmt: skip
    hotlist = HotlistFactory(owner=personas["hotlists"])
    HotlistEntryFactory(hotlist=hotlist, **written)
    client = client_for("hotlists")
    exported = client.get(f"/hotlists/{hotlist.pk}/export/").content
    cells = [cell for row in csv.reader(io.StringIO(exported.decode())) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    row = dict(zip(cells[: len(COLUMNS)], cells[len(COLUMNS) :], strict=True))
    assert row["information"] == "'" + written["information"] and row["model"] == "Focus"

    copy = HotlistFactory(owner=personas["hotlists"])
    record = waited(upload(client, copy, exported), "checked")
    client.post(record.get_absolute_url(), {"rows": "all"})
    waited(record, "done")
    entry = copy.entries.get()
    assert {field: getattr(entry, field) for field in written} == written


def test_a_100k_row_import_runs_in_the_background_with_progress(celery_worker, client_for,
                                                                personas):  # fmt: skip
    hotlist = HotlistFactory(owner=personas["hotlists"])
    rows = [{"vrm": f"B{n:06d}", "reason": "no_tax"} for n in range(100_000)]
    client = client_for("hotlists")
    started = time.monotonic()
    record = upload(client, hotlist, csv_file(rows))
    assert time.monotonic() - started < 10  # the page answers at once
    seen = set()
    while record.status != "done":
        record.refresh_from_db()
        seen.add(record.progress)
        if record.status == "checked":
            client.post(record.get_absolute_url(), {"rows": "valid"})
        assert time.monotonic() - started < 300
        time.sleep(0.05)
    assert record.imported_rows == 100_000 and hotlist.entries.count() == 100_000
    assert len({p for p in seen if 0 < p < 100}) >= 3  # progress moved while it ran


@pytest.mark.browser
def test_the_import_flow_in_the_browser(workers, page, server, personas, tmp_path):
    workers.start(MEDIA_ROOT=str(server.media_root))  # the files the server keeps
    hotlist = HotlistFactory(owner=personas["hotlists"], name="Import flow")
    path = tmp_path / "entries.csv"
    path.write_bytes(csv_file(GOOD * 5000 + BAD))
    sign_in(page, server, "hotlists")
    page.goto(f"{server.url}/hotlists/{hotlist.pk}/")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-progress")).to_be_visible()
    expect(page.get_by_test_id("import-counts")).to_contain_text("5 with problems", timeout=60_000)
    expect(page.get_by_test_id("import-errors")).to_contain_text("Unknown reason 'joyriding'")
    screenshot(page, "import-checked")
    page.get_by_role("button", name="Import the good rows").click()
    expect(page.get_by_test_id("import-status")).to_have_text("Imported", timeout=60_000)
    expect(page.get_by_test_id("import-counts")).to_contain_text("10000 imported")
    screenshot(page, "import-done")
    assert hotlist.entries.count() == 10_000
    assert page.console_errors == []


@pytest.mark.usefixtures("read_store")
def test_an_imports_second_look_raises_the_live_alerts_of_reads_matched_without_it(personas):
    """Reads received while an import ran, matched against indexes from before its entries
    (Redis down, so no worker was told), are alerted live by its second look back."""
    from datetime import timedelta

    from django.utils import timezone

    from hotlist.imports import hotlist_import_rematch
    from hotlist.models import Alert, HotlistImport
    from tests.factories import CameraFactory, HotlistEntryFactory
    from tests.test_ingest import ingest, plain_read

    started = timezone.now()
    missed = plain_read("IM90RTD")
    ingest(CameraFactory(), [missed])  # no entry in any index yet: stored unmatched
    hotlist = HotlistFactory(owner=personas["hotlists"])
    record = HotlistImport.objects.create(hotlist=hotlist, uploaded_by=personas["hotlists"],
                                          filename="list.csv", status="done")  # fmt: skip
    HotlistEntryFactory(hotlist=hotlist, vrm="IM90RTD", import_record=record,
                        valid_from=started - timedelta(days=1))  # fmt: skip
    HotlistEntryFactory(hotlist=hotlist, vrm="NOT1MPD", valid_from=started - timedelta(days=1))
    ingest(CameraFactory(), [plain_read("NOT1MPD")])  # another entry's: not the import's look

    hotlist_import_rematch(import_id=record.pk, started_at=started)
    alert = Alert.objects.get(read_id=missed["id"])
    assert (alert.historic, alert.status) == (False, Alert.Status.NEW)
    assert Alert.objects.count() == 2  # and the other entry's, raised by the read path


def test_imports_left_waiting_are_closed_and_their_files_deleted(client_for, personas, settings):
    """A file of plates and why each is of interest is not kept for ever because nobody
    decided, or because the worker checking or importing it was lost."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from hotlist.imports import hotlist_imports_lapse
    from tests.factories import HotlistEntryFactory

    settings.HOTLIST_IMPORT_DECISION_DAYS = 7
    hotlist = HotlistFactory(owner=personas["hotlists"])
    now = timezone.now()

    def waiting(status, idle):
        """An import last moved on `idle` ago, uploaded a fortnight ago."""
        path = default_storage.save("imports/waiting.csv", ContentFile(b"vrm,reason\n"))
        return HotlistImport.objects.create(hotlist=hotlist, uploaded_by=personas["hotlists"],
                                            filename="list.csv", path=path, status=status,
                                            uploaded_at=now - timedelta(days=14),
                                            touched_at=now - idle)  # fmt: skip

    undecided, recent = waiting("checked", timedelta(days=8)), waiting("checked", timedelta(days=6))
    lost_check = waiting("checking", timedelta(hours=2))
    lost_import = waiting("importing", timedelta(hours=2))
    lost_import.errors = [{"row": 4, "vrm": "AB-12?", "reason": "Bad characters."}]
    lost_import.save()
    running = waiting("importing", timedelta(minutes=5))  # decided late, still storing rows
    HotlistEntryFactory.create_batch(3, hotlist=hotlist, import_record=lost_import)

    assert hotlist_imports_lapse() == 3
    state = {r.pk: (r.status, r.imported_rows, default_storage.exists(r.path))
             for r in HotlistImport.objects.all()}  # fmt: skip
    assert state == {
        undecided.pk: ("lapsed", 0, False), recent.pk: ("checked", 0, True),
        lost_check.pk: ("failed", 0, False), lost_import.pk: ("failed", 3, False),
        running.pk: ("importing", 0, True),
    }  # fmt: skip
    lost_import.refresh_from_db()
    assert [error["reason"] for error in lost_import.errors] == [
        "The import stopped, its worker lost: 3 rows are on the list.",
        "Bad characters.",
    ]
    page = client_for("hotlists").get(undecided.get_absolute_url()).content.decode()
    assert "Not decided in time: not imported" in page
    assert hotlist_imports_lapse() == 0  # closed once
