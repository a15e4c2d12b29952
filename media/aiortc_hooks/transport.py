"""Hooks 8 and 10, the transport (the list: :mod:`media.aiortc_hooks`).

8. Transport: malformed input is counted, never raised (``RTCDtlsTransport._handle_rtp_data``,
   ``_handle_rtcp_data``; :func:`media.aiortc_hooks.packet_counters`).
10. Transport: SRTP handled on arrival: aioice's ``StunProtocol.datagram_received`` hands media
    datagrams of a connected DTLS transport to :func:`_srtp_on_arrival`, decrypted and handed to
    their receiver in the socket's read callback; ``RTCDtlsTransport._set_state`` switches it on
    and off (:func:`set_fast_receive`).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import pylibsrtp
from aioice.ice import StunProtocol
from aiortc.rtcdtlstransport import RTCDtlsTransport, State as DtlsState
from aiortc.rtp import RtcpPacket, RtpPacket, is_rtcp

from .coroutines import run_now
from .counters import _count, _log_failure
from .receiver import _SINK_ATTRIBUTE, _forward_rtp_packet, _handle_rtp_packet

_original_dtls_set_state = RTCDtlsTransport._set_state
_original_datagram_received = StunProtocol.datagram_received


# --------------------------------------------------------------------------
# Hook 8
# --------------------------------------------------------------------------

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
            # Its class's handler is hook 6's: an RTCRtpReceiver (aiortc's router types a protocol).
            _forward_rtp_packet(receiver, sink, packet, arrival_time_ms)  # type: ignore[arg-type]
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
# Hook 10: SRTP handled on arrival
# --------------------------------------------------------------------------

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
