"""The picture size of an H264 stream, read from its sequence parameter set.

The relay never decodes, but the monitor shows each publisher's resolution.
For H264 the size is in the SPS (NAL unit type 7) that encoders send with
every IDR picture (browsers always do).  :func:`h264_frame_size` finds it in
one forwarded frame and parses just enough of it, following ITU-T H.264
(08/2021):

* 7.3.1 / 7.4.1: NAL unit header and emulation prevention bytes;
* 7.3.2.1.1: ``seq_parameter_set_data()`` syntax (incl. 7.3.2.1.1.1
  ``scaling_list()``, which has to be walked to get past it);
* 7.4.2.1.1: the picture size from ``pic_width_in_mbs_minus1``,
  ``pic_height_in_map_units_minus1``, ``frame_mbs_only_flag`` and the frame
  cropping offsets (in units of ``CropUnitX`` / ``CropUnitY``, eq. 7-19..7-22,
  with ``SubWidthC`` / ``SubHeightC`` from table 6-1);
* 9.1: Exp-Golomb codes (``ue(v)``, ``se(v)``).

Frames come from aiortc's H264 depacketizer (``aiortc/codecs/h264.py``,
``H264PayloadDescriptor.parse``), which turns every RTP payload (single NAL
unit, FU-A fragment, or each NAL unit of a STAP-A aggregate, which is how
browsers send SPS and PPS) into Annex B byte stream: NAL units preceded by
``00 00 00 01``.  That is the only format read here.

Everything here is pure.  :func:`h264_frame_size` never raises: a frame with
no SPS, or whose SPS is truncated, malformed or of an unknown profile, gives
``None`` (:func:`parse_sps` raises ``ValueError`` for those).
"""

from __future__ import annotations

from typing import Iterator, Optional

__all__ = ["h264_frame_size", "parse_sps", "sps_frame_size"]

NAL_TYPE_SPS = 7

_START_CODE = b"\x00\x00\x01"

#: profile_idc values whose SPS carries chroma_format_idc, bit depths and
#: scaling matrices (the ``if( profile_idc = = 100 || ...`` of 7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})

#: Every profile_idc of Annex A, G, H and I.  Any other has a syntax this
#: parser cannot know (a new profile may carry more fields), so it is refused
#: rather than read into a wrong size.
_KNOWN_PROFILES = _HIGH_PROFILES | {66, 77, 88}

#: (SubWidthC, SubHeightC) by chroma_format_idc (table 6-1); 0 is monochrome.
_CHROMA_SUBSAMPLING = {1: (2, 2), 2: (2, 1), 3: (1, 1)}


class _Malformed(Exception):
    """The SPS ended early or holds a value outside its range."""


class _BitReader:
    """Reads an RBSP most significant bit first (7.2: ``u(n)``, 9.1: Exp-Golomb)."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._remaining = len(data) * 8

    def u(self, bits: int) -> int:
        if bits > self._remaining:
            raise _Malformed("truncated")
        self._remaining -= bits
        return (self._value >> self._remaining) & ((1 << bits) - 1)

    def ue(self) -> int:
        """9.1: leading zero bits, a 1, then as many bits: 2^n - 1 + bits."""
        leading_zeros = 0
        while self.u(1) == 0:
            leading_zeros += 1
            if leading_zeros > 31:  # no syntax element in an SPS is that large
                raise _Malformed("Exp-Golomb code too long")
        return (1 << leading_zeros) - 1 + self.u(leading_zeros)

    def se(self) -> int:
        """9.1.1: ue(v) mapped to 0, 1, -1, 2, -2, ..."""
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _nal_units(data: bytes) -> Iterator[memoryview]:
    """The NAL units of an Annex B byte stream (B.2), without start codes, as
    views (a keyframe's slices are not copied just to skip them).

    A unit may keep trailing zero bytes (the first byte of a following
    4-byte start code): they come after the RBSP and are never read."""
    view = memoryview(data)
    start = data.find(_START_CODE)
    while start != -1:
        start += len(_START_CODE)
        end = data.find(_START_CODE, start)
        yield view[start:] if end == -1 else view[start:end]
        start = end


def _rbsp(nal_payload: bytes) -> bytes:
    """7.4.1: drop each emulation_prevention_three_byte (the 03 of 00 00 03).

    ``bytes.replace`` scans left to right and resumes after each match,
    which is the spec's rule: the zero count restarts after a removed 03."""
    return nal_payload.replace(b"\x00\x00\x03", b"\x00\x00")


def _skip_scaling_list(reader: _BitReader, size: int) -> None:
    """7.3.2.1.1.1 scaling_list(): only its length matters here."""
    last_scale = next_scale = 8
    for _ in range(size):
        if next_scale != 0:
            delta_scale = reader.se()
            if not -128 <= delta_scale <= 127:
                raise _Malformed("delta_scale out of range")
            next_scale = (last_scale + delta_scale + 256) % 256
        last_scale = next_scale if next_scale != 0 else last_scale


def parse_sps(rbsp: bytes) -> dict[str, int]:
    """The fields of ``seq_parameter_set_data()`` (7.3.2.1.1) up to the frame
    cropping offsets, from an SPS RBSP (NAL header and emulation prevention
    bytes removed).  VUI parameters that follow are not read.

    Raises ``ValueError`` if the RBSP is truncated or a value is out of the
    range that 7.4.2.1.1 allows."""
    try:
        return _parse_sps(_BitReader(rbsp))
    except _Malformed as error:
        raise ValueError(f"malformed H264 SPS: {error}") from None


def _parse_sps(r: _BitReader) -> dict[str, int]:
    sps: dict[str, int] = {}
    sps["profile_idc"] = r.u(8)
    if sps["profile_idc"] not in _KNOWN_PROFILES:
        raise _Malformed(f"unknown profile_idc {sps['profile_idc']}")
    r.u(8)  # constraint_set0..5_flag, reserved_zero_2bits
    sps["level_idc"] = r.u(8)
    sps["seq_parameter_set_id"] = r.ue()
    if sps["seq_parameter_set_id"] > 31:
        raise _Malformed("seq_parameter_set_id > 31")

    sps["chroma_format_idc"] = 1  # inferred 4:2:0 when absent
    sps["separate_colour_plane_flag"] = 0
    sps["seq_scaling_matrix_present_flag"] = 0
    if sps["profile_idc"] in _HIGH_PROFILES:
        sps["chroma_format_idc"] = r.ue()
        if sps["chroma_format_idc"] > 3:
            raise _Malformed("chroma_format_idc > 3")
        if sps["chroma_format_idc"] == 3:
            sps["separate_colour_plane_flag"] = r.u(1)
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.u(1)  # qpprime_y_zero_transform_bypass_flag
        sps["seq_scaling_matrix_present_flag"] = r.u(1)
        if sps["seq_scaling_matrix_present_flag"]:
            for i in range(8 if sps["chroma_format_idc"] != 3 else 12):
                if r.u(1):  # seq_scaling_list_present_flag[i]
                    _skip_scaling_list(r, 16 if i < 6 else 64)

    r.ue()  # log2_max_frame_num_minus4
    sps["pic_order_cnt_type"] = r.ue()
    if sps["pic_order_cnt_type"] == 0:
        r.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif sps["pic_order_cnt_type"] == 1:
        r.u(1)  # delta_pic_order_always_zero_flag
        r.se()  # offset_for_non_ref_pic
        r.se()  # offset_for_top_to_bottom_field
        cycle = r.ue()  # num_ref_frames_in_pic_order_cnt_cycle
        if cycle > 255:
            raise _Malformed("num_ref_frames_in_pic_order_cnt_cycle > 255")
        for _ in range(cycle):
            r.se()  # offset_for_ref_frame[i]
    elif sps["pic_order_cnt_type"] != 2:
        raise _Malformed("pic_order_cnt_type > 2")

    r.ue()  # max_num_ref_frames
    r.u(1)  # gaps_in_frame_num_value_allowed_flag
    sps["pic_width_in_mbs_minus1"] = r.ue()
    sps["pic_height_in_map_units_minus1"] = r.ue()
    sps["frame_mbs_only_flag"] = r.u(1)
    if not sps["frame_mbs_only_flag"]:
        r.u(1)  # mb_adaptive_frame_field_flag
    r.u(1)  # direct_8x8_inference_flag
    sps["frame_crop_left_offset"] = sps["frame_crop_right_offset"] = 0
    sps["frame_crop_top_offset"] = sps["frame_crop_bottom_offset"] = 0
    if r.u(1):  # frame_cropping_flag
        sps["frame_crop_left_offset"] = r.ue()
        sps["frame_crop_right_offset"] = r.ue()
        sps["frame_crop_top_offset"] = r.ue()
        sps["frame_crop_bottom_offset"] = r.ue()
    return sps


def sps_frame_size(sps: dict[str, int]) -> Optional[tuple[int, int]]:
    """Cropped (width, height) in luma samples of a parsed SPS (7.4.2.1.1),
    or ``None`` if the cropping leaves no picture."""
    # ChromaArrayType is 0 for monochrome and for separately coded colour planes.
    chroma_array_type = 0 if sps["separate_colour_plane_flag"] else sps["chroma_format_idc"]
    frame_mbs_only = sps["frame_mbs_only_flag"]
    if chroma_array_type == 0:
        crop_unit_x, crop_unit_y = 1, 2 - frame_mbs_only  # (7-19), (7-20)
    else:
        sub_width_c, sub_height_c = _CHROMA_SUBSAMPLING[chroma_array_type]
        crop_unit_x, crop_unit_y = sub_width_c, sub_height_c * (2 - frame_mbs_only)  # (7-21), (7-22)
    frame_height_in_mbs = (2 - frame_mbs_only) * (sps["pic_height_in_map_units_minus1"] + 1)  # (7-18)
    width = (sps["pic_width_in_mbs_minus1"] + 1) * 16 - crop_unit_x * (
        sps["frame_crop_left_offset"] + sps["frame_crop_right_offset"]
    )
    height = frame_height_in_mbs * 16 - crop_unit_y * (
        sps["frame_crop_top_offset"] + sps["frame_crop_bottom_offset"]
    )
    return (width, height) if width > 0 and height > 0 else None


def h264_frame_size(data: bytes) -> Optional[tuple[int, int]]:
    """Width and height of the picture from the first well-formed SPS in an
    Annex B access unit (normally a keyframe), or ``None`` if it has none."""
    for nal in _nal_units(data):
        # nal_unit_header (7.3.1): forbidden_zero_bit, nal_ref_idc, nal_unit_type.
        if not nal or nal[0] & 0x80 or nal[0] & 0x1F != NAL_TYPE_SPS:
            continue
        try:
            size = sps_frame_size(parse_sps(_rbsp(bytes(nal[1:]))))
        except ValueError:
            continue
        if size is not None:
            return size
    return None
