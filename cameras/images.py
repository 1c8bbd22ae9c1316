"""Checks on images cameras send: decodable JPEG or PNG, complete, within size limits."""

import base64
import binascii
import io
import os
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image, UnidentifiedImageError

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
    """The file extension for a complete JPEG/PNG within limits; InvalidImage otherwise."""
    if len(content) > max_bytes:
        raise InvalidImage(f"The image is larger than {max_bytes} bytes.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
            image_format = image.format
            width, height = image.size
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InvalidImage(f"The image has more than {settings.IMAGE_MAX_PIXELS} pixels.") from None
    except (UnidentifiedImageError, OSError) as error:
        if "runcated" in str(error):
            raise InvalidImage("The image is truncated.") from None
        raise InvalidImage("The image is not a decodable JPEG or PNG.") from None
    if image_format not in FORMATS:
        raise InvalidImage(f"The image is {image_format}; only JPEG and PNG are accepted.")
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise InvalidImage(
            f"The image is {width}x{height} pixels, more than {settings.IMAGE_MAX_PIXELS}."
        )
    # Cheap completeness checks without decoding every pixel: the format's end marker.
    ends = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}
    if not content.rstrip(b"\x00").endswith(ends[image_format]):
        raise InvalidImage("The image is truncated.")
    return FORMATS[image_format]


def save_image(path: str, content: bytes) -> str:
    """Store a read's image at `path` (under the media root) once; return the path.

    The same read always has the same path, so a resubmission leaves no second copy. On the
    local file system the file is written directly (a temporary name, then an atomic rename):
    Django's storage API costs ~0.25 ms an image, a tenth of the ingest budget. Other storage
    backends (S3-compatible, set in STORAGES) go through the storage API.
    """
    if not isinstance(default_storage, FileSystemStorage):
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(content))
        return path
    target = os.path.join(default_storage.location, path)
    if os.path.exists(target):
        return path
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        file = open(temporary, "wb")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # the day's folder does not exist yet
        os.makedirs(os.path.dirname(target), exist_ok=True)
        file = open(temporary, "wb")  # noqa: SIM115
    with file:
        file.write(content)
    os.replace(temporary, target)
    return path
