"""The relay's bookkeeping per participant: its connections, published
tracks and subscribe transceivers (slots).  Plain state, no behaviour
beyond a few lookups; :mod:`media.relay` acts on it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

from aiortc import RTCIceServer, RTCPeerConnection, RTCRtpTransceiver

from .adapt import SubscriberAdaptation
from .fanout import ForwardedTrack, PublishedTrack
from .interface import IceCandidate, MediaEvents


@dataclass
class _Slot:
    """One sendonly transceiver of a subscribe connection."""

    transceiver: RTCRtpTransceiver
    track: ForwardedTrack
    kind: str
    codec_key: tuple

    @property
    def source(self) -> Optional[PublishedTrack]:
        return self.track.source

    @property
    def sending(self) -> bool:
        """Negotiated as sending, and not being changed: its publisher can be
        swapped without a new offer."""
        return self.transceiver.direction == "sendonly" and self.transceiver.currentDirection == "sendonly"

    @property
    def reusable(self) -> bool:
        # Only once the browser has seen it inactive: reactivating it then
        # fires a fresh ``track`` event there.
        return self.source is None and self.transceiver.currentDirection == "inactive"


@dataclass
class _Rate:
    """Bit rate from a byte counter, over windows of at least one second."""

    bytes: int = 0
    _last_bytes: int = 0
    _last_time: Optional[float] = None
    bitrate: float = 0.0

    def sample(self, now: float) -> float:
        if self._last_time is None:
            self._last_time, self._last_bytes = now, self.bytes
        elif now - self._last_time >= 1.0:
            self.bitrate = 8 * (self.bytes - self._last_bytes) / (now - self._last_time)
            self._last_time, self._last_bytes = now, self.bytes
        return self.bitrate


@dataclass
class _Participant:
    id: str
    room_id: str
    events: MediaEvents
    publish_pc: Optional[RTCPeerConnection] = None
    subscribe_pc: Optional[RTCPeerConnection] = None
    published: dict[str, PublishedTrack] = field(default_factory=dict)  # publish mid ->
    content_mids: set[str] = field(default_factory=set)  # publish mids of shared content (a=content:slides)
    alt_mids: set[str] = field(default_factory=set)  # publish mids of the small camera stream (a=content:alt)
    wanted: set[str] = field(default_factory=set)
    wanted_audio: set[str] = field(default_factory=set)  # audio only from these
    slots: list[_Slot] = field(default_factory=list)
    publish_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    negotiation_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    offer_outstanding: bool = False
    dirty: bool = False
    publishing_reported: list[str] = field(default_factory=list)
    publish_state: str = "new"
    subscribe_state: str = "new"
    # Publisher-side measurements, per kind.
    rates: dict[str, _Rate] = field(default_factory=dict)
    audio_level: Optional[float] = None
    voice: bool = False
    keyframe_requests: int = 0  # from requesters of tracks already gone
    # Highest VP8 temporal layer forwarded to this subscriber, per publisher.
    temporal_limits: dict[str, int] = field(default_factory=dict)
    closed: bool = False
    # Candidates trickled before the connection they belong to exists.
    early_candidates: dict[str, list[IceCandidate]] = field(default_factory=dict)
    # As a subscriber: stage, limits, downlink estimate, layer choices.
    adaptation: SubscriberAdaptation = field(default_factory=SubscriberAdaptation)
    padding_task: Optional[asyncio.Task] = None  # paces the adaptation's probe padding

    def camera(self) -> Optional[PublishedTrack]:
        """The big stream of this publisher's camera (live), if any."""
        return next((t for mid, t in sorted(self.published.items())
                     if t.kind == "video" and t.live and t.active
                     and mid not in self.content_mids and mid not in self.alt_mids), None)

    def small(self) -> Optional[PublishedTrack]:
        """This publisher's small camera stream (live), if it sends one."""
        return next((t for mid, t in sorted(self.published.items())
                     if t.kind == "video" and t.live and t.active and mid in self.alt_mids), None)


IceServers = Sequence[Union[RTCIceServer, dict]]


def _ice_servers(servers: Optional[IceServers]) -> list[RTCIceServer]:
    result = []
    for server in servers or []:
        if isinstance(server, RTCIceServer):
            result.append(server)
        else:
            result.append(
                RTCIceServer(
                    urls=server["urls"],
                    username=server.get("username"),
                    credential=server.get("credential"),
                )
            )
    return result
