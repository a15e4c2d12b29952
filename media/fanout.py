"""One reader per published track, bounded queues per subscriber.

:class:`PublishedTrack` is the only consumer of a publisher's remote track
(an aiortc ``RemoteStreamTrack`` that, with :mod:`media.passthrough`
installed, yields encoded ``av.Packet`` frames).  It hands each frame to the
:class:`ForwardedTrack` of every subscriber.  A :class:`ForwardedTrack` is the
``MediaStreamTrack`` given to the subscriber's ``RTCRtpSender``; its
``recv()`` returns ``av.Packet`` so the sender takes its ``pack()`` path
(re-packetize, never encode).

Each :class:`ForwardedTrack` has a bounded queue: a subscriber that does not
keep up loses frames up to the next keyframe (video) or its oldest packets
(audio) and asks for a keyframe; it never grows memory and never delays the
reader or the other subscribers (compare Galène's ``rtpconn/rtpwriter.go``).
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import logging
from typing import Callable, Optional

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from . import passthrough
from .keyframes import KeyframeRequester

logger = logging.getLogger(__name__)

#: Default queue bounds, in frames: about one second of video at 30 fps and
#: of audio at 20 ms packets.
VIDEO_QUEUE_FRAMES = 30
#: A publisher's frames since its last keyframe are kept this long (frames at
#: 30 fps): a subscriber that opens within it starts at once from that
#: keyframe instead of asking the publisher for one (which a browser answers
#: no sooner than 300 ms after its previous keyframe).
GOP_CACHE_FRAMES = 15
AUDIO_QUEUE_FRAMES = 50


def codec_key(mime_type: str, parameters: dict) -> tuple:
    """Identity of a codec for forwarding: MIME type plus the parameters that
    must match between publisher and subscriber (H264 profile, packetization)."""
    mime = mime_type.lower()
    if mime == "video/h264":
        profile = str(parameters.get("profile-level-id", "42e01f")).lower()
        return (mime, profile, str(parameters.get("packetization-mode", "0")))
    return (mime,)


class ForwardedTrack(MediaStreamTrack):
    """A subscriber's copy of one published track, fed by :class:`PublishedTrack`.

    The track can be re-bound to another publisher's track of the same kind
    and codec (transceiver reuse); RTP timestamps then continue where they
    stopped instead of jumping.

    Frames are only queued while the track is *open* (:meth:`open`, once the
    subscriber's transceiver is negotiated and connected); a video track that
    opens or loses frames waits for the next keyframe and requests one.
    """

    def __init__(self, kind: str, capacity: Optional[int] = None) -> None:
        super().__init__()
        self.kind = kind
        self.capacity = capacity or (VIDEO_QUEUE_FRAMES if kind == "video" else AUDIO_QUEUE_FRAMES)
        self.source: Optional["PublishedTrack"] = None
        self._queue: collections.deque[tuple[av.Packet, bytes]] = collections.deque()
        self._waiter: Optional[asyncio.Future] = None
        self._open = False
        self._need_keyframe = kind == "video"
        self._recovering = False  # dropping after congestion (counted as dropped)
        # Timestamp continuity across re-binding.
        self._offset: Optional[int] = None
        self._last_pts: Optional[int] = None
        self._time_base: Optional[fractions.Fraction] = None
        # Statistics.
        self.frames_forwarded = 0
        self.frames_dropped = 0

    # -- control -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._open

    def bind(self, source: "PublishedTrack") -> None:
        """Take frames from ``source`` (closed until :meth:`open`)."""
        if self.source is source:
            return
        self.unbind()
        self.source = source
        self._offset = None
        source.subscribers.add(self)

    def unbind(self) -> None:
        """Stop taking frames; queued frames are discarded."""
        if self.source is not None:
            self.source.subscribers.discard(self)
        self.source = None
        self._open = False
        self._queue.clear()

    def open(self) -> None:
        """Start queuing frames from the bound source (idempotent)."""
        if self._open or self.source is None:
            return
        self._open = True
        self._queue.clear()
        if self.kind == "video":
            self._need_keyframe = True
            self._recovering = False
            cached = list(self.source.gop)
            if cached:  # start from the publisher's last keyframe, still fresh
                for packet, data in cached:
                    self.push(packet, data, bool(packet.is_keyframe))
            else:
                self.request_keyframe()

    def reset(self) -> None:
        """Discard queued frames and restart at the next keyframe (video)."""
        self._queue.clear()
        if self.kind == "video" and self._open:
            self._need_keyframe = True
            self.request_keyframe()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (merged per publisher).  Also
        called by the patched ``RTCRtpSender._send_keyframe`` on PLI/FIR."""
        if self.source is not None and self.source.keyframes is not None:
            self.source.keyframes.request()

    def stop(self) -> None:
        self.unbind()
        super().stop()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # -- data path ---------------------------------------------------------

    def push(self, packet: av.Packet, data: bytes, keyframe: bool) -> None:
        """Called by the reader for every frame; never blocks."""
        if not self._open:
            return
        if self._need_keyframe:
            if not keyframe:
                if self._recovering:
                    self.frames_dropped += 1
                # Keep asking while waiting (merged per publisher): the
                # publisher may have ignored or lost the first request.
                self.request_keyframe()
                return
            self._need_keyframe = False
            self._recovering = False
        if len(self._queue) >= self.capacity:
            if self.kind == "video":
                # Everything queued depends on what came before; start over
                # at a keyframe (this one, or the next, which we ask for).
                self.frames_dropped += len(self._queue)
                self._queue.clear()
                if not keyframe:
                    self.frames_dropped += 1
                    self._need_keyframe = True
                    self._recovering = True
                    self.request_keyframe()
                    return
            else:
                self._queue.popleft()
                self.frames_dropped += 1
        self._queue.append((packet, data))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> av.Packet:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_event_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self.readyState != "live":
            raise MediaStreamError
        source_packet, data = self._queue.popleft()
        pts = source_packet.pts
        if self._offset is None:
            if self._last_pts is None:
                self._offset = 0
            else:
                # Continue one nominal frame after the previous source.
                step = int(source_packet.time_base.denominator / (30 if self.kind == "video" else 50))
                self._offset = self._last_pts + step - pts
        packet = av.Packet(data)
        packet.pts = pts + self._offset
        packet.time_base = source_packet.time_base
        self._last_pts = packet.pts
        self.frames_forwarded += 1
        return packet


class PublishedTrack:
    """The one reader of a publisher's remote track, fanning out to subscribers.

    ``keyframes`` merges keyframe requests for video; ``on_live`` is called on
    the first frame (the relay then offers the track to subscribers).
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
        source: MediaStreamTrack,
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
        self.source = source
        self.keyframes = keyframes
        self.on_live = on_live
        self.subscribers: set[ForwardedTrack] = set()
        self.live = False
        self.active = True  # negotiated as received on the publish transport
        self.forwarding = True
        self.frames_received = 0
        self.media_ssrc: Optional[int] = None  # set by the relay's RTP observer
        self.frame_size: Optional[tuple[int, int]] = None  # from the last keyframe (VP8, H264)
        # (packet, bytes) from the last keyframe on, at most GOP_CACHE_FRAMES.
        self.gop: collections.deque = collections.deque()
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def set_forwarding(self, enabled: bool) -> None:
        if enabled == self.forwarding:
            return
        self.forwarding = enabled
        for subscriber in list(self.subscribers):
            # Muted: drop what is queued.  Unmuted: video restarts at a keyframe.
            subscriber.reset()

    async def _run(self) -> None:
        try:
            while True:
                try:
                    packet = await self.source.recv()
                except MediaStreamError:
                    break
                if not isinstance(packet, av.Packet):
                    # Passthrough not installed: refuse to forward decoded media.
                    logger.error("PublishedTrack got %r, not an encoded packet", type(packet))
                    break
                self.frames_received += 1
                if not self.live and self.active:
                    self.live = True
                    if self.on_live is not None:
                        self.on_live(self)
                data = None
                keyframe = bool(packet.is_keyframe)
                if self.kind == "video":
                    data = bytes(packet)
                    if keyframe:
                        self.gop.clear()
                        self.gop.append((packet, data))
                        self.frame_size = passthrough.frame_size(self.mime_type, data) or self.frame_size
                    elif self.gop:
                        if len(self.gop) < GOP_CACHE_FRAMES:
                            self.gop.append((packet, data))
                        else:
                            self.gop.clear()  # too old to start a picture with
                if not self.forwarding or not self.subscribers:
                    continue
                if data is None:
                    data = bytes(packet)
                for subscriber in list(self.subscribers):
                    subscriber.push(packet, data, keyframe)
        except asyncio.CancelledError:
            pass

    def detach_all(self) -> list[ForwardedTrack]:
        """Unbind every subscriber; returns them."""
        detached = list(self.subscribers)
        for subscriber in detached:
            subscriber.unbind()
        return detached

    async def stop(self) -> list[ForwardedTrack]:
        """Stop reading and unbind every subscriber."""
        self.live = False
        self.active = False
        if self.keyframes is not None:
            self.keyframes.close()
        detached = self.detach_all()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        return detached
