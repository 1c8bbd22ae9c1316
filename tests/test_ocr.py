"""Plate OCR from frames (R-READ-2b) with the real EasyOCR model: localisation, recognition,
the worker path into stored reads and alerts, refusals of bad frames, and the folder watch."""

import hashlib
import io
import itertools
import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import cv2
import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from anpr_site.celery import app
from cameras import ocr, synthetic
from cameras.localise import plate_candidates
from cameras.models import Camera, UnreadFrame
from cameras.synthetic import HELD_OUT, PlateStyle, jpeg_bytes, render_plate, render_scene
from hotlist.models import Alert
from reads.models import Read, RetentionPolicy
from reads.retention import unread_frames_expire
from tests.factories import HotlistEntryFactory

URL = "/api/v1/cameras/frames/"
# Plates that read back exactly; each in another style and place.
PLATES = [
    ("CT75LLY", PlateStyle(rear=True, band="UK"), 0.0),
    ("PR24CRX", PlateStyle(rear=True, band="green", font=3), 2.0),
    ("KR25XND", PlateStyle(rear=False, font=1), 4.0),
    ("RE74FAZ", PlateStyle(rear=True, band="flag", font=2), -3.0),
]


def bgr(image: Image.Image) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(jpeg_bytes(image), np.uint8), cv2.IMREAD_COLOR)


def scene(vrm, style, tilt, seed=1, **options):
    return render_scene(vrm, random.Random(seed), style=style, tilt=tilt, plate_width=200,
                        **options)  # fmt: skip


def overlap(box, truth) -> float:
    ax, ay, aw, ah = box
    bx, by, bw, bh = truth
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    return ix * iy / (aw * ah + bw * bh - ix * iy)


@pytest.mark.parametrize("options", [
    {"style": PlateStyle(rear=True)}, {"style": PlateStyle(rear=False)},
    {"style": PlateStyle(rear=True), "infrared": True}, {"style": PlateStyle(rear=False),
                                                         "tilt": 9.0},
    {"style": PlateStyle(rear=True, square=True)},
], ids=["yellow-rear", "white-front", "infrared", "tilted", "square"])  # fmt: skip
def test_localisation_finds_the_plate_in_every_style(options):
    tilt = options.pop("tilt", 0.0)
    for seed in range(3):
        found = scene("AB12CDE", tilt=tilt, seed=seed, **options)
        boxes = [c.box for c in plate_candidates(bgr(found.image))]
        assert max((overlap(box, found.box) for box in boxes), default=0) > 0.5, (seed, boxes)


def test_a_plate_whose_last_characters_run_together_is_proposed_to_its_end():
    from cameras.localise import _character_rows

    plate = np.asarray(render_plate("VF02ZMD", PlateStyle(rear=True), px_per_mm=0.45)).copy()
    _, ink = cv2.threshold(cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY), 0, 255,
                           cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)  # fmt: skip
    marks = cv2.connectedComponentsWithStats(ink)[2][1:]
    first, *_, m, d = sorted((s for s in marks if s[3] > plate.shape[0] / 2), key=lambda s: s[0])
    middle = m[1] + m[3] // 2  # a bolt between M and D joins them
    cv2.rectangle(plate, (int(m[0] + m[2] - 2), middle - 2), (int(d[0] + 2), middle + 2),
                  (20, 20, 20), -1)  # fmt: skip
    frame = np.clip(np.random.default_rng(1).normal(110, 25, (480, 800)), 0, 255).astype(np.uint8)
    frame[200 : 200 + plate.shape[0], 300 : 300 + plate.shape[1]] = cv2.cvtColor(
        plate, cv2.COLOR_RGB2GRAY)  # fmt: skip
    spans = [cv2.boxPoints(rect)[:, 0] for rect in _character_rows(frame)]
    assert any(xs.min() < 300 + first[0] and xs.max() > 300 + d[0] + d[2] for xs in spans)


@pytest.mark.parametrize("vrm", ["LB07SEO", "PK2V6M"])
def test_characters_joined_by_a_line_along_their_feet_are_found_by_the_finer_look(vrm):
    from cameras.localise import _character_rows

    plate = np.asarray(render_plate(vrm, PlateStyle(rear=True), px_per_mm=0.45)).copy()
    _, ink = cv2.threshold(cv2.cvtColor(plate, cv2.COLOR_RGB2GRAY), 0, 255,
                           cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)  # fmt: skip
    marks = [s for s in cv2.connectedComponentsWithStats(ink)[2][1:] if s[3] > plate.shape[0] / 2]
    left, right = min(s[0] for s in marks), max(s[0] + s[2] for s in marks)
    foot = int(np.median([s[1] + s[3] for s in marks]))
    # A recess's edge along the characters' feet, a plate hung a little askew: a pixel lower
    # every 30, so its runs of ink are too short for the regular look to take out.
    for step, x in enumerate(range(left, right, 30)):
        plate[foot - 4 + step, x : x + 30] = 30
    frame = np.clip(np.random.default_rng(1).normal(110, 4, (720, 1280)), 0, 255).astype(np.uint8)
    frame[300 : 300 + plate.shape[0], 400 : 400 + plate.shape[1]] = cv2.cvtColor(
        plate, cv2.COLOR_RGB2GRAY)  # fmt: skip

    def spans_the_characters(finer):
        spans = [cv2.boxPoints(rect)[:, 0] for rect in _character_rows(frame, finer=finer)]
        return any(xs.min() < 400 + left and xs.max() > 400 + right for xs in spans)

    assert not spans_the_characters(finer=False) and spans_the_characters(finer=True)


def test_a_dim_plate_ranked_below_more_plate_like_regions_is_read_at_a_second_look():
    frame = Image.new("RGB", (1280, 720), (70, 72, 75))
    draw = ImageDraw.Draw(frame)
    for n in range(9):  # bright bars, more plate-like than the plate and read as no plate
        x, y = 40 + (n % 3) * 450, 40 + (n // 3) * 220
        draw.rectangle([x, y, x + 220, y + 46], fill=(225, 225, 225))
        for bar in range(x + 8, x + 212, 12):
            draw.rectangle([bar, y + 6, bar + 5, y + 40], fill=(20, 20, 20))
    plate = render_plate("LB07SEO", PlateStyle(rear=False), px_per_mm=0.45).convert("RGB")
    frame.paste(Image.blend(plate, Image.new("RGB", plate.size, (120, 120, 120)), 0.5), (560, 600))
    plate_box = (560, 600, *plate.size)
    assert all(overlap(c.box, plate_box) < 0.5 for c in plate_candidates(bgr(frame)))
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == "LB07SEO"


def barred_ground() -> Image.Image:
    """A frame with nine rows of light bars on a grey ground: regions more plate-like than a
    faint plate, read as no plate, and no light region of a plate's shape among them."""
    frame = Image.new("RGB", (1280, 720), (90, 90, 95))
    draw = ImageDraw.Draw(frame)
    for n in range(9):
        x, y = 40 + (n % 3) * 450, 40 + (n // 3) * 120
        for bar in range(x + 8, x + 212, 12):
            draw.rectangle([bar, y + 6, bar + 5, y + 40], fill=(230, 230, 230))
    return frame


def faint(image: Image.Image) -> Image.Image:
    """Its dark parts faded to a third of their contrast against white, and blurred."""
    array = 235 - (235 - np.asarray(image.convert("RGB"), np.float32)) * 0.3
    return Image.fromarray(cv2.GaussianBlur(array, (0, 0), 1).clip(0, 255).astype(np.uint8))


def test_a_faint_plate_whose_characters_are_not_counted_is_read_by_its_light_body():
    frame = barred_ground()
    plate = faint(render_plate("LB07SEO", PlateStyle(rear=False), px_per_mm=0.35))
    frame.paste(plate, (560, 500))
    # Its regions found by their edges or characters count too few characters to be looked at
    # again; its light ground, of a plate's shape, finds it.
    assert all(c.score < ocr.AGAIN_MIN_PLATENESS for c in plate_candidates(bgr(frame), limit=12)
               if overlap(c.box, (560, 500, *plate.size)) > 0.3)  # fmt: skip
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == "LB07SEO"


def test_a_light_sign_found_by_its_body_is_no_read_unless_it_reads_as_a_whole_plate():
    # A faint TAXI sign, a light panel of a plate's shape, read as the dateless TAX1: a plate
    # found by its light ground alone must read as five characters or more in a known layout.
    frame = barred_ground()
    sign = Image.new("RGB", (210, 60), (235, 235, 235))
    ImageDraw.Draw(sign).text((20, 6), "TAXI", fill=(20, 20, 20),
                              font=ImageFont.truetype(str(synthetic.fonts()[0]), 48))  # fmt: skip
    frame.paste(faint(sign), (560, 500))
    assert ocr.frame_read(bgr(frame)) is None


@pytest.mark.parametrize("vrm, style, tilt", PLATES)
def test_rendered_plates_are_read_exactly_from_whole_frames(vrm, style, tilt):
    read = ocr.frame_read(bgr(scene(vrm, style, tilt).image))
    assert read is not None and read.reading.vrm == vrm


@pytest.mark.parametrize("vrm", ["K9", "AB1", "1A", "M88"])
def test_a_short_dateless_registration_is_read_from_a_whole_frame(vrm):
    read = ocr.frame_read(bgr(scene(vrm, PlateStyle(rear=True), 2.0).image))
    assert read is not None and read.reading.vrm == vrm


def test_a_square_plate_is_read_line_by_line():
    plate = render_plate("AB12CDE", PlateStyle(square=True), px_per_mm=0.8)
    frame = Image.new("RGB", (800, 450), (70, 70, 70))
    frame.paste(plate, (300, 150))
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == "AB12CDE"


@pytest.mark.parametrize("vrm", ["H86YNF", "LBZ3151", "VN58TRW"])
def test_a_dark_square_plate_on_a_lighter_ground_is_read_as_its_two_lines(vrm):
    # In shadow, or at dusk: the whole plate is darker than the car around it, so one
    # threshold over the region takes the plate, not its characters, for ink.
    plate = render_plate(vrm, PlateStyle(square=True, rear=False), px_per_mm=0.6)
    plate = Image.eval(plate, lambda value: value // 4)
    frame = Image.new("RGB", (800, 450), (215, 90, 140))
    frame.paste(plate, (300, 120))
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == vrm


@pytest.mark.parametrize("vrm, seed", [("AB12CDE", 45), ("CD11SFP", 51), ("OZ13TTY", 31)])
def test_a_square_plate_is_read_whole_though_its_top_line_alone_fits_a_format(vrm, seed):
    # AB12, CD11 (dateless) and OZ13 (Northern Irish) are registrations by themselves, and in
    # these scenes the top line, found on its own, reads more surely than the two together.
    rng = random.Random(seed)
    width = rng.randint(110, 160)
    found = render_scene(vrm, rng, style=PlateStyle(square=True), plate_width=width,
                         degradation=0.6)  # fmt: skip
    read = ocr.frame_read(bgr(found.image))
    assert read is not None and read.reading.vrm == vrm


def test_a_plates_last_characters_found_alone_are_part_of_it_not_a_plate_of_their_own():
    from cameras.localise import _candidate

    frame = np.full((300, 700, 3), 60, np.uint8)
    cv2.rectangle(frame, (100, 100), (560, 200), (235, 235, 235), -1)
    cv2.putText(frame, "PUT 6858", (118, 178), cv2.FONT_HERSHEY_SIMPLEX, 2.6, (20, 20, 20), 8)

    def found(left: int) -> ocr.Found:  # a region from `left` to the plate's right end
        quad = np.array([[left, 100], [560, 100], [560, 200], [left, 200]], np.float32)
        region = _candidate(frame, quad, "test")
        read = ocr.read_candidate(frame, region).read
        return ocr.Found(0.0, read, ocr.region_readings(read, region), region)

    whole, tail = found(100), found(240)
    assert whole.readings[0].vrm == "PUT6858"
    assert tail.readings[0].vrm == "T6858" and tail.readings[0].format  # UK by itself
    assert ocr._part_of(tail, whole) and not ocr._part_of(whole, tail)


def test_a_white_plate_on_a_white_car_beside_other_lettering_is_read():
    frame = Image.new("RGB", (960, 540), (200, 202, 205))  # a light car filling the view
    draw = ImageDraw.Draw(frame)
    draw.rectangle([0, 0, 960, 120], fill=(120, 130, 150))
    for n, word in enumerate(["DRIVE SAFE", "SALE 50 OFF"]):  # a dealer's lettering
        draw.text((40 + 520 * n, 30), word, fill=(20, 20, 20), font=ImageFont.truetype(
            str(synthetic.fonts()[0]), 40))  # fmt: skip
    frame.paste(render_plate("WR19KXT", PlateStyle(rear=False, font=1), px_per_mm=0.5),
                (350, 330))  # fmt: skip
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == "WR19KXT"


def test_a_plate_is_read_when_its_region_reads_best_with_a_mark_before_it():
    # A faint plate with a mark before its characters (drawn as an I): IFD7U4U is in no known
    # layout and too unsure to stand as a foreign plate, FD7U4U (LLD LDL) is a plate.
    frame = Image.new("RGB", (900, 500), (60, 62, 66))
    draw = ImageDraw.Draw(frame)
    draw.rectangle([300, 200, 600, 290], fill=(160, 160, 160))
    draw.text((320, 215), "IFD7U4U", fill=(80, 80, 80),
              font=ImageFont.truetype(str(synthetic.fonts()[3]), 52))  # fmt: skip
    read = ocr.frame_read(bgr(frame))
    assert read is not None and read.reading.vrm == "FD7U4U"


def test_a_frame_without_a_plate_reads_as_nothing():
    empty = render_scene("AB12CDE", random.Random(3)).image
    empty.paste((90, 90, 90), (0, 0, *empty.size))
    assert ocr.frame_read(bgr(empty)) is None


@pytest.mark.parametrize("font", [2, 3])
def test_lettering_read_only_weakly_in_a_frame_without_a_plate_is_no_read(font):
    # A road sign's M25 J4 on a light car: read as M125J4 or V125J4, in no known layout, and
    # far less surely than any plate; a read of it would be noise in the read store.
    frame = Image.new("RGB", (960, 540), (200, 202, 205))
    draw = ImageDraw.Draw(frame)
    draw.rectangle([0, 0, 960, 120], fill=(120, 130, 150))
    draw.text((300, 250), "M25 J4", fill=(20, 20, 20),
              font=ImageFont.truetype(str(synthetic.fonts()[font]), 40))  # fmt: skip
    assert ocr.frame_read(bgr(frame)) is None


@pytest.mark.parametrize("font, size", [(0, 24), (0, 36), (1, 24), (1, 36)])
def test_two_characters_read_only_weakly_in_a_frame_without_a_plate_are_no_read(font, size):
    # A car's GT badge, read as G7 or 6T, unsurely, from a region that looks little like a
    # plate: a dateless UK format by its length alone, and as short a read as lettering,
    # badges and texture give far more often than plates do.
    frame = Image.new("RGB", (960, 540), (60, 62, 70))
    draw = ImageDraw.Draw(frame)
    draw.rounded_rectangle([200, 150, 760, 480], radius=30, fill=(150, 30, 30))
    draw.text((560, 300), "GT", fill=(215, 215, 220),
              font=ImageFont.truetype(str(synthetic.fonts()[font]), size))  # fmt: skip
    assert ocr.frame_read(bgr(frame)) is None


@pytest.fixture
def model_settings(settings):
    ocr.reader.cache_clear()
    yield settings
    ocr.reader.cache_clear()


def test_a_missing_model_is_a_clear_error(model_settings, tmp_path):
    model_settings.OCR_MODEL_DIR = str(tmp_path)
    with pytest.raises(ocr.OCRModelError, match=re.escape(f"plate_crnn.pth is not in {tmp_path}")):
        ocr.reader()


def test_a_corrupt_model_is_a_clear_error(model_settings, tmp_path):
    (tmp_path / "plate_crnn.pth").write_bytes(b"not a model" * 100)
    model_settings.OCR_MODEL_DIR = str(tmp_path)
    with pytest.raises(ocr.OCRModelError, match=r"could not be loaded.*corrupt"):
        ocr.reader()


def ocr_queue_length() -> int:
    with app.connection_for_write() as connection:
        return connection.default_channel.queue_declare("ocr").message_count


SENT_AT = timezone.now()


def send(api, content: bytes, capture_id="f1", name="frame.jpg", captured_at=None):
    moment = captured_at or SENT_AT
    upload = io.BytesIO(content)
    upload.name = name
    return api.post(URL, {"frame": upload, "capture_id": capture_id,
                          "captured_at": moment.isoformat()}, format="multipart")  # fmt: skip


def png(width, height, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("content, message", [
    (jpeg_bytes(Image.new("RGB", (640, 480)))[:-500], "truncated"),
    (b"GIF89a not a frame at all", "not a decodable JPEG or PNG"),
    (png(20000, 20000, "1"), "pixels"),  # a decompression bomb: tiny file, 400 megapixels
], ids=["truncated", "not-an-image", "decompression-bomb"])  # fmt: skip
def test_bad_frames_are_refused_naming_the_problem_and_nothing_is_queued(
    api, settings, tmp_path, content, message
):
    settings.MEDIA_ROOT = tmp_path
    before = ocr_queue_length()
    response = send(api, content)
    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert ocr_queue_length() == before
    assert not list(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_too_large_a_frame_or_the_wrong_content_type_is_refused(api, settings):
    settings.FRAME_MAX_BYTES = 1000
    before = ocr_queue_length()
    response = send(api, jpeg_bytes(Image.new("RGB", (640, 480), (200, 30, 30))))
    assert response.status_code == 400 and "larger than 1000 bytes" in response.json()["detail"]
    huge = jpeg_bytes(Image.effect_noise((400, 400), 100).convert("RGB"), quality=100)
    assert len(huge) > 66_000
    response = send(api, huge)
    assert response.status_code == 413 and "larger than 1000 bytes" in response.json()["detail"]
    response = api.post(URL, {"capture_id": "x"}, format="json")
    assert response.status_code == 415
    response = api.post(URL, {"capture_id": "x"}, format="multipart")
    assert response.status_code == 400 and 'named "frame"' in response.json()["detail"]
    assert ocr_queue_length() == before


@pytest.mark.django_db
def test_a_frame_without_its_capture_time_or_from_a_decommissioned_site_is_refused(api, camera):
    response = api.post(URL, {"frame": io.BytesIO(b"x"), "capture_id": "x"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"]["captured_at"] == ["This field is required."]
    camera.site.status = "decommissioned"
    camera.site.save()
    response = send(api, jpeg_bytes(Image.new("RGB", (64, 48))))
    assert response.status_code == 403 and "decommissioned" in response.json()["detail"]


def wait_for(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_frames_become_reads_and_alerts_through_the_ocr_worker(
    api, camera, workers, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    workers.start(MEDIA_ROOT=str(tmp_path))
    HotlistEntryFactory(vrm="KR25XND", reason="stolen")
    for n, (vrm, style, tilt) in enumerate(PLATES):
        assert send(api, jpeg_bytes(scene(vrm, style, tilt).image), f"f{n}").status_code == 202
    empty = Image.new("RGB", (1000, 500), (90, 90, 90))
    assert send(api, jpeg_bytes(empty), "empty").status_code == 202
    # The same frame sent again is read once.
    assert send(api, jpeg_bytes(scene(*PLATES[0]).image), "f0").status_code == 202

    wait_for(lambda: Read.objects.count() == len(PLATES)
             and Camera.objects.get(pk=camera.pk).frames_unread == 1)  # fmt: skip
    reads = {read.vrm: read for read in Read.objects.all()}
    assert set(reads) == {vrm for vrm, _, _ in PLATES}
    read = reads["KR25XND"]
    assert read.camera_id == camera.pk and read.confidence > 0.3
    assert (tmp_path / read.plate_image).is_file() and (tmp_path / read.overview_image).is_file()
    wait_for(lambda: Alert.objects.filter(read_vrm="KR25XND").exists())
    assert Alert.objects.count() == 1
    unread = UnreadFrame.objects.get()
    assert unread.reason == "No plate found." and (tmp_path / unread.image).is_file()
    # Frames that became reads live on as their overview images; only the unread one is left.
    assert list((tmp_path / "frames").rglob("*.jpg")) == [tmp_path / unread.image]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_mobile_cameras_frame_says_where_it_was_taken_and_its_read_keeps_it(
    api, camera, workers, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    camera.kind = Camera.Kind.MOBILE
    camera.save()
    vrm, style, tilt = PLATES[0]
    content = jpeg_bytes(scene(vrm, style, tilt).image)
    nowhere = send(api, content)
    assert nowhere.status_code == 400
    assert nowhere.json()["errors"]["non_field_errors"] == [
        "A mobile camera's frame needs latitude and longitude."
    ]
    upload = io.BytesIO(content)
    upload.name = "frame.jpg"
    placed = api.post(URL, {"frame": upload, "capture_id": "m1", "captured_at": SENT_AT.isoformat(),
                            "latitude": "52.2053", "longitude": "0.1218", "direction": "away"},
                      format="multipart")  # fmt: skip
    assert placed.status_code == 202
    workers.start(MEDIA_ROOT=str(tmp_path))
    wait_for(lambda: Read.objects.exists())
    read = Read.objects.get()
    assert (read.vrm, read.latitude, read.longitude, read.direction) == (
        vrm,
        52.2053,
        0.1218,
        "away",
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_a_frame_accepted_before_its_camera_moved_is_read_at_the_site_that_took_it(
    api, camera, workers, settings, tmp_path
):
    from tests.factories import SiteFactory

    settings.MEDIA_ROOT = tmp_path
    vrm, style, tilt = PLATES[0]
    assert send(api, jpeg_bytes(scene(vrm, style, tilt).image)).status_code == 202
    taken_at = camera.site_id
    camera.site = SiteFactory(status="proposed")  # relocated by a review while it waits
    camera.save()
    workers.start(MEDIA_ROOT=str(tmp_path))
    wait_for(lambda: Read.objects.exists())
    assert Read.objects.get().site_id == taken_at


@pytest.mark.django_db
def test_unread_frames_are_kept_only_for_diagnostics(camera, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "frames").mkdir()
    for hours in (1, 30):
        image = f"frames/{hours}.jpg"
        (tmp_path / image).write_bytes(b"x")
        UnreadFrame.objects.create(camera=camera, image=image, captured_at=timezone.now(),
                                   reason="No plate found.",
                                   received_at=timezone.now() - timedelta(hours=hours))  # fmt: skip
    record = unread_frames_expire()
    assert (record.what, record.rows, record.files) == ("frames", 1, 1)
    assert [f.image for f in UnreadFrame.objects.all()] == ["frames/1.jpg"]
    assert [p.name for p in (tmp_path / "frames").iterdir()] == ["1.jpg"]


@pytest.mark.django_db
def test_the_folder_watch_takes_each_frame_once_and_sets_bad_ones_aside(camera, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.jpg").write_bytes(jpeg_bytes(scene(*PLATES[0]).image))
    (drop / "b.jpg").write_bytes(jpeg_bytes(scene(*PLATES[1]).image))
    (drop / "c.jpg").write_bytes(b"not an image")
    (drop / "notes.txt").write_text("not a frame")
    (drop / "link.jpg").symlink_to(drop / "a.jpg")
    before = ocr_queue_length()
    watch = {"camera": camera.reference, "folder": drop, "once": True, "settle": 0}
    call_command("watch_frames", **watch)
    assert ocr_queue_length() == before + 2
    assert sorted(p.name for p in drop.iterdir() if p.is_file()) == ["notes.txt"]
    assert (drop / "link.jpg").is_symlink()  # left where it was: never followed
    assert not list((drop / "taken").iterdir())
    assert "not a decodable JPEG or PNG" in (drop / "refused" / "c.jpg.reason.txt").read_text()
    call_command("watch_frames", **watch)
    assert ocr_queue_length() == before + 2
    # A frame that cannot be queued now (the camera disabled) waits in taken/ for a retry; a
    # new file of the same name waits its turn, so neither is lost.
    (drop / "d.jpg").write_bytes(jpeg_bytes(scene(*PLATES[2]).image))
    Camera.objects.filter(pk=camera.pk).update(status=Camera.Status.DISABLED)
    call_command("watch_frames", **watch)
    assert [p.name for p in (drop / "taken").iterdir()] == ["d.jpg"]
    (drop / "d.jpg").write_bytes(jpeg_bytes(scene(*PLATES[3]).image))
    call_command("watch_frames", **watch)
    assert (drop / "d.jpg").exists()
    Camera.objects.filter(pk=camera.pk).update(status=Camera.Status.ACTIVE)
    call_command("watch_frames", **watch)
    assert ocr_queue_length() == before + 4
    assert not list((drop / "taken").iterdir()) and not (drop / "d.jpg").exists()
    # Refused files of one name are each kept, with their reasons.
    (drop / "c.jpg").write_bytes(b"still not an image")
    call_command("watch_frames", **watch)
    assert sorted(p.name for p in (drop / "refused").iterdir()) == [
        "c-2.jpg", "c-2.jpg.reason.txt", "c.jpg", "c.jpg.reason.txt"]  # fmt: skip
    # A file still being written is left until it settles.
    (drop / "e.jpg").write_bytes(jpeg_bytes(scene(*PLATES[3]).image))
    call_command("watch_frames", **{**watch, "settle": 60})
    assert (drop / "e.jpg").exists()


@pytest.mark.django_db
def test_the_folder_watch_refuses_an_image_too_large_to_open(camera, settings, tmp_path):
    from tests.test_hostile_inputs import png_declaring

    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "huge.png").write_bytes(png_declaring(20_000, 20_000))  # a decompression bomb
    call_command("watch_frames", camera=camera.reference, folder=tmp_path, once=True, settle=0)
    reason = tmp_path / "refused" / "huge.png.reason.txt"
    assert "too many pixels" in reason.read_text()
    # Kept for diagnostics as long as unread frames are, then deleted with its reason.
    hours = RetentionPolicy.in_force().frames_hours
    old = time.time() - hours * 3600 - 60
    os.utime(reason, (old, old))
    call_command("watch_frames", camera=camera.reference, folder=tmp_path, once=True, settle=0)
    assert not list((tmp_path / "refused").iterdir())


@pytest.mark.django_db
def test_the_folder_watch_times_frames_by_the_camera_and_stores_a_file_sent_again_once(
    camera, settings, tmp_path
):
    from cameras.images import exif_capture_time
    from cameras.management.commands.watch_frames import Command as Watcher
    from cameras.services import read_id_for

    settings.MEDIA_ROOT = tmp_path / "media"
    drop = tmp_path / "drop"
    drop.mkdir()
    taken_at = timezone.now().replace(microsecond=250_000) - timedelta(minutes=10)
    exif = Image.Exif()
    exif.get_ifd(0x8769).update(
        {36867: f"{timezone.localtime(taken_at):%Y:%m:%d %H:%M:%S}", 37521: "25"}
    )  # its time, to the hundredth of a second
    stamped = io.BytesIO()
    scene(*PLATES[0]).image.save(stamped, "JPEG", exif=exif)
    files = {"a.jpg": stamped.getvalue(), "b.jpg": jpeg_bytes(scene(*PLATES[1]).image)}
    watcher = Watcher()  # one watcher running throughout
    for minutes_ago in (5, 2):  # each file dropped, then sent again (an FTP retry)
        for name, content in files.items():
            (drop / name).write_bytes(content)
            when = time.time() - 60 * minutes_ago
            os.utime(drop / name, (when, when))
        call_command(watcher, camera=camera.reference, folder=drop, once=True, settle=0)
    stored = sorted(path.stem for path in (tmp_path / "media" / "frames").rglob("*.jpg"))
    assert len(stored) == 2  # each frame once
    digest = hashlib.sha256(files["a.jpg"]).hexdigest()[:12]
    assert str(read_id_for(camera, f"a.jpg-{digest}", taken_at)) in stored  # the camera's time
    # A camera that gives its zone is taken at its word.
    exif.get_ifd(0x8769).update({36867: "2026:07:01 10:00:00", 36881: "+02:00"})
    stamped = io.BytesIO()
    scene(*PLATES[0]).image.save(stamped, "JPEG", exif=exif)
    assert exif_capture_time(stamped.getvalue()).isoformat() == "2026-07-01T10:00:00.250000+02:00"
    assert exif_capture_time(files["b.jpg"]) is None


def test_an_ocr_worker_with_a_missing_model_stops_at_start_saying_why(tmp_path):
    import subprocess

    from tests.conftest import ROOT, python, test_database_url

    env = {**os.environ, "OCR_MODEL_DIR": str(tmp_path), "OCR_PRELOAD": "true",
           "DATABASE_URL": test_database_url()}  # fmt: skip
    worker = subprocess.run(
        [python(), "-m", "celery", "-A", "anpr_site", "worker", "-Q", "ocr", "--pool", "solo",
         "-n", f"bad-model-{os.getpid()}@localhost"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode != 0
    assert (
        f"The OCR worker cannot start: The plate recognition model plate_crnn.pth is not in "
        f"{tmp_path}" in worker.stderr
    )


def test_manage_py_check_names_a_missing_model(settings, tmp_path):
    from cameras.apps import ocr_model_check

    assert ocr_model_check() == []
    settings.OCR_MODEL_DIR = str(tmp_path)
    [error] = ocr_model_check()
    assert error.id == "cameras.E001" and str(tmp_path) in error.msg


@pytest.mark.django_db
def test_administrators_see_unread_frames_and_each_view_is_audited(
    camera, client_for, settings, tmp_path
):
    from access.models import AuditRecord

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames/x.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (64, 48))))
    frame = UnreadFrame.objects.create(
        camera=camera, image="frames/x.jpg", captured_at=timezone.now(), reason="No plate found."
    )
    admin = client_for("admin")
    assert camera.reference in admin.get("/cameras/frames/").content.decode()
    image = admin.get(f"/cameras/frames/{frame.pk}/image/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    record = AuditRecord.objects.get()
    assert record.action == "image_view" and f"unread frame {frame.pk}" in record.target
    for persona in ("operator", "investigator", "intel"):
        assert client_for(persona).get(f"/cameras/frames/{frame.pk}/image/").status_code == 403
    assert AuditRecord.objects.count() == 1
    # Past its hours it is shown no more, whenever the hourly expiry last ran.
    hours = RetentionPolicy.in_force().frames_hours
    UnreadFrame.objects.update(received_at=timezone.now() - timedelta(hours=hours, minutes=1))
    admin = client_for("admin")
    assert camera.reference not in admin.get("/cameras/frames/").content.decode()
    assert admin.get(f"/cameras/frames/{frame.pk}/image/").status_code == 404


def test_a_line_is_read_with_the_networks_second_choices():
    from easyocr.recognition import custom_mean

    from cameras.recogniser.decoding import line_read

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def slice_(**chances: float) -> np.ndarray:  # one slice of a crop; "blank" is class 0
        row = np.zeros(1 + len(alphabet))
        for char, p in chances.items():
            row[0 if char == "blank" else 1 + alphabet.index(char.removeprefix("_"))] = p
        return row

    # A A _ B _ 8 8 _ 1: a repeat merged, an unsure 8 over two slices, the blank between.
    probabilities = np.stack([
        slice_(A=0.9, _4=0.1), slice_(A=0.8, blank=0.2), slice_(blank=1.0), slice_(B=1.0),
        slice_(blank=1.0), slice_(_8=0.55, B=0.45), slice_(_8=0.5, B=0.3, blank=0.2),
        slice_(blank=1.0), slice_(_1=0.7, I=0.3),
    ])  # fmt: skip
    read = line_read(probabilities, alphabet)
    assert read.text == "AB81"
    assert [list(p) for p in read.positions] == [["A", "4"], ["B"], ["8", "B"], ["1", "I"]]
    assert read.positions[2] == pytest.approx({"8": 0.55, "B": 0.45})
    # The confidence is EasyOCR's for the same best path.
    assert read.confidence == pytest.approx(custom_mean(np.array([0.9, 0.8, 1, 0.55, 0.5, 0.7])))


def test_a_plates_region_is_read_again_with_its_ends_cut_out_and_in_and_reads_alike():
    from cameras.localise import _candidate, nudged

    frame = bgr(render_plate("KR25XND", PlateStyle(rear=True), px_per_mm=0.5))
    h, w = frame.shape[:2]
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    frame = cv2.copyMakeBorder(frame, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(60, 60, 60))
    candidate = _candidate(frame, corners + 40, "test")
    views = [candidate.lines, *nudged(frame, candidate)]
    (line,), (wider,), (narrower,) = views
    assert narrower.shape[1] < line.shape[1] < wider.shape[1]
    assert [read.text for read in ocr._read_views(views)] == ["KR25XND"] * 3


def test_of_a_regions_reads_the_reading_most_give_stands_as_the_surest_of_them_read_it():
    from cameras.recogniser.decoding import LineRead

    def read(text: str, confidence: float) -> LineRead:
        return LineRead([{char: 1.0} for char in text], confidence)

    # One cut reads the last character otherwise, and more surely; another reads a holder's
    # rim as a character: most read AB12CDE, so it stands, as the surer of those read it.
    reads = [read("AB12CDE", 0.6), read("AB12CDF", 0.95), read("AB12CDE", 0.7),
             read("1AB1234", 0.9)]  # fmt: skip
    region = ocr._agreed(reads)
    assert region.read is reads[2] and region.agreement == 0.5
    assert ocr._agreed([read("", 0.0), read("", 0.0)]).agreement == 0  # nothing to agree on


@pytest.mark.parametrize("text, plate", [("A12B345C", True), ("01632960983", False),
                                         ("PNEUFURA03", False)])  # fmt: skip
def test_a_read_in_no_known_layout_longer_than_a_registration_is_lettering(text, plate):
    # Read surely from a region that looks like a plate: eight characters may be a foreign
    # plate; a telephone number or a tyre maker's name painted on a van is none.
    from cameras.localise import Candidate
    from cameras.recogniser.decoding import LineRead

    region = Candidate(np.zeros((4, 2), np.float32), [], np.zeros((1, 1, 3), np.uint8), 0.8, "test")
    readings = ocr.region_readings(LineRead([{char: 1.0} for char in text], 0.95), region)
    assert [r.vrm for r in readings[:1]] == ([text] if plate else [])


def test_the_default_network_is_the_committed_plate_network_and_loads_offline(model_settings):
    assert model_settings.OCR_RECOGNITION_NETWORK == "plate_crnn"
    assert not model_settings.OCR_DOWNLOAD_ENABLED
    assert type(ocr.reader().recognizer).__module__ == "plate_crnn"


def test_the_network_reads_in_inference_mode_where_torch_cannot_quantise(
    model_settings, monkeypatch
):
    """EasyOCR quantises the network on a CPU and ignores a failure (a torch built without a
    quantisation engine); batch norm must still use its learnt statistics, not each crop's."""
    import torch

    def no_engine(*args, **kwargs):
        raise RuntimeError("no quantisation engine")

    monkeypatch.setattr(torch.quantization, "quantize_dynamic", no_engine)
    assert not ocr.reader().recognizer.training
    vrm, style, tilt = PLATES[0]
    read = ocr.frame_read(bgr(scene(vrm, style, tilt).image))
    assert read is not None and read.reading.vrm == vrm


def test_easyocrs_stock_network_stays_selectable(model_settings):
    import easyocr_en_models

    model_settings.OCR_RECOGNITION_NETWORK = "english_g2"
    model_settings.OCR_MODEL_DIR = str(easyocr_en_models.model_dir())
    vrm, style, tilt = PLATES[0]
    read = ocr.frame_read(bgr(scene(vrm, style, tilt).image))
    assert read is not None and read.reading.vrm == vrm


def test_plates_in_a_typeface_it_never_saw_are_read_exactly():
    rng = random.Random(99)
    for vrm in ("LV68WNK", "YP21RBO", "S745HJB", "AHZ4242"):
        style = replace(PlateStyle.random(rng), font=HELD_OUT)
        plate = bgr(render_plate(vrm, style, px_per_mm=0.45))
        read = ocr.frame_read(cv2.copyMakeBorder(plate, 60, 60, 80, 80, cv2.BORDER_CONSTANT,
                                                 value=(70, 70, 70)))  # fmt: skip
        assert read is not None and read.reading.vrm == vrm, style


@pytest.mark.parametrize("seed", range(4))
def test_each_monoline_face_draws_every_plate_character_and_no_two_alike(seed):
    from cameras.recogniser.strokes import StrokeFace

    face = StrokeFace.random(random.Random(seed))
    shapes = {}
    for char in ocr.ALLOWLIST:
        glyph = np.asarray(face.glyph(char)) > 127
        assert glyph.shape[0] > 60 and glyph.any(), char  # about 75 high, inked
        shapes[char] = cv2.resize(glyph.astype(np.float32), (24, 40))
    # 0 and O are drawn alike on many plates, as here; every other pair differs in a
    # twenty-fifth or more of its area (a W is no upside-down M, nor 8 a B, nor D a square O).
    for a, b in itertools.combinations(ocr.ALLOWLIST, 2):
        if {a, b} != {"0", "O"}:
            assert np.abs(shapes[a] - shapes[b]).mean() > 0.04, (a, b)


def foreign_plate_read(groups: list[str], separator: str | None = None, squeeze: float = 1.0
                       ) -> ocr.PlateRead | None:  # fmt: skip
    """A foreign plate, 80 pixels high as a camera sees it, in a frame of a camera's size (the
    plate a sixth of its height), read; `squeeze` narrows it (and its typeface)."""
    from cameras.recogniser.world import render_world_plate

    plate = bgr(render_world_plate(groups, random.Random("".join(groups)), separator))
    plate = cv2.resize(plate, None, fx=80 * squeeze / plate.shape[0], fy=80 / plate.shape[0])
    return ocr.frame_read(
        cv2.copyMakeBorder(plate, 200, 200, 200, 200, cv2.BORDER_CONSTANT, value=(40, 40, 40))
    )


@pytest.mark.parametrize("groups", [["ABC", "1234"], ["7", "XKR", "512"], ["B", "KX", "4821"],
                                    ["4821", "BZM"]])  # fmt: skip
def test_foreign_plates_are_read_as_printed(groups):
    read = foreign_plate_read(groups)
    assert read is not None and read.reading.vrm == "".join(groups)
    assert read.reading.format is None  # kept as read: no UK format was forced on it


@pytest.mark.parametrize("groups", [["7", "ABCK"], ["12", "ABCW"], ["ZZ", "3456V"]])
def test_a_foreign_plate_is_not_cut_short_to_fit_a_rare_uk_format(groups):
    # Without its last character each is a dateless UK registration (7 ABC, 12 ABC, ZZ 3456);
    # the network read that character surely, so it is no bolt or border to leave out.
    read = foreign_plate_read(groups)
    assert read is not None and read.reading.vrm == "".join(groups)


@pytest.mark.parametrize("groups", [["AG3", "F2J"], ["TT7", "E2A"], ["UF9", "A7R"]])
def test_a_sticker_between_a_plates_groups_is_not_read_as_a_character(groups):
    read = foreign_plate_read(groups, separator="sticker")
    assert read is not None and read.reading.vrm == "".join(groups)


@pytest.mark.parametrize("groups", [["ZW", "X", "807"], ["VNJ9840"], ["82", "596", "NN"]])
def test_a_plate_in_a_typeface_narrower_than_most_is_read(groups):
    # Squeezed to 0.6 of its width, its characters are a third as wide as high: each is read
    # wrongly, or not at all, unless also read widened.
    read = foreign_plate_read(groups, squeeze=0.6)
    assert read is not None and read.reading.vrm == "".join(groups)


def test_uk_plates_are_not_read_twice():
    from cameras.localise import widened

    for seed, (vrm, style, _) in enumerate(PLATES):
        (line,) = plate_candidates(bgr(scene(vrm, style, 0.0, seed=seed).image))[0].lines
        assert widened(line) is line, vrm  # their characters are as wide as the reader likes


def test_a_plate_twice_as_wide_as_high_is_one_line_and_a_uk_square_plate_two():
    from cameras.localise import _candidate

    wide = np.full((100, 200, 3), 235, np.uint8)
    cv2.putText(wide, "7ABC", (12, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (20, 20, 20), 4)
    cv2.putText(wide, "CALIFORNIA", (40, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (30, 30, 160), 1)
    square = bgr(render_plate("AB12CDE", PlateStyle(square=True), px_per_mm=0.6))
    for image, lines in ((wide, 1), (square, 2)):
        h, w = image.shape[:2]
        corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
        assert len(_candidate(image, corners, "test").lines) == lines


def labelled_photos(folder, plates=PLATES):
    """A folder in the OpenALPR `endtoend` format: frames, and a NAME.txt with each one's box
    and plate."""
    folder.mkdir()
    for n, (vrm, style, tilt) in enumerate(plates):
        found = scene(vrm, style, tilt)
        found.image.save(folder / f"car{n}.jpg", quality=90)
        x, y, w, h = found.box
        (folder / f"car{n}.txt").write_text(f"car{n}.jpg\t{x}\t{y}\t{w}\t{h}\t{vrm}\n")
    return folder


def test_training_is_seeded_resumes_and_writes_weights_easyocr_loads(model_settings, tmp_path):
    from cameras.recogniser.training import train

    photos = labelled_photos(tmp_path / "photos")
    lines = []
    train(steps=4, seed=5, out=tmp_path, batch_size=4, until=2, log=lines.append)
    figures = train(steps=4, seed=5, out=tmp_path, batch_size=4, real=(photos,),
                    log=lines.append)  # fmt: skip
    assert "resumed at step 2" in lines
    assert any(line.startswith("step 4/4 ") and "validation exact" in line and ", photos " in line
               for line in lines)  # fmt: skip
    assert set(figures) == {"synthetic", "photos", "step"}  # the photographs were read from
    model_settings.OCR_RECOGNITION_NETWORK = "plate_crnn"
    model_settings.OCR_MODEL_DIR = str(tmp_path)
    (read,) = ocr.read_crops([np.full((64, 200), 200, np.uint8)])
    assert isinstance(read.text, str) and 0 <= read.confidence <= 1


@pytest.mark.django_db
def test_a_frame_that_cannot_be_decoded_or_holds_no_plate_is_kept_once_for_diagnostics(
    camera, settings, tmp_path
):
    from cameras.frames import frame_process

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "frames").mkdir()
    good = jpeg_bytes(Image.new("RGB", (64, 48)))
    (tmp_path / "frames/garbled.jpg").write_bytes(good[:20] + b"\x00" * 400 + good[-2:])
    (tmp_path / "frames/thin.png").write_bytes(png(1, 5000))
    for name in ("garbled.jpg", "thin.png", "thin.png"):  # the second delivery counts once
        frame = {"camera_id": camera.pk, "read_id": str(uuid.uuid4()), "frame": f"frames/{name}",
                 "capture_id": name, "captured_at": SENT_AT.isoformat(),
                 "received_at": SENT_AT.isoformat()}  # fmt: skip
        assert frame_process(frame) is None
    reasons = dict(UnreadFrame.objects.values_list("image", "reason"))
    assert reasons == {"frames/garbled.jpg": "The image cannot be decoded.",
                       "frames/thin.png": "No plate found."}  # fmt: skip
    # Kept from when it was received, however long it waited to be read.
    assert set(UnreadFrame.objects.values_list("received_at", flat=True)) == {SENT_AT}
    camera.refresh_from_db()
    assert camera.frames_unread == 2


def test_the_ocr_benchmark_reports_the_documented_figures_from_a_folder_of_photos(tmp_path):
    photos = labelled_photos(tmp_path / "photos")
    mislabelled = labelled_photos(tmp_path / "mislabelled", [PLATES[0]])
    label = mislabelled / "car0.txt"
    label.write_text(label.read_text().replace(PLATES[0][0], "CT75LLX"))
    out = tmp_path / "ocr.json"
    subprocess.run([sys.executable, "bench/ocr.py", "--synthetic", "4", "--real", str(photos),
                    str(mislabelled), "--json", str(out)],
                   check=True, capture_output=True, timeout=600)  # fmt: skip
    figures = json.loads(out.read_text())
    for key in ("crop_ms_median", "crop_ms_p95", "frame_ms_median", "frame_ms_p95"):
        assert figures[key] > 0
    assert 0 <= figures["synthetic_exact"] <= 1
    # The folder's plates are ones the reader reads exactly (see above), from the box and
    # from the whole frame; with each painted out, nothing is read.
    real = {"box_exact": 1.0, "e2e_exact": 1.0, "cer": 0.0, "no_plate_reads": 0.0}
    assert figures["real"]["photos"] == real
    assert figures["photos"]["photos"]["recognition"]["plates"] == len(PLATES)
    assert figures["photos"]["photos"]["misreads"] == []
    # A photograph read otherwise than labelled is listed with every read of it.
    assert figures["photos"]["mislabelled"]["misreads"] == [
        {"name": "car0.jpg", "plate": "CT75LLX", "box": "CT75LLY", "end_to_end": "CT75LLY",
         "painted_out": ""}]  # fmt: skip


def test_characters_run_together_are_not_cut_off_the_plate_crop():
    from cameras.localise import _candidate

    plate = Image.new("RGB", (560, 110), (235, 235, 230))
    draw = ImageDraw.Draw(plate)
    font = ImageFont.truetype(str(synthetic.fonts()[0]), 80)
    draw.text((20, 10), "ABCDE", font=font, fill=(20, 20, 20))
    for n, char in enumerate("123"):  # set so tight that they run into one mark
        draw.text((300 + 40 * n, 10), char, font=font, fill=(20, 20, 20), stroke_width=4,
                  stroke_fill=(20, 20, 20))  # fmt: skip
    image = bgr(plate)
    corners = np.array([[0, 0], [559, 0], [559, 109], [0, 109]], np.float32)
    (line,) = _candidate(image, corners, "test").lines
    ink = np.nonzero(line.min(axis=0) < 100)[0]
    assert ink.max() < line.shape[1] - 5  # the last character ends inside the crop, not at its edge


def plate_line(text: str, tilt: float) -> np.ndarray:
    """A grey line of dark characters on a light plate, turned by `tilt` degrees in its box."""
    line = np.full((64, 400), 235, np.uint8)
    cv2.putText(line, text, (20, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 20, 4)
    turn = cv2.getRotationMatrix2D((200, 32), tilt, 1.0)
    return cv2.warpAffine(line, turn, (400, 64), borderMode=cv2.BORDER_REPLICATE)


def slope(line: np.ndarray) -> float:
    """How many degrees the line's characters slope by: their centres' fitted line."""
    from cameras.localise import _marks, _of_one_height

    marks = _of_one_height(_marks(line, 0.35, 0.95))
    x = [m[cv2.CC_STAT_LEFT] + m[cv2.CC_STAT_WIDTH] / 2 for m in marks]
    y = [m[cv2.CC_STAT_TOP] + m[cv2.CC_STAT_HEIGHT] / 2 for m in marks]
    return float(np.degrees(np.arctan(np.polyfit(x, y, 1)[0])))


@pytest.mark.parametrize("tilt", [-9.0, -5.0, 3.5, 7.0])
def test_a_line_whose_characters_slope_is_turned_level(tilt):
    from cameras.localise import _levelled

    line = plate_line("AB12CDE", tilt)
    assert abs(slope(line)) > 3 and abs(slope(_levelled(line))) < 1


def test_a_level_line_or_one_whose_marks_stand_in_no_row_is_left_as_it_is():
    from cameras.localise import _levelled

    level = plate_line("AB12CDE", 0.5)
    scattered = np.full((64, 400), 235, np.uint8)
    for n, (x, y) in enumerate([(20, 30), (80, 60), (140, 34), (200, 62), (260, 30)]):
        cv2.putText(scattered, "ABCDE"[n], (x, y), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 3)
    assert _levelled(level) is level and _levelled(scattered) is scattered


@pytest.mark.parametrize("seed", range(3))
def test_a_plate_askew_in_a_box_square_to_the_frame_is_read(seed):
    # As a labeller boxes a plate hung askew, or a localiser's box takes in what is around it:
    # its characters slope in the region. Turned 12 degrees, each seed has a plate misread
    # unless its line is turned level.
    from cameras.localise import _candidate

    rng = random.Random(seed)
    for tilt in (-12.0, 12.0):
        vrm = synthetic.uk_vrm(rng)
        found = scene(vrm, PlateStyle(rear=rng.random() < 0.5, font=rng.randrange(4)), tilt,
                      seed=seed)  # fmt: skip
        x, y, w, h = found.box
        box = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)
        frame = bgr(found.image)
        region = _candidate(frame, box, "test")
        read = ocr.read_candidate(frame, region).read
        assert ocr.region_readings(read, region)[0].vrm == vrm, tilt
