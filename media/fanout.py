"""Forwarding by packet: one rewriting stream per subscriber and video or audio.

A :class:`ForwardedTrack` is one subscriber's outgoing stream, fed by a
:class:`~media.published.PublishedTrack`.  It rewrites SSRC, sequence
number, timestamp, payload type and header extensions (and the VP8 picture
ID after a switch), so that what the subscriber receives is one continuous
stream whoever publishes into it: a floor move or a replaced publisher
re-binds it (:meth:`ForwardedTrack.bind`) without the browser seeing a new
stream.  Each packet is serialized, protected once and sent at once
(:func:`media.aiortc_hooks.transmit`); no queue, no task per subscriber.  It
keeps the last packets it sent to answer the subscriber's NACKs (RTX when
negotiated) and describes itself in sender reports mapped to the publisher's
clock (lip sync).  The ``MediaStreamTrack`` side only gives aiortc's sender a
track for the SDP; its ``recv()`` never yields.

**Big and small streams.**  A video stream is bound to a publisher's camera
(:attr:`ForwardedTrack.source`, the big stream) and may be fed instead from
the publisher's small stream (:attr:`ForwardedTrack.alternate`) or from
nothing (paused): :meth:`ForwardedTrack.set_layer`.  A switch between two
streams asks the target for a keyframe, keeps sending the current stream
until that keyframe arrives and the current frame is complete, then goes on
from the keyframe (a new timeline continuing the old one), so the picture
never freezes or tears.  A paused stream sends nothing; resuming starts at a
keyframe.

A subscriber that does not keep up (the socket refuses packets) drops video
to the next keyframe, which it asks for (compare Galène's
``rtpconn/rtpwriter.go``); audio is never dropped by the relay.  Keyframe
requests are merged per publisher (:mod:`media.keyframes`).
"""

from __future__ import annotations

import asyncio
import random
import struct
import time
from typing import Any, Callable, Optional

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtcpSenderInfo

from . import aiortc_hooks
from . import packets as rtp
from .published import (  # noqa: F401  (re-exported: the fan-out's vocabulary)
    GOP_CACHE_FRAMES,
    GOP_CACHE_PACKETS,
    RECENT_PACKETS,
    Packet,
    PublishedTrack,
    RateMeter,
    codec_key,
)

#: Packets kept per subscriber stream to answer its NACKs (a power of two;
#: about 2.5 s of an 850 kbit/s video stream).
HISTORY_PACKETS = 256
#: A packet is sent again for a NACK at most once per round trip (at least
#: this many seconds apart; this long while no round trip is known), as
#: libwebrtc's packet history does: a receiver asks again every ~100 ms until
#: the packet arrives, and on a link whose queue has grown (a round trip of
#: 300 ms and more) answering every request multiplies what is sent into the
#: very queue that lost it: congestion collapse.
MIN_RETRANSMIT_INTERVAL = 0.03
UNKNOWN_RTT_RETRANSMIT_INTERVAL = 0.1
#: Retransmissions to one subscriber's stream may add at most this share of what
#: is sent of it, and at most RETRANSMIT_BURST_OCTETS at once (a token bucket: each
#: byte sent adds RETRANSMIT_SHARE of a byte, up to the burst; each byte sent again
#: takes one): on a link that loses most of a stream, repeats would otherwise
#: outgrow the stream itself (measured: several Mbit/s into 300 kbit/s), while the
#: fix is a lower layer, which the adaptation takes.  A burst renewed every second
#: regardless had let 4 streams, 3 of them paused, pour 600 kbit/s of repeats into
#: a 300 kbit/s link.  A paused stream answers no NACK: its picture is not shown,
#: and it starts again at a keyframe.
RETRANSMIT_SHARE = 0.25
RETRANSMIT_BURST_OCTETS = 16_000
#: A subscriber whose socket has this many bytes waiting is dropped to the
#: next keyframe.
MAX_BACKLOG_BYTES = 256 * 1024
#: A switch to another stream waits for the current frame to end, at most
#: this long after the current stream's last packet (it may have stopped).
SWITCH_WAIT = 0.1

_RTP_HEADER = struct.Struct("!BBHII")


class ForwardedTrack(MediaStreamTrack):
    """A subscriber's outgoing stream of one kind, fed by a :class:`PublishedTrack`.

    Packets are only sent while the track is *open* (:meth:`open`, once the
    subscriber's transceiver is negotiated and connected); a video track
    that opens, re-binds or loses packets starts again at a keyframe.
    """

    def __init__(self, kind: str, transceiver: object = None,
                 temporal_limits: Optional[dict[str, int]] = None) -> None:
        super().__init__()
        self.kind = kind
        self.source: Optional[PublishedTrack] = None  # what the subscriber subscribed to
        self.alternate: Optional[PublishedTrack] = None  # the same publisher's small stream
        self.layer = "big"  # wanted: big, small (the alternate, if any) or paused
        self.feed: Optional[PublishedTrack] = None  # what packets come from now
        self._pending: Optional[PublishedTrack] = None  # switching to it at its next keyframe
        self._switch_buffer: list[Packet] = []  # its keyframe, waiting for the current frame's end
        self._last_marker = True  # the last packet sent ended a frame
        self.switches = 0
        self.transceiver = transceiver
        self._sender: Any = None
        self._open = False
        self._open_when_started = False
        self._stopped: Optional[asyncio.Future] = None
        self._need_keyframe = kind == "video"
        self._recovering = False  # dropping after congestion (counted as dropped)
        self.max_temporal_layer: Optional[int] = None  # VP8 layers above are not sent
        # The subscriber's limits per publisher, applied whenever a source is bound.
        self._temporal_limits = temporal_limits if temporal_limits is not None else {}
        # Negotiated parameters (read on open).
        self._ssrc = 0
        self._pt = 0
        self._rtx_ssrc = 0
        self._rtx_pt: Optional[int] = None
        self._ext_mid = b""
        self._abs_id = 0
        self._level_id = 0
        self._extensions = _ExtensionBlock(b"", 0, 0)
        self._clock_rate = 90000 if kind == "video" else 48000
        # Rewriting state.
        self._epoch: Optional[tuple[int, int]] = None  # (id(source), source epoch)
        self._rebase = True  # next packet sent continues the sequence from here
        self._seq_offset = 0
        # The feed and epoch the sequence offset maps from: what was last sent of it.
        self._offset_of: Optional[tuple[int, int]] = None  # (id of the feed: no reference kept)
        self._ts_offset = 0
        self._pid_offset = 0
        self._tl0_offset = 0
        self._min_seq = 0  # source packets below this are not sent (before a rebase)
        self._out_seq = rtp.unwrap_sequence(0, random.getrandbits(15))  # last sent, extended
        self._out_ts: Optional[int] = None
        self._out_pid: Optional[int] = None
        self._out_tl0: Optional[int] = None
        self._last_send = 0.0
        self._last_source_ts = 0
        self._last_arrival = 0.0
        self._rtx_seq = random.getrandbits(15)
        # (header with extensions, payload) of the last packets sent, by sequence number.
        self._history: list[Optional[tuple[bytes, bytes]]] = [None] * HISTORY_PACKETS
        # (sequence number, when) of the last time each history slot was sent again.
        self._resent: list[Optional[tuple[int, float]]] = [None] * HISTORY_PACKETS
        # Statistics.
        self.frames_forwarded = 0
        self.frames_dropped = 0
        self.packets_sent = 0
        self.octets_sent = 0
        self.packets_filtered = 0  # temporal layers not sent
        self.retransmissions = 0
        self.octets_resent = 0  # payload bytes of the retransmissions (RTX: with the original sequence number)
        self.retransmissions_over_budget = 0  # NACKs not answered: RETRANSMIT_SHARE used up
        self._resend_tokens = float(RETRANSMIT_BURST_OCTETS)  # bytes that may be sent again now
        self._resend_mark = 0  # octets_sent when the tokens were last topped up
        self.retransmissions_held = 0  # NACKs for a packet sent again less than a round trip ago
        self.packets_padded = 0  # probe padding: copies of sent packets on the RTX stream (pad)
        self.octets_padded = 0
        self.rate = RateMeter()  # of octets_sent, sampled by the relay

    # -- control -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def clock_rate(self) -> int:
        return self._clock_rate

    def attach(self, transceiver: object) -> None:
        """The subscriber's transceiver whose sender carries this stream."""
        self.transceiver = transceiver
        self._sender = transceiver.sender  # type: ignore[attr-defined]
        aiortc_hooks.forward_to(self._sender, self)

    def bind(self, source: PublishedTrack, alternate: Optional[PublishedTrack] = None) -> None:
        """Take packets from ``source`` (or its ``alternate``, by :attr:`layer`),
        closed until :meth:`open`."""
        if self.source is source:
            self.set_alternate(alternate)
            return
        self.unbind()
        self.source = source
        self.alternate = alternate
        self.max_temporal_layer = self._temporal_limits.get(source.publisher_id)
        source.subscribers.add(self)
        self._set_feed(self._target())

    def unbind(self) -> None:
        """Stop taking packets."""
        self._cancel_switch()
        self._set_feed(None)
        if self.source is not None:
            self.source.subscribers.discard(self)
        self.source = None
        self.alternate = None
        self._open = False
        self._open_when_started = False

    def set_layer(self, layer: str) -> None:
        """Feed from the big stream, the small one (the alternate; the big one
        while there is none) or nothing (``paused``); a switch between two
        streams happens at the target's next keyframe."""
        self.layer = layer
        self._retarget()

    def set_alternate(self, alternate: Optional[PublishedTrack]) -> None:
        """The publisher's small stream came or went."""
        if alternate is not self.alternate:
            self.alternate = alternate
            self._retarget()

    @property
    def current_layer(self) -> str:
        """What is being sent: big, small or paused."""
        if self.feed is None:
            return "paused"
        return "small" if self.feed is self.alternate and self.feed is not self.source else "big"

    def _target(self) -> Optional[PublishedTrack]:
        if self.kind != "video":
            return self.source
        if self.layer == "paused":
            return None
        if self.layer == "small" and self.alternate is not None and self.alternate.active:
            return self.alternate
        return self.source

    def _set_feed(self, feed: Optional[PublishedTrack]) -> None:
        if feed is self.feed:
            return
        if self.feed is not None:
            self.feed.feeds.discard(self)
            self.feed.changed()
        self.feed = feed
        if feed is not None:
            feed.feeds.add(self)
            feed.changed()

    def _retarget(self) -> None:
        target = self._target()
        if target is self.feed:
            self._cancel_switch()
            return
        if not self._open or self.feed is None or target is None:
            # Nothing on screen to keep (closed, or paused), or pausing: at once.
            self._cancel_switch()
            self._set_feed(target)
            if self._open and target is not None:
                self._start_video()
            return
        if self._pending is target:
            return
        self._cancel_switch()
        self._pending = target
        target.pending.add(self)
        target.changed()
        if target.keyframes is not None:
            target.keyframes.request()

    def _cancel_switch(self) -> None:
        if self._pending is not None:
            self._pending.pending.discard(self)
            self._pending.changed()
        self._pending = None
        self._switch_buffer = []

    def offer_switch(self, target: PublishedTrack, p: Packet) -> None:
        """A packet of the stream this one is switching to (called by it)."""
        if self._pending is not target:
            return
        if not self._switch_buffer:
            if not p.key_start:
                if target.keyframes is not None:
                    target.keyframes.request()  # merged per publisher
                return
        self._switch_buffer.append(p)
        feed = self.feed
        if self._last_marker or feed is None or not feed.forwarding \
                or time.time() - self._last_send > SWITCH_WAIT \
                or len(self._switch_buffer) >= GOP_CACHE_PACKETS:
            self._commit_switch()

    def _commit_switch(self) -> None:
        target, buffered = self._pending, self._switch_buffer
        self._cancel_switch()
        if target is None or not buffered:
            return
        self._set_feed(target)
        self._need_keyframe = True
        self.switches += 1
        gop = target.gop
        if gop and gop[0] is buffered[0]:
            buffered = buffered[:1]  # the rest follows from the cache (see forward)
        for q in buffered:
            self.forward(q)

    def open(self) -> None:
        """Start sending packets from the bound source (idempotent)."""
        if self._open or self.source is None:
            return
        if not self._read_parameters():
            self._open_when_started = True  # see sender_started
            return
        self._open_when_started = False
        self._open = True
        self._rebase = True
        if self.kind == "video":
            self._cancel_switch()
            self._set_feed(self._target())
            if self.feed is not None:
                self._start_video()

    def _start_video(self) -> None:
        """Start (again) at the feed's next keyframe, or its cached one, on a
        timeline continuing what was sent."""
        assert self.feed is not None
        self._need_keyframe = True
        self._recovering = False
        self._rebase = True
        self._epoch = None  # a new timeline: the cached keyframe may be older than what was sent
        cached = self.feed.gop
        if cached and not self._sent_already(cached[0]):
            # start from the publisher's last keyframe, still fresh
            self.forward(cached[0], _abs_send_time_now())  # and the rest: see forward
        else:
            # Nothing cached, or resuming (a short pause) a feed whose cached
            # keyframe was sent already: replaying it would show older pictures.
            self.request_keyframe()

    def _sent_already(self, p: Packet) -> bool:
        return self._offset_of == (id(self.feed), p.epoch) and p.seq <= self._out_seq - self._seq_offset

    def _read_parameters(self) -> bool:
        if self.transceiver is None:
            return False
        params = aiortc_hooks.send_parameters(self.transceiver)
        if params is None:
            return False
        self._ssrc, self._pt = params.ssrc, params.payload_type
        self._rtx_ssrc, self._rtx_pt = params.rtx_ssrc, params.rtx_payload_type
        mid = (params.mid or "").encode()
        self._ext_mid = bytes([(params.mid_id << 4) | (len(mid) - 1)]) + mid if params.mid_id and mid else b""
        self._abs_id = params.abs_send_time_id if self.kind == "video" else 0
        self._level_id = params.audio_level_id if self.kind == "audio" else 0
        self._extensions = _ExtensionBlock(self._ext_mid, self._abs_id, self._level_id)
        if self.source is not None:
            self._clock_rate = self.source.clock_rate
        return True

    def reset(self) -> None:
        """Restart at the next keyframe (video) with a continuous sequence."""
        self._rebase = True
        if self.kind == "video" and self._open:
            self._need_keyframe = True
            if self.feed is not None and self.feed.forwarding:
                self.request_keyframe()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe of what is sent (merged per
        publisher).  Also called by the patched ``RTCRtpSender._send_keyframe``
        on PLI/FIR."""
        if self.feed is not None and self.feed.keyframes is not None:
            self.feed.keyframes.request()

    def stop(self) -> None:
        self.unbind()
        if self._sender is not None:
            aiortc_hooks.forward_to(self._sender, None)
        super().stop()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)

    async def recv(self) -> None:  # type: ignore[override]
        """Never yields: packets bypass the sender's frame loop."""
        if self.readyState == "live":
            if self._stopped is None:
                self._stopped = asyncio.get_event_loop().create_future()
            await asyncio.shield(self._stopped)
        raise MediaStreamError

    # -- data path ---------------------------------------------------------

    def forward(self, p: Packet, abs_send_time: Optional[bytes] = None) -> None:
        """Rewrite and send one packet of the source; never blocks."""
        if not self._open:
            return
        source = self.feed
        epoch = (id(source), p.epoch)
        if self._need_keyframe or epoch != self._epoch:
            if not p.key_start:
                if p.frame_start and self._recovering:
                    self.frames_dropped += 1
                if self.kind == "video":
                    # Keep asking while waiting (merged per publisher): the
                    # publisher may have ignored or lost the first request.
                    self.request_keyframe()
                return
            self._need_keyframe = False
            self._recovering = False
            self._rebase = True
            if epoch != self._epoch:
                self._restart_timeline(p)
                self._epoch = epoch
            gop = source.gop if source is not None else ()
            if gop and gop[0] is p and len(gop) > 1:
                # Starting on the publisher's cached keyframe, or on a first
                # packet that came late (retransmitted): what followed it
                # has already passed, and is sent from the cache.
                self._send(p, abs_send_time)
                for later in gop[1:]:
                    self.forward(later, abs_send_time)
                return
        self._send(p, abs_send_time)
        if self._switch_buffer and self._last_marker:
            self._commit_switch()  # the current frame is complete: switch now

    def _send(self, p: Packet, abs_send_time: Optional[bytes]) -> None:  # noqa: C901  (the per-packet hot path, kept in one frame)
        if not self._open:
            return
        vp8 = p.vp8
        if vp8 is not None and vp8.tid is not None and self.max_temporal_layer is not None \
                and vp8.tid > self.max_temporal_layer:
            # Not for this subscriber: close the sequence (and picture ID) over it.
            self.packets_filtered += 1
            self._rebase = True
            if vp8.start and vp8.picture_id is not None:
                self._pid_offset -= 1
            return
        if p.frame_start and self.kind == "video" \
                and aiortc_hooks.send_backlog(self._sender) > MAX_BACKLOG_BYTES:  # type: ignore[arg-type]
            # The subscriber's socket does not keep up: video waits for the next
            # keyframe; audio (never checked, never dropped) goes on.
            self._congested()
            return
        if self._rebase:
            self._seq_offset = self._out_seq + 1 - p.seq
            self._offset_of = (id(self.feed), p.epoch)
            self._min_seq = p.seq
            self._rebase = False
        elif p.seq < self._min_seq:
            aiortc_hooks.count("rtp_late")
            return
        out_seq = p.seq + self._seq_offset
        index = out_seq & (HISTORY_PACKETS - 1)
        previous = self._history[index]
        if p.seq <= self._out_seq - self._seq_offset and previous is not None \
                and previous[0][2:4] == (out_seq & 0xFFFF).to_bytes(2, "big"):
            aiortc_hooks.count("rtp_replayed")
            return  # already sent (a duplicate)
        timestamp = (p.timestamp + self._ts_offset) & 0xFFFFFFFF
        payload: bytes = p.payload
        if vp8 is not None and (self._pid_offset or self._tl0_offset) and (
                vp8.picture_id is not None or vp8.tl0picidx is not None):
            pid = (vp8.picture_id + self._pid_offset) if vp8.picture_id is not None else None
            if pid is not None:
                pid &= 0x7FFF if vp8.picture_id_bytes == 2 else 0x7F
                self._out_pid = pid
            tl0 = (vp8.tl0picidx + self._tl0_offset) & 0xFF if vp8.tl0picidx is not None else None
            if tl0 is not None:
                self._out_tl0 = tl0
            payload = rtp.rewrite_vp8(payload, vp8, pid, tl0) + payload[vp8.size:]
        elif vp8 is not None:
            if vp8.picture_id is not None:
                self._out_pid = vp8.picture_id
            if vp8.tl0picidx is not None:
                self._out_tl0 = vp8.tl0picidx
        # Header extensions: mid, abs-send-time (video), audio level (audio).
        # The header and the payload stay apart (kept as they are in the
        # history): they meet only in the SRTP buffer (aiortc_hooks.transmit).
        block = self._extensions
        if block.pack_abs is not None:  # video: header and extensions in one piece
            head = block.pack_abs(0x90, (p.marker << 7) | self._pt, out_seq & 0xFFFF, timestamp, self._ssrc,
                                  block.abs_head, abs_send_time or p.abs_send_time, block.abs_tail)
        else:
            extensions = block.block(b"", p.level)
            if extensions:
                head = _RTP_HEADER.pack(0x90, (p.marker << 7) | self._pt, out_seq & 0xFFFF, timestamp,
                                        self._ssrc) + extensions
            else:
                head = _RTP_HEADER.pack(0x80, (p.marker << 7) | self._pt, out_seq & 0xFFFF, timestamp, self._ssrc)
        self._history[index] = (head, payload)
        if out_seq > self._out_seq:
            self._out_seq = out_seq
            self._out_ts = timestamp
            self._last_source_ts = p.timestamp
            self._last_arrival = p.arrival
        if not aiortc_hooks.transmit(self._sender, head, payload):  # type: ignore[arg-type]
            return
        self._last_send = p.arrival
        self._last_marker = bool(p.marker)
        self.packets_sent += 1
        self.octets_sent += len(p.payload)
        if p.marker or self.kind == "audio":
            self.frames_forwarded += 1

    def _restart_timeline(self, p: Packet) -> None:
        """A new source (or a restarted one) continues this stream's
        timestamps and VP8 picture IDs from where they stopped."""
        if self._out_ts is None:
            self._ts_offset = random.getrandbits(32) - p.timestamp
        else:
            elapsed = max(0.0, time.time() - self._last_send)
            step = max(1, int(elapsed * self._clock_rate))
            self._ts_offset = self._out_ts + step - p.timestamp
        vp8 = p.vp8
        if vp8 is not None and vp8.picture_id is not None and self._out_pid is not None:
            self._pid_offset = self._out_pid + 1 - vp8.picture_id
        else:
            self._pid_offset = 0
        if vp8 is not None and vp8.tl0picidx is not None and self._out_tl0 is not None:
            self._tl0_offset = self._out_tl0 + 1 - vp8.tl0picidx
        else:
            self._tl0_offset = 0

    def _congested(self) -> None:
        if self.kind == "video":
            self.frames_dropped += 1
            self._need_keyframe = True
            self._recovering = True
            self._rebase = True
            self.request_keyframe()

    # -- feedback (called by the patched RTCRtpSender) ----------------------

    def sender_started(self) -> None:
        """The sender's parameters are negotiated: open if asked to before."""
        if self._open_when_started:
            self.open()

    def retransmit(self, sequence_number: int) -> None:
        """Answer a subscriber's NACK from the history (RTX when negotiated)."""
        if not self._open or self.feed is None:
            return  # (paused: see RETRANSMIT_SHARE)
        index = sequence_number & (HISTORY_PACKETS - 1)
        entry = self._history[index]
        if entry is None or (entry[0][2] << 8 | entry[0][3]) != sequence_number:
            return
        now = time.monotonic()
        resent = self._resent[index]
        if resent is not None and resent[0] == sequence_number and now - resent[1] < self._retransmit_interval():
            self.retransmissions_held += 1  # the last copy may still be on its way
            return
        self._resend_tokens = min(float(RETRANSMIT_BURST_OCTETS), self._resend_tokens
                                  + RETRANSMIT_SHARE * (self.octets_sent - self._resend_mark))
        self._resend_mark = self.octets_sent
        if len(entry[1]) > self._resend_tokens:
            self.retransmissions_over_budget += 1
            return
        self._resend_tokens -= len(entry[1])
        self._resent[index] = (sequence_number, now)
        # The history keeps the header (with its extension block) apart from the payload,
        # so the RTX packet is built from the pieces, without a joined copy to re-parse.
        head, payload = entry
        if self._rtx_pt is not None:
            head, payload = self._rtx(head, payload)
        if aiortc_hooks.transmit(self._sender, head, payload):  # type: ignore[arg-type]
            self.retransmissions += 1
            self.octets_resent += len(payload)

    @property
    def can_pad(self) -> bool:
        """Whether :meth:`pad` can send anything: open, RTX negotiated, something sent."""
        return self._open and self._rtx_pt is not None and self.packets_sent > 0

    def pad(self, octets: int) -> int:
        """Send about ``octets`` bytes of probe padding now: copies of the last
        packets sent, on the RTX stream (the receiver discards what it already
        has, after its bandwidth estimator and its link have carried them, as
        libwebrtc's payload padding), each with a fresh abs-send-time.  Nothing
        without RTX.  Returns the bytes sent (payloads)."""
        if not self.can_pad or octets <= 0:
            return 0
        assert self._rtx_pt is not None
        block = self._extensions
        at = 12 + len(block.abs_head) if block.pack_abs is not None else None
        stamp = _abs_send_time_now() if at is not None else b""
        sent = 0
        newest = self._out_seq
        for back in range(HISTORY_PACKETS):
            if sent >= octets:
                break
            entry = self._history[(newest - back) & (HISTORY_PACKETS - 1)]
            if entry is None:
                break
            head, payload = entry
            if at is not None:
                head = head[:at] + stamp + head[at + 3:]
            if not aiortc_hooks.transmit(self._sender, *self._rtx(head, payload)):  # type: ignore[arg-type]
                break
            sent += 2 + len(payload)
            self.packets_padded += 1
        self.octets_padded += sent
        return sent

    def _rtx(self, head: bytes, payload: bytes) -> tuple[bytes, bytes]:
        """A sent packet (its header with extensions, its payload) as the next
        packet of the RTX stream (RFC 4588: the original sequence number first)."""
        assert self._rtx_pt is not None
        self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        return b"".join((
            bytes([head[0], (head[1] & 0x80) | self._rtx_pt]),
            self._rtx_seq.to_bytes(2, "big"), head[4:8], self._rtx_ssrc.to_bytes(4, "big"), head[12:],
        )), head[2:4] + payload

    def _retransmit_interval(self) -> float:
        rtt = aiortc_hooks.sender_round_trip_time(self._sender) if self._sender is not None else None
        if rtt is None:
            return UNKNOWN_RTT_RETRANSMIT_INTERVAL
        return max(MIN_RETRANSMIT_INTERVAL, rtt)

    def sender_info(self) -> Optional[RtcpSenderInfo]:
        """This stream in a sender report: its last RTP timestamp at the NTP
        time the publisher's own sender reports give it (so that audio and
        video of one publisher stay in sync at the subscriber), or at its
        arrival time before the publisher has sent one."""
        if self._out_ts is None or self.packets_sent == 0:
            return None
        source = self.feed
        report = None
        if source is not None and source.media_ssrc_current is not None:
            report = source.sender_reports.get(source.media_ssrc_current)
        if report is not None:
            ntp = rtp.ntp_at(report[0], report[1], self._last_source_ts, self._clock_rate)
        else:
            ntp = rtp.ntp_from_unix(self._last_arrival)
        return RtcpSenderInfo(
            ntp_timestamp=ntp,
            rtp_timestamp=self._out_ts,
            packet_count=self.packets_sent & 0xFFFFFFFF,
            octet_count=self.octets_sent & 0xFFFFFFFF,
        )


class _ExtensionBlock:
    """A stream's RTP header extension block (RFC 8285 one-byte form: mid,
    abs-send-time for video, audio level for audio), its fixed parts built
    once when the stream is negotiated.  With abs-send-time, ``pack_abs``
    packs the RTP header and the whole block at once: ``pack_abs(0x90,
    marker | payload type, sequence number, timestamp, SSRC, abs_head, the 3
    time bytes, abs_tail)``."""

    __slots__ = ("_mid", "_static", "abs_head", "abs_tail", "_level_id", "pack_abs")

    def __init__(self, mid: bytes, abs_id: int, level_id: int) -> None:
        self._mid = mid
        self._static = self._build(mid) if mid else b""  # nothing per packet
        self._level_id = level_id
        self.abs_head = self.abs_tail = b""
        self.pack_abs: Optional[Callable[..., bytes]] = None
        if abs_id:  # mid + abs-send-time: only the 3 time bytes change
            whole = self._build(mid + bytes([(abs_id << 4) | 2]) + b"\x00\x00\x00")
            end = 4 + len(mid) + 1
            self.abs_head, self.abs_tail = whole[:end], whole[end + 3:]
            self.pack_abs = struct.Struct(f"!BBHII{len(self.abs_head)}s3s{len(self.abs_tail)}s").pack

    @staticmethod
    def _build(body: bytes) -> bytes:
        pad = -len(body) % 4
        return b"\xbe\xde" + ((len(body) + pad) >> 2).to_bytes(2, "big") + body + b"\x00" * pad

    def block(self, abs_send_time: bytes, level: Optional[int]) -> bytes:
        if self.abs_head:
            return self.abs_head + abs_send_time + self.abs_tail
        if self._level_id and level is not None:
            return self._build(self._mid + bytes([self._level_id << 4, level]))
        return self._static


def _abs_send_time_now() -> bytes:
    return rtp.abs_send_time(rtp.ntp_from_unix(time.time())).to_bytes(3, "big")

