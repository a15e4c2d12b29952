"""Make aiortc carry encoded frames: the only module that patches aiortc.

aiortc has no public API for encoded frames (see
``notes/aiortc-relay.md`` in the team's shared notes).  Everything the relay needs from
aiortc's private internals is done here, in one place, so that an aiortc
upgrade breaks one module, and ``tests/test_media_aiortc_hooks.py`` says so.

:func:`install` (idempotent, process-wide) applies five hooks:

1. **Receiver: no decoding.**  ``aiortc.rtcrtpreceiver.get_decoder`` (looked
   up by ``decoder_worker`` for every codec change) is replaced by
   :func:`get_passthrough_decoder`: the "decoded" output of every receiver is
   the assembled encoded frame as an ``av.Packet`` (``bytes(packet)`` is the
   frame, ``pts`` the RTP timestamp relative to the first one, ``time_base``
   ``1/clockrate``, ``is_keyframe`` set for VP8 and H264).  A remote track's
   ``recv()`` therefore returns ``av.Packet`` objects.
2. **Receiver: no frame of extra latency.**  ``aiortc.rtcrtpreceiver.JitterBuffer``
   is replaced by :class:`LowLatencyJitterBuffer`, which releases a video frame
   as soon as its last packet (RTP marker bit) is in, and an audio packet as
   soon as it is next in sequence, instead of waiting for the next frame's
   first packet (one frame interval, ~33 ms per hop at 30 fps; audio waited
   for 4 packets).
3. **Sender: no encoder on the forwarding path.**  ``aiortc.rtcrtpsender.get_encoder``
   is replaced by :func:`get_forwarding_encoder`, whose ``pack()`` only
   re-packetizes and whose real encoder is created lazily, only if somebody
   does hand the sender decoded ``av.Frame`` objects (test clients, bots).
   aiortc itself calls ``get_encoder`` even on the ``pack()`` path, and its
   ``OpusEncoder()`` opens a libopus encoder and a resampler.
4. **Sender: keyframe requests go upstream.**  ``RTCRtpSender._send_keyframe``
   (called on PLI/FIR) also calls ``track.request_keyframe()`` when the
   sender's track has one (the relay's forwarded tracks do); on the ``pack()``
   path aiortc would otherwise ignore the request.
5. **Receiver: a tap on received RTP.**  ``RTCRtpReceiver._handle_rtp_packet``
   first calls the observer registered with :func:`observe_rtp` for that
   receiver (audio level, byte counters, media SSRC), then does its usual work.

A few read-only helpers (:func:`receiver_packet_counts`, :func:`sender_round_trip_time`,
:func:`negotiated_codec`, :func:`answer_with_single_codec`) also live here
because they read private aiortc state.
"""

from __future__ import annotations

import fractions
import logging
from typing import Any, Callable, Optional

import av
import aiortc
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs import get_encoder as _aiortc_get_encoder
from aiortc.codecs.base import Decoder, Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import convert_timebase
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket

from . import h264

logger = logging.getLogger(__name__)

#: The aiortc release these hooks were written and tested against.
AIORTC_VERSION = "1.16.0"

_installed = False
_original_send_keyframe = RTCRtpSender._send_keyframe
_original_handle_rtp_packet = RTCRtpReceiver._handle_rtp_packet
#: The attribute of an RTCRtpReceiver holding its RTP observer.  Kept on the
#: receiver itself, not in a registry: the observer refers (through the relay's
#: participant) back to the receiver, and a WeakKeyDictionary entry whose value
#: refers to its own key is never freed, which kept every departed publisher's
#: whole RTCPeerConnection alive (about 0.6 MB per join/leave).
_OBSERVER_ATTRIBUTE = "_liaison_rtp_observer"

# H264 NAL unit types that make an access unit decodable on its own.
_H264_IDR = 5
_H264_SPS = 7


# --------------------------------------------------------------------------
# Keyframe detection on encoded frames
# --------------------------------------------------------------------------


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
        if self._mime == "video/vp8":
            payloads = Vp8Encoder._packetize(data, self._picture_id)
            self._picture_id = (self._picture_id + 1) % (1 << 15)
            return payloads, convert_timebase(packet.pts, packet.time_base, _VIDEO_TIME_BASE)
        if self._mime == "video/h264":
            payloads = H264Encoder._packetize(H264Encoder._split_bitstream(data))
            return payloads, convert_timebase(packet.pts, packet.time_base, _VIDEO_TIME_BASE)
        # Audio codecs (Opus, G.711, G.722): one frame is one RTP payload.
        return [data], convert_timebase(packet.pts, packet.time_base, self._time_base)

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


# --------------------------------------------------------------------------
# Hooks 4 and 5
# --------------------------------------------------------------------------


def _send_keyframe(self: RTCRtpSender) -> None:
    """RTCRtpSender._send_keyframe, plus: ask the track for a keyframe."""
    _original_send_keyframe(self)
    request = getattr(self.track, "request_keyframe", None)
    if request is not None:
        request()


async def _handle_rtp_packet(self: RTCRtpReceiver, packet: RtpPacket, arrival_time_ms: int) -> None:
    """RTCRtpReceiver._handle_rtp_packet, preceded by the registered observer."""
    observer = getattr(self, _OBSERVER_ATTRIBUTE, None)
    if observer is not None:
        try:
            observer(packet)
        except Exception:  # an observer bug must not stop media
            logger.exception("RTP observer failed")
    await _original_handle_rtp_packet(self, packet, arrival_time_ms)


def observe_rtp(receiver: RTCRtpReceiver, observer: Optional[Callable[[RtpPacket], None]]) -> None:
    """Call ``observer(packet)`` for every RTP packet ``receiver`` gets
    (before jitter buffering, RTX included); ``None`` removes it."""
    setattr(receiver, _OBSERVER_ATTRIBUTE, observer)


# --------------------------------------------------------------------------
# Install
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Census of codec objects: the proof that nothing decodes or encodes
# --------------------------------------------------------------------------

_codec_census: dict[str, int] = {}


def _count_constructions(cls: type) -> None:
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        _codec_census[cls.__name__] = _codec_census.get(cls.__name__, 0) + 1
        original(self, *args, **kwargs)

    cls.__init__ = __init__  # type: ignore[misc]


def _install_codec_census() -> None:
    """Count every aiortc decoder and encoder constructed in this process
    (our own passthrough and forwarding stand-ins excluded)."""
    import aiortc.codecs as codecs_pkg
    from aiortc.codecs.base import Decoder as BaseDecoder, Encoder as BaseEncoder

    seen: set[type] = set()
    for module_name in ("g711", "g722", "h264", "opus", "vpx"):
        module = getattr(__import__(f"aiortc.codecs.{module_name}"), "codecs").__dict__[module_name]
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, (BaseDecoder, BaseEncoder))
                and value not in (BaseDecoder, BaseEncoder)
                and value.__module__ == module.__name__
                and value not in seen
            ):
                seen.add(value)
                _count_constructions(value)
    del codecs_pkg


def codec_census() -> dict[str, int]:
    """How many real aiortc codec objects (``Vp8Decoder``, ``OpusEncoder``, …)
    were constructed in this process since :func:`install`: zero on a relay
    that only forwards."""
    return dict(_codec_census)


def install() -> None:
    """Apply the hooks (process-wide, idempotent).

    From then on every ``RTCPeerConnection`` of the process receives encoded
    frames (``av.Packet``) instead of decoded ones."""
    global _installed
    if _installed:
        return
    if aiortc.__version__ != AIORTC_VERSION:
        logger.warning(
            "media.passthrough was written for aiortc %s, found %s",
            AIORTC_VERSION,
            aiortc.__version__,
        )
    rtcrtpreceiver.get_decoder = get_passthrough_decoder
    rtcrtpreceiver.JitterBuffer = LowLatencyJitterBuffer
    rtcrtpsender.get_encoder = get_forwarding_encoder
    RTCRtpSender._send_keyframe = _send_keyframe  # type: ignore[method-assign]
    RTCRtpReceiver._handle_rtp_packet = _handle_rtp_packet  # type: ignore[method-assign]
    _install_codec_census()
    _installed = True


def installed() -> bool:
    return _installed


# --------------------------------------------------------------------------
# Read-only helpers over private aiortc state
# --------------------------------------------------------------------------


def receiver_packet_counts(receiver: RTCRtpReceiver) -> tuple[int, int]:
    """(packets received, packets lost) over all SSRCs of ``receiver``,
    as in its RTCP receiver reports; cheaper than ``getStats()``."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", {})
    received = lost = 0
    for stream in streams.values():
        received += stream.packets_received
        lost += max(0, stream.packets_lost)
    return received, lost


def sender_round_trip_time(sender: RTCRtpSender) -> Optional[float]:
    """Smoothed RTT (seconds) the sender derived from RTCP receiver reports."""
    return getattr(sender, "_RTCRtpSender__rtt", None)


def negotiated_codec(transceiver: Any) -> Optional[RTCRtpCodecParameters]:
    """The first non-RTX codec negotiated on ``transceiver``."""
    for codec in transceiver._codecs:
        if codec.name.lower() != "rtx":
            return codec
    return None


def answer_with_single_codec(transceiver: Any) -> None:
    """Restrict a transceiver created by a remote offer to one codec (and its RTX).

    Called between ``setRemoteDescription(offer)`` and ``createAnswer()``: the
    answer then lists a single media codec, so the publisher must send exactly
    that one and the relay knows, at negotiation time, which codec to pin on
    subscribers.  ``setCodecPreferences`` cannot do this: the transceiver only
    exists once the offer has been applied, and its codecs are already chosen.
    """
    codec = negotiated_codec(transceiver)
    if codec is None:
        return
    keep = [codec]
    for other in transceiver._codecs:
        if other.name.lower() == "rtx" and other.parameters.get("apt") == codec.payloadType:
            keep.append(other)
    transceiver._codecs = keep
