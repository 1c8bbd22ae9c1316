"""The daily national export (R-RET-4): a day's reads in the national capture format, with
their images, a manifest and its checksum, handed to a transport a force plugs in."""

import hashlib
import json
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from reads.models import NationalExport
from reads.national import national_export, national_export_due
from reads.tasks import national_export_task
from tests.factories import CameraFactory, SiteFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

DAY = date(2024, 2, 29)
START = datetime(2024, 2, 29, tzinfo=UTC)


class RefusingTransport:
    """A force's transport whose receiver is down."""

    def send(self, export, folder):
        raise ConnectionError("national receiver unreachable")


class AcceptingTransport:
    def send(self, export, folder):
        return f"accepted {export.day} ({export.reads} reads) from {folder}"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def no_margin(settings):
    """The tests store their reads just before exporting them: no batch is still in flight."""
    settings.NATIONAL_LATE_MARGIN_MINUTES = 0


def folder_of(media, day=DAY):
    return media / "exports" / "national" / day.isoformat()


def captured(media, day=DAY) -> ET.Element:
    path = folder_of(media, day) / f"capture-{day.isoformat()}.xml"
    return ET.parse(path).getroot()  # noqa: S314 - our own file, parsed to check it


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_export_of_a_day_has_exactly_that_days_reads_each_once(media, camera):
    inside = [START, START + timedelta(hours=12), START + timedelta(days=1, microseconds=-1)]
    outside = [START - timedelta(milliseconds=1), START + timedelta(days=1)]
    day_reads = [plain_read(f"IN{n}", at) for n, at in enumerate(inside)]
    ingest(camera, [plain_read(f"OUT{n}", at) for n, at in enumerate(outside)] + day_reads)
    located = {**plain_read("LOC1", START + timedelta(hours=6)), "latitude": 52.123456,
               "longitude": -0.5, "direction": "away"}  # fmt: skip
    ingest(CameraFactory(), [located])

    export = national_export(day=DAY)

    written = list(captured(media).iter("Read"))
    assert [read.findtext("VRM") for read in written] == ["IN0", "LOC1", "IN1", "IN2"]
    ids = [read.get("Id") for read in written]
    assert len(ids) == len(set(ids)) == export.reads == 4
    assert set(ids) >= {read["id"] for read in day_reads}
    first, second = written[0], written[1]
    assert first.findtext("CaptureTime") == "2024-02-29T00:00:00.000Z"
    assert written[-1].findtext("CaptureTime") == "2024-02-29T23:59:59.999Z"
    assert (first.findtext("CameraId"), first.findtext("FeedId")) == (
        camera.reference, camera.site.reference)  # fmt: skip
    assert first.findtext("Confidence") == "0.900"
    assert first.find("Latitude") is None and first.find("Direction") is None  # unknown
    assert (second.findtext("Latitude"), second.findtext("Longitude"),
            second.findtext("Direction")) == ("52.123456", "-0.500000", "away")  # fmt: skip


def test_120_reads_make_record_groups_of_50_50_and_20(media, camera):
    ingest(camera, [plain_read(f"AB{n:03d}CD", START + timedelta(seconds=n)) for n in range(120)])

    export = national_export(day=DAY)

    groups = captured(media).findall("RecordGroup")
    assert [len(group.findall("Read")) for group in groups] == [50, 50, 20]
    assert [group.get("Count") for group in groups] == ["50", "50", "20"]
    assert (export.reads, export.groups) == (120, 3)
    vrms = [read.findtext("VRM") for group in groups for read in group.findall("Read")]
    assert vrms == [f"AB{n:03d}CD" for n in range(120)]  # in capture order


def test_images_are_copied_beside_the_capture_file_with_identical_bytes(media, camera):
    (media / "reads").mkdir()
    (media / "reads" / "plate.jpg").write_bytes(b"\xff\xd8plate\xff\xd9")
    (media / "reads" / "overview.png").write_bytes(b"\x89PNGoverview")
    with_images = {**plain_read("IMG1", START + timedelta(hours=1)),
                   "plate_image": "reads/plate.jpg",
                   "overview_image": "reads/overview.png"}  # fmt: skip
    gone = {**plain_read("GONE1", START + timedelta(hours=2)), "plate_image": "reads/gone.jpg"}
    ingest(camera, [with_images, gone, plain_read("NONE1", START + timedelta(hours=3))])

    national_export(day=DAY)

    folder = folder_of(media)
    read, missing, plain = captured(media).iter("Read")
    assert read.findtext("PlateImage") == f"images/{with_images['id']}-plate.jpg"
    assert read.findtext("OverviewImage") == f"images/{with_images['id']}-overview.png"
    assert (folder / read.findtext("PlateImage")).read_bytes() == b"\xff\xd8plate\xff\xd9"
    assert (folder / read.findtext("OverviewImage")).read_bytes() == b"\x89PNGoverview"
    # An image file that is not there is left out, not referenced.
    assert missing.find("PlateImage") is None and plain.find("PlateImage") is None
    assert len(list((folder / "images").iterdir())) == 2


def test_manifest_lists_every_file_and_verifies_with_its_checksum_file(media, camera, settings):
    settings.NATIONAL_SOURCE_ID = "FORCE-42"
    (media / "reads").mkdir()
    (media / "reads" / "p.jpg").write_bytes(b"plate bytes")
    with_image = {**plain_read("AB12CDE", START), "plate_image": "reads/p.jpg"}
    ingest(camera, [with_image, plain_read("XY99ZZZ", START + timedelta(minutes=1))])

    export = national_export(day=DAY)

    folder = folder_of(media)
    assert export.manifest == "exports/national/2024-02-29/manifest.json"
    assert (folder / "manifest.json.sha256").read_text() == (
        f"{sha256(folder / 'manifest.json')}  manifest.json\n")  # fmt: skip
    # What a receiver runs.
    subprocess.run(["sha256sum", "--check", "--strict", "--quiet", "manifest.json.sha256"],
                   cwd=folder, check=True)  # fmt: skip
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {key: manifest[key] for key in ("source_id", "day", "reads", "groups")} == {
        "source_id": "FORCE-42", "day": "2024-02-29", "reads": 2, "groups": 1}  # fmt: skip
    for entry in manifest["files"]:
        path = folder / entry["name"]
        assert (entry["size"], entry["sha256"]) == (path.stat().st_size, sha256(path))
    files = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    listed = {entry["name"] for entry in manifest["files"]}
    assert listed == files - {"manifest.json", "manifest.json.sha256"}
    assert listed == {"capture-2024-02-29.xml", f"images/{with_image['id']}-plate.jpg"}
    assert export.sha256 == sha256(folder / "capture-2024-02-29.xml")


def test_special_characters_are_escaped_and_the_capture_file_is_well_formed(media, settings):
    settings.NATIONAL_SOURCE_ID = 'Force "A" & <B>'
    camera = CameraFactory(reference="C&<1>'\"", site=SiteFactory(reference="S&T <north>"))
    ingest(camera, [plain_read("AB12CDE", START)])

    national_export(day=DAY)

    root = captured(media)  # parses: well-formed
    read = root.find("RecordGroup/Read")
    assert root.get("SourceId") == read.findtext("SourceId") == 'Force "A" & <B>'
    assert (read.findtext("CameraId"), read.findtext("FeedId")) == ("C&<1>'\"", "S&T <north>")
    raw = (folder_of(media) / "capture-2024-02-29.xml").read_text(encoding="utf-8")
    assert "<CameraId>C&amp;&lt;1&gt;'\"</CameraId>" in raw


def test_a_character_xml_cannot_hold_is_replaced_and_the_file_still_parses(media):
    # A vertical tab pasted with a site's reference from a spreadsheet.
    camera = CameraFactory(reference="C1", site=SiteFactory(reference="S\x0b001"))
    ingest(camera, [plain_read("AB12CDE", START)])

    national_export(day=DAY)

    assert captured(media).find("RecordGroup/Read").findtext("FeedId") == "S\ufffd001"


def test_a_day_is_written_once_and_reads_sent_late_go_up_as_its_next_part(media, camera):
    ingest(camera, [plain_read("AB12CDE", START + timedelta(hours=1))])
    [first] = national_export_due(today=DAY + timedelta(days=1))
    files = {path: (path.stat().st_mtime_ns, path.read_bytes())
             for path in folder_of(media).rglob("*")}  # fmt: skip
    # A camera's backlog of that day arrives after the run.
    ingest(camera, [plain_read("LATE1", START + timedelta(hours=2))])

    assert national_export(day=DAY) == first  # the day itself is not written again
    [late] = national_export_due(today=DAY + timedelta(days=2))[:1]
    assert (late.day, late.part, late.reads, late.sent_at is not None) == (DAY, 1, 1, True)
    assert str(late) == "National export of 2024-02-29, late reads 1: 1 reads"
    assert {path: (path.stat().st_mtime_ns, path.read_bytes())
            for path in folder_of(media).rglob("*")} == files  # fmt: skip
    folder = media / "exports" / "national" / "2024-02-29-late-1"
    capture = ET.parse(folder / "capture-2024-02-29-late-1.xml").getroot()  # noqa: S314
    assert [read.findtext("VRM") for read in capture.iter("Read")] == ["LATE1"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["day"], manifest["part"], manifest["reads"]) == ("2024-02-29", 1, 1)
    # Nothing more has arrived: no further part.
    national_export_due(today=DAY + timedelta(days=3))
    assert NationalExport.objects.filter(day=DAY).count() == 2


def test_a_read_received_just_before_the_run_waits_for_the_next(media, camera, settings):
    from reads.services import read_batch_ingest

    settings.NATIONAL_LATE_MARGIN_MINUTES = 60

    def received(vrm, minutes_ago):
        read_batch_ingest(camera_id=camera.pk, site_id=camera.site_id,
                          received_at=(timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
                          reads=[plain_read(vrm, START + timedelta(hours=3))])  # fmt: skip

    received("SETTLED", 120)
    received("RECENT", 10)  # its batch might still have been in flight: left for the next run
    national_export_due(today=DAY + timedelta(days=1))
    assert [read.findtext("VRM") for read in captured(media).iter("Read")] == ["SETTLED"]
    settings.NATIONAL_LATE_MARGIN_MINUTES = 0  # as if an hour later
    [late, *_] = national_export_due(today=DAY + timedelta(days=2))
    assert (late.part, late.reads) == (1, 1)
    folder = media / "exports" / "national" / "2024-02-29-late-1"
    capture = ET.parse(folder / "capture-2024-02-29-late-1.xml")  # noqa: S314 - our own file
    assert [read.findtext("VRM") for read in capture.iter("Read")] == ["RECENT"]


def test_a_failing_transport_is_recorded_and_the_next_run_sends_the_export(media, camera, settings):
    ingest(camera, [plain_read("AB12CDE", START)])
    settings.NATIONAL_EXPORT_TRANSPORT = "tests.test_national_export.RefusingTransport"

    [export] = national_export_due(today=DAY + timedelta(days=1))
    export.refresh_from_db()
    assert export.sent_at is None
    assert export.error == "ConnectionError: national receiver unreachable"
    assert export.transport == "tests.test_national_export.RefusingTransport"

    settings.NATIONAL_EXPORT_TRANSPORT = "tests.test_national_export.AcceptingTransport"
    assert national_export_due(today=DAY + timedelta(days=1)) == [export]
    export.refresh_from_db()
    assert export.sent_at is not None and export.error == ""
    assert export.receipt == "accepted 2024-02-29 (1 reads) from exports/national/2024-02-29"
    assert export.transport == "tests.test_national_export.AcceptingTransport"
    assert national_export_due(today=DAY + timedelta(days=1)) == []  # nothing left to send


def test_by_default_the_export_is_left_in_storage_and_marked_sent(media):
    [export] = national_export_due(today=DAY + timedelta(days=1))
    export.refresh_from_db()
    assert (export.transport, export.error) == ("reads.national.StorageTransport", "")
    assert export.receipt == "Left in storage at exports/national/2024-02-29/"
    assert export.sent_at is not None
    assert (export.reads, export.groups) == (0, 0)  # a day without reads is exported empty


def test_a_sent_export_goes_once_its_day_is_past_retention_and_an_unsent_one_stays(
    media, camera, settings
):
    from reads.retention import retention_run

    ingest(camera, [plain_read("AB12CDE", START)])
    later = DAY + timedelta(days=1)
    national_export_due(today=DAY + timedelta(days=1))  # sent: left in storage
    ingest(camera, [plain_read("LATE1", START + timedelta(hours=1))])
    settings.NATIONAL_EXPORT_TRANSPORT = "tests.test_national_export.RefusingTransport"
    national_export_due(today=later + timedelta(days=1))  # DAY's late reads, and the next day's
    late = folder_of(media).with_name("2024-02-29-late-1")
    assert folder_of(media).is_dir() and folder_of(media, later).is_dir() and late.is_dir()
    now = datetime.combine(later + timedelta(days=367), datetime.min.time(), UTC)

    record = {r.what: r for r in retention_run(now=now)}["exports"]

    assert (record.days, record.files) == (["2024-02-29"], 3)  # capture, manifest, checksum
    assert not folder_of(media).exists() and folder_of(media, later).is_dir()
    assert late.is_dir()  # not sent yet: kept until it is
    assert "exports" not in {r.what for r in retention_run(now=now)}  # nothing more to delete


def test_the_daily_run_exports_yesterday_and_catches_up_days_it_missed(media):
    assert [export.day for export in national_export_due(today=DAY)] == [DAY - timedelta(days=1)]
    later = national_export_due(today=DAY + timedelta(days=3))
    assert [export.day for export in later] == [DAY + timedelta(days=n) for n in range(3)]


def test_the_scheduled_task_exports_the_previous_utc_day(media, camera):
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=UTC)
    ingest(camera, [plain_read("AB12CDE", noon)])

    assert national_export_task() == [f"National export of {yesterday}: 1 reads"]


def test_a_day_that_has_not_ended_is_not_exported(media):
    with pytest.raises(ValueError, match="has not ended"):
        national_export(day=timezone.now().astimezone(UTC).date())
    assert not NationalExport.objects.exists()
