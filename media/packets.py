"""What the relay reads and rewrites inside RTP packets, without I/O.

Forwarding by packet (see :mod:`media.fanout`) needs a few facts about each
packet a publisher sends, decided on that packet alone, and a few rewrites
of the packets it sends on:

* whether a video packet starts a keyframe (a subscriber switched to this
  publisher starts there): the VP8 payload descriptor and payload header
  (RFC 7741 §4.2-4.3), H264 NAL unit types including STAP-A and FU-A
  (RFC 6184 §5.7.1, §5.8);
* the VP8 picture ID, TL0PICIDX and temporal layer index, so that a
  subscriber's stream keeps continuous picture IDs across switches and can
  drop upper temporal layers;
* an extended (32-bit) sequence number, and whether a sequence number is
  plausible at all (RFC 3550 appendix A.1: a packet far from the stream's
  sequence is held on probation, not believed);
* NTP time in RTCP's 64-bit format.

Pure functions and small classes: no aiortc, no asyncio, no clock.
"""

from __future__ import annotations

from typing import NamedTuple, Optional

# --------------------------------------------------------------------------
# VP8 payload descriptor (RFC 7741 §4.2)
# --------------------------------------------------------------------------


class Vp8Descriptor(NamedTuple):
    """The parts of a VP8 payload descriptor the relay uses.

    ``size`` is the descriptor's length in bytes (the VP8 payload follows);
    ``picture_id_bytes`` is 0 (absent), 1 (7-bit) or 2 (15-bit) at offset
    ``picture_id_at``; ``tl0_at`` is the offset of TL0PICIDX or 0;
    ``tid`` the temporal layer index or ``None``."""

    size: int
    start: bool  # S=1 and partition index 0: the first packet of a frame
    keyframe: bool  # the start of a keyframe (payload header P bit clear)
    picture_id: Optional[int]
    picture_id_at: int
    picture_id_bytes: int
    tl0picidx: Optional[int]
    tl0_at: int
    tid: Optional[int]
    layer_sync: bool


def parse_vp8(payload: bytes) -> Optional[Vp8Descriptor]:
    """The descriptor of a VP8 RTP payload, or ``None`` if it is truncated."""
    n = len(payload)
    if n < 1:
        return None
    b0 = payload[0]
    pos = 1
    picture_id = tl0 = tid = None
    picture_id_at = picture_id_bytes = tl0_at = 0
    layer_sync = False
    if b0 & 0x80:  # X: extension byte
        if n < 2:
            return None
        x = payload[1]
        pos = 2
        if x & 0x80:  # I: picture ID
            if n < pos + 1:
                return None
            picture_id_at = pos
            if payload[pos] & 0x80:  # M: 15 bits
                if n < pos + 2:
                    return None
                picture_id = ((payload[pos] & 0x7F) << 8) | payload[pos + 1]
                picture_id_bytes = 2
                pos += 2
            else:
                picture_id = payload[pos] & 0x7F
                picture_id_bytes = 1
                pos += 1
        if x & 0x40:  # L: TL0PICIDX
            if n < pos + 1:
                return None
            tl0_at = pos
            tl0 = payload[pos]
            pos += 1
        if x & 0x30:  # T or K: TID/Y/KEYIDX byte
            if n < pos + 1:
                return None
            if x & 0x20:
                tid = payload[pos] >> 6
                layer_sync = bool(payload[pos] & 0x20)
            pos += 1
    start = bool(b0 & 0x10) and (b0 & 0x07) == 0
    # The VP8 payload header (first byte of the frame) only in the first packet.
    keyframe = start and n > pos and (payload[pos] & 0x01) == 0
    return Vp8Descriptor(pos, start, keyframe, picture_id, picture_id_at, picture_id_bytes,
                         tl0, tl0_at, tid, layer_sync)


def rewrite_vp8(payload: bytes, descriptor: Vp8Descriptor, picture_id: Optional[int],
                tl0picidx: Optional[int]) -> bytes:
    """The descriptor of ``payload`` with its picture ID and TL0PICIDX replaced
    (each only if present in the packet and given); returns the new
    descriptor bytes only: the payload continues at ``descriptor.size``."""
    head = bytearray(payload[: descriptor.size])
    if picture_id is not None and descriptor.picture_id_bytes == 2:
        head[descriptor.picture_id_at] = 0x80 | ((picture_id >> 8) & 0x7F)
        head[descriptor.picture_id_at + 1] = picture_id & 0xFF
    elif picture_id is not None and descriptor.picture_id_bytes == 1:
        head[descriptor.picture_id_at] = picture_id & 0x7F
    if tl0picidx is not None and descriptor.tl0_at:
        head[descriptor.tl0_at] = tl0picidx & 0xFF
    return bytes(head)


# --------------------------------------------------------------------------
# H264 (RFC 6184)
# --------------------------------------------------------------------------

_H264_KEY_NALS = (5, 7)  # IDR slice, sequence parameter set
_H264_STAP_A = 24
_H264_FU_A = 28


def h264_has_keyframe(payload: bytes) -> bool:
    """Whether an H264 RTP payload carries (the start of) an IDR slice or an
    SPS: a single NAL unit, any unit of a STAP-A, or the first fragment of
    an FU-A."""
    n = len(payload)
    if n < 1:
        return False
    nal_type = payload[0] & 0x1F
    if nal_type in _H264_KEY_NALS:
        return True
    if nal_type == _H264_STAP_A:
        pos = 1
        while pos + 2 < n:
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0 or pos + 2 + size > n:
                return False
            if payload[pos + 2] & 0x1F in _H264_KEY_NALS:
                return True
            pos += 2 + size
        return False
    if nal_type == _H264_FU_A:
        return n >= 2 and bool(payload[1] & 0x80) and (payload[1] & 0x1F) in _H264_KEY_NALS
    return False


# --------------------------------------------------------------------------
# Sequence numbers (RFC 3550 appendix A.1)
# --------------------------------------------------------------------------

#: A packet this far ahead of the highest sequence number is not believed
#: (at 100 packets/s, 30 s of loss) until the next one confirms it.
MAX_DROPOUT = 3000
#: A packet this far behind is a late or reordered one; further behind, a
#: restarted sender (confirmed by the next packet) or garbage.
MAX_MISORDER = 100


def unwrap_sequence(highest: int, sequence_number: int) -> int:
    """The extended sequence number of a 16-bit ``sequence_number`` nearest to
    ``highest`` (an extended one)."""
    delta = (sequence_number - highest) & 0xFFFF
    if delta >= 0x8000:
        delta -= 0x10000
    return highest + delta


class SequenceGate:
    """Believes a stream's sequence numbers, or not (one per SSRC).

    ``check(seq)`` returns the extended sequence number of an acceptable
    packet, or ``None``: a jump beyond :data:`MAX_DROPOUT` ahead or
    :data:`MAX_MISORDER` behind is refused unless the very next packet
    continues from it (the sender restarted: RFC 3550's ``bad_seq``), so one
    corrupt or forged packet cannot move the stream."""

    __slots__ = ("highest", "_bad")

    def __init__(self) -> None:
        self.highest: Optional[int] = None
        self._bad: Optional[int] = None

    def check(self, sequence_number: int) -> Optional[int]:
        if self.highest is None:
            self.highest = sequence_number + 0x10000  # room below for late ones
            return self.highest
        extended = unwrap_sequence(self.highest, sequence_number)
        delta = extended - self.highest
        if -MAX_MISORDER <= delta <= MAX_DROPOUT:
            self._bad = None
            if delta > 0:
                self.highest = extended
            return extended
        if self._bad is not None and sequence_number == self._bad:
            # Two in a row: the sender really jumped (restart); follow it.
            self._bad = None
            self.highest = extended
            return extended
        self._bad = (sequence_number + 1) & 0xFFFF
        return None


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------

_NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01


def ntp_from_unix(seconds: float) -> int:
    """64-bit NTP timestamp (RFC 3550 §4) of a Unix time."""
    return int((seconds + _NTP_EPOCH_OFFSET) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def abs_send_time(ntp: int) -> int:
    """The 24-bit abs-send-time header extension value (6.18 fixed point
    seconds) of a 64-bit NTP timestamp."""
    return (ntp >> 14) & 0xFFFFFF


def ntp_at(sr_ntp: int, sr_rtp: int, rtp_timestamp: int, clock_rate: int) -> int:
    """The NTP time of ``rtp_timestamp`` on a sender's clock, from one of its
    sender reports (``sr_ntp`` ↔ ``sr_rtp``): the mapping that keeps a
    forwarded stream in sync with the publisher's other streams."""
    delta = (rtp_timestamp - sr_rtp) & 0xFFFFFFFF
    if delta >= 0x80000000:
        delta -= 0x100000000
    return (sr_ntp + (delta << 32) // clock_rate) & 0xFFFFFFFFFFFFFFFF


def h264_packet_info(payload: bytes) -> tuple[bool, bool]:
    """(whether an H264 RTP payload carries the start of an IDR slice or an
    SPS, whether it carries only units that may precede a picture's first
    slice: SEI, SPS, PPS, access unit delimiter)."""
    n = len(payload)
    if n < 1:
        return False, False
    nal_type = payload[0] & 0x1F
    if nal_type == _H264_STAP_A:
        key = False
        prefix = True
        pos = 1
        while pos + 2 < n:
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0 or pos + 2 + size > n:
                break  # a truncated aggregate: what follows is not believed
            unit = payload[pos + 2] & 0x1F
            key = key or unit in _H264_KEY_NALS
            prefix = prefix and unit in _H264_PREFIX_NALS
            pos += 2 + size
        return key, prefix
    if nal_type == _H264_FU_A:
        if n < 2:
            return False, False
        unit = payload[1] & 0x1F
        return bool(payload[1] & 0x80) and unit in _H264_KEY_NALS, False
    return nal_type in _H264_KEY_NALS, nal_type in _H264_PREFIX_NALS


_H264_PREFIX_NALS = (6, 7, 8, 9)


def h264_annexb(payload: bytes) -> bytes:
    """The NAL units of a single-unit or STAP-A payload as an Annex-B byte
    stream (for reading an SPS); empty for fragments."""
    if not payload:
        return b""
    nal_type = payload[0] & 0x1F
    if nal_type == _H264_STAP_A:
        units = []
        pos = 1
        while pos + 2 < len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0 or pos + 2 + size > len(payload):
                break
            units.append(b"\x00\x00\x00\x01" + payload[pos + 2 : pos + 2 + size])
            pos += 2 + size
        return b"".join(units)
    if 1 <= nal_type <= 23:
        return b"\x00\x00\x00\x01" + payload
    return b""
