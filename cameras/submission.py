"""Validation of one read as a camera submits it: the hot path of the camera API.

Written out by hand rather than with DRF serializer fields, which cost about 1 ms a read and
would cap one web process at a few thousand reads a second. The fields are documented for the
OpenAPI document by cameras/api/serializers.py; a test keeps the two in step.
"""

import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from reads.vrm import InvalidVRM, canonical_vrm

from .images import InvalidImage, check_image, decode_image
from .models import Camera

FIELDS = (
    "capture_id", "vrm", "captured_at", "confidence", "alternatives", "direction", "lane",
    "latitude", "longitude", "plate_image", "overview_image", "vehicle_make", "vehicle_model",
    "vehicle_colour",
)  # fmt: skip
DIRECTIONS = ("towards", "away")
MAX_ALTERNATIVES = 10


class ReadRefused(ValueError):
    """A read that cannot be accepted; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def parse_read(item, camera: Camera, now: datetime, kept_days: int) -> dict:
    """The read with canonical and typed values, or ReadRefused naming every problem.
    `kept_days` is the read retention in force: older captures are refused."""
    if not isinstance(item, dict):
        raise ReadRefused({"non_field_errors": ["A read must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    read: dict = {}

    def check(name, parse, *, required=False):
        value = item.get(name)
        if value is None or value == "":
            if required:
                errors[name] = ["This field is required."]
            return
        try:
            read[name] = parse(value)
        except (ValueError, TypeError) as error:
            errors[name] = [str(error)]

    check("capture_id", _capture_id, required=True)
    check("vrm", _vrm, required=True)
    check("captured_at", lambda v: _captured_at(v, now, kept_days), required=True)
    check("confidence", lambda v: _number(v, 0, 1))
    check("alternatives", _alternatives)
    check("direction", _direction)
    check("lane", lambda v: _lane(v, camera))
    check("latitude", lambda v: _number(v, -90, 90))
    check("longitude", lambda v: _number(v, -180, 180))
    check("plate_image", lambda v: _image(v, settings.PLATE_IMAGE_MAX_BYTES))
    check("overview_image", lambda v: _image(v, settings.OVERVIEW_IMAGE_MAX_BYTES))
    check("vehicle_make", lambda v: _text(v, 50))
    check("vehicle_model", lambda v: _text(v, 50))
    check("vehicle_colour", lambda v: _text(v, 30))
    unknown = set(item) - set(FIELDS)
    if unknown:
        names = ", ".join(printable(name) for name in sorted(unknown))
        errors["non_field_errors"] = [f"Unknown field(s): {names}."]
    if camera.kind == Camera.Kind.MOBILE and not ("latitude" in read and "longitude" in read):
        errors.setdefault("non_field_errors", []).append(
            "A mobile camera's read needs latitude and longitude."
        )
    if errors:
        raise ReadRefused(errors)
    read["vrm_raw"] = item["vrm"]
    read.setdefault("alternatives", [])
    return read


def parse_frame_fields(data, camera: Camera, now: datetime, kept_days: int) -> dict:
    """A frame's capture id and time, and where it was taken and which way the vehicle went
    where the camera says (a mobile camera must say where), or ReadRefused naming what is
    wrong with them."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    for name, parse, required in (
        ("capture_id", _capture_id, True),
        ("captured_at", lambda v: _captured_at(v, now, kept_days), True),
        ("latitude", lambda v: _number(_form_number(v), -90, 90), False),
        ("longitude", lambda v: _number(_form_number(v), -180, 180), False),
        ("direction", _direction, False),
    ):  # fmt: skip
        value = data.get(name)
        if not value:
            if required:
                errors[name] = ["This field is required."]
            continue
        try:
            fields[name] = parse(value)
        except (ValueError, TypeError) as error:
            errors[name] = [str(error)]
    if camera.kind == Camera.Kind.MOBILE and not ("latitude" in fields and "longitude" in fields):
        errors.setdefault("non_field_errors", []).append(
            "A mobile camera's frame needs latitude and longitude."
        )
    if errors:
        raise ReadRefused(errors)
    return fields


def _text(value, max_length: int) -> str:
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    if len(value) > max_length:
        raise ValueError(f"Ensure this field has no more than {max_length} characters.")
    if not value.isprintable():
        # Control characters, direction marks, zero-width characters and lone surrogates
        # (which the database cannot store) make text show as other than it is.
        hidden = next(char for char in value if not char.isprintable())
        raise ValueError(f"Only printable text is allowed, not {describe(hidden)}.")
    return value


_UNNAMED = {"Cc": "a control character", "Cs": "a lone surrogate, not valid Unicode",
            "Co": "a private-use character", "Cn": "an unassigned character"}  # fmt: skip


def describe(char: str) -> str:
    """A character as a person can identify it: its code point, name and, if printable, itself
    (e.g. a Cyrillic A that looks like a Latin one: U+0410 CYRILLIC CAPITAL LETTER A)."""
    category = unicodedata.category(char)
    name = unicodedata.name(char, "") or _UNNAMED.get(category, category)
    if char.isprintable():
        return f"{char!r} (U+{ord(char):04X} {name})"
    return f"U+{ord(char):04X} ({name})"


def printable(text: str, limit: int = 64) -> str:
    """Text to quote back to a camera: non-printable characters escaped, cut to `limit`."""
    shown = text if text.isprintable() else repr(text)[1:-1]
    return shown if len(shown) <= limit else f"{shown[:limit]}..."


def _capture_id(value) -> str:
    return _text(value, 64)


# What a VRM may hold as sent: Latin letters, digits and the separators canonical_vrm removes.
# Anything else is refused, not folded: a Cyrillic or full-width look-alike of a plate would
# never match the hotlists, and guessing what a camera meant is not for the back office.
_NOT_ON_A_PLATE = re.compile(r"[^A-Za-z0-9 .\-\u00b7]")


def _vrm(value) -> str:
    text = _text(value, 32)
    strange = _NOT_ON_A_PLATE.search(text)
    if strange:
        raise ValueError(f"The VRM {text!r} has characters other than letters and digits: "
                         f"{describe(strange.group())} is not one of A-Z or 0-9.")  # fmt: skip
    try:
        return canonical_vrm(text)
    except InvalidVRM as error:
        raise ValueError(str(error)) from None


def _captured_at(value, now: datetime, kept_days: int) -> datetime:
    text = _text(value, 40)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{printable(repr(value))} is not an ISO 8601 date and time.") from None
    if not _HAS_TIME.search(text):  # fromisoformat takes a date alone as its midnight
        raise ValueError(f"{printable(repr(value))} is a date without its time of capture.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # capture times are UTC unless they say otherwise
    tolerance = settings.CAPTURE_FUTURE_TOLERANCE_SECONDS
    if moment > now + timedelta(seconds=tolerance):
        raise ValueError(
            f"The capture time is more than {tolerance} s in the future: check the camera's clock."
        )
    if moment < now - timedelta(days=kept_days):
        raise ValueError(f"The capture time is older than the retention period ({kept_days} days).")
    return moment.astimezone(UTC)  # the day folders and partitions are UTC days


_HAS_TIME = re.compile(r"[T ]\d\d", re.IGNORECASE)


def _number(value, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("A number is required.")
    if not low <= value <= high:
        raise ValueError(f"Must be between {low} and {high}.")
    return float(value)


def _form_number(value: str) -> float:
    """A number typed in a form field."""
    try:
        return float(value)
    except ValueError:
        raise ValueError("A number is required.") from None


def _alternatives(value) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_ALTERNATIVES:
        raise ValueError(f"Must be a list of at most {MAX_ALTERNATIVES} readings.")
    readings = []
    for alternative in value:
        if not isinstance(alternative, dict):
            raise ValueError('Each alternative is an object with "vrm" and "score".')
        readings.append(
            {"vrm": _vrm(alternative.get("vrm")), "score": _number(alternative.get("score"), 0, 1)}
        )
    return readings


def _direction(value) -> str:
    if value not in DIRECTIONS:
        raise ValueError(f"{printable(repr(value))} is not a valid choice: towards or away.")
    return value


def _lane(value, camera: Camera) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("A whole number is required.")
    if not 1 <= value <= camera.lanes:
        raise ValueError(
            f"Lane {value} does not exist: camera {camera.reference} covers {camera.lanes} lane(s)."
        )
    return value


def _image(value, max_bytes: int) -> tuple[bytes, str]:
    try:
        if isinstance(value, UploadedFile):  # a separate upload (multipart)
            if (value.size or 0) > max_bytes:
                raise InvalidImage(f"The image is larger than {max_bytes} bytes.")
            content = value.read()
            return content, check_image(content, max_bytes=max_bytes)
        if not isinstance(value, str):
            raise ValueError("Must be base64 text or an uploaded file.")
        return decode_image(value, max_bytes=max_bytes)
    except InvalidImage as error:
        raise ValueError(str(error)) from None
