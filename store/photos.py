"""What an opinion's photo must be before it is stored: an image of the type
it claims, with a bounded number of pixels.

The hub never shows a photo itself, but every console that opens the opinion
decodes it.  Magic bytes alone let through a ``RIFF…<html>`` body as WebP
and a small PNG declaring 30000×30000 pixels (a decompression bomb for the
browser).  Pillow reads the header (format, width, height) and checks the
structure (:meth:`PIL.Image.Image.verify`) without decoding the pixels, so a
hostile photo costs the hub no more memory than its bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from hub.errors import InvalidPayload

#: Content type → Pillow's format name.
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
#: Larger than any phone camera's photo (a 48-megapixel sensor stores 12 MP by default).
MAX_PHOTO_PIXELS = 50_000_000

# Pillow's own guard (a warning above, an error at twice): ours is explicit below.
Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS


@dataclass(frozen=True)
class PhotoInfo:
    content_type: str
    width: int
    height: int


def inspect_photo(data: bytes, content_type: str) -> PhotoInfo:
    """The photo's type and size, or :class:`InvalidPayload` when the bytes
    are not a well-formed image of ``content_type`` or have too many pixels."""
    content_type = content_type.split(";")[0].strip().lower()
    expected = PHOTO_TYPES.get(content_type)
    if expected is None:
        raise InvalidPayload("photo_type", choices=list(PHOTO_TYPES), field="Content-Type")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PHOTO_PIXELS:
                    raise InvalidPayload("photo_pixels", width=width, height=height,
                                         millions=MAX_PHOTO_PIXELS // 1_000_000, field="(body)")
                image.verify()
    except InvalidPayload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidPayload("photo_too_many_pixels", millions=MAX_PHOTO_PIXELS // 1_000_000,
                             field="(body)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise InvalidPayload("photo_bytes", content_type=content_type, field="(body)") from None
    return PhotoInfo(content_type, width, height)
