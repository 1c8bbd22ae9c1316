"""Camera images are accepted only whole, as JPEG or PNG, within limits."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from cameras.images import InvalidImage, check_image

LIMIT = 10_000_000


def encoded(fmt: str, width: int, height: int, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 20)).save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "extension"),
    [
        (encoded("JPEG", 156, 34), "jpg"),
        (encoded("JPEG", 640, 480, progressive=True), "jpg"),
        (encoded("PNG", 156, 34), "png"),
    ],
)
def test_whole_jpeg_and_png_are_accepted(content, extension):
    assert check_image(content, max_bytes=LIMIT) == extension


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=1, max_value=600))
def test_a_truncated_jpeg_is_refused_wherever_it_is_cut(cut):
    content = encoded("JPEG", 156, 34)
    with pytest.raises(InvalidImage):
        check_image(content[: max(0, len(content) - cut)], max_bytes=LIMIT)


@settings(max_examples=60, deadline=None)
@given(junk=st.binary(max_size=2000))
def test_arbitrary_bytes_are_refused(junk):
    with pytest.raises(InvalidImage):
        check_image(junk, max_bytes=LIMIT)


def test_other_formats_and_oversized_images_are_refused():
    with pytest.raises(InvalidImage, match="not a decodable JPEG or PNG"):
        check_image(encoded("GIF", 20, 20), max_bytes=LIMIT)
    with pytest.raises(InvalidImage, match="larger than 100 bytes"):
        check_image(encoded("PNG", 156, 34), max_bytes=100)
    with pytest.raises(InvalidImage, match="pixels"):
        check_image(encoded("PNG", 5000, 5000), max_bytes=LIMIT)
