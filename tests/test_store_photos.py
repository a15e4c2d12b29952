"""store/photos.py: a photo is an image of the type it claims, with a bounded
number of pixels, proved by reading its header and structure (Pillow)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from hub.errors import InvalidPayload
from store.photos import MAX_PHOTO_PIXELS, inspect_photo


def encoded(fmt: str, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 60, 40)).save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width``×``height`` pixels in a few bytes (a
    decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("content_type,fmt", [("image/jpeg", "JPEG"), ("image/png", "PNG"), ("image/webp", "WEBP")])
def test_real_photos_of_each_type_pass_with_their_size(content_type, fmt):
    info = inspect_photo(encoded(fmt), content_type + "; charset=binary")
    assert (info.content_type, info.width, info.height) == (content_type, 64, 48)


def test_a_riff_html_body_is_not_a_webp():
    """Regression: the magic bytes ``RIFF`` were taken for WebP."""
    with pytest.raises(InvalidPayload, match="not a well-formed image/webp"):
        inspect_photo(b"RIFF\x00\x00\x00\x00<html><script>alert(1)</script></html>", "image/webp")
    with pytest.raises(InvalidPayload):  # a WAVE file is RIFF too
        inspect_photo(b"RIFF$\x00\x00\x00WAVEfmt " + b"\x00" * 32, "image/webp")


def test_a_30000_by_30000_png_is_refused():
    """Regression: a PNG declaring 900 million pixels was accepted."""
    with pytest.raises(InvalidPayload, match="pixels"):
        inspect_photo(png_header_only(30000, 30000), "image/png")
    side = int(MAX_PHOTO_PIXELS ** 0.5) + 1
    with pytest.raises(InvalidPayload, match="pixels"):
        inspect_photo(png_header_only(side, side), "image/png")


def test_a_photo_of_another_type_than_claimed_or_truncated_is_refused():
    with pytest.raises(InvalidPayload):
        inspect_photo(encoded("JPEG"), "image/png")
    with pytest.raises(InvalidPayload):
        inspect_photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")  # the signature and nothing
    png = encoded("PNG")
    with pytest.raises(InvalidPayload):  # a broken checksum
        inspect_photo(png[:40] + bytes([png[40] ^ 0xFF]) + png[41:], "image/png")
    with pytest.raises(InvalidPayload, match="one of"):
        inspect_photo(encoded("PNG"), "image/svg+xml")
