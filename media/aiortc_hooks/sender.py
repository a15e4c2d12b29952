"""Hooks 4, 7 and 9, the sender side (the list: :mod:`media.aiortc_hooks`).

4. Sender: keyframe requests go upstream (``RTCRtpSender._send_keyframe``).
7. Sender: packets, not frames (:func:`forward_to`).  A forwarding stream
   (:class:`ForwardingStream`: the relay's :class:`media.fanout.ForwardedTrack`) answers the
   sender's NACKs and describes its sender reports; :func:`transmit` protects and sends one
   packet at once, without a coroutine per packet.
9. Sender: what the subscriber says about it (:func:`observe_sender_rtcp`).

And what the relay reads of a sender: :func:`send_parameters`, :func:`send_backlog`,
:func:`sender_round_trip_time`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

import pylibsrtp
from pylibsrtp._binding import ffi as _srtp_ffi, lib as _srtp_lib
from aiortc.rtcdtlstransport import RTCDtlsTransport, State as DtlsState
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    unpack_remb_fci,
)

from .counters import _count, _log_failure
from .negotiation import negotiated_codec

_original_send_keyframe = RTCRtpSender._send_keyframe
_original_retransmit = RTCRtpSender._retransmit
_original_sender_send_rtcp = RTCRtpSender._send_rtcp
_original_sender_send = RTCRtpSender.send
_original_sender_handle_rtcp_packet = RTCRtpSender._handle_rtcp_packet

#: The attribute of an RTCRtpSender holding the relay's stream (hook 7), kept
#: on the object itself, like a receiver's observer.
_STREAM_ATTRIBUTE = "_liaison_rtp_stream"
#: The forwarding stream's packet count at its last sender report.
_REPORTED_ATTRIBUTE = "_liaison_reported_packets"
#: The sender's recent sender reports: LSR (the middle of their NTP time) -> when sent.
_SENT_REPORTS_ATTRIBUTE = "_liaison_sent_reports"
#: The sender report send_sender_report asked for, and until when others are held back.
_ASKED_ATTRIBUTE = "_liaison_asked_report"
_HOLD_ATTRIBUTE = "_liaison_hold_reports"
#: Seconds aiortc's periodic sender reports are held back after one asked for: a
#: receiver answers only the last report it got, and Chromium answers about once a second.
ASKED_REPORT_HOLD = 1.5
SENT_REPORTS_KEPT = 8


# --------------------------------------------------------------------------
# Hook 4
# --------------------------------------------------------------------------

def _send_keyframe(self: RTCRtpSender) -> None:
    """RTCRtpSender._send_keyframe, plus: ask the track for a keyframe."""
    _original_send_keyframe(self)
    request = getattr(self.track, "request_keyframe", None)
    if request is not None:
        request()


# --------------------------------------------------------------------------
# Hook 7: forwarding by packet
# --------------------------------------------------------------------------

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
                sent = getattr(stream, "packets_sent", None)
                held = packet is not self.__dict__.get(_ASKED_ATTRIBUTE) \
                    and time.time() < self.__dict__.get(_HOLD_ATTRIBUTE, 0.0)
                if info is None or sent == self.__dict__.get(_REPORTED_ATTRIBUTE) or held:
                    # (Held: aiortc's periodic report would supersede the one a probe
                    # asked for before the receiver answers it: see send_sender_report.)
                    # Nothing sent yet, or nothing since the last report (a paused
                    # stream): no sender report, and no round trips measured on it.
                    packets = packets[:i] + packets[i + 1 :]
                    break
                self.__dict__[_REPORTED_ATTRIBUTE] = sent
                packet.sender_info = info
                # What the round-trip time is computed against (the
                # subscriber echoes it as LSR in its receiver reports).
                lsr = (info.ntp_timestamp >> 16) & 0xFFFFFFFF
                self._RTCRtpSender__lsr = lsr  # type: ignore[attr-defined]
                # When each recent report was sent: a receiver report answers the last
                # one it got, which is not always the last one sent.
                sent_reports = self.__dict__.setdefault(_SENT_REPORTS_ATTRIBUTE, {})
                sent_reports[lsr] = time.time()
                if len(sent_reports) > SENT_REPORTS_KEPT:
                    del sent_reports[next(iter(sent_reports))]
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
    round_trip_time: Optional[float] = None  # seconds, measured by this block (see _block_round_trip)
    remb: Optional[int] = None  # bit/s, a REMB that names the sender's SSRC
    packets_lost: Optional[int] = None  # cumulative, from the receiver report block
    highest_sequence: Optional[int] = None  # extended highest sequence number received, from it
    report_age: Optional[float] = None  # seconds since the sender report the round trip answers was sent


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
        now = time.time()
        for r in packet.reports:
            if r.ssrc != self._ssrc:
                continue
            rtt = _block_round_trip(self, r, now)
            age = None if rtt is None else now - self.__dict__[_SENT_REPORTS_ATTRIBUTE][r.lsr]
            items.append(SenderFeedback(fraction_lost=r.fraction_lost / 256, jitter=r.jitter, round_trip_time=rtt,
                                        packets_lost=r.packets_lost, highest_sequence=r.highest_sequence,
                                        report_age=age))
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


#: A report block's round trip counts only if the sender report it answers was
#: sent this recently: a paused stream sends no sender reports, and a
#: receiver goes on answering its last one (round trips that drift, even below zero).
FRESH_SENDER_REPORT = 2.0


def _block_round_trip(sender: RTCRtpSender, report: Any, now: float) -> Optional[float]:
    """The round trip one report block measures (RFC 3550 §6.4.1: now, less
    when the sender report it names was sent, less the receiver's delay since),
    unsmoothed (aiortc keeps a smoothed one, of answers to its last report
    only); None when the block names no recent sender report of this sender."""
    sent = sender.__dict__.get(_SENT_REPORTS_ATTRIBUTE, {}).get(report.lsr)
    if sent is None or not report.dlsr or now - sent > FRESH_SENDER_REPORT:
        return None
    rtt = now - sent - report.dlsr / 65536
    return rtt if rtt >= 0 else None


def send_sender_report(sender: RTCRtpSender) -> bool:
    """Send a sender report on ``sender`` now, besides aiortc's every 0.5-1.5 s
    (a probe asks for one, so that the round trip of what it queued is
    measured: :mod:`media.probe`), and hold aiortc's back for
    :data:`ASKED_REPORT_HOLD` seconds, so that the receiver's next report
    answers this one; False when the sender has not started or forwards nothing."""
    if not getattr(sender, "_RTCRtpSender__started", False) or sender.__dict__.get(_STREAM_ATTRIBUTE) is None:
        return False
    # The sender info and the LSR it is answered with are filled in by _sender_send_rtcp.
    packet = RtcpSrPacket(ssrc=sender._ssrc, sender_info=RtcpSenderInfo(
        ntp_timestamp=0, rtp_timestamp=0, packet_count=0, octet_count=0))
    sender.__dict__[_ASKED_ATTRIBUTE] = packet
    sender.__dict__[_HOLD_ATTRIBUTE] = time.time() + ASKED_REPORT_HOLD
    asyncio.ensure_future(sender._send_rtcp([packet]))
    return True


def sender_round_trip_time(sender: RTCRtpSender) -> Optional[float]:
    """Smoothed RTT (seconds) the sender derived from RTCP receiver reports."""
    return getattr(sender, "_RTCRtpSender__rtt", None)
