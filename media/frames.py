"""What an encoded frame says about itself, without decoding: whether it is a keyframe, and the
size of its picture (VP8 here; an H264 sequence parameter set is read by :mod:`media.h264`).

Pure functions of bytes, no aiortc: used by the receivers' passthrough "decoder"
(:mod:`media.aiortc_hooks.frame_path`), by :class:`media.published.PublishedTrack` (the picture
size from each keyframe) and by the recorder.
"""

from __future__ import annotations

from typing import Optional

from . import h264

# H264 NAL unit types that make an access unit decodable on its own.
_H264_IDR = 5
_H264_SPS = 7


def is_vp8_keyframe(data: bytes) -> bool:
    """VP8 (RFC 6386 §9.1): bit 0 of the first frame byte is 0 for a keyframe."""
    return len(data) > 0 and (data[0] & 0x01) == 0


def is_h264_keyframe(data: bytes) -> bool:
    """An Annex-B access unit containing an IDR slice (5) or an SPS (7)."""
    pos = 0
    while True:
        pos = data.find(b"\x00\x00\x01", pos)
        if pos == -1 or pos + 3 >= len(data):
            return False
        nal_type = data[pos + 3] & 0x1F
        if nal_type in (_H264_IDR, _H264_SPS):
            return True
        pos += 3


def vp8_frame_size(data: bytes) -> Optional[tuple[int, int]]:
    """Width and height from a VP8 keyframe's header (RFC 6386 §9.1: a
    3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height),
    or ``None`` for an interframe or anything that does not parse."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


def frame_size(mime_type: str, data: bytes) -> Optional[tuple[int, int]]:
    """Width and height of the picture from a keyframe of ``mime_type``
    (VP8 frame header, or H264 sequence parameter set: :mod:`media.h264`),
    or ``None`` for other codecs and for anything that does not parse."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return vp8_frame_size(data)
    if mime == "video/h264":
        return h264.h264_frame_size(data)
    return None


def is_keyframe(mime_type: str, data: bytes) -> bool:
    """Whether an encoded frame of ``mime_type`` can be decoded on its own.

    Audio frames are always independent."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return is_vp8_keyframe(data)
    if mime == "video/h264":
        return is_h264_keyframe(data)
    return not mime.startswith("video/")
