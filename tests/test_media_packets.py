"""What the relay reads in RTP packets (media/packets.py)."""

import pytest

from media import packets


def vp8_payload(start=True, key=True, picture_id=None, long_id=True, tl0=None, tid=None, partition=0):
    """A VP8 payload descriptor (RFC 7741) followed by a payload header byte."""
    x = 0
    ext = b""
    if picture_id is not None:
        x |= 0x80
        ext += bytes([0x80 | (picture_id >> 8), picture_id & 0xFF]) if long_id else bytes([picture_id & 0x7F])
    if tl0 is not None:
        x |= 0x40
        ext += bytes([tl0])
    if tid is not None:
        x |= 0x20
        ext += bytes([tid << 6 | 0x20])
    b0 = (0x80 if x else 0) | (0x10 if start else 0) | partition
    head = bytes([b0]) + (bytes([x]) + ext if x else b"")
    return head + bytes([0x00 if key else 0x01]) + b"\x9d\x01\x2a" + b"rest"


def test_vp8_descriptor_fields():
    d = packets.parse_vp8(vp8_payload(picture_id=0x1234, tl0=7, tid=2))
    assert d.start and d.keyframe
    assert (d.picture_id, d.picture_id_bytes, d.tl0picidx, d.tid, d.layer_sync) == (0x1234, 2, 7, 2, True)
    assert d.size == 6
    short = packets.parse_vp8(vp8_payload(key=False, picture_id=0x55, long_id=False))
    assert short.start and not short.keyframe and (short.picture_id, short.picture_id_bytes) == (0x55, 1)
    # A continuation packet (S=0) or another partition never starts a keyframe.
    assert not packets.parse_vp8(vp8_payload(start=False)).keyframe
    assert not packets.parse_vp8(vp8_payload(partition=1)).keyframe
    plain = packets.parse_vp8(b"\x10\x00rest")
    assert plain.size == 1 and plain.keyframe and plain.picture_id is None and plain.tid is None


@pytest.mark.parametrize("payload", [b"", b"\x80", b"\x80\x80", b"\x80\x80\x80", b"\x80\x40", b"\x80\x20"])
def test_truncated_vp8_descriptors_are_refused(payload):
    assert packets.parse_vp8(payload) is None


def test_vp8_rewrite_replaces_picture_id_and_tl0picidx_only():
    payload = vp8_payload(picture_id=0x7FFE, tl0=255, tid=1)
    d = packets.parse_vp8(payload)
    out = packets.rewrite_vp8(payload, d, 0x0003, 4) + payload[d.size:]
    e = packets.parse_vp8(out)
    assert (e.picture_id, e.tl0picidx, e.tid, e.keyframe) == (3, 4, 1, True)
    assert out[e.size:] == payload[d.size:]
    short = vp8_payload(picture_id=5, long_id=False)
    d = packets.parse_vp8(short)
    assert packets.parse_vp8(packets.rewrite_vp8(short, d, 130, None) + short[d.size:]).picture_id == 130 & 0x7F


def test_h264_keyframes_single_stap_a_and_fu_a():
    sps, pps, idr, slice_ = b"\x67\x42\x00\x1f", b"\x68\xce", b"\x65\x88\x84", b"\x41\x9a"
    assert packets.h264_packet_info(sps) == (True, True)
    assert packets.h264_packet_info(idr) == (True, False)
    assert packets.h264_packet_info(slice_) == (False, False)
    stap = b"\x78" + len(sps).to_bytes(2, "big") + sps + len(pps).to_bytes(2, "big") + pps
    assert packets.h264_packet_info(stap) == (True, True)
    assert packets.h264_has_keyframe(stap)
    fu_start, fu_middle = b"\x7c\x85" + b"data", b"\x7c\x05" + b"data"
    assert packets.h264_packet_info(fu_start) == (True, False)
    assert packets.h264_packet_info(fu_middle) == (False, False)
    assert packets.h264_packet_info(b"\x7c\x81data") == (False, False)  # FU-A of a non-IDR slice
    assert packets.h264_annexb(stap) == b"\x00\x00\x00\x01" + sps + b"\x00\x00\x00\x01" + pps
    # Truncated or absurd aggregation lengths are not an error.
    assert packets.h264_packet_info(b"\x78\xff\xff\x67") == (False, True)
    assert packets.h264_packet_info(b"\x78\x00") == (False, True)
    assert packets.h264_packet_info(b"") == (False, False)


def test_sequence_unwrapping():
    assert packets.unwrap_sequence(0x1FFFF, 0x0000) == 0x20000
    assert packets.unwrap_sequence(0x20000, 0xFFFF) == 0x1FFFF
    assert packets.unwrap_sequence(70000, 70000 & 0xFFFF) == 70000


def test_sequence_gate_refuses_a_jump_unless_confirmed():
    gate = packets.SequenceGate()
    first = gate.check(65530)
    assert [gate.check(s) for s in (65531, 65535, 2)] == [first + 1, first + 5, first + 8]
    assert gate.check(65532) == first + 2  # late, in the misorder window
    assert gate.check(30000) is None  # one forged packet does not move the stream
    assert gate.check(3) == first + 9
    assert gate.check(40000) is None
    assert gate.check(40001) is not None  # two in a row: the sender restarted
    assert gate.check(40002) == gate.highest


def test_ntp_mapping_follows_the_sender_report():
    sr_ntp = packets.ntp_from_unix(1_700_000_000.0)
    # 90 kHz: 9000 ticks later is 100 ms later; 9000 ticks before, 100 ms before.
    later = packets.ntp_at(sr_ntp, 1000, 10000, 90000)
    earlier = packets.ntp_at(sr_ntp, 1000, (1000 - 9000) & 0xFFFFFFFF, 90000)
    assert abs((later - sr_ntp) / 2**32 - 0.1) < 1e-6
    assert abs((sr_ntp - earlier) / 2**32 - 0.1) < 1e-6
    assert packets.abs_send_time(sr_ntp) == (sr_ntp >> 14) & 0xFFFFFF
