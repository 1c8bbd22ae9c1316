"""Hostile inputs to the camera API, as a camera integrator would check them: each refused with
a 4xx whose body names the problem, nothing kept of it (no read, no image file, no queued task),
and the ingest worker unaffected: a good batch after them is stored and alerted."""

import base64
import http.client
import io
import json
import random
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anpr_site.celery import app
from cameras.services import camera_credential_issue, read_id_for
from hotlist.models import Alert
from reads.models import Read
from tests.factories import CameraFactory, HotlistEntryFactory

pytestmark = pytest.mark.django_db

READS_URL = "/api/v1/cameras/reads/"
FRAMES_URL = "/api/v1/cameras/frames/"
MB = 1_000_000


# --- Images, good and hostile ----------------------------------------------------------------


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def picture(width=320, height=240) -> Image.Image:
    """Noise: its JPEG scans hold plenty of 0xFF bytes, as real photographs do."""
    return Image.effect_noise((width, height), 60).convert("RGB")


GOOD_JPEG = encoded(picture(), "JPEG")
GOOD_PNG = encoded(picture(160, 40), "PNG")
JUNK = random.Random(7).randbytes(4000)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A decompression bomb: a few hundred bytes of PNG declaring width x height pixels (1-bit
    grey), its image data the start of a stream of zeros that would fill them."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 64, 9)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows)
            + png_chunk(b"IEND", b""))  # fmt: skip


def png_of(rows: bytes, colour: int = 0, width: int = 64, height: int = 16) -> bytes:
    """A PNG of 8-bit samples, its chunks whole and their checksums right, holding `rows`."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows)
            + png_chunk(b"IEND", b""))  # fmt: skip


def jpeg_declaring(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims width x height pixels (its data is for 320x240)."""
    frame = GOOD_JPEG.index(b"\xff\xc0")
    dimensions = struct.pack(">HH", height, width)
    return GOOD_JPEG[: frame + 5] + dimensions + GOOD_JPEG[frame + 9 :]


def jpeg_bomb_steering_the_header_walk() -> bytes:
    """A 24000x24000 JPEG whose header walk is steered past its frame header: read as if it
    had a length, the TEM marker after SOI (which has none) takes the COM marker after it for
    one, 65534, and lands on a made-up 100x100 frame header inside an APP1 segment."""
    bomb = jpeg_declaring(24_000, 24_000)
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 96) + bytes(96)  # offsets 4 to 104
    payload = bytearray(65533)  # APP1's, from offset 108
    payload[65538 - 108 : 65538 - 108 + 9] = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 100, 100)
    app = b"\xff\xe1" + struct.pack(">H", 65535) + bytes(payload)
    return bomb[:2] + b"\xff\x01" + comment + app + bomb[2:]


def jpeg_headers() -> bytes:
    """A real JPEG up to the end of its first scan header: everything a parser looks at first."""
    scan = GOOD_JPEG.index(b"\xff\xda")
    return GOOD_JPEG[: scan + 2 + int.from_bytes(GOOD_JPEG[scan + 2 : scan + 4])]


def png_flipped() -> bytes:
    """A real PNG with bytes of its image data changed (a bad disk, a bad radio link)."""
    data = bytearray(GOOD_PNG)
    middle = GOOD_PNG.index(b"IDAT") + 200
    data[middle : middle + 8] = bytes(b ^ 0x5A for b in data[middle : middle + 8])
    return bytes(data)


def jpeg_without_scans() -> bytes:
    """A real JPEG's headers up to its first scan, then its end: no image data at all."""
    return GOOD_JPEG[: GOOD_JPEG.index(b"\xff\xda")] + b"\xff\xd9"


def jpeg_with_many_scans() -> bytes:
    """A progressive JPEG with its last scan repeated 500 times: a decoder works through all."""
    progressive = encoded(picture(32, 24), "JPEG", progressive=True)
    last = progressive.rindex(b"\xff\xda")
    return progressive[:last] + progressive[last:-2] * 500 + b"\xff\xd9"


# (content, words a person reads in the refusal)
BAD_IMAGES = {
    "truncated-jpeg": (GOOD_JPEG[: len(GOOD_JPEG) // 2], "The image is truncated."),
    "truncated-png": (GOOD_PNG[:-40], "The image is truncated."),
    "corrupt-jpeg": (jpeg_headers() + JUNK + b"\xff\xd9", "The image is corrupt"),
    "corrupt-png": (GOOD_PNG[:33] + JUNK + GOOD_PNG[-12:], "The image is corrupt"),
    "png-failing-its-checksum": (png_flipped(), "fails its checksum"),
    "png-bomb": (png_declaring(50_000, 50_000), "50000x50000 pixels: too many pixels"),
    "jpeg-bomb": (jpeg_declaring(60_000, 60_000), "60000x60000 pixels: too many pixels"),
    "jpeg-bomb-steering-the-header-walk": (
        jpeg_bomb_steering_the_header_walk(),
        "24000x24000 pixels: too many pixels",
    ),
    "jpeg-with-500-scans": (jpeg_with_many_scans(), "more than 100 scans"),
    "jpeg-without-image-data": (jpeg_without_scans(), "holds no image data"),
    "png-of-no-pixels": (png_declaring(0, 0), "not a decodable JPEG or PNG"),
    "png-of-random-data": (png_of(JUNK), "not compressed as PNG's is"),
    "png-of-half-its-rows": (png_of(zlib.compress(b"\x00" * 65 * 8)), "stops short of the image"),
    "png-of-no-pixel-format": (
        png_of(zlib.compress(b"\x00" * 65 * 16), colour=9),
        "no pixel format PNG has",
    ),
    "gif": (encoded(picture(40, 20), "GIF"), "not a decodable JPEG or PNG"),
    "text": (b"<html>not an image</html>", "not a decodable JPEG or PNG"),
}


def test_the_hostile_images_are_what_they_claim_to_be(monkeypatch):
    """Pillow agrees: the bombs declare the pixels, the broken images do not decode."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow's own bomb check, off
    assert Image.open(io.BytesIO(BAD_IMAGES["png-bomb"][0])).size == (50_000, 50_000)
    assert len(BAD_IMAGES["png-bomb"][0]) < 1000
    assert Image.open(io.BytesIO(BAD_IMAGES["jpeg-bomb"][0])).size == (60_000, 60_000)
    undecodable = (
        "truncated-jpeg",
        "truncated-png",
        "corrupt-jpeg",
        "corrupt-png",
        "png-failing-its-checksum",
        "png-of-random-data",
        "png-of-no-pixel-format",
    )
    for name in undecodable:
        with pytest.raises((OSError, SyntaxError, ValueError)):
            Image.open(io.BytesIO(BAD_IMAGES[name][0])).load()


# --- Fixtures and helpers ----------------------------------------------------------------------


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def a_read(capture_id="c1", vrm="AB12 CDE", at: datetime | None = None, **fields) -> dict:
    at = at or timezone.now() - timedelta(seconds=1)
    return {"capture_id": capture_id, "vrm": vrm, "captured_at": at.isoformat(), **fields}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def queued() -> dict[str, int]:
    """Tasks waiting on the ingest and OCR queues."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        return {name: channel.queue_declare(name).message_count for name in ("ingest", "ocr")}


def files_under(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def assert_nothing_kept(media, queues_before: dict[str, int]) -> None:
    assert files_under(media) == []
    assert queued() == queues_before


def post_reads(api, reads, **envelope):
    return api.post(READS_URL, {"reads": reads, **envelope}, format="json")


def send_frame(api, content: bytes, capture_id="f1", captured_at: datetime | str | None = None):
    at = captured_at or timezone.now() - timedelta(seconds=1)
    upload = SimpleUploadedFile("frame.jpg", content, content_type="image/jpeg")
    data = {"frame": upload, "capture_id": capture_id,
            "captured_at": at.isoformat() if isinstance(at, datetime) else at}  # fmt: skip
    return api.post(FRAMES_URL, data, format="multipart")


def ago(**delta) -> datetime:
    return timezone.now() - timedelta(**delta)


# --- Reads: one bad read in a batch ------------------------------------------------------------

# AB12 CDE with a Cyrillic A, VE, ES and IE: it looks the same, and matches no hotlist.
CYRILLIC_LOOK_ALIKE = "\u0410\u041212 \u0421D\u0415"

# (read, the field named, words in the reason)
BAD_READS = {
    **{f"plate-image-{name}": (lambda c=content: a_read(plate_image=b64(c)), "plate_image", words)
       for name, (content, words) in BAD_IMAGES.items()},
    "overview-png-bomb": (lambda: a_read(overview_image=b64(BAD_IMAGES["png-bomb"][0])),
                          "overview_image", "too many pixels"),
    "nul-in-vrm": (lambda: a_read(vrm="AB12\x00CDE"), "vrm", "Null characters are not allowed."),
    "nul-in-capture-id": (lambda: a_read("c\x001"), "capture_id", "Null characters"),
    "nul-in-vehicle-make": (lambda: a_read(vehicle_make="Ford\x00"), "vehicle_make",
                            "Null characters"),
    "cyrillic-look-alikes": (lambda: a_read(vrm=CYRILLIC_LOOK_ALIKE), "vrm",
                             "U+0410 CYRILLIC CAPITAL LETTER A) is not one of A-Z or 0-9"),
    "full-width-letters": (lambda: a_read(vrm="\uff21\uff2212CDE"), "vrm",
                           "U+FF21 FULLWIDTH LATIN CAPITAL LETTER A"),
    "full-width-digits": (lambda: a_read(vrm="AB\uff11\uff12CDE"), "vrm",
                          "U+FF11 FULLWIDTH DIGIT ONE"),
    "emoji": (lambda: a_read(vrm="AB12 CD\U0001f697"), "vrm", "U+1F697 AUTOMOBILE"),
    # Letters Python upper-cases into A-Z: they must not slip through as S and I.
    "long-s": (lambda: a_read(vrm="AB12 \u017fDE"), "vrm", "U+017F LATIN SMALL LETTER LONG S"),
    "dotless-i": (lambda: a_read(vrm="AB12 CD\u0131"), "vrm",
                  "U+0131 LATIN SMALL LETTER DOTLESS I"),
    "right-to-left-mark": (lambda: a_read(vrm="AB12\u200fCDE"), "vrm",
                           "Only printable text is allowed, not U+200F (RIGHT-TO-LEFT MARK)"),
    "zero-width-space": (lambda: a_read(vrm="AB12\u200bCDE"), "vrm", "ZERO WIDTH SPACE"),
    "no-break-space": (lambda: a_read(vrm="AB12\u00a0CDE"), "vrm", "U+00A0 (NO-BREAK SPACE)"),
    "control-character": (lambda: a_read(vrm="AB12\x1fCDE"), "vrm", "U+001F (a control"),
    "cyrillic-alternative": (lambda: a_read(alternatives=[{"vrm": CYRILLIC_LOOK_ALIKE,
                                                           "score": 0.4}]),
                             "alternatives", "CYRILLIC CAPITAL LETTER A"),
    "right-to-left-override-in-make": (lambda: a_read(vehicle_make="\u202edroF"),
                                       "vehicle_make", "RIGHT-TO-LEFT OVERRIDE"),
    "newline-in-capture-id": (lambda: a_read("c1\nc2"), "capture_id", "a control character"),
    "lone-surrogate-in-capture-id": (lambda: a_read("c\ud800"), "capture_id", "lone surrogate"),
    "lone-surrogate-in-model": (lambda: a_read(vehicle_model="Golf\udfff"), "vehicle_model",
                                "lone surrogate"),
    "captured-a-day-ahead": (lambda: a_read(at=ago(days=-1)), "captured_at",
                             "more than 60 s in the future: check the camera's clock"),
    "captured-in-9999": (lambda: a_read(captured_at="9999-12-31T23:59:59-05:00"), "captured_at",
                         "in the future"),
    "captured-before-retention": (lambda: a_read(at=ago(days=400)), "captured_at",
                                  "older than the retention period (365 days)"),
    "captured-in-year-1": (lambda: a_read(captured_at="0001-01-01T00:00:00+05:00"),
                           "captured_at", "older than the retention period"),
}  # fmt: skip


def dump(payload) -> bytes:
    """JSON as a camera might send it: lone surrogates escaped, as JSON allows."""
    return json.dumps(payload).encode()


@pytest.mark.parametrize(("make", "field", "words"), BAD_READS.values(), ids=BAD_READS.keys())
def test_a_hostile_read_is_refused_naming_the_problem_and_nothing_is_kept(
    api, camera, media, make, field, words
):
    before = queued()
    response = api.generic("POST", READS_URL, dump({"reads": [make()]}), "application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "No read in the batch was accepted." and body["accepted"] == []
    (rejected,) = body["rejected"]
    assert rejected["index"] == 0
    assert any(words in reason for reason in rejected["errors"][field]), rejected
    assert_nothing_kept(media, before)
    camera.refresh_from_db()
    assert (camera.reads_refused, camera.reads_stored) == (1, 0)


def test_a_hostile_read_beside_good_ones_is_refused_alone_and_leaves_no_image(api, media):
    good = a_read("good", plate_image=b64(GOOD_JPEG))
    bad = a_read("bad", plate_image=b64(BAD_IMAGES["corrupt-png"][0]), vrm=CYRILLIC_LOOK_ALIKE)
    before = queued()
    response = post_reads(api, [good, bad])
    assert response.status_code == 202
    body = response.json()
    assert [read["capture_id"] for read in body["accepted"]] == ["good"]
    assert set(body["rejected"][0]["errors"]) == {"vrm", "plate_image"}
    (stored,) = files_under(media)  # the good read's plate patch only
    assert stored.read_bytes() == GOOD_JPEG
    assert queued()["ingest"] == before["ingest"] + 1


def test_unicode_a_camera_may_really_send_is_accepted(api, media):
    """Refusing look-alikes in VRMs does not make every other field ASCII-only."""
    read = a_read("capture-ø-1", vehicle_make="Škoda", vehicle_model="Лада Нива",
                  vehicle_colour="grün")  # fmt: skip
    response = post_reads(api, [read])
    assert response.status_code == 202, response.json()


# --- Reads: whole requests refused -------------------------------------------------------------


def batch(n: int) -> bytes:
    return dump({"reads": [a_read(f"c{i}") for i in range(n)]})


# (body, content type, status, words in "detail")
BAD_REQUESTS = {
    "text-plain": (lambda: b"AB12CDE", "text/plain", 415, 'Unsupported media type "text/plain"'),
    "xml": (lambda: b"<reads><read><vrm>AB12CDE</vrm></read></reads>", "application/xml", 415,
            'Unsupported media type "application/xml"'),
    "form": (lambda: b"vrm=AB12CDE", "application/x-www-form-urlencoded", 415,
             "Unsupported media type"),
    "json-sent-as-multipart": (lambda: batch(1), "multipart/form-data", 400,
                               "Multipart form parse error"),
    "json-sent-as-multipart-with-boundary": (lambda: batch(1), "multipart/form-data; boundary=x",
                                             400, 'carries the batch as JSON in a "batch" field'),
    "batch-of-51": (lambda: batch(51), "application/json", 400,
                    "A batch holds at most 50 reads; this one has 51. Nothing was accepted"),
    "batch-of-1000": (lambda: batch(1000), "application/json", 400,
                      "more than 1000 objects, more than a batch holds"),
    "a-megabyte-of-objects": (lambda: b'{"reads": [' + b"{}," * 400_000 + b"{}]}",
                              "application/json", 400, "more than 1000 objects"),
    "unknown-envelope-field": (lambda: dump({"reads": [a_read()], "sentAt": "x"}),
                               "application/json", 400, "Unknown fields in the batch: sentAt"),
    "empty-batch": (lambda: dump({"reads": []}), "application/json", 400, '"reads" list'),
    "not-an-object": (lambda: b"null", "application/json", 400, 'a JSON object with a "reads"'),
    "nested-100000-deep": (lambda: b'{"reads": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                           "application/json", 400, "nested too deeply"),
    "not-utf8": (lambda: b'{"reads": ["\xff\xfe"]}', "application/json", 400, "JSON parse error"),
    "nan": (lambda: b'{"reads": [{"confidence": NaN}]}', "application/json", 400,
            "NaN is not a JSON number"),
    "truncated-json": (lambda: batch(2)[:-20], "application/json", 400, "JSON parse error"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys()
)
def test_a_hostile_request_for_reads_is_refused_whole_naming_the_problem(
    api, media, body, content_type, status, words
):
    before = queued()
    response = api.generic("POST", READS_URL, body(), content_type)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert_nothing_kept(media, before)


@pytest.mark.parametrize(
    ("extra", "detail"),
    [({f"reads.0.plate_image{n}": SimpleUploadedFile("p.jpg", GOOD_JPEG) for n in range(101)},
      "Too many files in one submission: at most 100."),
     ({f"field{n}": "x" for n in range(1001)},
      "Too many form fields in one submission: at most 1000.")],
    ids=["101-files", "1001-fields"],
)  # fmt: skip
def test_more_parts_than_a_batch_can_carry_are_refused_with_a_message(api, media, extra, detail):
    before = queued()
    response = api.post(READS_URL, {"batch": batch(1).decode(), **extra}, format="multipart")
    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert_nothing_kept(media, before)


def test_a_nonsensical_sent_at_is_ignored_not_a_server_error(api):
    for sent_at in (12345, {"at": "now"}, "0001-01-01T00:00:00+05:00", "tomorrow"):
        response = post_reads(api, [a_read()], sent_at=sent_at)
        assert response.status_code == 202, sent_at


# --- Bodies of 100 MB --------------------------------------------------------------------------


class Endless(io.RawIOBase):
    """A request body of `size` bytes made as it is read, counting what the server read."""

    def __init__(self, size: int, start: bytes):
        self.size, self.start, self.consumed = size, start, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.size - self.consumed)
        chunk = (self.start if self.consumed == 0 else b"") + b"A" * n
        buffer[:n] = chunk[:n]
        self.consumed += n
        return n


@pytest.mark.parametrize(
    ("url", "content_type", "words"),
    [
        (READS_URL, "application/json", "larger than the limit of 16000000 bytes"),
        (READS_URL, "multipart/form-data; boundary=x", "larger than the limit of 16000000 bytes"),
        (FRAMES_URL, "multipart/form-data; boundary=x", "The frame is larger than 8000000 bytes"),
    ],
)
def test_a_100_mb_body_is_refused_with_413_without_being_read(api, media, url, content_type, words):
    body = Endless(100 * MB, b'{"reads": [{"vrm": "')
    before = queued()
    response = api.generic("POST", url, b"", content_type,
                           CONTENT_LENGTH=str(100 * MB), **{"wsgi.input": body})  # fmt: skip
    assert response.status_code == 413
    assert words in response.json()["detail"]
    assert body.consumed == 0
    assert_nothing_kept(media, before)


def peak_memory_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "words"),
    [(READS_URL, "larger than the limit of 16000000 bytes"),
     (FRAMES_URL, "The frame is larger than 8000000 bytes")],
)  # fmt: skip
def test_a_real_server_refuses_a_100_mb_body_with_413_without_holding_it_in_memory(
    server, url, words
):
    """Through uvicorn, as deployed. Django's ASGI handler takes the whole body in before the
    view runs (into a temporary file past 2.5 MB): it is refused unparsed, and never held."""
    token = camera_credential_issue(camera=CameraFactory(), acting_user=None)[1]
    headers = {"Authorization": f"Camera {token}",
               "Content-Type": "multipart/form-data; boundary=x"}  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    connection.request("POST", url, body=b"--x--", headers=headers)  # warm the server up
    connection.getresponse().read()
    before = peak_memory_kb(server.process.pid)

    connection.putrequest("POST", url)
    for name, value in {**headers, "Content-Length": str(100 * MB)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    chunk = b"A" * MB
    try:
        for _ in range(100):
            connection.send(chunk)
    except OSError:
        pass  # the server may answer and close before taking it all
    response = connection.getresponse()
    assert response.status == 413
    assert words in json.loads(response.read())["detail"]
    assert peak_memory_kb(server.process.pid) - before < 30_000  # KB: nowhere near 100 MB


# --- Frames ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "words"), BAD_IMAGES.values(), ids=[f"frame-{name}" for name in BAD_IMAGES]
)
def test_a_hostile_frame_is_refused_naming_the_problem_and_nothing_is_kept(
    api, camera, media, content, words
):
    before = queued()
    response = send_frame(api, content)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The frame was not accepted")
    assert words in response.json()["detail"]
    assert_nothing_kept(media, before)
    camera.refresh_from_db()
    assert camera.reads_refused == 1


# (fields, the field named, words in the reason)
BAD_FRAME_FIELDS = {
    "nul-in-capture-id": ({"capture_id": "f\x001"}, "capture_id", "Null characters"),
    "right-to-left-mark-in-capture-id": ({"capture_id": "f1\u200f"}, "capture_id",
                                         "RIGHT-TO-LEFT MARK"),
    "captured-a-day-ahead": ({"captured_at": ago(days=-1)}, "captured_at", "in the future"),
    "captured-in-9999": ({"captured_at": "9999-12-31T23:59:59+00:00"}, "captured_at",
                         "in the future"),
    "captured-before-retention": ({"captured_at": ago(days=400)}, "captured_at",
                                  "older than the retention period (365 days)"),
    "not-a-time": ({"captured_at": "yesterday"}, "captured_at", "not an ISO 8601 date"),
    "a-date-alone": ({"captured_at": ago(days=1).date().isoformat()}, "captured_at",
                     "a date without its time of capture"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "words"), BAD_FRAME_FIELDS.values(), ids=BAD_FRAME_FIELDS.keys()
)
def test_a_frame_with_hostile_fields_is_refused_naming_them(api, media, fields, field, words):
    before = queued()
    response = send_frame(api, GOOD_JPEG, **fields)
    assert response.status_code == 400
    assert response.json()["detail"] == "The frame was not accepted."
    assert any(words in reason for reason in response.json()["errors"][field])
    assert_nothing_kept(media, before)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (lambda: dump({"frame": b64(GOOD_JPEG), "capture_id": "f1"}), "application/json", 415,
         'Unsupported media type "application/json"'),
        (lambda: GOOD_JPEG, "image/jpeg", 415, 'Unsupported media type "image/jpeg"'),
        (lambda: b"a frame", "text/plain", 415, 'Unsupported media type "text/plain"'),
        (lambda: dump({"capture_id": "f1"}), "multipart/form-data", 400,
         "Multipart form parse error"),
        (lambda: dump({"capture_id": "f1"}), "multipart/form-data; boundary=x", 400,
         'Send the frame as a file named "frame"'),
    ],
    ids=["json", "bare-jpeg", "text-plain", "json-as-multipart", "json-as-multipart-boundary"],
)  # fmt: skip
def test_a_frame_sent_with_the_wrong_content_type_is_refused(
    api, media, body, content_type, status, words
):
    before = queued()
    response = api.generic("POST", FRAMES_URL, body(), content_type)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert_nothing_kept(media, before)


# --- Replayed capture ids ----------------------------------------------------------------------


def test_a_capture_id_twice_in_one_batch_with_two_vrms_keeps_the_first(api, media):
    at = ago(seconds=2)
    response = post_reads(api, [a_read("c1", "AB12CDE", at), a_read("c1", "KX70ZZZ", at)])
    assert response.status_code == 202
    body = response.json()
    assert [read["index"] for read in body["accepted"]] == [0]
    (rejected,) = body["rejected"]
    assert rejected["index"] == 1
    assert "'c1'" in rejected["errors"]["capture_id"][0]
    assert "already names a read with another VRM" in rejected["errors"]["capture_id"][0]


def test_a_replay_with_another_image_leaves_the_first_image_as_stored(api, media):
    at = ago(seconds=2)
    first = post_reads(api, [a_read("c1", "AB12CDE", at, plate_image=b64(GOOD_JPEG))])
    other = encoded(picture(), "JPEG", quality=20)
    again = post_reads(api, [a_read("c1", "AB12CDE", at, plate_image=b64(other))])
    assert again.json()["accepted"] == first.json()["accepted"]  # the same read, stored once
    (stored,) = files_under(media)
    assert stored.read_bytes() == GOOD_JPEG  # evidence is not replaced by a replay


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_replayed_frame_is_not_read_again(api, camera, media):
    """A frame whose read is stored already, sent again with other pixels: the same read id,
    nothing saved or queued (its plate would be a second read under that id)."""
    from reads.services import read_batch_ingest

    at = ago(minutes=5)
    read_id = read_id_for(camera, "f1", at.astimezone(UTC))
    read = {**a_read("f1", "AB12CDE", at), "id": str(read_id), "vrm_raw": "AB12 CDE",
            "vrm": "AB12CDE", "alternatives": []}  # fmt: skip
    read_batch_ingest(camera_id=camera.pk, site_id=camera.site_id,
                      received_at=at.isoformat(), reads=[read])  # fmt: skip
    before = queued()
    response = send_frame(api, encoded(picture(), "PNG"), "f1", at)
    assert response.status_code == 202
    assert response.json()["read_id"] == str(read_id)
    assert_nothing_kept(media, before)
    # A frame never read before is saved and queued: the check above can fail.
    assert send_frame(api, GOOD_JPEG, "f2", at).status_code == 202
    assert queued()["ocr"] == before["ocr"] + 1 and len(files_under(media)) == 1


# --- The worker after all this -----------------------------------------------------------------


def wait_until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_after_every_hostile_input_the_worker_stores_and_alerts_a_good_batch(
    workers, camera, api, media, tmp_path
):
    worker = workers.start()
    reads = Read.objects.filter(camera=camera)
    stolen = HotlistEntryFactory(vrm="AB12CDE")
    HotlistEntryFactory(vrm="KX70ZZZ")
    at = ago(seconds=30)

    # Everything hostile, with the worker running: all refused, before any queue.
    for make, _, _ in BAD_READS.values():
        response = api.generic("POST", READS_URL, dump({"reads": [make()]}), "application/json")
        assert response.status_code == 400
    for body, content_type, status, _ in BAD_REQUESTS.values():
        assert api.generic("POST", READS_URL, body(), content_type).status_code == status
    for content, _ in BAD_IMAGES.values():
        assert send_frame(api, content).status_code == 400
    # Accepted, but nothing for the store to choke on: a nonsensical clock, foreign text.
    odd = [a_read("odd", "LD04 XYZ", at, vehicle_make="Лада", vehicle_colour="grün")]
    assert post_reads(api, odd, sent_at="0001-01-01T00:00:00+05:00").status_code == 202

    # A replay: the same batch twice is one read, one alert.
    first = post_reads(api, [a_read("c1", "AB12 CDE", at)])
    again = post_reads(api, [a_read("c1", "AB12 CDE", at)])
    assert first.status_code == again.status_code == 202
    assert first.json()["accepted"] == again.json()["accepted"]
    wait_until(lambda: reads.filter(capture_id="c1").exists())
    # The same capture id and time with another plate (one that is on a hotlist too).
    other = post_reads(api, [a_read("c1", "KX70 ZZZ", at, plate_image=b64(GOOD_JPEG))])
    assert other.status_code == 409
    assert "capture ids name other reads" in other.json()["detail"]
    assert "already names a read with another VRM" in str(other.json()["rejected"])

    # The worker is unaffected: a good batch is stored and its hit alerted.
    good = [a_read("g1", "AB12CDE", at + timedelta(seconds=5)), a_read("g2", "WR19 KXT", at)]
    assert post_reads(api, good).status_code == 202
    wait_until(lambda: reads.filter(capture_id__in=["g1", "g2"]).count() == 2)
    time.sleep(1)  # time for anything else queued to land, if anything were

    assert sorted(reads.values_list("capture_id", "vrm")) == [
        ("c1", "AB12CDE"), ("g1", "AB12CDE"), ("g2", "WR19KXT"), ("odd", "LD04XYZ")
    ]  # fmt: skip
    assert reads.get(capture_id="odd").vehicle_make == "Лада"
    alerts = Alert.objects.filter(camera=camera)
    assert sorted(alerts.values_list("read_vrm", flat=True)) == ["AB12CDE", "AB12CDE"]
    assert {alert.entry_id for alert in alerts} == {stolen.pk}
    assert files_under(media) == []  # the refused replay's plate image was not kept
    camera.refresh_from_db()
    assert (camera.reads_stored, camera.frames_unread, camera.clock_offset_ms) == (4, 0, None)
    assert worker.poll() is None  # still running
    log = "\n".join(path.read_text() for path in tmp_path.glob("*.log"))
    assert "raised unexpected" not in log and "Traceback" not in log


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_conflicting_replay_sent_before_the_first_is_stored_is_refused(workers, camera, api):
    HotlistEntryFactory(vrm="KX70ZZZ")
    at = ago(seconds=30)
    assert post_reads(api, [a_read("c1", "AB12CDE", at)]).status_code == 202
    # The first is still queued: accepted, the second would be lost when it is stored.
    replay = post_reads(api, [a_read("c1", "KX70ZZZ", at)])
    assert replay.status_code == 409
    assert "already names a read with another VRM" in str(replay.json()["rejected"])
    assert post_reads(api, [a_read("c1", "AB12CDE", at)]).status_code == 202  # the same: fine
    workers.start()
    reads = Read.objects.filter(camera=camera)
    wait_until(lambda: reads.exists())
    time.sleep(2)  # time for the second batch to land
    assert list(reads.values_list("vrm", flat=True)) == ["AB12CDE"]
    assert not Alert.objects.exists()
