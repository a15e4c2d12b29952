"""Hooks 5 and 6, the receiver side (the list: :mod:`media.aiortc_hooks`).

5. Receiver: a tap on received RTP (:func:`observe_rtp`).
6. Receiver: packets, not frames (:func:`take_rtp`).  A forwarding receiver hands every RTP packet
   it accepts to a sink (:class:`RtpSink`: the relay's :class:`media.published.PublishedTrack`)
   after a sequence check (:class:`_ReceiverGate`), and its decoder thread is stopped.
   Statistics, RTX unwrapping, NACKs and REMB (:mod:`.remb`) are aiortc's, minus the assembly.

And what the relay reads of a receiver or asks of it: :func:`receiver_packet_counts`,
:func:`send_pli`.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Protocol

from aiortc.codecs import is_rtx
from aiortc.rtcrtpreceiver import RTCRtpReceiver, StreamStatistics
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtcpSrPacket, RtpPacket, pack_remb_fci

from ..packets import SequenceGate
from .coroutines import run_now
from .counters import _count
from .remb import _REMB_ATTRIBUTE, FrameRembEstimator

logger = logging.getLogger(__name__)

_original_handle_rtp_packet = RTCRtpReceiver._handle_rtp_packet
_original_receiver_handle_rtcp_packet = RTCRtpReceiver._handle_rtcp_packet
_original_receive = RTCRtpReceiver.receive

#: The attribute of an RTCRtpReceiver holding its RTP observer.  Kept on the
#: receiver itself, not in a registry: the observer refers (through the relay's
#: participant) back to the receiver, and a WeakKeyDictionary entry whose value
#: refers to its own key is never freed, which kept every departed publisher's
#: whole RTCPeerConnection alive (about 0.6 MB per join/leave).
_OBSERVER_ATTRIBUTE = "_liaison_rtp_observer"
#: Attributes of an RTCRtpReceiver holding the relay's sink and gate (hook 6),
#: kept on the object itself, like the observer.
_SINK_ATTRIBUTE = "_liaison_rtp_sink"
_GATE_ATTRIBUTE = "_liaison_rtp_gate"


# --------------------------------------------------------------------------
# Hook 5 (and the entry of hook 6 on aiortc's path)
# --------------------------------------------------------------------------

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
# Hook 6: forwarding by packet
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# What the relay reads of a receiver, or asks of it
# --------------------------------------------------------------------------


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher of ``receiver``'s stream ``media_ssrc`` for a keyframe (an RTCP PLI)."""
    await receiver._send_rtcp_pli(media_ssrc)


def receiver_packet_counts(receiver: RTCRtpReceiver) -> tuple[int, int]:
    """(packets received, packets lost) over all SSRCs of ``receiver``,
    as in its RTCP receiver reports; cheaper than ``getStats()``."""
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", {})
    received = lost = 0
    for stream in streams.values():
        received += stream.packets_received
        lost += max(0, stream.packets_lost)
    return received, lost
