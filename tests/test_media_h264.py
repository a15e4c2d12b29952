"""The H264 picture size from the SPS (media/h264.py), over real encoder output.

Every stream here is made by libx264 (through PyAV, or through aiortc's own
H264Encoder and its RTP packetizer).  x264 never writes an SPS with
pic_order_cnt_type 1 or with scaling lists, so those two are made by
rewriting a real SPS; FFmpeg's H264 decoder then decodes the rewritten
stream and says what the size really is.
"""

import fractions

import av
import pytest
from aiortc.codecs.h264 import H264Encoder, H264PayloadDescriptor

from media import frames
from media.h264 import _nal_units, _rbsp, h264_frame_size, parse_sps

TB = fractions.Fraction(1, 30)


def encode(width, height, pix_fmt="yuv420p", options=None, frames=1):
    """Access units (Annex B, as libx264 writes them) of a grey picture."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt, codec.time_base = width, height, pix_fmt, TB
    codec.options = options or {}
    out = []
    for n in range(frames):
        frame = av.VideoFrame(width, height, pix_fmt)
        frame.pts, frame.time_base = n, TB
        out += [bytes(p) for p in codec.encode(frame)]
    return out + [bytes(p) for p in codec.encode(None)]


def decoded_size(access_unit):
    """What FFmpeg's decoder makes of it (cropping applied)."""
    codec = av.CodecContext.create("h264", "r")
    frames = codec.decode(av.Packet(access_unit)) + codec.decode(None)
    assert frames, "FFmpeg decoded nothing"
    return frames[0].width, frames[0].height


def sps_of(access_unit):
    for nal in _nal_units(access_unit):
        if nal[0] & 0x1F == 7:
            return parse_sps(_rbsp(bytes(nal[1:])))
    raise AssertionError("no SPS")


@pytest.mark.parametrize(
    "width, height",
    [(640, 360), (1280, 720), (854, 480), (1920, 1080), (640, 480), (320, 180), (176, 144), (34, 18)],
)
def test_size_of_libx264_keyframes(width, height):
    keyframe, *rest = encode(width, height, frames=3)
    assert h264_frame_size(keyframe) == (width, height)
    # Frames without an SPS say nothing.
    assert all(h264_frame_size(p) is None for p in rest if b"\x00\x00\x01\x67" not in p)


@pytest.mark.parametrize(
    "pix_fmt, chroma_format_idc", [("yuv420p", 1), ("yuv422p", 2), ("yuv444p", 3), ("gray", 0)]
)
def test_high_profiles_with_every_chroma_format(pix_fmt, chroma_format_idc):
    keyframe = encode(854, 482, pix_fmt)[0]  # cropped in chroma units: 2 px, 1 px or 2 rows
    sps = sps_of(keyframe)
    assert sps["profile_idc"] >= 100 and sps["chroma_format_idc"] == chroma_format_idc
    assert h264_frame_size(keyframe) == (854, 482) == decoded_size(keyframe)


def test_interlaced_field_coding():
    """frame_mbs_only_flag 0: map units are pairs of macroblocks."""
    keyframe = encode(854, 480, options={"x264-params": "interlaced=1"})[0]
    assert sps_of(keyframe)["frame_mbs_only_flag"] == 0
    assert h264_frame_size(keyframe) == (854, 480)


def test_constrained_baseline_as_aiortc_sends_it():
    """aiortc's encoder (constrained baseline, pic_order_cnt_type 2), its RTP
    packetizer (SPS and PPS in one STAP-A) and its depacketizer, which gives
    the relay the frame it forwards."""
    encoder = H264Encoder()
    frame = av.VideoFrame(640, 360, "yuv420p")
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000)
    payloads, _ = encoder.encode(frame)
    assert payloads[0][0] & 0x1F == 24  # STAP-A
    forwarded = b"".join(H264PayloadDescriptor.parse(p)[1] for p in payloads)
    sps = sps_of(forwarded)
    assert (sps["profile_idc"], sps["pic_order_cnt_type"]) == (66, 2)
    assert h264_frame_size(forwarded) == (640, 360)
    assert frames.frame_size("video/H264", forwarded) == (640, 360)


# -- SPS rewriting, for the syntax x264 does not produce -----------------------


class Bits:
    """A bit string reader/writer with Exp-Golomb codes, for rewriting an SPS."""

    def __init__(self, bits=""):
        self.bits, self.pos = bits, 0

    @classmethod
    def of(cls, data):
        return cls("".join(f"{b:08b}" for b in data))

    def u(self, n):
        value = int(self.bits[self.pos:self.pos + n] or "0", 2)
        self.pos += n
        return value

    def ue(self):
        zeros = self.bits.index("1", self.pos) - self.pos
        self.pos += zeros + 1
        return (1 << zeros) - 1 + self.u(zeros)

    def put_u(self, value, n):
        self.bits += format(value, f"0{n}b") if n else ""

    def put_ue(self, value):
        code = format(value + 1, "b")
        self.bits += "0" * (len(code) - 1) + code

    def put_se(self, value):
        self.put_ue(2 * value - 1 if value > 0 else -2 * value)

    def rest(self):
        return self.bits[self.pos:]

    def to_bytes(self):
        bits = self.bits.rstrip("0")  # ends on rbsp_stop_one_bit
        bits += "0" * (-len(bits) % 8)
        return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def escape(rbsp):
    """7.4.1: insert emulation_prevention_three_byte where needed."""
    out, zeros = bytearray(), 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def replace_sps(access_unit, rewrite):
    """The access unit with its SPS RBSP passed through ``rewrite(Bits) -> Bits``."""
    out = b""
    for nal in _nal_units(access_unit):
        nal = bytes(nal)
        if nal[0] & 0x1F == 7:
            nal = nal[:1] + escape(rewrite(Bits.of(_rbsp(nal[1:].rstrip(b"\x00")))).to_bytes())
        out += b"\x00\x00\x00\x01" + nal
    return out


def copy_ue(src, dst, count=1):
    for _ in range(count):
        dst.put_ue(src.ue())


def test_pic_order_cnt_type_1():
    """A baseline stream (pic_order_cnt_type 2) rewritten to type 1 with
    delta_pic_order_always_zero_flag set: slice headers stay the same."""

    def poc_type_1(src):
        dst = Bits()
        dst.put_u(src.u(24), 24)  # profile_idc (66), constraint flags, level_idc
        copy_ue(src, dst, 2)  # seq_parameter_set_id, log2_max_frame_num_minus4
        assert src.ue() == 2
        dst.put_ue(1)  # pic_order_cnt_type
        dst.put_u(1, 1)  # delta_pic_order_always_zero_flag
        dst.put_se(-3)  # offset_for_non_ref_pic
        dst.put_se(5)  # offset_for_top_to_bottom_field
        dst.put_ue(3)  # num_ref_frames_in_pic_order_cnt_cycle
        for offset in (2, -7, 300):
            dst.put_se(offset)
        dst.bits += src.rest()
        return dst

    keyframe = replace_sps(encode(854, 480, options={"profile": "baseline"})[0], poc_type_1)
    assert sps_of(keyframe)["pic_order_cnt_type"] == 1
    assert h264_frame_size(keyframe) == (854, 480) == decoded_size(keyframe)


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv444p"])
def test_sps_scaling_lists(pix_fmt):
    """A high-profile SPS rewritten with seq_scaling_matrix_present_flag and
    some explicit lists (8 of them for 4:2:0, 12 for 4:4:4)."""

    def with_scaling_lists(src):
        dst = Bits()
        profile_idc = src.u(8)
        dst.put_u(profile_idc, 8)
        dst.put_u(src.u(16), 16)  # constraint flags, level_idc
        copy_ue(src, dst)  # seq_parameter_set_id
        chroma_format_idc = src.ue()
        dst.put_ue(chroma_format_idc)
        if chroma_format_idc == 3:
            dst.put_u(src.u(1), 1)  # separate_colour_plane_flag
        copy_ue(src, dst, 2)  # bit depths
        dst.put_u(src.u(1), 1)  # qpprime_y_zero_transform_bypass_flag
        assert src.u(1) == 0
        dst.put_u(1, 1)  # seq_scaling_matrix_present_flag
        for i in range(12 if chroma_format_idc == 3 else 8):
            present = i in (0, 2, 6, 9)
            dst.put_u(present, 1)
            if not present:
                continue
            size = 16 if i < 6 else 64
            if i == 2:
                dst.put_se(-8)  # first nextScale 0: "use the default list"
                continue
            last = 8
            for j in range(size):  # a ramp 9, 10, ... (all deltas written)
                value = 9 + j
                dst.put_se(value - last)
                last = value
        dst.bits += src.rest()
        return dst

    keyframe = replace_sps(encode(854, 480, pix_fmt)[0], with_scaling_lists)
    assert sps_of(keyframe)["seq_scaling_matrix_present_flag"] == 1
    assert h264_frame_size(keyframe) == (854, 480) == decoded_size(keyframe)


# -- what is not an SPS, or not a whole one ------------------------------------


def test_malformed_and_truncated_input_gives_none():
    keyframe = encode(1280, 720)[0]
    sps_start = keyframe.index(b"\x00\x00\x01\x67")
    sps_end = keyframe.index(b"\x00\x00\x01", sps_start + 3)
    # Cut anywhere in the SPS: no size while the fields up to the cropping
    # offsets are incomplete, the right one once they are all in (the VUI
    # parameters after them are not needed), never a wrong one.
    sizes = [h264_frame_size(keyframe[:cut]) for cut in range(sps_start, sps_end + 1)]
    complete = sizes.index((1280, 720))
    assert complete > 8 and set(sizes[:complete]) == {None} and set(sizes[complete:]) == {(1280, 720)}
    for data in (
        b"",
        b"\x00\x00\x01",
        b"\x00\x00\x01\x67",
        b"\x00\x00\x00\x01\x67\x42",
        b"\x00\x00\x01\x67" + b"\x00" * 40,  # Exp-Golomb code with no end
        b"\x00\x00\x01\x67" + b"\xff" * 40,
        b"\x00\x00\x01\xe7" + keyframe[sps_start + 4:],  # forbidden_zero_bit set
        b"\x00\x00\x01\x41\x9a\x00\x00\x01\x68\xeb",  # P slice, PPS
        bytes(range(256)) * 4,
        b"\x67\x64\x00\x1f\xac\xd9\x40\x50",  # an SPS without a start code
    ):
        assert h264_frame_size(data) is None, data[:12]
    with pytest.raises(ValueError):
        parse_sps(b"\x64\x00\x1f")


def test_a_bad_sps_does_not_hide_a_good_one():
    keyframe = encode(640, 360)[0]
    assert h264_frame_size(b"\x00\x00\x00\x01\x67\x64\x00" + keyframe) == (640, 360)


def test_fuzzed_sps_never_raises():
    import random

    keyframe = encode(854, 480, pix_fmt="yuv444p")[0]
    sps_start = keyframe.index(b"\x00\x00\x01\x67") + 4
    rng = random.Random(7)
    for _ in range(2000):
        data = bytearray(keyframe[: sps_start + 40])
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(sps_start, len(data))] = rng.randrange(256)
        size = h264_frame_size(bytes(data))
        assert size is None or (size[0] > 0 and size[1] > 0)
