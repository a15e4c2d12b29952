"""Make aiortc carry encoded frames and forward packets: the only package that patches aiortc.

aiortc has no public API for encoded frames (see ``notes/aiortc-relay.md`` in the team's shared
notes).  Everything the relay needs from aiortc's private internals is done here, in one package,
so that an aiortc upgrade breaks one place, and ``tests/test_media_aiortc_hooks.py`` says so (it
pins :data:`AIORTC_VERSION`, checks every name, signature and private attribute the hooks rely on,
and that :func:`install` replaces every original this package keeps).  The rest of the relay
calls the functions exported here; nothing else in ``media/`` reads aiortc's private state.

:func:`install` (idempotent, process-wide) applies five hooks:

1. **Receiver: no decoding** (:mod:`.frame_path`).  ``aiortc.rtcrtpreceiver.get_decoder``
   (looked up by ``decoder_worker`` for every codec change) is replaced by
   ``get_passthrough_decoder``: the "decoded" output of every receiver is the assembled encoded
   frame as an ``av.Packet`` (``bytes(packet)`` is the frame, ``pts`` the RTP timestamp relative
   to the first one, ``time_base`` ``1/clockrate``, ``is_keyframe`` set for VP8 and H264).  A
   remote track's ``recv()`` therefore returns ``av.Packet`` objects.
2. **Receiver: no frame of extra latency** (:mod:`.frame_path`).
   ``aiortc.rtcrtpreceiver.JitterBuffer`` is replaced by ``LowLatencyJitterBuffer``, which
   releases a video frame as soon as its last packet (RTP marker bit) is in, and an audio packet
   as soon as it is next in sequence, instead of waiting for the next frame's first packet (one
   frame interval, ~33 ms per hop at 30 fps; audio waited for 4 packets).
3. **Sender: no encoder on the forwarding path** (:mod:`.frame_path`).
   ``aiortc.rtcrtpsender.get_encoder`` is replaced by ``get_forwarding_encoder``, whose
   ``pack()`` only re-packetizes and whose real encoder is created lazily, only if somebody does
   hand the sender decoded ``av.Frame`` objects (test clients, bots).  aiortc itself calls
   ``get_encoder`` even on the ``pack()`` path, and its ``OpusEncoder()`` opens a libopus encoder
   and a resampler.
4. **Sender: keyframe requests go upstream** (:mod:`.sender`).  ``RTCRtpSender._send_keyframe``
   (called on PLI/FIR) also calls ``track.request_keyframe()`` when the sender's track has one
   (the relay's forwarded tracks do); on the ``pack()`` path aiortc would otherwise ignore the
   request.
5. **Receiver: a tap on received RTP** (:mod:`.receiver`).  ``RTCRtpReceiver._handle_rtp_packet``
   first calls the observer registered with :func:`observe_rtp` for that receiver (audio level,
   byte counters, media SSRC), then does its usual work.

Forwarding by packet (:mod:`media.published`, :mod:`media.fanout`) adds, per receiver and sender
that opt in (every other connection of the process behaves as above):

6. **Receiver: packets, not frames** (:mod:`.receiver`, :mod:`.remb`).  A receiver given a sink
   with :func:`take_rtp` hands every RTP packet it accepts to the sink instead of its jitter
   buffer, and its decoder thread is stopped: no frame assembly, no thread.  Statistics, RTX
   unwrapping, NACKs and REMB to the publisher are kept (aiortc's own code, minus the assembly),
   after a sequence check (:class:`media.packets.SequenceGate`) that refuses implausible packets.
   Sender reports from the publisher reach the sink too (lip sync).
7. **Sender: packets, not frames** (:mod:`.sender`).  A sender given a stream with
   :func:`forward_to` answers NACKs from the stream's packet history (``_retransmit``) and sends
   sender reports describing the stream (``_send_rtcp``), and is told when the sender has started
   (``send``, which aiortc calls after the connection state is already "connected");
   :func:`transmit` protects and sends one packet at once, without a coroutine per packet.
8. **Transport: malformed input is counted, never raised** (:mod:`.transport`,
   :mod:`.counters`).  ``RTCDtlsTransport._handle_rtp_data`` / ``_handle_rtcp_data`` catch every
   exception from parsing and routing (aiortc catches only ``ValueError``; a truncated extension
   raises ``struct.error``) and count it (:func:`packet_counters`).
9. **Sender: what the subscriber says about it** (:mod:`.sender`).
   ``RTCRtpSender._handle_rtcp_packet`` then calls the observer registered with
   :func:`observe_sender_rtcp` for that sender with the receiver report blocks (loss, jitter, and
   the RTT aiortc derived from them) and the REMB that name the sender's SSRC: the input of a
   subscriber's downlink estimate (:mod:`media.estimate`).  On the forwarding path aiortc itself
   drops REMB: it hands it to the sender's encoder, which a forwarding sender never creates.

And on the receive path of every connection of the process:

10. **Transport: SRTP handled on arrival** (:mod:`.transport`).  aioice's
    ``StunProtocol.datagram_received`` hands RTP and RTCP (first byte 128-191) of a connection
    whose DTLS transport is connected straight to ``_srtp_on_arrival``: decrypted, parsed and
    handed to its receiver (or RTCP recipients) in the socket's read callback, instead of a STUN
    parse attempt, aioice's queue, a future and a step of the DTLS transport's receive task per
    packet.  Anything else (STUN, DTLS, media before the handshake or behind queued datagrams)
    takes aiortc's path.  ``RTCDtlsTransport._set_state`` switches it on and off.  A forwarding
    receiver (hook 6) runs without a coroutine (:func:`run_now`), and feeds its REMB estimator
    once per frame (:class:`.remb.FrameRembEstimator`).

11. **ICE: consent that survives a stalled loop** (:mod:`.consent`).  aioice closes a
    connection after six consent checks in a row go unanswered within 0.5 s each; a hub starved
    of CPU for a few seconds lost every connection that way.  ``aioice.ice.Connection.
    query_consent`` is replaced by one that retransmits its checks and expires consent only
    after 30 s without any answer (RFC 7675).

Read-only helpers over private aiortc state live here too (:func:`receiver_packet_counts`,
:func:`sender_round_trip_time`, :func:`send_parameters`, :func:`send_backlog`,
:func:`negotiated_codec`), as do :func:`answer_with_single_codec` and :func:`send_pli`, and the
census of aiortc's codec objects (:func:`codec_census`).  The keyframe and picture-size readers of
encoded frames touch no aiortc: :mod:`media.frames`.
"""

from __future__ import annotations

import logging

import aiortc
from aioice.ice import StunProtocol
from aiortc import rtcrtpreceiver, rtcrtpsender
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender

from . import census, consent, frame_path, receiver, sender, transport
from .census import codec_census
from .coroutines import run_now
from .counters import count, packet_counters
from .negotiation import answer_with_single_codec, negotiated_codec
from .receiver import RtpSink, observe_rtp, receiver_packet_counts, send_pli, take_rtp
from .remb import share_bitrate_estimator
from .sender import (
    ForwardingStream,
    SenderFeedback,
    SendParameters,
    forward_to,
    observe_sender_rtcp,
    send_backlog,
    send_sender_report,
    send_parameters,
    sender_round_trip_time,
    transmit,
)
from .transport import set_fast_receive

__all__ = [
    "AIORTC_VERSION",
    "ForwardingStream",
    "RtpSink",
    "SendParameters",
    "SenderFeedback",
    "answer_with_single_codec",
    "codec_census",
    "count",
    "forward_to",
    "install",
    "installed",
    "negotiated_codec",
    "observe_rtp",
    "observe_sender_rtcp",
    "packet_counters",
    "receiver_packet_counts",
    "run_now",
    "send_backlog",
    "send_sender_report",
    "send_parameters",
    "send_pli",
    "sender_round_trip_time",
    "set_fast_receive",
    "share_bitrate_estimator",
    "take_rtp",
    "transmit",
]

logger = logging.getLogger(__name__)

#: The aiortc release these hooks were written and tested against.
AIORTC_VERSION = "1.16.0"

_installed = False


def install() -> None:
    """Apply the hooks (process-wide, idempotent).

    From then on every ``RTCPeerConnection`` of the process receives encoded
    frames (``av.Packet``) instead of decoded ones."""
    global _installed
    if _installed:
        return
    if aiortc.__version__ != AIORTC_VERSION:
        logger.warning(
            "media.aiortc_hooks was written for aiortc %s, found %s",
            AIORTC_VERSION,
            aiortc.__version__,
        )
    # Hooks 1-3: the frame path without codecs.
    rtcrtpreceiver.get_decoder = frame_path.get_passthrough_decoder
    rtcrtpreceiver.JitterBuffer = frame_path.LowLatencyJitterBuffer  # type: ignore[misc]  # the hook: a subclass
    rtcrtpsender.get_encoder = frame_path.get_forwarding_encoder
    # Hooks 4, 7 and 9: senders.
    RTCRtpSender._send_keyframe = sender._send_keyframe  # type: ignore[method-assign]
    RTCRtpSender._retransmit = sender._retransmit  # type: ignore[method-assign]
    RTCRtpSender._send_rtcp = sender._sender_send_rtcp  # type: ignore[method-assign]
    RTCRtpSender.send = sender._sender_send  # type: ignore[method-assign]
    RTCRtpSender._handle_rtcp_packet = sender._sender_handle_rtcp_packet  # type: ignore[method-assign]
    # Hooks 5 and 6: receivers.
    RTCRtpReceiver._handle_rtp_packet = receiver._handle_rtp_packet  # type: ignore[method-assign]
    RTCRtpReceiver._handle_rtcp_packet = receiver._receiver_handle_rtcp_packet  # type: ignore[method-assign]
    RTCRtpReceiver.receive = receiver._receive  # type: ignore[method-assign]
    # Hooks 8 and 10: the transport.
    RTCDtlsTransport._handle_rtp_data = transport._handle_rtp_data  # type: ignore[method-assign]
    RTCDtlsTransport._handle_rtcp_data = transport._handle_rtcp_data  # type: ignore[method-assign]
    RTCDtlsTransport._set_state = transport._dtls_set_state  # type: ignore[method-assign]
    StunProtocol.datagram_received = transport._datagram_received  # type: ignore[method-assign]
    census._install_codec_census()
    # Hook 11: ICE consent that survives a stalled loop (RFC 7675's 30 s).
    consent.install()
    _installed = True


def installed() -> bool:
    return _installed
