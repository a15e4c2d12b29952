"""Forwarding by packet: one sink per published track, one rewriting stream per subscriber.

:class:`PublishedTrack` receives every RTP packet of one publisher's track
from aiortc's receiver (:func:`media.passthrough.take_rtp`: no jitter
buffer, no frame assembly, no decoder thread).  It reads what it needs from
each packet once (keyframe start, VP8 picture ID and temporal layer, audio
level) into a :class:`Packet` and hands it to the :class:`ForwardedTrack`
of every subscriber.

A :class:`ForwardedTrack` is one subscriber's outgoing stream.  It rewrites
SSRC, sequence number, timestamp, payload type and header extensions (and
the VP8 picture ID after a switch), so that what the subscriber receives is
one continuous stream whoever publishes into it: a floor move or a
replaced publisher re-binds it (:meth:`ForwardedTrack.bind`) without the
browser seeing a new stream.  Each packet is serialized, protected once and
sent at once (:func:`media.passthrough.transmit`); no queue, no task per
subscriber.  It keeps the last packets it sent to answer the subscriber's
NACKs (RTX when negotiated) and describes itself in sender reports mapped
to the publisher's clock (lip sync).  The ``MediaStreamTrack`` side only
gives aiortc's sender a track for the SDP; its ``recv()`` never yields.

A subscriber that does not keep up (the socket refuses packets) is dropped
to the next keyframe, which it asks for (compare Galène's
``rtpconn/rtpwriter.go``); keyframe requests are merged per publisher
(:mod:`media.keyframes`).
"""

from __future__ import annotations

import asyncio
import collections
import random
import struct
import time
from typing import Any, Callable, Optional

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtcpSenderInfo, RtpPacket

from . import packets as rtp
from . import passthrough
from .keyframes import KeyframeRequester

#: A publisher's packets since its last keyframe are kept for this many
#: frames (30 fps: half a second): a subscriber that opens within it starts
#: at once from that keyframe instead of asking the publisher for one (which
#: a browser answers no sooner than 300 ms after its previous keyframe).
GOP_CACHE_FRAMES = 15
#: ... and at most this many packets (a large keyframe at a high rate).
GOP_CACHE_PACKETS = 600
#: A publisher's last packets, kept to complete a keyframe whose first packet
#: arrives late (retransmitted after a loss).
RECENT_PACKETS = 128
#: Packets kept per subscriber stream to answer its NACKs (a power of two;
#: about 2.5 s of an 850 kbit/s video stream).
HISTORY_PACKETS = 256
#: A subscriber whose socket has this many bytes waiting is dropped to the
#: next keyframe.
MAX_BACKLOG_BYTES = 256 * 1024

_RTP_HEADER = struct.Struct("!BBHII")


def codec_key(mime_type: str, parameters: dict) -> tuple:
    """Identity of a codec for forwarding: MIME type plus the parameters that
    must match between publisher and subscriber (H264 profile, packetization)."""
    mime = mime_type.lower()
    if mime == "video/h264":
        profile = str(parameters.get("profile-level-id", "42e01f")).lower()
        return (mime, profile, str(parameters.get("packetization-mode", "0")))
    return (mime,)


class Packet:
    """One publisher packet, read once and shared by every subscriber."""

    __slots__ = ("seq", "timestamp", "marker", "payload", "frame_start", "key_start",
                 "vp8", "level", "arrival", "abs_send_time", "epoch")

    def __init__(self, seq: int, timestamp: int, marker: int, payload: bytes, frame_start: bool,
                 key_start: bool, vp8: Optional[rtp.Vp8Descriptor], level: Optional[int],
                 arrival: float, abs_send_time: bytes, epoch: int) -> None:
        self.seq = seq  # extended sequence number
        self.timestamp = timestamp
        self.marker = marker
        self.payload = payload
        self.frame_start = frame_start
        self.key_start = key_start  # a subscriber may start (or switch) here
        self.vp8 = vp8
        self.level = level  # RFC 6464 byte (V flag, level), or None
        self.arrival = arrival  # Unix time
        self.abs_send_time = abs_send_time  # 3 bytes
        self.epoch = epoch  # changes when the publisher's SSRC does


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
        self.source: Optional["PublishedTrack"] = None
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
        self._history: list[Optional[bytes]] = [None] * HISTORY_PACKETS
        self._check_backlog = 0
        # Statistics.
        self.frames_forwarded = 0
        self.frames_dropped = 0
        self.packets_sent = 0
        self.octets_sent = 0
        self.packets_filtered = 0  # temporal layers not sent
        self.retransmissions = 0

    # -- control -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._open

    def attach(self, transceiver: object) -> None:
        """The subscriber's transceiver whose sender carries this stream."""
        self.transceiver = transceiver
        self._sender = transceiver.sender  # type: ignore[attr-defined]
        passthrough.forward_to(self._sender, self)

    def bind(self, source: "PublishedTrack") -> None:
        """Take packets from ``source`` (closed until :meth:`open`)."""
        if self.source is source:
            return
        self.unbind()
        self.source = source
        self.max_temporal_layer = self._temporal_limits.get(source.publisher_id)
        source.subscribers.add(self)
        source.changed()

    def unbind(self) -> None:
        """Stop taking packets."""
        if self.source is not None:
            self.source.subscribers.discard(self)
            self.source.changed()
        self.source = None
        self._open = False
        self._open_when_started = False

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
            self._need_keyframe = True
            self._recovering = False
            cached = self.source.gop
            if cached:  # start from the publisher's last keyframe, still fresh
                self.forward(cached[0], _abs_send_time_now())  # and the rest: see forward
            else:
                self.request_keyframe()

    def _read_parameters(self) -> bool:
        if self.transceiver is None:
            return False
        params = passthrough.send_parameters(self.transceiver)
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
            if self.source is not None and self.source.forwarding:
                self.request_keyframe()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (merged per publisher).  Also
        called by the patched ``RTCRtpSender._send_keyframe`` on PLI/FIR."""
        if self.source is not None and self.source.keyframes is not None:
            self.source.keyframes.request()

    def stop(self) -> None:
        self.unbind()
        if self._sender is not None:
            passthrough.forward_to(self._sender, None)
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
        source = self.source
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
        if self._rebase:
            self._seq_offset = self._out_seq + 1 - p.seq
            self._min_seq = p.seq
            self._rebase = False
        elif p.seq < self._min_seq:
            passthrough.count("rtp_late")
            return
        out_seq = p.seq + self._seq_offset
        index = out_seq & (HISTORY_PACKETS - 1)
        previous = self._history[index]
        if p.seq <= self._out_seq - self._seq_offset and previous is not None \
                and previous[2:4] == (out_seq & 0xFFFF).to_bytes(2, "big"):
            passthrough.count("rtp_replayed")
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
        extensions = self._extensions.block(abs_send_time or p.abs_send_time, p.level)
        if extensions:
            data = b"".join((_RTP_HEADER.pack(0x90, (p.marker << 7) | self._pt, out_seq & 0xFFFF, timestamp,
                                              self._ssrc), extensions, payload))
        else:
            data = _RTP_HEADER.pack(0x80, (p.marker << 7) | self._pt, out_seq & 0xFFFF, timestamp, self._ssrc) + payload
        self._history[index] = data
        if out_seq > self._out_seq:
            self._out_seq = out_seq
            self._out_ts = timestamp
            self._last_source_ts = p.timestamp
            self._last_arrival = p.arrival
        if not passthrough.transmit(self._sender, data):  # type: ignore[arg-type]
            return
        self._last_send = p.arrival
        self.packets_sent += 1
        self.octets_sent += len(p.payload)
        if p.marker or self.kind == "audio":
            self.frames_forwarded += 1
        self._check_backlog += 1
        if self._check_backlog >= 32:
            self._check_backlog = 0
            if passthrough.send_backlog(self._sender) > MAX_BACKLOG_BYTES:  # type: ignore[arg-type]
                self._congested()

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
        if not self._open:
            return
        data = self._history[sequence_number & (HISTORY_PACKETS - 1)]
        if data is None or (data[2] << 8 | data[3]) != sequence_number:
            return
        if self._rtx_pt is not None:
            header_size = 12 + (4 + ((data[14] << 8 | data[15]) << 2) if data[0] & 0x10 else 0)
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
            data = b"".join((
                bytes([data[0], (data[1] & 0x80) | self._rtx_pt]),
                self._rtx_seq.to_bytes(2, "big"), data[4:8], self._rtx_ssrc.to_bytes(4, "big"),
                data[12:header_size], data[2:4], data[header_size:],
            ))
        if passthrough.transmit(self._sender, data):  # type: ignore[arg-type]
            self.retransmissions += 1

    def sender_info(self) -> Optional[RtcpSenderInfo]:
        """This stream in a sender report: its last RTP timestamp at the NTP
        time the publisher's own sender reports give it (so that audio and
        video of one publisher stay in sync at the subscriber), or at its
        arrival time before the publisher has sent one."""
        if self._out_ts is None or self.packets_sent == 0:
            return None
        source = self.source
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
    once when the stream is negotiated."""

    __slots__ = ("_mid", "_static", "_abs_head", "_abs_tail", "_level_id")

    def __init__(self, mid: bytes, abs_id: int, level_id: int) -> None:
        self._mid = mid
        self._static = self._build(mid) if mid else b""  # nothing per packet
        self._level_id = level_id
        self._abs_head = self._abs_tail = b""
        if abs_id:  # mid + abs-send-time: only the 3 time bytes change
            whole = self._build(mid + bytes([(abs_id << 4) | 2]) + b"\x00\x00\x00")
            end = 4 + len(mid) + 1
            self._abs_head, self._abs_tail = whole[:end], whole[end + 3:]

    @staticmethod
    def _build(body: bytes) -> bytes:
        pad = -len(body) % 4
        return b"\xbe\xde" + ((len(body) + pad) >> 2).to_bytes(2, "big") + body + b"\x00" * pad

    def block(self, abs_send_time: bytes, level: Optional[int]) -> bytes:
        if self._abs_head:
            return self._abs_head + abs_send_time + self._abs_tail
        if self._level_id and level is not None:
            return self._build(self._mid + bytes([self._level_id << 4, level]))
        return self._static


def _abs_send_time_now() -> bytes:
    return rtp.abs_send_time(rtp.ntp_from_unix(time.time())).to_bytes(3, "big")


class PublishedTrack:
    """One publisher's track: receives its packets (an
    :class:`~media.passthrough.RtpSink`) and fans them out to subscribers.

    ``keyframes`` merges keyframe requests for video; ``on_live`` is called on
    the first packet (the relay then offers the track to subscribers).
    ``forwarding`` False drops everything (mute enforced at the relay).
    """

    def __init__(
        self,
        publisher_id: str,
        mid: str,
        kind: str,
        mime_type: str,
        codec_parameters: dict,
        clock_rate: int,
        channels: Optional[int],
        payload_type: int,
        source: object = None,
        keyframes: Optional[KeyframeRequester] = None,
        on_live: Optional[Callable[["PublishedTrack"], None]] = None,
    ) -> None:
        self.publisher_id = publisher_id
        self.mid = mid
        self.kind = kind
        self.mime_type = mime_type
        self.codec_parameters = dict(codec_parameters)
        self.clock_rate = clock_rate
        self.channels = channels
        self.payload_type = payload_type
        self.codec_key = codec_key(mime_type, codec_parameters)
        self.source = source  # the aiortc remote track (not read: packets come through take_rtp)
        self.keyframes = keyframes
        self.on_live = on_live
        self.subscribers: set[ForwardedTrack] = set()
        self._fanout: tuple[ForwardedTrack, ...] = ()
        #: Called with every packet forwarded (a recorder: media.recorder);
        #: each must return at once, never block.
        self.taps: list[Callable[[Packet], None]] = []
        self.live = False
        self.active = True  # negotiated as received on the publish transport
        self.forwarding = True
        self.frames_received = 0
        self.packets_received = 0
        self.media_ssrc: Optional[int] = None  # set by the relay's RTP observer
        self.media_ssrc_current: Optional[int] = None  # the SSRC being forwarded
        self.epoch = 0
        self.sender_reports: dict[int, tuple[int, int]] = {}  # ssrc -> (NTP, RTP timestamp)
        self.frame_size: Optional[tuple[int, int]] = None  # from the last keyframe (VP8, H264)
        # Packets from the last keyframe on, at most GOP_CACHE_FRAMES frames.
        self.gop: list[Packet] = []
        self._gop_frames = 0
        self._recent: collections.deque[Packet] = collections.deque(maxlen=RECENT_PACKETS)
        mime = mime_type.lower()
        self._vp8 = mime == "video/vp8"
        self._h264 = mime == "video/h264"
        self._last_timestamp: Optional[int] = None
        self._highest_sequence = 0
        self._h264_prefix = False
        self._h264_key_seen = False

    def start(self) -> None:
        """Nothing to start: packets are pushed by the receiver."""

    def changed(self) -> None:
        """The subscriber set changed (called by :class:`ForwardedTrack`)."""
        self._fanout = tuple(self.subscribers)

    def set_forwarding(self, enabled: bool) -> None:
        if enabled == self.forwarding:
            return
        self.forwarding = enabled
        for subscriber in self._fanout:
            # Muted: nothing goes out.  Unmuted: video restarts at a
            # keyframe, and every stream's sequence continues without a gap.
            subscriber.reset()

    # -- RtpSink -------------------------------------------------------------

    def sender_report(self, ssrc: int, ntp_timestamp: int, rtp_timestamp: int) -> None:
        if len(self.sender_reports) > 8:
            self.sender_reports.clear()
        self.sender_reports[ssrc] = (ntp_timestamp, rtp_timestamp)

    def rtp(self, packet: RtpPacket, extended_sequence: int) -> None:  # noqa: C901  (the per-packet hot path, kept in one frame)
        """One packet from the publisher (called by the receiver hook)."""
        if packet.payload_type != self.payload_type:
            passthrough.count("rtp_rejected")
            return
        highest = self._highest_sequence
        if packet.ssrc != self.media_ssrc_current or not (
            highest - rtp.MAX_MISORDER <= extended_sequence <= highest + rtp.MAX_DROPOUT
        ):
            # A new encoder (or the first), or one whose sequence restarted
            # (the receiver's gate let the jump through, confirmed):
            # subscribers restart their timeline on its first keyframe.
            self.media_ssrc_current = packet.ssrc
            self.epoch += 1
            self._last_timestamp = None
            self.gop.clear()
            self._highest_sequence = extended_sequence
        elif extended_sequence > highest:
            self._highest_sequence = extended_sequence
        self.packets_received += 1
        if not self.live and self.active:
            self.live = True
            if self.on_live is not None:
                self.on_live(self)
        payload = packet.payload
        timestamp = packet.timestamp
        vp8 = None
        if self.kind == "audio":
            frame_start = key_start = True
        elif self._vp8:
            vp8 = rtp.parse_vp8(payload)
            if vp8 is None:
                passthrough.count("rtp_malformed")
                return
            frame_start, key_start = vp8.start, vp8.keyframe
            if key_start:
                self.frame_size = passthrough.vp8_frame_size(payload[vp8.size:]) or self.frame_size
        elif self._h264:
            frame_start = timestamp != self._last_timestamp
            if frame_start:
                self._h264_prefix = True
                self._h264_key_seen = False
            has_key, prefix_only = rtp.h264_packet_info(payload)
            key_start = has_key and self._h264_prefix and not self._h264_key_seen
            if key_start:
                self._h264_key_seen = True
                size = passthrough.frame_size(self.mime_type, rtp.h264_annexb(payload))
                self.frame_size = size or self.frame_size
            self._h264_prefix = self._h264_prefix and prefix_only
        else:
            frame_start = key_start = timestamp != self._last_timestamp
        self._last_timestamp = timestamp
        if frame_start:
            self.frames_received += 1
        level = None
        if self.kind == "audio":
            audio_level = packet.extensions.audio_level
            if audio_level is not None:
                level = (0x80 if audio_level[0] else 0) | (audio_level[1] & 0x7F)
        now = time.time()
        p = Packet(extended_sequence, timestamp, packet.marker, payload, frame_start, key_start, vp8,
                   level, now, rtp.abs_send_time(rtp.ntp_from_unix(now)).to_bytes(3, "big"), self.epoch)
        if self.kind == "video":
            gop = self.gop
            if key_start:
                # Normally the newest packet; if it came late (a retransmission),
                # the packets of its frame that came before it follow it.
                later = sorted((q for q in self._recent if q.seq > p.seq and q.epoch == p.epoch),
                               key=lambda q: q.seq) if self._recent and self._recent[-1].seq > p.seq else []
                gop[:] = [p, *later]
                self._gop_frames = 1 + sum(1 for q in later if q.frame_start)
            elif gop:
                if frame_start:
                    self._gop_frames += 1
                if self._gop_frames <= GOP_CACHE_FRAMES and len(gop) < GOP_CACHE_PACKETS:
                    gop.append(p)
                else:
                    gop.clear()  # too old to start a picture with
            self._recent.append(p)
        if not self.forwarding:
            return
        for subscriber in self._fanout:
            subscriber.forward(p)
        for tap in self.taps:
            tap(p)

    # -- lifecycle -------------------------------------------------------------

    def detach_all(self) -> list[ForwardedTrack]:
        """Unbind every subscriber; returns them."""
        detached = list(self.subscribers)
        for subscriber in detached:
            subscriber.unbind()
        return detached

    async def stop(self) -> list[ForwardedTrack]:
        """Stop forwarding and unbind every subscriber."""
        self.live = False
        self.active = False
        if self.keyframes is not None:
            self.keyframes.close()
        self.gop.clear()
        return self.detach_all()
