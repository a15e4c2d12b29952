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

Forwarding by packet (:mod:`media.fanout`) adds, per receiver and sender
that opt in (every other connection of the process behaves as above):

6. **Receiver: packets, not frames.**  A receiver given a sink with
   :func:`take_rtp` hands every RTP packet it accepts to the sink instead of
   its jitter buffer, and its decoder thread is stopped: no frame assembly,
   no thread.  Statistics, RTX unwrapping, NACKs and REMB to the publisher
   are kept (aiortc's own code, minus the assembly), after a sequence check
   (:class:`media.packets.SequenceGate`) that refuses implausible packets.
   Sender reports from the publisher reach the sink too (lip sync).
7. **Sender: packets, not frames.**  A sender given a stream with
   :func:`forward_to` answers NACKs from the stream's packet history
   (``_retransmit``) and sends sender reports describing the stream
   (``_send_rtcp``), and is told when the sender has started (``send``,
   which aiortc calls after the connection state is already "connected");
   :func:`transmit` protects and sends one packet at once, without a
   coroutine per packet.
8. **Transport: malformed input is counted, never raised.**
   ``RTCDtlsTransport._handle_rtp_data`` / ``_handle_rtcp_data`` catch
   every exception from parsing and routing (aiortc catches only
   ``ValueError``; a truncated extension raises ``struct.error``) and count
   it (:func:`packet_counters`).

9. **Sender: what the subscriber says about it.**  ``RTCRtpSender._handle_rtcp_packet``
   then calls the observer registered with :func:`observe_sender_rtcp` for
   that sender with the receiver report blocks (loss, jitter, and the RTT
   aiortc derived from them) and the REMB that name the sender's SSRC: the
   input of a subscriber's downlink estimate (:mod:`media.estimate`).  On the
   forwarding path aiortc itself drops REMB: it hands it to the sender's
   encoder, which a forwarding sender never creates.
And on the receive path of every connection of the process:

10. **Transport: SRTP handled on arrival.**  aioice's ``StunProtocol.datagram_received``
    hands RTP and RTCP (first byte 128-191) of a connection whose DTLS
    transport is connected straight to :func:`_srtp_on_arrival`: decrypted,
    parsed and handed to its receiver (or RTCP recipients) in the socket's
    read callback, instead of a STUN parse attempt, aioice's queue, a future
    and a step of the DTLS transport's receive task per packet.  Anything
    else (STUN, DTLS, media before the handshake or behind queued datagrams)
    takes aiortc's path.  ``RTCDtlsTransport._set_state`` switches it on and
    off.  A forwarding receiver (hook 6) runs without a coroutine, and feeds
    its REMB estimator once per frame (:class:`FrameRembEstimator`).

A few read-only helpers (:func:`receiver_packet_counts`, :func:`sender_round_trip_time`,
:func:`negotiated_codec`, :func:`answer_with_single_codec`) also live here
because they read private aiortc state.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import functools
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

import av
import aiortc
import pylibsrtp
from pylibsrtp._binding import ffi as _srtp_ffi, lib as _srtp_lib
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.codecs import get_encoder as _aiortc_get_encoder
from aiortc.codecs import is_rtx
from aiortc.codecs.base import Decoder, Encoder
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.mediastreams import convert_timebase
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport, State as DtlsState
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    is_rtcp,
    pack_remb_fci,
    unpack_remb_fci,
)
from aiortc.rtcrtpreceiver import StreamStatistics
from aioice.ice import StunProtocol

from . import h264
from .packets import SequenceGate

logger = logging.getLogger(__name__)

#: The aiortc release these hooks were written and tested against.
AIORTC_VERSION = "1.16.0"

_installed = False
_original_send_keyframe = RTCRtpSender._send_keyframe
_original_handle_rtp_packet = RTCRtpReceiver._handle_rtp_packet
_original_receiver_handle_rtcp_packet = RTCRtpReceiver._handle_rtcp_packet
_original_receive = RTCRtpReceiver.receive
_original_retransmit = RTCRtpSender._retransmit
_original_sender_send_rtcp = RTCRtpSender._send_rtcp
_original_sender_send = RTCRtpSender.send
_original_sender_handle_rtcp_packet = RTCRtpSender._handle_rtcp_packet
_original_dtls_set_state = RTCDtlsTransport._set_state
_original_datagram_received = StunProtocol.datagram_received
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
    """RTCRtpReceiver._handle_rtp_packet, preceded by the registered observer;
    for a forwarding receiver (hook 6), :func:`_forward_rtp_packet` instead."""
    sink = getattr(self, _SINK_ATTRIBUTE, None)
    if sink is not None:
        _forward_rtp_packet(self, sink, packet, arrival_time_ms)
        return
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
# Hooks 6-8: forwarding by packet
# --------------------------------------------------------------------------

#: Attributes of an RTCRtpReceiver / RTCRtpSender holding the relay's sink,
#: gate and stream (kept on the object itself, like the observer).
_SINK_ATTRIBUTE = "_liaison_rtp_sink"
_GATE_ATTRIBUTE = "_liaison_rtp_gate"
_STREAM_ATTRIBUTE = "_liaison_rtp_stream"
_REMB_ATTRIBUTE = "_liaison_remb"

#: Process-wide counters of what the forwarding path refused (see
#: :func:`packet_counters`).
_counters: dict[str, int] = {
    "rtp_malformed": 0,  # did not parse, or made a handler fail
    "rtcp_malformed": 0,
    "rtp_rejected": 0,  # implausible sequence number, unknown SSRC or payload type
    "rtp_failed": 0,  # parsed, but a handler raised (a bug, logged)
    "rtcp_failed": 0,
}


def _count(name: str) -> None:
    _counters[name] = _counters.get(name, 0) + 1


_failures_logged: set[str] = set()


def _log_failure(message: str) -> None:
    """Log the first failure of a kind with its traceback (a bug to fix),
    later ones at debug level only (a flood must not fill the log)."""
    level = logging.DEBUG if message in _failures_logged else logging.WARNING
    _failures_logged.add(message)
    logger.log(level, message, exc_info=True)


def packet_counters() -> dict[str, int]:
    """Packets dropped by the forwarding path since the process started,
    by reason (``rtp_malformed``, ``rtcp_malformed``, ``rtp_rejected``, and
    the sinks' own ``rtp_replayed`` and so on, see :func:`count`)."""
    return dict(_counters)


def count(name: str) -> None:
    """Count one dropped packet under ``name`` (for the relay's sinks)."""
    _count(name)


class RtpSink(Protocol):
    """What a forwarding receiver hands its packets to (:func:`take_rtp`)."""

    def rtp(self, packet: RtpPacket, extended_sequence: int) -> None:
        """One accepted media packet (RTX already unwrapped), with its
        extended sequence number."""

    def sender_report(self, ssrc: int, ntp_timestamp: int, rtp_timestamp: int) -> None:
        """An RTCP sender report of the publisher's stream ``ssrc``."""


class _ReceiverGate:
    """Which SSRCs and sequence numbers a forwarding receiver believes.

    The first SSRC, and SSRCs the publisher signalled (media and RTX, as
    aiortc keeps them for RTX), are admitted at once; any other new SSRC
    after two packets in sequence (RFC 3550's probation), so random packets that happen to carry the negotiated
    payload type (aiortc routes them by it and learns their SSRC) are
    dropped; at most :attr:`MAX_SOURCES` are admitted (media, RTX, a
    restarted encoder), the least recently heard one making room."""

    MAX_SOURCES = 4
    MAX_PROBATION = 16

    def __init__(self) -> None:
        self.sources: dict[int, SequenceGate] = {}
        self._probation: dict[int, int] = {}  # ssrc -> next expected sequence number

    def check(self, ssrc: int, sequence_number: int, signalled: Any = ()) -> Optional[int]:
        gate = self.sources.get(ssrc)
        if gate is None:
            expected = self._probation.get(ssrc)
            if not self.sources or ssrc in signalled:
                expected = sequence_number
            if expected != sequence_number:
                if len(self._probation) >= self.MAX_PROBATION:
                    self._probation.clear()
                self._probation[ssrc] = (sequence_number + 1) & 0xFFFF
                return None
            self._probation.pop(ssrc, None)
            if len(self.sources) >= self.MAX_SOURCES:
                del self.sources[next(iter(self.sources))]
            gate = self.sources[ssrc] = SequenceGate()
            gate.check((sequence_number - 1) & 0xFFFF)
        else:
            # Most recently heard last: the first one is evicted first.
            if next(reversed(self.sources)) != ssrc:
                self.sources[ssrc] = self.sources.pop(ssrc)
        return gate.check(sequence_number)


def take_rtp(receiver: RTCRtpReceiver, sink: Optional[RtpSink]) -> None:
    """Hand every RTP packet ``receiver`` accepts to ``sink`` (hook 6),
    instead of assembling frames; ``None`` removes the sink."""
    setattr(receiver, _SINK_ATTRIBUTE, sink)
    if sink is None:
        return
    setattr(receiver, _GATE_ATTRIBUTE, _ReceiverGate())
    estimator = getattr(receiver, "_RTCRtpReceiver__remote_bitrate_estimator", None)
    setattr(receiver, _REMB_ATTRIBUTE, FrameRembEstimator(estimator) if estimator is not None else None)
    _stop_decoder(receiver)


def _stop_decoder(receiver: RTCRtpReceiver) -> None:
    if getattr(receiver, "_RTCRtpReceiver__decoder_thread", None) is not None:
        receiver._RTCRtpReceiver__stop_decoder()  # type: ignore[attr-defined]


async def _receive(self: RTCRtpReceiver, parameters: Any) -> None:
    """RTCRtpReceiver.receive; a forwarding receiver then stops its decoder thread."""
    await _original_receive(self, parameters)
    if getattr(self, _SINK_ATTRIBUTE, None) is not None:
        _stop_decoder(self)


def _forward_rtp_packet(
    receiver: RTCRtpReceiver, sink: RtpSink, packet: RtpPacket, arrival_time_ms: int
) -> None:
    """aiortc's ``RTCRtpReceiver._handle_rtp_packet`` for a forwarding
    receiver, without a coroutine: the same statistics, RTX unwrapping, NACK
    and REMB feedback (the estimator fed once per frame, see
    :class:`FrameRembEstimator`), then the packet goes to ``sink`` instead of
    the jitter buffer."""
    if not receiver._enabled:
        return
    state = receiver.__dict__
    gate: _ReceiverGate = state[_GATE_ATTRIBUTE]
    rtx_ssrcs: dict = state["_RTCRtpReceiver__rtx_ssrc"]
    ssrc = packet.ssrc
    extended = gate.check(ssrc, packet.sequence_number, () if not rtx_ssrcs else (*rtx_ssrcs, *rtx_ssrcs.values()))
    if extended is None:
        _count("rtp_rejected")
        return
    codecs: dict = state["_RTCRtpReceiver__codecs"]
    codec = codecs.get(packet.payload_type)
    if codec is None:
        _count("rtp_rejected")
        return
    observer = state.get(_OBSERVER_ATTRIBUTE)
    if observer is not None:
        observer(packet)
    payload = packet.payload
    estimator: Optional[FrameRembEstimator] = state.get(_REMB_ATTRIBUTE)
    if estimator is not None:
        abs_send_time = packet.extensions.abs_send_time
        if abs_send_time is not None:
            remb = estimator.add(arrival_time_ms, abs_send_time, len(payload) + packet.padding_size, ssrc,
                                 packet.marker)
            rtcp_ssrc = state["_RTCRtpReceiver__rtcp_ssrc"]
            if rtcp_ssrc is not None and remb is not None:
                run_now(receiver._send_rtcp(
                    RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(*remb))
                ))
    streams: dict = state["_RTCRtpReceiver__remote_streams"]
    statistics = streams.get(ssrc)
    if statistics is None:
        statistics = streams[ssrc] = StreamStatistics(codec.clockRate)
    statistics.add(packet)
    if not payload:
        return  # padding only (bandwidth probing), on RTX too: nothing to forward
    if is_rtx(codec):
        original_ssrc = rtx_ssrcs.get(ssrc)
        apt = codec.parameters.get("apt")
        if original_ssrc is None or len(payload) < 2 or apt not in codecs:
            _count("rtp_rejected")
            return
        packet = RtpPacket(
            payload_type=apt,
            marker=packet.marker,
            sequence_number=(payload[0] << 8) | payload[1],
            timestamp=packet.timestamp,
            ssrc=original_ssrc,
            payload=payload[2:],
        )
        media_gate = gate.sources.get(original_ssrc)
        extended = media_gate.check(packet.sequence_number) if media_gate is not None else None
        if extended is None:
            _count("rtp_rejected")
            return
    nack = state["_RTCRtpReceiver__nack_generator"]
    if nack is not None and nack.add(packet):
        run_now(receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))
    sink.rtp(packet, extended)


async def _receiver_handle_rtcp_packet(self: RTCRtpReceiver, packet: Any) -> None:
    """RTCRtpReceiver._handle_rtcp_packet; sender reports also reach the sink."""
    sink = getattr(self, _SINK_ATTRIBUTE, None)
    if sink is not None and isinstance(packet, RtcpSrPacket):
        info = packet.sender_info
        sink.sender_report(packet.ssrc, info.ntp_timestamp, info.rtp_timestamp)
    await _original_receiver_handle_rtcp_packet(self, packet)


class ForwardingStream(Protocol):
    """What a forwarding sender asks its stream (:func:`forward_to`)."""

    def retransmit(self, sequence_number: int) -> None:
        """A subscriber's NACK for an outgoing sequence number."""

    def sender_info(self) -> Optional[RtcpSenderInfo]:
        """NTP/RTP timestamps and counts for the next sender report, or
        ``None`` if nothing has been sent yet."""

    def sender_started(self) -> None:
        """The sender's parameters are negotiated (:func:`send_parameters`)."""


def forward_to(sender: RTCRtpSender, stream: Optional[ForwardingStream]) -> None:
    """Let ``stream`` answer ``sender``'s NACKs and describe its sender
    reports (hook 7); ``None`` removes it."""
    setattr(sender, _STREAM_ATTRIBUTE, stream)


async def _sender_send(self: RTCRtpSender, parameters: Any) -> None:
    await _original_sender_send(self, parameters)
    stream = getattr(self, _STREAM_ATTRIBUTE, None)
    if stream is not None:
        stream.sender_started()


async def _retransmit(self: RTCRtpSender, sequence_number: int) -> None:
    stream = getattr(self, _STREAM_ATTRIBUTE, None)
    if stream is None:
        await _original_retransmit(self, sequence_number)
    else:
        stream.retransmit(sequence_number)


async def _sender_send_rtcp(self: RTCRtpSender, packets: list) -> None:
    stream = getattr(self, _STREAM_ATTRIBUTE, None)
    if stream is not None:
        for i, packet in enumerate(packets):
            if isinstance(packet, RtcpSrPacket) and packet.ssrc == self._ssrc:
                info = stream.sender_info()
                if info is None:  # nothing sent yet: no sender report
                    packets = packets[:i] + packets[i + 1 :]
                    break
                packet.sender_info = info
                # What the round-trip time is computed against (the
                # subscriber echoes it as LSR in its receiver reports).
                self._RTCRtpSender__lsr = (info.ntp_timestamp >> 16) & 0xFFFFFFFF  # type: ignore[attr-defined]
                break
    if packets:
        await _original_sender_send_rtcp(self, packets)


@dataclass(frozen=True)
class SendParameters:
    """What a forwarding stream writes into its packets, as negotiated on
    the subscriber's transceiver."""

    ssrc: int
    payload_type: int
    rtx_ssrc: int
    rtx_payload_type: Optional[int]
    mid: Optional[str]
    mid_id: int  # header extension IDs, 0 when not negotiated
    abs_send_time_id: int
    audio_level_id: int


def send_parameters(transceiver: Any) -> Optional[SendParameters]:
    """The negotiated sending parameters of ``transceiver``'s sender, or
    ``None`` before its RTP started (answer not applied yet)."""
    sender: RTCRtpSender = transceiver.sender
    if not getattr(sender, "_RTCRtpSender__started", False):
        return None
    codec = negotiated_codec(transceiver)
    if codec is None:
        return None
    ids = sender._RTCRtpSender__rtp_header_extensions_map._HeaderExtensionsMap__ids  # type: ignore[attr-defined]
    return SendParameters(
        ssrc=sender._ssrc,
        payload_type=codec.payloadType or 0,
        rtx_ssrc=sender._rtx_ssrc,
        rtx_payload_type=sender._RTCRtpSender__rtx_payload_type,  # type: ignore[attr-defined]
        mid=sender._RTCRtpSender__mid,  # type: ignore[attr-defined]
        mid_id=ids.mid or 0,
        abs_send_time_id=ids.abs_send_time or 0,
        audio_level_id=ids.audio_level or 0,
    )


class _Route:
    """Where a sender's packets go: resolved once per connected transport
    instead of four attribute hops and a property per packet.  Packets are
    protected by libsrtp through pylibsrtp's own binding, in the session's
    own buffer: no allocation, no Python frame and no ``int *`` per packet
    (pylibsrtp's ``Session.protect`` makes all three); a session without
    that state (another pylibsrtp) is called as usual."""

    __slots__ = ("dtls", "protect", "transport", "sendto", "addr", "srtp", "cdata", "buffer", "length", "capacity")

    def __init__(self, dtls: RTCDtlsTransport, pair: Any) -> None:
        self.dtls = dtls
        session = dtls._tx_srtp
        self.protect = session.protect
        self.transport = pair.protocol.transport
        self.addr = pair.remote_addr
        # The selector loop's datagram transport: its socket is written
        # directly while the transport has nothing buffered (uvloop's
        # transport is native code already).
        sock = getattr(self.transport, "_sock", None)
        self.sendto = sock.sendto if sock is not None and hasattr(self.transport, "_buffer") else None
        state = getattr(session, "__dict__", {})
        srtp, cdata, buffer = state.get("_srtp"), state.get("_cdata"), state.get("_buffer")
        if srtp is not None and cdata is not None and buffer is not None:
            self.srtp = srtp[0]
            self.cdata = cdata
            self.buffer = buffer
            self.length = _srtp_ffi.new("int *")
            self.capacity = len(cdata) - pylibsrtp.SRTP_MAX_TRAILER_LEN
        else:
            self.srtp = self.cdata = self.buffer = self.length = None
            self.capacity = 0


def _route(sender: RTCRtpSender) -> Optional[_Route]:
    dtls = sender.transport
    route: Optional[_Route] = sender.__dict__.get(_ROUTE_ATTRIBUTE)
    if route is not None and route.dtls is dtls and dtls._state is DtlsState.CONNECTED:
        return route
    if dtls._state is not DtlsState.CONNECTED:
        return None
    pair = dtls.transport._connection._nominated.get(1)
    if pair is None:
        return None
    route = _Route(dtls, pair)
    setattr(sender, _ROUTE_ATTRIBUTE, route)
    return route


_ROUTE_ATTRIBUTE = "_liaison_route"
_CONNECTED = DtlsState.CONNECTED
_srtp_protect = _srtp_lib.srtp_protect


def transmit(sender: RTCRtpSender, data: bytes, payload: bytes = b"") -> bool:
    """Protect and send one RTP packet, ``data`` followed by ``payload``, on
    ``sender``'s transport now (aiortc's ``_send_rtp`` without its three
    nested coroutines); False if the transport is not connected or libsrtp
    refused the packet."""
    route: Optional[_Route] = sender.__dict__.get(_ROUTE_ATTRIBUTE)
    if route is None or route.dtls._state is not _CONNECTED or route.dtls is not sender.transport:
        route = _route(sender)
        if route is None:
            return False
    head = len(data)
    size = head + len(payload)
    if size <= route.capacity:
        buffer = route.buffer
        buffer[0:head] = data
        buffer[head:size] = payload
        length = route.length
        length[0] = size
        if _srtp_protect(route.srtp, route.cdata, length):
            _count("rtp_unprotectable")  # an index libsrtp will not protect (far behind its window)
            return False
        protected = buffer[0 : length[0]]
    else:
        try:
            protected = route.protect(data + payload if payload else data)
        except (pylibsrtp.Error, ValueError):  # see above, or too long
            _count("rtp_unprotectable")
            return False
    try:
        sendto = route.sendto
        if sendto is not None and not route.transport._buffer:
            try:
                sendto(protected, route.addr)
                return True
            except OSError:
                pass  # would block, or an error to report: the transport's own sendto handles it
        route.transport.sendto(protected, route.addr)
    except Exception:
        # The socket closed under a transport still "connected" (ICE gave up:
        # asyncio's unconnected datagram transport then raises).
        _count("rtp_unsendable")
        sender.__dict__.pop(_ROUTE_ATTRIBUTE, None)
        return False
    return True


def send_backlog(sender: RTCRtpSender) -> int:
    """Bytes queued in the socket transport of ``sender`` (the kernel refused
    them for now): a subscriber that does not keep up."""
    try:
        pair = sender.transport.transport._connection._nominated.get(1)
        return pair.protocol.transport.get_write_buffer_size() if pair is not None else 0  # type: ignore[attr-defined]
    except (AttributeError, NotImplementedError):
        return 0


async def _handle_rtp_data(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    """RTCDtlsTransport._handle_rtp_data, counting instead of raising."""
    _rtp_data(self, data, arrival_time_ms)


def _rtp_data(dtls: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    """An RTP packet just decrypted: parse, route, hand to its receiver (a
    forwarding receiver's path has no coroutine); malformed input counted."""
    try:
        packet = RtpPacket.parse(data, dtls._rtp_header_extensions_map)
    except Exception:
        _count("rtp_malformed")
        return
    receiver = dtls._rtp_router.route_rtp(packet)
    if receiver is None:
        _count("rtp_rejected")
        return
    try:
        sink = receiver.__dict__.get(_SINK_ATTRIBUTE)
        if sink is not None and type(receiver)._handle_rtp_packet is _handle_rtp_packet:
            _forward_rtp_packet(receiver, sink, packet, arrival_time_ms)
        else:
            run_now(receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_time_ms))
    except ConnectionError:
        raise
    except Exception:
        _count("rtp_failed")
        _log_failure("RTP packet made its receiver fail")


async def _handle_rtcp_data(self: RTCDtlsTransport, data: bytes) -> None:
    """RTCDtlsTransport._handle_rtcp_data, counting instead of raising."""
    try:
        packets = RtcpPacket.parse(data)
    except Exception:
        _count("rtcp_malformed")
        return
    for packet in packets:
        try:
            for recipient in self._rtp_router.route_rtcp(packet):
                await recipient._handle_rtcp_packet(packet)
        except ConnectionError:
            raise
        except Exception:
            _count("rtcp_failed")
            _log_failure("RTCP packet made its recipient fail")


# --------------------------------------------------------------------------
# Hook 9: a subscriber's feedback on what a sender sends (issue 9, sender side;
# the receiver side's REMB generation is hook 6's)
# --------------------------------------------------------------------------

_SENDER_OBSERVER_ATTRIBUTE = "_liaison_rtcp_observer"


@dataclass(frozen=True)
class SenderFeedback:
    """One RTCP item from a subscriber about one sender's stream."""

    fraction_lost: Optional[float] = None  # 0..1, from a receiver report block
    jitter: Optional[int] = None  # RTP timestamp units, from the same block
    round_trip_time: Optional[float] = None  # seconds, aiortc's smoothed RTT after the block
    remb: Optional[int] = None  # bit/s, a REMB that names the sender's SSRC


def observe_sender_rtcp(sender: RTCRtpSender, observer: Optional[Callable[[SenderFeedback], None]]) -> None:
    """Call ``observer`` with the feedback ``sender`` receives (hook 9);
    ``None`` removes it."""
    setattr(sender, _SENDER_OBSERVER_ATTRIBUTE, observer)


async def _sender_handle_rtcp_packet(self: RTCRtpSender, packet: Any) -> None:
    await _original_sender_handle_rtcp_packet(self, packet)
    observer = getattr(self, _SENDER_OBSERVER_ATTRIBUTE, None)
    if observer is None:
        return
    items = []
    if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
        rtt = getattr(self, "_RTCRtpSender__rtt", None)
        items = [SenderFeedback(fraction_lost=r.fraction_lost / 256, jitter=r.jitter, round_trip_time=rtt)
                 for r in packet.reports if r.ssrc == self._ssrc]
    elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
        try:
            bitrate, ssrcs = unpack_remb_fci(packet.fci)
        except ValueError:
            return
        if self._ssrc in ssrcs:
            items = [SenderFeedback(remb=bitrate)]
    for item in items:
        try:
            observer(item)
        except Exception:  # an observer bug must not stop RTCP handling
            _log_failure("RTCP observer failed")


def share_bitrate_estimator(receivers: list[RTCRtpReceiver]) -> None:
    """One REMB estimate for all the video ``receivers`` of one connection.

    A browser takes each REMB as the estimate of its whole connection
    (whatever SSRCs it lists): receivers that each estimate and report their
    own stream (aiortc's default) make it alternate between one stream's
    estimates, and a publisher sending two videos (big and small) falls to a
    fraction of its rate.  Measured with Chromium: 590 kbit/s for one video,
    about 68 + 67 kbit/s for two.  The first receiver's estimator is given to
    the others (aiortc's estimator keeps its SSRCs and lists them all)."""
    # aiortc's estimator, and whatever wraps it for a forwarding receiver
    # (an attribute of that name, when there is one).
    for attribute in ("_RTCRtpReceiver__remote_bitrate_estimator", "_liaison_remb"):
        estimators = [getattr(r, attribute, None) for r in receivers]
        shared = next((e for e in estimators if e is not None), None)
        for receiver, estimator in zip(receivers, estimators):
            if estimator is not None:
                setattr(receiver, attribute, shared)
# Hook 10 and the receive path's helpers: SRTP handled on arrival
# --------------------------------------------------------------------------


def run_now(coroutine: Any) -> None:
    """Run an aiortc coroutine to its end at once.  aiortc's handlers and
    RTCP senders never wait in practice (their sends are synchronous
    underneath); one that does wait is finished by a task."""
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return
    asyncio.ensure_future(_finish(coroutine, waiting))


async def _finish(coroutine: Any, waiting: Any) -> None:
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)  # a bare yield
            else:
                await waiting
        except BaseException as exc:  # the future failed, or this task was cancelled
            try:
                waiting = coroutine.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return


class WindowRate:
    """aiortc's ``RateCounter`` (bits per second over the last ``window_ms``)
    without its Python loop over every elapsed millisecond: the samples of
    the window in a deque.  Same ``add``/``rate``/``reset`` and results."""

    def __init__(self, window_ms: int = 1000, scale: int = 8000) -> None:
        self._window = window_ms
        self._scale = scale
        self.reset()

    def reset(self) -> None:
        self._samples: collections.deque[tuple[int, int]] = collections.deque()
        self._total = 0
        self._origin_ms: Optional[int] = None

    def _erase_old(self, now_ms: int) -> None:
        start = now_ms - self._window + 1
        if self._origin_ms is not None and self._origin_ms < start:
            self._origin_ms = start
        samples = self._samples
        while samples and samples[0][0] < start:
            self._total -= samples.popleft()[1]

    def add(self, value: int, now_ms: int) -> None:
        if self._origin_ms is None:
            self._origin_ms = now_ms
        else:
            self._erase_old(now_ms)
        self._samples.append((now_ms, value))
        self._total += value

    def rate(self, now_ms: int) -> Optional[int]:
        if self._origin_ms is None:
            return None
        self._erase_old(now_ms)
        active = now_ms - self._origin_ms + 1
        if self._samples and active > 1:
            return round(self._scale * self._total / active)
        return None


class FrameRembEstimator:
    """A forwarding receiver's REMB: aiortc's ``RemoteBitrateEstimator`` fed
    once per video frame (on the RTP marker bit, with the frame's bytes)
    instead of once per packet, and with :class:`WindowRate` as its incoming
    rate.  Its inter-arrival groups are 5 ms of send time, so a frame sent in
    one burst was one group already; what it measures (send and arrival
    deltas between frames, the incoming bit rate) is the same, at a third of
    the calls."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        estimator.incoming_bitrate = WindowRate(1000, 8000)
        self._ssrcs: dict = estimator.ssrcs
        # Bytes of the frame in progress, per SSRC: one estimator may serve
        # several videos of a connection (big and small, see
        # :func:`share_bitrate_estimator`), whose packets interleave.
        self._sizes: dict[int, int] = {}

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int,
            marker: int) -> Optional[tuple[int, list[int]]]:
        """One packet; a REMB (bitrate, SSRCs) to send, or ``None``."""
        sizes = self._sizes
        if not marker:
            sizes[ssrc] = sizes.get(ssrc, 0) + payload_size
            self._ssrcs[ssrc] = arrival_time_ms  # listed in the REMB, as aiortc does
            return None
        size = sizes.pop(ssrc, 0) + payload_size
        result: Optional[tuple[int, list[int]]] = self.estimator.add(
            arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time, payload_size=size, ssrc=ssrc
        )
        return result


#: Milliseconds from the NTP epoch (1900) to the Unix epoch: aiortc's
#: ``clock.current_ms()`` without building two datetimes per packet.
_NTP_UNIX_OFFSET_MS = 2_208_988_800_000


def _srtp_on_arrival(dtls: RTCDtlsTransport, connection: Any, data: bytes) -> bool:
    """Hook 10: an SRTP/SRTCP datagram of ``dtls`` decrypted and handled at
    once, in the socket's read callback, instead of queued for the
    transport's receive task (a queue, a future and a task step per packet).
    ``False``: not now (not connected yet, or datagrams already queued, which
    keep their order): aiortc's queue takes it."""
    srtp = dtls._rx_srtp
    if srtp is None or dtls._state is not DtlsState.CONNECTED or not connection._queue.empty():
        return False
    state = dtls.__dict__
    state["_RTCDtlsTransport__rx_bytes"] += len(data)
    state["_RTCDtlsTransport__rx_packets"] += 1
    try:
        if is_rtcp(data):
            run_now(dtls._handle_rtcp_data(srtp.unprotect_rtcp(data)))
        elif type(dtls)._handle_rtp_data is _handle_rtp_data:
            _rtp_data(dtls, srtp.unprotect(data), int(time.time() * 1000) + _NTP_UNIX_OFFSET_MS)
        else:  # somebody wraps the handler (a test): call it
            run_now(dtls._handle_rtp_data(srtp.unprotect(data), int(time.time() * 1000) + _NTP_UNIX_OFFSET_MS))
    except pylibsrtp.Error:
        pass  # not authentic, or replayed: aiortc drops it too
    except ConnectionError:
        pass  # the transport is closing; its receive task ends it
    except Exception:
        _count("rtp_failed")
        _log_failure("SRTP datagram made its handler fail")
    return True


def _datagram_received(self: Any, data: Any, addr: tuple) -> None:
    """aioice ``StunProtocol.datagram_received``: RTP and RTCP (first byte
    128-191, RFC 7983: never STUN) skip the STUN parser, and go to hook 10
    when their connection has a DTLS transport connected."""
    if data and 127 < data[0] < 192:
        connection = self.receiver
        handler = getattr(connection, _SRTP_ATTRIBUTE, None)
        if handler is None or not handler(connection, data):
            connection.data_received(data, self.local_candidate.component)
        return
    _original_datagram_received(self, data, addr)


def _dtls_set_state(self: RTCDtlsTransport, state: Any) -> None:
    """RTCDtlsTransport._set_state; hook 10 is on while the state is CONNECTED."""
    _original_dtls_set_state(self, state)
    connection = getattr(getattr(self, "transport", None), "_connection", None)
    if connection is None:
        return
    if state is DtlsState.CONNECTED and _fast_receive:
        setattr(connection, _SRTP_ATTRIBUTE, functools.partial(_srtp_on_arrival, self))
    elif getattr(connection, _SRTP_ATTRIBUTE, None) is not None:
        handler = getattr(connection, _SRTP_ATTRIBUTE)
        if handler.args[0] is self:
            setattr(connection, _SRTP_ATTRIBUTE, None)


_SRTP_ATTRIBUTE = "_liaison_srtp"
#: Hook 10 on for transports connected from now on (``set_fast_receive``).
_fast_receive = True


def set_fast_receive(enabled: bool) -> None:
    """Turn hook 10 on or off for DTLS transports that connect from now on
    (on by default; off: every datagram goes through aiortc's queue)."""
    global _fast_receive
    _fast_receive = enabled


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
    RTCRtpReceiver._handle_rtcp_packet = _receiver_handle_rtcp_packet  # type: ignore[method-assign]
    RTCRtpReceiver.receive = _receive  # type: ignore[method-assign]
    RTCRtpSender._retransmit = _retransmit  # type: ignore[method-assign]
    RTCRtpSender._send_rtcp = _sender_send_rtcp  # type: ignore[method-assign]
    RTCRtpSender.send = _sender_send  # type: ignore[method-assign]
    RTCRtpSender._handle_rtcp_packet = _sender_handle_rtcp_packet  # type: ignore[method-assign]
    RTCDtlsTransport._handle_rtp_data = _handle_rtp_data  # type: ignore[method-assign]
    RTCDtlsTransport._handle_rtcp_data = _handle_rtcp_data  # type: ignore[method-assign]
    RTCDtlsTransport._set_state = _dtls_set_state  # type: ignore[method-assign]
    StunProtocol.datagram_received = _datagram_received  # type: ignore[method-assign]
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
