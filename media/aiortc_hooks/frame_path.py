"""Hooks 1-3: aiortc's own frame pipeline without codecs (the list: :mod:`media.aiortc_hooks`).

1. Receiver: no decoding (:func:`get_passthrough_decoder`).
2. Receiver: no frame of extra latency (:class:`LowLatencyJitterBuffer`).
3. Sender: no encoder on the forwarding path (:func:`get_forwarding_encoder`).

This path carries whole encoded frames (``av.Packet``): a receiver without a sink (hook 6), such
as the load generators' and the test clients'.  The relay's own receivers and senders forward
packets instead (:mod:`.receiver`, :mod:`.sender`).
"""

from __future__ import annotations

import fractions
from typing import Any, Optional

import av
from aiortc.codecs import get_encoder as _aiortc_get_encoder
from aiortc.codecs.base import Decoder, Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import convert_timebase
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from ..frames import is_keyframe

# --------------------------------------------------------------------------
# Hook 1: passthrough "decoder"
# --------------------------------------------------------------------------


class PassthroughDecoder(Decoder):
    """Returns each assembled encoded frame as an ``av.Packet``, undecoded."""

    def __init__(self, codec: RTCRtpCodecParameters) -> None:
        self.mime_type = codec.mimeType
        self.time_base = fractions.Fraction(1, codec.clockRate)

    def decode(self, encoded_frame: JitterFrame) -> list[av.Packet]:  # type: ignore[override]
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.dts = encoded_frame.timestamp
        packet.time_base = self.time_base
        packet.is_keyframe = is_keyframe(self.mime_type, encoded_frame.data)
        return [packet]


def get_passthrough_decoder(codec: RTCRtpCodecParameters) -> Decoder:
    """Drop-in for ``aiortc.codecs.get_decoder`` used by receivers."""
    return PassthroughDecoder(codec)


# --------------------------------------------------------------------------
# Hook 2: release frames on the marker bit
# --------------------------------------------------------------------------


class LowLatencyJitterBuffer(JitterBuffer):
    """aiortc's ``JitterBuffer`` that completes frames without waiting.

    aiortc only knows a frame is complete when the first packet of the *next*
    frame arrives (and audio waits for ``prefetch`` packets).  Here the frame at
    the head of the buffer is released as soon as all its packets are present
    and the last one carries the RTP marker bit (video), or as soon as it is
    present (audio: one packet is one frame).  Anything else falls back to
    aiortc's own rule, so losses and reordering behave as before.

    Audio has no retransmission, so a missing audio packet is skipped once
    :attr:`AUDIO_SKIP_AFTER` later packets are waiting behind it; aiortc would
    wait until the buffer overflows (16 packets, 320 ms) and keep that delay.
    """

    AUDIO_SKIP_AFTER = 2

    def _remove_frame(self, sequence_number: int) -> Optional[JitterFrame]:
        frame = self._complete_head_frame()
        if frame is not None:
            return frame
        return super()._remove_frame(sequence_number)

    def _complete_head_frame(self) -> Optional[JitterFrame]:
        if self._origin is None:
            return None
        if not self._is_video:
            return self._next_audio_frame()
        packets: list[RtpPacket] = []
        timestamp = None
        for count in range(self._capacity):
            packet = self._packets[(self._origin + count) % self._capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                return None  # head frame had no marker: aiortc's rule applies
            packets.append(packet)
            if packet.marker:
                self.remove(count + 1)
                return JitterFrame(
                    data=b"".join(p._data for p in packets),  # type: ignore[attr-defined]
                    timestamp=timestamp,
                )
        return None

    def _next_audio_frame(self) -> Optional[JitterFrame]:
        if self._origin is None:
            return None
        head = self._packets[self._origin % self._capacity]
        if head is None:
            # Skip a gap once enough packets are queued behind it.
            present = [
                i
                for i in range(1, self._capacity)
                if self._packets[(self._origin + i) % self._capacity] is not None
            ]
            if len(present) < self.AUDIO_SKIP_AFTER:
                return None
            self.remove(present[0])
            head = self._packets[self._origin % self._capacity]
            assert head is not None
        self.remove(1)
        return JitterFrame(data=head._data, timestamp=head.timestamp)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Hook 3: senders pack without an encoder
# --------------------------------------------------------------------------

_VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


class ForwardingEncoder(Encoder):
    """What a sender gets from ``get_encoder``: packs ``av.Packet`` input
    without any codec context; creates aiortc's real encoder only on the
    first decoded ``av.Frame`` (never, on the relay)."""

    def __init__(self, codec: RTCRtpCodecParameters) -> None:
        self.codec = codec
        self._mime = codec.mimeType.lower()
        self._time_base = fractions.Fraction(1, codec.clockRate)
        self._real: Optional[Encoder] = None
        self._target_bitrate: Optional[int] = None
        self._picture_id = 0
        if self._mime not in ("video/vp8", "video/h264") and self._mime.startswith("video/"):
            raise ValueError(f"No encoder found for MIME type `{self._mime}`")

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        if self._real is None:
            self._real = _aiortc_get_encoder(self.codec)
            if self._target_bitrate is not None and hasattr(self._real, "target_bitrate"):
                self._real.target_bitrate = self._target_bitrate  # type: ignore[attr-defined]
        return self._real.encode(frame, force_keyframe)

    def pack(self, packet: av.Packet) -> tuple[list[bytes], int]:
        data = bytes(packet)
        pts = packet.pts
        if pts is None:
            raise ValueError("an encoded frame to send needs a pts (its RTP timestamp)")
        if self._mime == "video/vp8":
            payloads = Vp8Encoder._packetize(data, self._picture_id)
            self._picture_id = (self._picture_id + 1) % (1 << 15)
            return payloads, convert_timebase(pts, packet.time_base, _VIDEO_TIME_BASE)
        if self._mime == "video/h264":
            payloads = H264Encoder._packetize(H264Encoder._split_bitstream(data))
            return payloads, convert_timebase(pts, packet.time_base, _VIDEO_TIME_BASE)
        # Audio codecs (Opus, G.711, G.722): one frame is one RTP payload.
        return [data], convert_timebase(pts, packet.time_base, self._time_base)

    @property
    def target_bitrate(self) -> int:
        if self._real is not None and hasattr(self._real, "target_bitrate"):
            return self._real.target_bitrate  # type: ignore[attr-defined]
        return self._target_bitrate or 0

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        # REMB from a subscriber: meaningless when forwarding, kept for encode().
        self._target_bitrate = bitrate
        if self._real is not None and hasattr(self._real, "target_bitrate"):
            self._real.target_bitrate = bitrate  # type: ignore[attr-defined]


def get_forwarding_encoder(codec: RTCRtpCodecParameters) -> Encoder:
    """Drop-in for ``aiortc.codecs.get_encoder`` used by senders."""
    return ForwardingEncoder(codec)
