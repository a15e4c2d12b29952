"""The seam between the control plane and the media plane.

Everything signaling, scheduling or records need from media goes through
:class:`MediaPlane`, and everything media tells them comes back through
:class:`MediaEvents`.  Arguments and results are plain, serialisable data
(strings, dataclasses of strings and numbers) so that the media plane can
later run in another process or on another machine behind the same
interface (compare Galène's ``conn/conn.go``).

This module imports nothing from the rest of the project.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, Protocol

Transport = Literal["publish", "subscribe"]
Kind = Literal["audio", "video"]
#: Which of a publisher's video streams a subscriber gets: the big one (camera
#: resolution), the small one (about 320x180, sent by the publisher as a second
#: video marked ``a=content:alt``), or nothing.
Layer = Literal["big", "small", "paused"]
#: Why: the subscriber's network (the relay's estimate), its own limits
#: (:class:`ReceiveLimits`), or neither (what it asked for: a thumbnail is small).
LayerReason = Literal["network", "limits", "none"]


class MediaError(Exception):
    """A request the media plane cannot apply (unknown participant, bad SDP,
    answer without offer).  The control plane maps it to ``media_error``;
    any other exception of the media plane is a fault (``internal_error``)."""


@dataclass(frozen=True)
class SessionDescription:
    """An SDP offer or answer, as in the W3C ``RTCSessionDescription``."""

    sdp: str
    type: Literal["offer", "answer"]


@dataclass(frozen=True)
class IceCandidate:
    """A trickled ICE candidate, as in the W3C ``RTCIceCandidateInit``.

    ``candidate`` is ``None`` (or empty) for end-of-candidates.
    """

    candidate: Optional[str]
    sdp_mid: Optional[str] = None
    sdp_mline_index: Optional[int] = None


@dataclass(frozen=True)
class TrackInfo:
    """One forwarded track in a subscriber's connection: which transceiver
    (``mid``) carries which publisher's audio or video.  ``content`` marks a
    publisher's second video source (a shared screen or document, 双流): the
    media section its publisher offered with ``a=content:slides`` (RFC 4796).
    A publisher's small stream (``a=content:alt``) is never a track of its
    own: it feeds the camera's ``mid`` (see :class:`VideoLayer`)."""

    mid: str
    publisher_id: str
    kind: Kind
    content: bool = False


@dataclass(frozen=True)
class ReceiveLimits:
    """What a subscriber asks for at most (a phone profile, data saver).

    ``audio_only`` pauses every video (仅音频); ``max_height`` caps the layer:
    a big stream taller than this is not sent, the small one instead (a
    publisher without a small stream keeps sending its big one);
    ``max_videos`` caps how many videos are sent at all: the stage first,
    then the thumbnails in subscription order."""

    audio_only: bool = False
    max_height: Optional[int] = None
    max_videos: Optional[int] = None


@dataclass(frozen=True)
class VideoLayer:
    """Which stream of one publisher's video a subscriber receives on ``mid``."""

    publisher_id: str
    mid: str
    layer: Layer
    reason: LayerReason


@dataclass
class ParticipantStats:
    """What the relay itself measures for one participant."""

    participant_id: str
    room_id: str
    publish_state: str = "new"  # RTCPeerConnection.connectionState of the publish transport
    subscribe_state: str = "new"
    publishing: dict[str, str] = field(default_factory=dict)  # kind -> codec mime type
    audio_level: Optional[float] = None  # last RFC 6464 level in -dBov (0 loudest, 127 silence)
    voice: bool = False  # RFC 6464 voice activity flag of the last packet
    inbound_bitrate: dict[str, float] = field(default_factory=dict)  # kind -> bit/s
    packets_received: dict[str, int] = field(default_factory=dict)
    packets_lost: dict[str, int] = field(default_factory=dict)
    frames_forwarded: int = 0
    frames_dropped: int = 0  # dropped by bounded subscriber queues of this participant
    keyframe_requests_sent: int = 0  # PLIs sent upstream to this participant as publisher
    round_trip_time: Optional[float] = None  # seconds
    frame_width: Optional[int] = None  # of the published video, from its last keyframe (VP8, H264)
    frame_height: Optional[int] = None
    # The downlink view, as the relay estimates it from the subscriber's RTCP.
    downlink_estimate: Optional[float] = None  # bit/s, None before any feedback
    # True: the estimate is a limit found by lasting congestion; False: no limit
    # is known, the estimate is a lower bound ("at least", media/estimate.py).
    downlink_limited: bool = False
    downlink_loss: Optional[float] = None  # fraction of packets lost (receiver reports)
    downlink_rtt: Optional[float] = None  # seconds
    layers: dict[str, str] = field(default_factory=dict)  # publisher id -> Layer of its video


@dataclass
class RecordedFile:
    """One participant's media file of a recording: audio and video muxed
    together (WebM or Matroska), as listed in the recording's ``media.jsonl``."""

    path: str  # file name, relative to the recording's directory
    participant_id: str
    kinds: list[str]
    codecs: list[str]  # MIME types, in the order of ``kinds``
    started_at: float  # Unix time of presentation time 0
    ended_at: Optional[float] = None
    frames: dict[str, int] = field(default_factory=dict)  # kind -> frames written


class RecordingEvents(Protocol):
    """Implemented by the control plane for one recording."""

    async def recording_stopped(self, room_id: str, reason: str) -> None:
        """The recording of ``room_id`` stopped by itself: ``"disk"`` (a write
        error, e.g. a full disk) or ``"budget"`` (its byte budget is used).
        Its files are closed and playable; the room goes on."""


class MediaEvents(Protocol):
    """Implemented by the control plane; called by the media plane."""

    async def subscriber_offer(
        self, participant_id: str, offer: SessionDescription, tracks: list[TrackInfo]
    ) -> None:
        """The subscribe transport of ``participant_id`` needs (re)negotiation:
        deliver ``offer`` to the client; its answer comes back through
        :meth:`MediaPlane.answer`.  ``tracks`` maps every active ``mid`` to
        its publisher."""

    async def subscriber_tracks(self, participant_id: str, tracks: list[TrackInfo]) -> None:
        """Transceivers of ``participant_id``'s subscribe transport now carry
        other publishers, without renegotiation (same SDP): ``tracks`` is the
        new complete ``mid`` map, replacing the last offer's.  Nothing is
        answered."""

    async def connection_state(
        self, participant_id: str, transport: Transport, state: str
    ) -> None:
        """A transport's connection state changed (``new``, ``connecting``,
        ``connected``, ``disconnected``, ``failed``, ``closed``)."""

    async def publishing(self, participant_id: str, kinds: list[str]) -> None:
        """The set of kinds ``participant_id`` currently publishes changed."""

    # Optional: the relay calls it only if the events object has it.
    async def subscriber_layers(self, participant_id: str, layers: list[VideoLayer]) -> None:
        """Which stream of each video ``participant_id`` receives changed
        (the complete list, one entry per video transceiver carrying a
        publisher's camera): e.g. a paused picture to show as
        "网络较差，已暂停视频" when ``reason`` is ``"network"``."""


class MediaPlane(Protocol):
    """Called by the control plane.  One instance serves many rooms."""

    async def join(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        """Create the participant's media state in ``room_id``."""

    async def publish(self, participant_id: str, offer: SessionDescription) -> SessionDescription:
        """Apply the client's offer on the publish transport; return the answer.

        Called again with a new offer to renegotiate (a track added or removed)."""

    async def subscribe(
        self,
        participant_id: str,
        publisher_ids: list[str],
        audio_from: Optional[list[str]] = None,
        big: Optional[list[str]] = None,
    ) -> None:
        """Set exactly which publishers ``participant_id`` receives: all the
        tracks of ``publisher_ids``, and only the audio of ``audio_from``.

        ``big`` names the publishers this subscriber shows large (the stage):
        their camera comes as the big stream, the others' as the small one
        when their publisher sends one (thumbnails).  ``None``: all big.
        Changing ``big`` never renegotiates: each publisher's camera keeps
        its transceiver, fed from the other stream from its next keyframe.

        Tracks are added or removed as publishers start or stop sending.  A
        publisher that replaces another of the same kind and codec takes
        over its transceiver (:meth:`MediaEvents.subscriber_tracks`, no
        renegotiation); any other change leads to
        :meth:`MediaEvents.subscriber_offer`.  Setting the same subscription
        again changes nothing."""

    async def set_receive_limits(self, participant_id: str, limits: ReceiveLimits) -> None:
        """What ``participant_id`` receives at most from now on (replaces the
        last limits; the default :class:`ReceiveLimits` lifts them).  Never
        renegotiates; a paused video sends nothing until resumed, at a
        keyframe; audio is never limited."""

    async def answer(self, participant_id: str, answer: SessionDescription) -> None:
        """Apply the client's answer to the last subscriber offer."""

    async def add_ice_candidate(
        self, participant_id: str, transport: Transport, candidate: IceCandidate
    ) -> None:
        """Add a candidate trickled by the client for one of its transports."""

    async def set_forwarding(self, publisher_id: str, kind: Kind, enabled: bool) -> None:
        """Stop or resume forwarding one kind of a publisher to everyone
        (the relay enforces mute: nothing of a muted kind leaves the relay)."""

    async def leave(self, participant_id: str) -> None:
        """Close the participant's transports; its tracks end at every subscriber."""

    async def start_recording(
        self, room_id: str, directory: str, events: RecordingEvents, max_bytes: Optional[int] = None
    ) -> None:
        """Record every track published in ``room_id`` from now on, also by
        participants who publish later, into ``directory`` (created): one
        file per participant, encoded media as received (no decoding),
        audio and video together, and ``media.jsonl`` listing the files.
        ``max_bytes`` bounds the bytes written.  A write error or the budget
        stops the recording (:meth:`RecordingEvents.recording_stopped`);
        forwarding is never affected.  Recording a room already recorded
        is an error."""

    async def stop_recording(self, room_id: str) -> list[RecordedFile]:
        """Stop recording ``room_id`` and close its files; returns them
        (an empty list if it was not recorded)."""

    async def stats(self, room_id: Optional[str] = None) -> list[ParticipantStats]:
        """Relay-side statistics of every participant (of one room)."""

    async def metrics(self) -> dict[str, float]:
        """Process-wide counters of the media plane, flat names to numbers
        (``participants``, ``codecs_created``, …), for health and monitoring."""

    async def close(self) -> None:
        """Close everything (hub shutdown)."""
