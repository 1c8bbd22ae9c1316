"""Checks on images cameras send: decodable JPEG or PNG, complete, within size limits."""

import base64
import binascii
import io
import warnings

from django.conf import settings
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
