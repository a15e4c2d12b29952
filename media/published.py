"""A publisher's track at the relay: receives its packets, fans them out.

:class:`PublishedTrack` receives every RTP packet of one publisher's track
from aiortc's receiver (:func:`media.aiortc_hooks.take_rtp`: no jitter
buffer, no frame assembly, no decoder thread).  It reads what it needs from
each packet once (keyframe start, VP8 picture ID and temporal layer, audio
level) into a :class:`Packet` and hands it to every subscriber stream it
*feeds* (a :class:`SubscriberStream`: :class:`media.fanout.ForwardedTrack`),
and to the subscriber streams waiting to switch to it at its next keyframe
(a big/small switch).  It keeps
the packets since its last keyframe (a subscriber that opens starts there).
"""

from __future__ import annotations

import collections
import time
from typing import Callable, Optional, Protocol

from aiortc.rtp import RtpPacket

from . import aiortc_hooks, frames
from . import packets as rtp
from .keyframes import KeyframeRequester

#: A publisher's packets since its last keyframe are kept for this many
#: at once from that keyframe instead of asking the publisher for one (which
#: a browser answers no sooner than 300 ms after its previous keyframe).
GOP_CACHE_FRAMES = 15
#: ... and at most this many packets (a large keyframe at a high rate).
GOP_CACHE_PACKETS = 600
#: A publisher's last packets, kept to complete a keyframe whose first packet
#: arrives late (retransmitted after a loss).
RECENT_PACKETS = 128


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


class SubscriberStream(Protocol):
    """What a :class:`PublishedTrack` asks of a subscriber stream it feeds or is bound to
    (:class:`media.fanout.ForwardedTrack`, which imports this module: not the other way round)."""

    #: The same publisher's small stream, fed instead of the big one when the subscriber asks.
    alternate: Optional[PublishedTrack]

    def forward(self, p: Packet) -> None:
        """One packet of the stream it is fed from."""

    def offer_switch(self, target: PublishedTrack, p: Packet) -> None:
        """One packet of ``target``, which the stream is waiting to switch to (at a keyframe)."""

    def reset(self) -> None:
        """Start again at a keyframe, the sequence continuing without a gap."""

    def set_alternate(self, alternate: Optional[PublishedTrack]) -> None:
        """Another small stream, or none (back to the big one)."""

    def unbind(self) -> None:
        """Stop being fed by the publisher."""


class RateMeter:
    """A bit rate from a growing byte count, over windows of at least ``window`` seconds."""

    __slots__ = ("bitrate", "_mark", "_window")

    def __init__(self, window: float = 1.0) -> None:
        self.bitrate = 0.0
        self._mark: Optional[tuple[float, int]] = None
        self._window = window

    def sample(self, now: float, octets: int) -> float:
        mark = self._mark
        if mark is None or now < mark[0]:
            self._mark = (now, octets)
        elif now - mark[0] >= self._window:
            self.bitrate = 8 * (octets - mark[1]) / (now - mark[0])
            self._mark = (now, octets)
        return self.bitrate


class PublishedTrack:
    """One publisher's track: receives its packets (an
    :class:`~media.aiortc_hooks.RtpSink`) and fans them out to subscribers.

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
        #: The subscriber streams bound to this track (whatever feeds them).
        self.subscribers: set[SubscriberStream] = set()
        #: The subscriber streams this track's packets go to, and those
        #: switching to it at its next keyframe.
        self.feeds: set[SubscriberStream] = set()
        self.pending: set[SubscriberStream] = set()
        self._fanout: tuple[SubscriberStream, ...] = ()
        self._pending: tuple[SubscriberStream, ...] = ()
        #: Called with every packet forwarded (a recorder: media.recorder);
        #: each must return at once, never block.
        self.taps: list[Callable[[Packet], None]] = []
        self.live = False
        self.active = True  # negotiated as received on the publish transport
        self.forwarding = True
        self.frames_received = 0
        self.packets_received = 0
        self.octets_received = 0  # payload bytes (the relay's rate per stream)
        self.rate = RateMeter()  # of octets_received, sampled by the relay
        # What forwarding it costs a subscriber's link: payload and each packet's
        # headers (media.adapt.PACKET_OVERHEAD), sampled with ``rate``, over 2 s: a
        # keyframe every 2 s made 1-s windows alternate by a third (0.8 and 1.2
        # Mbit/s), and a step up proved for one window's rate missed the next.
        self.wire_rate = RateMeter(window=2.0)
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
        """The fed or pending set changed (called by a :class:`SubscriberStream`)."""
        self._fanout = tuple(self.feeds)
        self._pending = tuple(self.pending)

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

    def rtp(self, packet: RtpPacket, extended_sequence: int) -> None:
        """One packet from the publisher (called by the receiver hook).

        The per-packet hot path: one frame, but for a video packet's cache (:meth:`_cache_video`),
        the leading packets of an H264 frame (:meth:`_h264_key_start`) and the rare steps (a new
        stream, going live, a keyframe)."""
        if packet.payload_type != self.payload_type:
            aiortc_hooks.count("rtp_rejected")
            return
        highest = self._highest_sequence
        if packet.ssrc != self.media_ssrc_current or not (
            highest - rtp.MAX_MISORDER <= extended_sequence <= highest + rtp.MAX_DROPOUT
        ):
            self._new_stream(packet.ssrc, extended_sequence)
        elif extended_sequence > highest:
            self._highest_sequence = extended_sequence
        payload = packet.payload
        self.packets_received += 1
        self.octets_received += len(payload)
        if not self.live and self.active:
            self._went_live()
        timestamp = packet.timestamp
        vp8 = None
        level = None
        if self.kind == "audio":
            frame_start = key_start = True
            audio_level = packet.extensions.audio_level
            if audio_level is not None:
                level = (0x80 if audio_level[0] else 0) | (audio_level[1] & 0x7F)
        elif self._vp8:
            vp8 = rtp.parse_vp8(payload)
            if vp8 is None:
                aiortc_hooks.count("rtp_malformed")
                return
            frame_start, key_start = vp8.start, vp8.keyframe
        elif self._h264:
            frame_start = timestamp != self._last_timestamp
            # Only a frame's leading packets may start a keyframe: the others are not parsed.
            key_start = (frame_start or self._h264_prefix) and self._h264_key_start(payload, frame_start)
        else:
            frame_start = key_start = timestamp != self._last_timestamp
        self._last_timestamp = timestamp
        self.frames_received += frame_start  # a bool: one more at each frame's first packet
        now = time.time()
        p = Packet(extended_sequence, timestamp, packet.marker, payload, frame_start, key_start, vp8,
                   level, now, rtp.abs_send_time(rtp.ntp_from_unix(now)).to_bytes(3, "big"), self.epoch)
        if self.kind == "video":
            self._cache_video(p)
        if not self.forwarding:
            return
        for subscriber in self._fanout:
            subscriber.forward(p)
        for waiting in self._pending:
            waiting.offer_switch(self, p)
        for tap in self.taps:
            tap(p)

    def _new_stream(self, ssrc: int, extended_sequence: int) -> None:
        """A new encoder (or the first), or one whose sequence restarted (the receiver's gate
        let the jump through, confirmed): subscribers restart their timeline on its first
        keyframe."""
        self.media_ssrc_current = ssrc
        self.epoch += 1
        self._last_timestamp = None
        self.gop.clear()
        self._highest_sequence = extended_sequence

    def _went_live(self) -> None:
        self.live = True
        if self.on_live is not None:
            self.on_live(self)

    def _h264_key_start(self, payload: bytes, frame_start: bool) -> bool:
        """Whether an H264 packet among a frame's leading ones (its first, or one after packets
        carrying only parameter sets) starts a keyframe: the first packet with an IDR slice or an
        SPS, every packet before it in the frame carrying only SPS, PPS, SEI or delimiters."""
        if frame_start:
            self._h264_key_seen = False
        has_key, prefix_only = rtp.h264_packet_info(payload)
        key_start = has_key and not self._h264_key_seen
        if key_start:
            self._h264_key_seen = True
        self._h264_prefix = prefix_only
        return key_start

    def _cache_video(self, p: Packet) -> None:
        """Keep a video packet: in the cache of the pictures since the last keyframe (a subscriber
        that opens starts there), and among the recent packets."""
        gop = self.gop
        if p.key_start:
            self._keyframe(p)
        elif gop:
            if p.frame_start:
                self._gop_frames += 1
            if self._gop_frames <= GOP_CACHE_FRAMES and len(gop) < GOP_CACHE_PACKETS:
                gop.append(p)
            else:
                gop.clear()  # too old to start a picture with
        self._recent.append(p)

    def _keyframe(self, p: Packet) -> None:
        """A keyframe starts: its picture size, and the cache starts again with it."""
        if p.vp8 is not None:
            self.frame_size = frames.vp8_frame_size(p.payload[p.vp8.size:]) or self.frame_size
        elif self._h264:
            self.frame_size = frames.frame_size(self.mime_type, rtp.h264_annexb(p.payload)) or self.frame_size
        # Normally the newest packet; if it came late (a retransmission),
        # the packets of its frame that came before it follow it.
        recent = self._recent
        later = sorted((q for q in recent if q.seq > p.seq and q.epoch == p.epoch),
                       key=lambda q: q.seq) if recent and recent[-1].seq > p.seq else []
        self.gop[:] = [p, *later]
        self._gop_frames = 1 + sum(1 for q in later if q.frame_start)

    # -- lifecycle -------------------------------------------------------------

    def detach_all(self) -> list[SubscriberStream]:
        """Unbind every subscriber; returns them.  Streams fed by this track
        as a publisher's small stream go back to the big one."""
        for stream in list(self.feeds | self.pending):
            if stream.alternate is self:
                stream.set_alternate(None)
        detached = list(self.subscribers)
        for subscriber in detached:
            subscriber.unbind()
        return detached

    async def stop(self) -> list[SubscriberStream]:
        """Stop forwarding and unbind every subscriber."""
        self.live = False
        self.active = False
        if self.keyframes is not None:
            self.keyframes.close()
        self.gop.clear()
        return self.detach_all()
