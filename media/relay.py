"""The relay: a :class:`~media.interface.MediaPlane` that forwards encoded media.

Per participant there are two ``RTCPeerConnection`` (see ``docs/protocol.md``):

* the **publish** connection: the client offers, the relay answers
  (:meth:`Relay.publish`, again for every renegotiation).  Each received
  track's packets go to one :class:`~media.fanout.PublishedTrack`.
* the **subscribe** connection: the relay offers, the client answers
  (:meth:`Relay.answer`).  Each forwarded track is a ``sendonly``
  transceiver whose packets a :class:`~media.fanout.ForwardedTrack`
  rewrites and sends.
  At most one offer is outstanding per subscriber: changes made while
  waiting for the answer are folded into one new offer after it.

Nothing is decoded, encoded or even assembled into frames: packets are
forwarded one by one (:mod:`media.fanout`, :mod:`media.passthrough`), and
each subscriber transceiver is pinned to exactly the publisher's codec.

A track is offered to subscribers once its first frame has arrived ("what the
relay actually receives"); it is removed (transceiver made ``inactive``, and
reused later for a track of the same kind and codec) when its publisher stops
sending it, leaves, or its publish connection fails or closes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription as ParsedSdp
from aiortc.sdp import candidate_from_sdp

from . import icegatherer, passthrough
from .fanout import ForwardedTrack, PublishedTrack
from .interface import (
    IceCandidate,
    Kind,
    MediaError,
    MediaEvents,
    ParticipantStats,
    RecordedFile,
    RecordingEvents,
    SessionDescription,
    TrackInfo,
    Transport,
)
from .keyframes import DEFAULT_INTERVAL, KeyframeRequester
from .recorder import RoomRecorder

logger = logging.getLogger(__name__)


#: Media sections a publish offer may hold unless the relay is told otherwise.
DEFAULT_MAX_MEDIA_LINES = 4


def check_offer(sdp: str, max_media_lines: int = DEFAULT_MAX_MEDIA_LINES) -> None:
    """Refuse a publish offer that is not an SDP offer with 1 to
    ``max_media_lines`` audio/video sections, before aiortc spends time on it
    (each section becomes a transceiver and, once live, a forwarded track for
    every subscriber).  The m= lines are counted before anything is parsed."""
    lines = sdp.splitlines()
    if not lines or lines[0].strip() != "v=0":
        raise MediaError("the offer is not an SDP session description (v=0 first)")
    sections = [line for line in lines if line.startswith("m=")]
    if not sections:
        raise MediaError("the offer has no media section")
    if len(sections) > max_media_lines:
        raise MediaError(f"the offer has {len(sections)} media sections; at most {max_media_lines} are accepted")
    try:
        parsed = ParsedSdp.parse(sdp)
    except Exception:
        raise MediaError("the offer is not valid SDP") from None
    for media in parsed.media:
        if media.kind not in ("audio", "video"):
            raise MediaError(f"media section of kind {media.kind!r}: only audio and video are published")


def content_mids(sdp: str) -> set[str]:
    """The mids of the media sections marked ``a=content:slides`` (RFC 4796):
    a publisher's shared screen or document, forwarded like any video."""
    mids: set[str] = set()
    for section in sdp.replace("\r\n", "\n").split("\nm=")[1:]:
        lines = section.split("\n")
        mid = next((line[6:].strip() for line in lines if line.startswith("a=mid:")), None)
        if mid is not None and any(line.strip() == "a=content:slides" for line in lines):
            mids.add(mid)
    return mids


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


class Relay:
    """Selective forwarding of encoded media between participants of rooms.

    :param ice_servers: STUN/TURN servers for both connections of every
        participant (``RTCIceServer`` or ``{"urls", "username", "credential"}``
        dicts), or a function returning them, called for every new connection
        (TURN credentials that expire); none on a single machine.
    :param loopback_candidates: also gather ICE host candidates on 127.0.0.1
        and ::1 (process-wide), for hosts whose only interface is loopback.
    :param keyframe_interval: minimum seconds between two keyframe requests
        sent to one publisher track (requests in between are merged).
    :param video_queue_frames, audio_queue_frames: accepted for compatibility;
        forwarding by packet has no per-subscriber queue.
    :param max_media_lines: media sections accepted in one publish offer
        (:func:`check_offer`).
    """

    def __init__(
        self,
        ice_servers: Union[None, IceServers, Callable[[], IceServers]] = None,
        *,
        loopback_candidates: bool = False,
        keyframe_interval: float = DEFAULT_INTERVAL,
        video_queue_frames: Optional[int] = None,
        audio_queue_frames: Optional[int] = None,
        max_media_lines: int = DEFAULT_MAX_MEDIA_LINES,
    ) -> None:
        passthrough.install()
        self._max_media_lines = max_media_lines
        if loopback_candidates:
            icegatherer.use_loopback_addresses(True)
        self._ice_servers: Callable[[], list[RTCIceServer]] = (
            (lambda: _ice_servers(ice_servers())) if callable(ice_servers) else (lambda s=_ice_servers(ice_servers): s)
        )
        self._keyframe_interval = keyframe_interval
        self._queue_frames = {"video": video_queue_frames, "audio": audio_queue_frames}
        self._participants: dict[str, _Participant] = {}
        self._tasks: set[asyncio.Future] = set()
        self._recordings: dict[str, RoomRecorder] = {}

    # ------------------------------------------------------------------
    # MediaPlane
    # ------------------------------------------------------------------

    async def join(self, room_id: str, participant_id: str, events: MediaEvents) -> None:
        if participant_id in self._participants:
            raise MediaError(f"participant {participant_id} already joined")
        self._participants[participant_id] = _Participant(participant_id, room_id, events)

    async def publish(self, participant_id: str, offer: SessionDescription) -> SessionDescription:
        p = self._get(participant_id)
        if offer.type != "offer":
            raise MediaError("publish expects an offer")
        check_offer(offer.sdp, self._max_media_lines)
        async with p.publish_lock:
            if p.publish_pc is None:
                p.publish_pc = self._new_pc(p, "publish")
            pc = p.publish_pc
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
                for transceiver in pc.getTransceivers():
                    passthrough.answer_with_single_codec(transceiver)
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as exc:  # aiortc raises ValueError, InvalidStateError, ...
                raise MediaError(f"cannot apply publish offer: {exc}") from exc
            for early in p.early_candidates.pop("publish", []):
                await self._add_candidate(pc, early)
            changed = self._update_published(p, offer.sdp)
            answer = pc.localDescription
        for sub_id in changed:
            self._request_negotiation(sub_id)
        await self._report_publishing(p)
        return SessionDescription(sdp=answer.sdp, type="answer")

    async def subscribe(
        self, participant_id: str, publisher_ids: list[str], audio_from: Optional[list[str]] = None
    ) -> None:
        p = self._get(participant_id)
        wanted = set(publisher_ids) - {participant_id}
        wanted_audio = set(audio_from or ()) - wanted - {participant_id}
        if (wanted, wanted_audio) == (p.wanted, p.wanted_audio):
            return
        p.wanted, p.wanted_audio = wanted, wanted_audio
        self._request_negotiation(participant_id)

    async def answer(self, participant_id: str, answer: SessionDescription) -> None:
        p = self._get(participant_id)
        if answer.type != "answer":
            raise MediaError("subscribe expects an answer")
        async with p.negotiation_lock:
            if not p.offer_outstanding or p.subscribe_pc is None:
                raise MediaError("no subscriber offer is waiting for an answer")
            try:
                await p.subscribe_pc.setRemoteDescription(
                    RTCSessionDescription(sdp=answer.sdp, type="answer")
                )
            except Exception as exc:
                raise MediaError(f"cannot apply subscriber answer: {exc}") from exc
            p.offer_outstanding = False
            for early in p.early_candidates.pop("subscribe", []):
                await self._add_candidate(p.subscribe_pc, early)
            self._open_slots(p)
        if p.dirty:
            self._request_negotiation(participant_id)

    async def add_ice_candidate(
        self, participant_id: str, transport: Transport, candidate: IceCandidate
    ) -> None:
        p = self._get(participant_id)
        pc = p.publish_pc if transport == "publish" else p.subscribe_pc
        if pc is None or pc.remoteDescription is None:
            # Trickled ahead of the offer/answer it belongs to: keep it
            # (bounded) and apply it once the description is set.
            early = p.early_candidates.setdefault(transport, [])
            if len(early) < 64:
                early.append(candidate)
            return
        await self._add_candidate(pc, candidate)

    async def _add_candidate(self, pc: RTCPeerConnection, candidate: IceCandidate) -> None:
        if not candidate.candidate:
            await pc.addIceCandidate(None)
            return
        text = candidate.candidate
        if text.startswith("candidate:"):
            text = text[len("candidate:") :]
        try:
            parsed = candidate_from_sdp(text)
        except Exception as exc:
            raise MediaError(f"malformed ICE candidate: {exc}") from exc
        parsed.sdpMid = candidate.sdp_mid
        parsed.sdpMLineIndex = candidate.sdp_mline_index
        if parsed.sdpMid is None and parsed.sdpMLineIndex is None:
            parsed.sdpMLineIndex = 0
        await pc.addIceCandidate(parsed)

    async def set_forwarding(self, publisher_id: str, kind: Kind, enabled: bool) -> None:
        p = self._get(publisher_id)
        for track in p.published.values():
            if track.kind == kind:
                track.set_forwarding(enabled)

    def set_temporal_layer(self, subscriber_id: str, publisher_id: str, max_layer: Optional[int]) -> None:
        """Forward to ``subscriber_id`` only the VP8 temporal layers up to
        ``max_layer`` of ``publisher_id``'s video (``None``: all of them), at
        once and for later re-bindings.  A lever for adapting one
        subscriber's rate to its network; publishers that send a single
        layer are not affected."""
        p = self._get(subscriber_id)
        if max_layer is None:
            p.temporal_limits.pop(publisher_id, None)
        else:
            p.temporal_limits[publisher_id] = max_layer
        for slot in p.slots:
            if slot.source is not None and slot.source.publisher_id == publisher_id:
                slot.track.max_temporal_layer = max_layer

    async def leave(self, participant_id: str) -> None:
        p = self._participants.pop(participant_id, None)
        if p is None:
            return
        p.closed = True
        recorder = self._recordings.get(p.room_id)
        if recorder is not None:
            recorder.participant_left(participant_id)
        affected: set[str] = set()
        for track in p.published.values():
            for forwarded in await track.stop():
                affected.update(self._owner_of(forwarded))
            p.keyframe_requests += track.keyframes.sent if track.keyframes else 0
        for slot in p.slots:
            slot.track.stop()
        for pc in (p.publish_pc, p.subscribe_pc):
            if pc is not None:
                if pc is p.publish_pc:
                    for transceiver in pc.getTransceivers():
                        passthrough.observe_rtp(transceiver.receiver, None)
                        passthrough.take_rtp(transceiver.receiver, None)
                await pc.close()
        for sub_id in affected:
            self._request_negotiation(sub_id)

    async def start_recording(
        self, room_id: str, directory: str, events: RecordingEvents, max_bytes: Optional[int] = None
    ) -> None:
        if room_id in self._recordings:
            raise MediaError(f"room {room_id} is already being recorded")
        recorder: RoomRecorder

        def stopped(reason: str) -> None:
            if self._recordings.get(room_id) is recorder:
                del self._recordings[room_id]
            self._spawn(events.recording_stopped(room_id, reason))

        recorder = RoomRecorder(room_id, directory, max_bytes, on_stopped=stopped)
        self._recordings[room_id] = recorder
        for p in self._participants.values():
            if p.room_id == room_id:
                for track in p.published.values():
                    recorder.attach(track)

    async def stop_recording(self, room_id: str) -> list[RecordedFile]:
        recorder = self._recordings.pop(room_id, None)
        return await recorder.stop() if recorder is not None else []

    async def stats(self, room_id: Optional[str] = None) -> list[ParticipantStats]:
        now = time.monotonic()
        result = []
        for p in self._participants.values():
            if room_id is not None and p.room_id != room_id:
                continue
            s = ParticipantStats(participant_id=p.id, room_id=p.room_id)
            s.publish_state = p.publish_state
            s.subscribe_state = p.subscribe_state
            s.publishing = {
                t.kind: t.mime_type for t in p.published.values() if t.live
            }
            s.audio_level = p.audio_level
            s.voice = p.voice
            for t in p.published.values():
                if t.kind == "video" and t.live and t.frame_size:
                    s.frame_width, s.frame_height = t.frame_size
            for kind, rate in p.rates.items():
                s.inbound_bitrate[kind] = rate.sample(now)
            if p.publish_pc is not None:
                for transceiver in p.publish_pc.getTransceivers():
                    received, lost = passthrough.receiver_packet_counts(transceiver.receiver)
                    kind = transceiver.kind
                    s.packets_received[kind] = s.packets_received.get(kind, 0) + received
                    s.packets_lost[kind] = s.packets_lost.get(kind, 0) + lost
            s.frames_forwarded = sum(x.track.frames_forwarded for x in p.slots)
            s.frames_dropped = sum(x.track.frames_dropped for x in p.slots)
            s.keyframe_requests_sent = p.keyframe_requests + sum(
                t.keyframes.sent for t in p.published.values() if t.keyframes
            )
            if p.subscribe_pc is not None:
                rtts = [
                    rtt
                    for rtt in (
                        passthrough.sender_round_trip_time(x.transceiver.sender) for x in p.slots
                    )
                    if rtt is not None
                ]
                if rtts:
                    s.round_trip_time = min(rtts)
            result.append(s)
        return result

    async def metrics(self) -> dict[str, float]:
        census = passthrough.codec_census()
        participants = list(self._participants.values())
        return {
            "participants": len(participants),
            "rooms": len({p.room_id for p in participants}),
            "published_tracks": sum(
                1 for p in participants for t in p.published.values() if t.live and t.active
            ),
            "forwarded_tracks": sum(
                1 for p in participants for slot in p.slots if slot.source is not None
            ),
            "frames_forwarded": sum(slot.track.frames_forwarded for p in participants for slot in p.slots),
            "frames_dropped": sum(slot.track.frames_dropped for p in participants for slot in p.slots),
            "packets_forwarded": sum(slot.track.packets_sent for p in participants for slot in p.slots),
            "retransmissions": sum(slot.track.retransmissions for p in participants for slot in p.slots),
            **{f"packets_dropped_{reason}": n for reason, n in passthrough.packet_counters().items()},
            "codecs_created": sum(census.values()),
            **{f"codecs_created_{name}": count for name, count in census.items()},
        }

    async def close(self) -> None:
        # Everyone goes: nobody needs a renegotiation for the others leaving.
        for p in self._participants.values():
            p.closed = True
        for participant_id in list(self._participants):
            await self.leave(participant_id)
        for room_id in list(self._recordings):
            await self.stop_recording(room_id)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------------
    # Publish side
    # ------------------------------------------------------------------

    def _update_published(self, p: _Participant, offer_sdp: str) -> set[str]:
        """Reconcile ``p.published`` with the negotiated publish transceivers.

        Returns the subscribers whose subscription changed right away (tracks
        no longer received); new tracks are offered on their first frame."""
        pc = p.publish_pc
        assert pc is not None
        parsed = ParsedSdp.parse(offer_sdp)
        p.content_mids = content_mids(offer_sdp)
        ports = {m.rtp.muxId: m.port for m in parsed.media}
        affected: set[str] = set()
        for transceiver in pc.getTransceivers():
            mid = transceiver.mid
            receiving = (
                transceiver.currentDirection in ("recvonly", "sendrecv")
                and ports.get(mid, 0) != 0
                and transceiver.receiver.track is not None
            )
            track = p.published.get(mid)
            if receiving and track is None:
                codec = passthrough.negotiated_codec(transceiver)
                if codec is None:
                    continue
                track = PublishedTrack(
                    publisher_id=p.id,
                    mid=mid,
                    kind=transceiver.kind,
                    mime_type=codec.mimeType,
                    codec_parameters=dict(codec.parameters),
                    clock_rate=codec.clockRate,
                    channels=codec.channels,
                    payload_type=codec.payloadType,
                    source=transceiver.receiver.track,
                    on_live=self._on_track_live,
                )
                if transceiver.kind == "video":
                    track.keyframes = KeyframeRequester(
                        self._pli_sender(transceiver, track), interval=self._keyframe_interval
                    )
                p.rates.setdefault(transceiver.kind, _Rate())
                passthrough.observe_rtp(transceiver.receiver, self._rtp_observer(p, track))
                passthrough.take_rtp(transceiver.receiver, track)
                p.published[mid] = track
                track.start()
                recorder = self._recordings.get(p.room_id)
                if recorder is not None:
                    recorder.attach(track)
            elif receiving and track is not None and not track.active:
                track.active = True  # offered again on its next frame
            elif not receiving and track is not None and track.active:
                track.active = False
                track.live = False
                for forwarded in track.detach_all():
                    affected.update(self._owner_of(forwarded))
        return affected

    def _pli_sender(self, transceiver: RTCRtpTransceiver, track: PublishedTrack):
        receiver = transceiver.receiver

        async def send() -> bool:
            ssrc = getattr(track, "media_ssrc", None)
            if ssrc is None or not track.active:
                return False
            await receiver._send_rtcp_pli(ssrc)
            return True

        return send

    def _rtp_observer(self, p: _Participant, track: PublishedTrack):
        rate = p.rates[track.kind]
        payload_type = track.payload_type
        is_audio = track.kind == "audio"

        def observe(packet: RtpPacket) -> None:
            rate.bytes += len(packet.payload) + packet.padding_size
            if packet.payload_type == payload_type:
                track.media_ssrc = packet.ssrc  # type: ignore[attr-defined]
                if is_audio and packet.extensions.audio_level is not None:
                    voice, level = packet.extensions.audio_level
                    p.voice = bool(voice)
                    p.audio_level = float(level)

        return observe

    def _on_track_live(self, track: PublishedTrack) -> None:
        p = self._participants.get(track.publisher_id)
        if p is None or p.closed:
            return
        self._spawn(self._report_publishing(p))
        for sub in self._participants.values():
            if sub.room_id == p.room_id and (p.id in sub.wanted or p.id in sub.wanted_audio):
                self._request_negotiation(sub.id)

    async def _report_publishing(self, p: _Participant) -> None:
        kinds = sorted({t.kind for t in p.published.values() if t.live})
        if kinds != p.publishing_reported and not p.closed:
            p.publishing_reported = kinds
            await p.events.publishing(p.id, kinds)

    def _unpublish_all(self, p: _Participant) -> None:
        """The publish connection failed or closed: end its tracks everywhere."""
        affected: set[str] = set()
        for track in p.published.values():
            track.active = False
            track.live = False
            for forwarded in track.detach_all():
                affected.update(self._owner_of(forwarded))
        for sub_id in affected:
            self._request_negotiation(sub_id)
        self._spawn(self._report_publishing(p))

    # ------------------------------------------------------------------
    # Subscribe side
    # ------------------------------------------------------------------

    def _owner_of(self, forwarded: ForwardedTrack) -> list[str]:
        return [
            sub.id
            for sub in self._participants.values()
            if any(slot.track is forwarded for slot in sub.slots)
        ]

    def _desired(self, sub: _Participant) -> list[PublishedTrack]:
        tracks = []
        for pub_id in sorted(sub.wanted | sub.wanted_audio):
            pub = self._participants.get(pub_id)
            if pub is None or pub.closed or pub.room_id != sub.room_id:
                continue
            audio_only = pub_id not in sub.wanted
            tracks.extend(
                t for t in pub.published.values()
                if t.live and t.active and not (audio_only and t.kind != "audio")
            )
        return tracks

    def _request_negotiation(self, participant_id: str) -> None:
        p = self._participants.get(participant_id)
        if p is None or p.closed:
            return
        p.dirty = True
        if not p.offer_outstanding:
            self._spawn(self._negotiate(p))

    async def _negotiate(self, p: _Participant) -> None:
        async with p.negotiation_lock:
            if p.closed or p.offer_outstanding or not p.dirty:
                return
            if p.subscribe_pc is not None and p.subscribe_pc.connectionState == "closed":
                return  # the control plane is removing this participant
            p.dirty = False
            needs_offer, rebound = self._apply_subscription(p)
            if not needs_offer:
                if rebound:
                    # Inside the lock, so that no later offer overtakes it;
                    # nothing comes back from the client for this one.  The
                    # new senders start only once the map is on its way.
                    await p.events.subscriber_tracks(p.id, self._track_infos(p, rebound))
                    self._start_rebound(p, rebound)
                return
            pc = p.subscribe_pc
            assert pc is not None
            await pc.setLocalDescription(await pc.createOffer())
            p.offer_outstanding = True
            offer = SessionDescription(sdp=pc.localDescription.sdp, type="offer")
            tracks = self._track_infos(p, rebound)
        # Outside the lock: the control plane may answer from inside this call.
        await p.events.subscriber_offer(p.id, offer, tracks)
        if rebound:
            self._start_rebound(p, rebound)

    def _start_rebound(self, p: _Participant, rebound: list[tuple[_Slot, PublishedTrack]]) -> None:
        """Bind the transceivers that changed publisher to their new source,
        now that the subscriber has been sent the map that names it
        (``subscribeTracks``/``subscribeOffer``): the map always reaches the
        page before the first frame of the new sender (``docs/protocol.md``).
        A source that went away meanwhile is left out, and the subscription
        is made again."""
        if p.closed:
            return
        connected = p.subscribe_pc is not None and p.subscribe_pc.connectionState == "connected"
        desired = set(self._desired(p))
        stale = False
        for slot, track in rebound:
            if slot.source is None and track in desired and slot.sending:
                slot.track.bind(track)
                if connected:
                    slot.track.open()
            else:
                stale = True
        if stale:
            self._request_negotiation(p.id)

    def _track_infos(
        self, p: _Participant, rebound: Sequence[tuple[_Slot, PublishedTrack]] = ()
    ) -> list[TrackInfo]:
        """The subscriber's mid map: bound slots, and the slots about to be
        bound (``rebound``) with their new publisher."""
        coming = {id(slot): track for slot, track in rebound}
        infos = []
        for slot in p.slots:
            source = coming.get(id(slot), slot.source)
            if source is not None:
                publisher = self._participants.get(source.publisher_id)
                content = publisher is not None and source.mid in publisher.content_mids
                infos.append(TrackInfo(mid=slot.transceiver.mid, publisher_id=source.publisher_id, kind=slot.kind,  # type: ignore[arg-type]
                                       content=content))
        return infos

    def _apply_subscription(self, p: _Participant) -> tuple[bool, list[tuple[_Slot, PublishedTrack]]]:
        """Make the subscribe transceivers match what ``p`` should receive.

        A track that arrives while another of the same kind and codec leaves
        takes over the leaving one's negotiated transceiver at once (the
        floor moved to a station outside this subscriber's pictures): the
        SDP does not change, so no offer is needed, and the new picture
        starts from the publisher's cached keyframe or the next one.  Only
        what cannot be paired that way changes the SDP.

        A transceiver that changes publisher this way is unbound from the old
        one at once but bound to the new one only after the subscriber has
        been sent the new map (:meth:`_start_rebound`).

        Returns (whether the SDP needs a new offer, the transceivers that
        change publisher without one, with their new source)."""
        desired = self._desired(p)
        wanted = set(desired)
        bound = {slot.source for slot in p.slots if slot.source is not None}
        arriving = [t for t in desired if t not in bound]
        rebound: list[tuple[_Slot, PublishedTrack]] = []
        for slot in p.slots:
            if not arriving:
                break
            if slot.source is not None and slot.source in wanted:
                continue
            if not slot.sending:
                continue
            track = next((t for t in arriving if t.kind == slot.kind and t.codec_key == slot.codec_key), None)
            if track is None:
                continue
            arriving.remove(track)
            slot.track.unbind()  # the old sender stops now, the new one after the map is sent
            rebound.append((slot, track))
        pending = {id(slot) for slot, _ in rebound}
        changed = False
        for slot in p.slots:
            if id(slot) in pending:
                continue
            if slot.source is not None and slot.source not in wanted:
                slot.track.unbind()
            if slot.source is None and slot.transceiver.direction != "inactive":
                slot.transceiver.direction = "inactive"
                changed = True
        for track in arriving:
            slot = next(
                (s for s in p.slots if s.reusable and s.kind == track.kind and s.codec_key == track.codec_key),
                None,
            )
            if slot is None:
                slot = self._new_slot(p, track)
            slot.track.bind(track)
            slot.transceiver.direction = "sendonly"
            changed = True
        return changed, rebound

    def _new_slot(self, p: _Participant, track: PublishedTrack) -> _Slot:
        if p.subscribe_pc is None:
            p.subscribe_pc = self._new_pc(p, "subscribe")
        forwarded = ForwardedTrack(track.kind, temporal_limits=p.temporal_limits)
        transceiver = p.subscribe_pc.addTransceiver(forwarded, direction="sendonly")
        forwarded.attach(transceiver)
        transceiver.setCodecPreferences(self._pinned_codecs(track))
        slot = _Slot(transceiver, forwarded, track.kind, track.codec_key)
        p.slots.append(slot)
        return slot

    @staticmethod
    def _pinned_codecs(track: PublishedTrack) -> list[RTCRtpCodecCapability]:
        """Exactly the publisher's codec (and RTX for video)."""
        codecs = [
            RTCRtpCodecCapability(
                mimeType=track.mime_type,
                clockRate=track.clock_rate,
                channels=track.channels,
                parameters=track.codec_parameters,
            )
        ]
        if track.kind == "video":
            codecs.append(RTCRtpCodecCapability(mimeType="video/rtx", clockRate=track.clock_rate))
        return codecs

    def _open_slots(self, p: _Participant) -> None:
        """Start queuing frames for negotiated, connected forwarded tracks."""
        if p.subscribe_pc is None or p.subscribe_pc.connectionState != "connected":
            return
        for slot in p.slots:
            if slot.source is not None and slot.transceiver.currentDirection == "sendonly":
                slot.track.open()

    # ------------------------------------------------------------------
    # Connections
    # ------------------------------------------------------------------

    def _new_pc(self, p: _Participant, transport: Transport) -> RTCPeerConnection:
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=self._ice_servers(), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state = pc.connectionState
            if transport == "publish":
                p.publish_state = state
                if state in ("failed", "closed") and not p.closed:
                    self._unpublish_all(p)
            else:
                p.subscribe_state = state
                if state == "connected":
                    self._open_slots(p)
                elif state in ("failed", "closed"):
                    for slot in p.slots:
                        slot.track.unbind()
            self._spawn(p.events.connection_state(p.id, transport, state))

        return pc

    def _get(self, participant_id: str) -> _Participant:
        p = self._participants.get(participant_id)
        if p is None:
            raise MediaError(f"unknown participant {participant_id}")
        return p

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Future) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.error("media task failed", exc_info=t.exception())

        task.add_done_callback(done)
