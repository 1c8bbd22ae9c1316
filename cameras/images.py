"""Checks on images cameras send: decodable JPEG or PNG, complete, within size limits."""

import base64
import binascii
import io
import os
import re
import zlib
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone
from PIL import Image

FORMATS = {"JPEG": "jpg", "PNG": "png"}


class InvalidImage(ValueError):
    pass


def decode_image(data: str, *, max_bytes: int) -> tuple[bytes, str]:
    """Bytes and file extension of a base64 JPEG/PNG, or InvalidImage saying what is wrong."""
    if len(data) > max_bytes * 4 // 3 + 4:
        raise InvalidImage(f"The image is larger than {max_bytes} bytes.")
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImage("The image is not valid base64.") from None
    return content, check_image(content, max_bytes=max_bytes)


def check_image(content: bytes, *, max_bytes: int) -> str:
    """The file extension for a complete JPEG/PNG within limits; InvalidImage otherwise.

    Reads the format and size from the header, checks the end marker and walks the file's
    structure (PNG chunks and their checksums, JPEG segments and scans) without decoding any
    pixels: tens of microseconds for a national-spec image, where decoding it with Pillow cost
    far more, a sizeable share of the camera API's budget at thousands of reads a second.
    """
    if len(content) > max_bytes:
        raise InvalidImage(f"The image is larger than {max_bytes} bytes.")
    image_format, width, height = _header(content)
    _check_pixels(width, height)
    end = len(content.rstrip(b"\x00"))  # some cameras pad their files with NULs
    if not content.endswith(_END[image_format], 0, end):
        raise InvalidImage("The image is truncated.")
    if image_format == "PNG":
        _walk_png(content, end)
    else:
        _walk_jpeg(content, end)
    return FORMATS[image_format]


def _check_pixels(width: int, height: int) -> None:
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise InvalidImage(
            f"The image is {width}x{height} pixels: too many pixels (at most "
            f"{settings.IMAGE_MAX_PIXELS})."
        )


_END = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}
# JPEG start-of-frame markers (baseline, progressive, lossless...): they carry the image size.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
UNDECODABLE = "The image is not a decodable JPEG or PNG."


def exif_capture_time(content: bytes) -> datetime | None:
    """When the camera says it took the image: EXIF DateTimeOriginal, with its fraction of a
    second and zone where given (a time without a zone is the force's local time), or None."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            tags = image.getexif().get_ifd(0x8769)  # the Exif IFD
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None  # unreadable: the frame's own checks say why, where it matters
    when, fraction, zone = (str(tags.get(tag, "")).strip() for tag in (36867, 37521, 36881))
    try:
        moment = datetime.strptime(when, "%Y:%m:%d %H:%M:%S")
        if fraction.isdigit():
            moment = moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        if zone:
            return datetime.fromisoformat(f"{moment.isoformat()}{zone}")
    except ValueError:  # no time, or one no camera could mean
        return None
    return timezone.make_aware(moment)


def _header(content: bytes) -> tuple[str, int, int]:
    """Format, width and height from a JPEG or PNG header."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        width, height = int.from_bytes(content[16:20]), int.from_bytes(content[20:24])
        if not width or not height:
            raise InvalidImage(UNDECODABLE)
        return "PNG", width, height
    if not content.startswith(b"\xff\xd8"):
        raise InvalidImage(UNDECODABLE)
    position = 2
    while position + 9 < len(content):  # walk the marker segments to the frame header
        if content[position] != 0xFF:
            raise InvalidImage(UNDECODABLE)
        marker = content[position + 1]
        if marker in _SOF:
            height = int.from_bytes(content[position + 5 : position + 7])
            width = int.from_bytes(content[position + 7 : position + 9])
            if not width or not height:
                raise InvalidImage(UNDECODABLE)
            return "JPEG", width, height
        if marker == 0xFF:  # fill byte
            position += 1
        elif marker in _STANDALONE:  # no length follows: stepping by one would be steered
            position += 2
        else:
            position += 2 + int.from_bytes(content[position + 2 : position + 4])
    raise InvalidImage("The image is truncated.")


def _corrupt(why: str) -> InvalidImage:
    return InvalidImage(f"The image is corrupt: {why}.")


# PNG colour types and the bit depths each may have; its samples a pixel.
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _walk_png(content: bytes, end: int) -> None:
    """Every chunk whole and matching its checksum, a pixel format PNG has, image data that
    inflates to every row of the image, IEND last."""
    width, height = int.from_bytes(content[16:20]), int.from_bytes(content[20:24])
    depth, colour, compression, filtering, interlace = content[24:29]
    if depth not in _PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        raise _corrupt("its PNG header names no pixel format PNG has")
    inflater, inflated = zlib.decompressobj(), 0
    needed = height * (1 + (width * _PNG_SAMPLES[colour] * depth + 7) // 8)
    view, position, has_data = memoryview(content), 8, False
    while position + 12 <= end:
        length = int.from_bytes(content[position : position + 4])
        kind = content[position + 4 : position + 8]
        data_end = position + 8 + length
        if data_end + 4 > end:
            raise _corrupt("a PNG chunk runs past the end of the file")
        if zlib.crc32(view[position + 4 : data_end]) != int.from_bytes(
            content[data_end : data_end + 4]
        ):
            raise _corrupt(f"the PNG chunk {kind!r} fails its checksum")
        if kind == b"IDAT":
            has_data = True
            try:  # inflated a megabyte at a time, and no further than the image needs
                data: bytes | memoryview = view[position + 8 : data_end]
                while data and inflated <= needed:
                    inflated += len(inflater.decompress(data, 1 << 20))
                    data = inflater.unconsumed_tail
            except zlib.error:
                raise _corrupt("its PNG image data is not compressed as PNG's is") from None
        position = data_end + 4
        if kind == b"IEND":
            if position != end:
                raise _corrupt("there is data after the PNG's end")
            if not has_data:
                raise _corrupt("the PNG holds no image data")
            if not inflater.eof or (interlace == 0 and inflated < needed):
                raise _corrupt("its PNG image data stops short of the image's last row")
            return
    raise _corrupt("the PNG's chunks do not lead to its end")


# Markers that may follow 0xFF in a JPEG: SOFn, DHT, DAC, RSTn, EOI, SOS, DQT, DNL, DRI, DHP,
# EXP, APPn, JPGn, COM and TEM. Anything else (0x02-0xBF, 0xC8, SOI again) is damage.
_JPEG_MARKERS = frozenset({0x01, *range(0xC0, 0xC8), *range(0xC9, 0xD8), *range(0xD9, 0xFF)})
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# The next marker after entropy-coded data: 0xFF not followed by a stuffed 0x00, a restart
# marker or a fill byte.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# A progressive JPEG has about ten scans; thousands of tiny ones make a decoder crawl.
MAX_SCANS = 100


def _walk_jpeg(content: bytes, end: int) -> None:
    """Every segment whole and every marker a JPEG marker, from SOI to EOI at the end; every
    frame header within the pixel limit (a decoder reads each one it meets)."""
    position, scans = 2, 0
    while position + 1 < end:
        marker = content[position + 1]
        if content[position] == 0xFF == marker:  # a fill byte
            position += 1
            continue
        if content[position] != 0xFF or marker not in _JPEG_MARKERS:
            raise _corrupt("its data does not follow the JPEG structure")
        if marker == 0xD9:  # EOI
            if position + 2 != end:
                raise _corrupt("there is data after the JPEG's end")
            if not scans:
                raise _corrupt("the JPEG holds no image data")
            return
        if marker in _STANDALONE:
            position += 2
            continue
        segment_end = position + 2 + int.from_bytes(content[position + 2 : position + 4])
        if segment_end < position + 4 or segment_end > end:
            raise _corrupt("a JPEG segment runs past the end of the file")
        if marker in _SOF:
            _check_pixels(int.from_bytes(content[position + 7 : position + 9]),
                          int.from_bytes(content[position + 5 : position + 7]))  # fmt: skip
        position = segment_end
        if marker == 0xDA:  # SOS: entropy-coded data follows, up to the next marker
            scans += 1
            if scans > MAX_SCANS:
                raise InvalidImage(f"The image has more than {MAX_SCANS} scans.")
            following = _NEXT_MARKER.search(content, position, end)
            if following is None:
                raise _corrupt("a JPEG scan does not end")
            position = following.start()
    raise _corrupt("its data does not follow the JPEG structure")


def save_image(path: str, content: bytes) -> bool:
    """Store a read's image at `path` (under the media root) once; return whether this call
    stored it (False: it was stored before).

    The same read always has the same path, so a resubmission leaves no second copy, and the
    first image stays: a replay with other content under the same capture id never replaces
    evidence. On the local file system the file is created directly (Django's storage API costs
    ~0.25 ms an image, a tenth of the ingest budget); other storage backends (S3-compatible, set
    in STORAGES) go through the storage API.
    """
    if not isinstance(default_storage, FileSystemStorage):
        if default_storage.exists(path):
            return False
        default_storage.save(path, ContentFile(content))
        return True
    target = os.path.join(default_storage.location, path)
    try:
        _create(target, content)
    except FileExistsError:
        # Stored before; rewrite it only if a crash left it incomplete: a start of this image.
        if _is_cut_short(target, content):
            temporary = f"{target}.{os.getpid()}.tmp"
            _create(temporary, content)
            os.replace(temporary, target)
        return False
    return True


def _is_cut_short(target: str, content: bytes) -> bool:
    if os.path.getsize(target) >= len(content):
        return False
    with open(target, "rb") as file:
        return content.startswith(file.read())


def _create(target: str, content: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        descriptor = os.open(target, flags, 0o640)
    except FileNotFoundError:  # the day's folder does not exist yet
        os.makedirs(os.path.dirname(target), exist_ok=True)
        descriptor = os.open(target, flags, 0o640)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
