"""Encoded frames from RTP packets, for the recorder: depacketizing, not decoding.

The relay forwards packets one by one (:mod:`media.fanout`); a recording
needs whole encoded frames to put into a Matroska block.  This module puts
a track's packets back together: VP8 (RFC 7741 §4: the payload descriptor
dropped, the partitions concatenated), H264 (RFC 6184 §5.6-5.8: single NAL
units, STAP-A and FU-A turned into an Annex-B access unit) and Opus (one
frame per packet, RFC 7587).

Packets may arrive reordered or not at all.  :class:`FrameAssembler` keeps a
few frames open at once; a frame is complete when it has its first packet,
its last (RTP marker) and every sequence number in between.  A video frame
lost or given up on makes the next frames undecodable, so the assembler then
waits for a keyframe (and says so, so that the recorder can ask the
publisher for one).

Pure: no aiortc, no av, no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

#: Frames kept open waiting for late packets; an older incomplete frame is
#: given up on once this many newer ones are open (or one newer is complete).
OPEN_FRAMES = 3

_START_CODE = b"\x00\x00\x00\x01"


@dataclass(frozen=True)
class Frame:
    """One encoded frame: its RTP timestamp, bytes and whether it is a keyframe."""

    timestamp: int
    data: bytes
    keyframe: bool
    epoch: int  # the publisher's stream (changes with its SSRC)
    arrival: float  # Unix time its first packet arrived


def vp8_frame_part(payload: bytes, descriptor_size: int) -> bytes:
    """The VP8 bytes of one packet: the payload after its descriptor."""
    return payload[descriptor_size:]


def h264_frame_part(payload: bytes) -> bytes:
    """The Annex-B bytes of one H264 RTP payload (RFC 6184): a single NAL
    unit or the units of a STAP-A with start codes, an FU-A fragment's
    data (the first fragment with a start code and the rebuilt NAL header)."""
    if not payload:
        return b""
    nal_type = payload[0] & 0x1F
    if 1 <= nal_type <= 23:
        return _START_CODE + payload
    if nal_type == 24:  # STAP-A
        units = []
        pos = 1
        while pos + 2 <= len(payload):
            size = (payload[pos] << 8) | payload[pos + 1]
            if size == 0 or pos + 2 + size > len(payload):
                break
            units.append(_START_CODE + payload[pos + 2 : pos + 2 + size])
            pos += 2 + size
        return b"".join(units)
    if nal_type == 28 and len(payload) >= 2:  # FU-A
        fu_header = payload[1]
        if fu_header & 0x80:
            return _START_CODE + bytes([(payload[0] & 0xE0) | (fu_header & 0x1F)]) + payload[2:]
        return payload[2:]
    return b""  # STAP-B, MTAP, FU-B: not sent by browsers


class _OpenFrame:
    __slots__ = ("timestamp", "parts", "first", "last", "keyframe", "epoch", "arrival")

    def __init__(self, timestamp: int, epoch: int, arrival: float) -> None:
        self.timestamp = timestamp
        self.parts: dict[int, bytes] = {}  # extended sequence number -> bytes
        self.first: Optional[int] = None  # sequence number of the frame's first packet
        self.last: Optional[int] = None  # of its last (marker)
        self.keyframe = False
        self.epoch = epoch
        self.arrival = arrival

    def complete(self) -> bool:
        return (
            self.first is not None
            and self.last is not None
            and len(self.parts) == self.last - self.first + 1
        )


class FrameAssembler:
    """Frames of one track from its packets (see the module docstring).

    ``mime_type`` is the negotiated codec (``video/VP8``, ``video/H264``,
    ``audio/opus``…).  :meth:`push` takes one packet's facts as the relay's
    :class:`~media.fanout.Packet` has them and returns the frames it
    completed, oldest first.  ``frames_lost`` counts frames given up on;
    ``waiting_for_keyframe`` is true while video frames are skipped."""

    def __init__(self, mime_type: str) -> None:
        mime = mime_type.lower()
        self.video = mime.startswith("video/")
        self._vp8 = mime == "video/vp8"
        self._h264 = mime == "video/h264"
        self._open: dict[int, _OpenFrame] = {}  # RTP timestamp -> frame
        self._last_done: Optional[int] = None  # extended sequence of the last packet of the last frame out
        self._epoch: Optional[int] = None
        self.waiting_for_keyframe = self.video
        self.frames_lost = 0
        self.frames_out = 0

    def push(self, seq: int, timestamp: int, marker: bool, payload: bytes, frame_start: bool,
             key_start: bool, descriptor_size: int, epoch: int, arrival: float) -> list[Frame]:
        if epoch != self._epoch:
            # A new encoder: nothing of the old one will complete now.
            if self._open:
                self.frames_lost += len(self._open)
            self._open.clear()
            self._epoch = epoch
            self._last_done = None
            self.waiting_for_keyframe = self.video
        if not self.video:
            self.frames_out += 1
            return [Frame(timestamp, payload, True, epoch, arrival)]
        if self._last_done is not None and seq <= self._last_done:
            return []  # late, its frame already went out or was given up on
        frame = self._open.get(timestamp)
        if frame is None:
            frame = self._open[timestamp] = _OpenFrame(timestamp, epoch, arrival)
        if self._vp8:
            part = vp8_frame_part(payload, descriptor_size)
        elif self._h264:
            part = h264_frame_part(payload)
        else:
            part = payload
        frame.parts[seq] = part
        if frame_start:
            frame.first = seq
            frame.keyframe = frame.keyframe or key_start
        if marker:
            frame.last = seq
        return self._drain()

    def _drain(self) -> list[Frame]:
        out: list[Frame] = []
        while self._open:
            ordered = sorted(self._open.values(), key=lambda f: min(f.parts))
            head = ordered[0]
            if head.complete():
                del self._open[head.timestamp]
                self._emit(head, out)
                continue
            newer_complete = any(f.complete() for f in ordered[1:])
            if newer_complete or len(ordered) > OPEN_FRAMES:
                # The head will not complete in time: give up on it.
                del self._open[head.timestamp]
                self.frames_lost += 1
                self._last_done = max(self._last_done or 0, max(head.parts))
                if self.video:
                    self.waiting_for_keyframe = True
                continue
            break
        return out

    def _emit(self, frame: _OpenFrame, out: list[Frame]) -> None:
        assert frame.last is not None
        self._last_done = frame.last
        if self.waiting_for_keyframe and not frame.keyframe:
            self.frames_lost += 1
            return
        self.waiting_for_keyframe = False
        data = b"".join(frame.parts[s] for s in sorted(frame.parts))
        self.frames_out += 1
        out.append(Frame(frame.timestamp, data, frame.keyframe, frame.epoch, frame.arrival))
