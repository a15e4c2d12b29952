"""The relay: a :class:`~media.interface.MediaPlane` that forwards encoded media.

Per participant there are two ``RTCPeerConnection`` (see ``docs/protocol.md``):

* the **publish** connection: the client offers, the relay answers
  (:meth:`Relay.publish`, again for every renegotiation).  Each received
  track's packets go to one :class:`~media.published.PublishedTrack`.
* the **subscribe** connection: the relay offers, the client answers
  (:meth:`Relay.answer`).  Each forwarded track is a ``sendonly``
  transceiver whose packets a :class:`~media.fanout.ForwardedTrack`
  rewrites and sends.
  At most one offer is outstanding per subscriber: changes made while
  waiting for the answer are folded into one new offer after it
  (:mod:`media.subscribing`).

A publisher's camera may come twice, big and small (the small one's media
section marked ``a=content:alt``, :mod:`media.sdp`): the small stream is no
track of its own; it feeds the camera's transceiver at subscribers that show
that publisher as a thumbnail, or whose network or limits want less
(:mod:`media.adapt`), switching at a keyframe without renegotiation.

Nothing is decoded, encoded or even assembled into frames: packets are
forwarded one by one (:mod:`media.fanout`, :mod:`media.aiortc_hooks`), and
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
from typing import Any, Callable, Optional, Union

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtp import RtpPacket
from aiortc.sdp import SessionDescription as ParsedSdp
from aiortc.sdp import candidate_from_sdp

from . import aiortc_hooks, icegatherer
from .fanout import PublishedTrack
from .interface import (
    IceCandidate,
    Kind,
    MediaError,
    MediaEvents,
    ParticipantStats,
    ReceiveLimits,
    RecordedFile,
    RecordingEvents,
    SessionDescription,
    Transport,
)
from .adapt import SubscriberAdaptation, Trace
from .estimate import EstimatorConfig
from .select import SelectorConfig
from .keyframes import DEFAULT_INTERVAL, KeyframeRequester
from .participant import IceServers, _ice_servers, _Participant, _Rate
from .recorder import RoomRecorder
from .subscribing import SubscribeSide
from .sdp import DEFAULT_MAX_MEDIA_LINES, alt_mids, ask_for_dtx, check_offer, content_mids  # noqa: F401  (content_mids: re-exported)

logger = logging.getLogger(__name__)


class Relay(SubscribeSide):
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
    :param adapt_interval: seconds between two adaptation steps of every
        subscriber (:mod:`media.adapt`, e.g. :data:`media.adapt.INTERVAL`):
        what each subscriber is sent follows its network.  ``None`` (the
        default): the layers follow only the subscription and the limits
        (stage big, thumbnails small), set when they change, and on
        :meth:`adapt`.
    :param clock: monotonic seconds, for the adaptation (tests pass a fake one).
    :param estimator, selector: the adaptation's tunables (:mod:`media.estimate`,
        :mod:`media.select`).
    :param adapt_trace: called with every subscriber's RTCP feedback and
        adaptation steps as dicts (``media.adapt_trace``: recorded sequences
        for the estimator's and selector's tests).
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
        adapt_interval: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
        estimator: EstimatorConfig = EstimatorConfig(),
        selector: SelectorConfig = SelectorConfig(),
        adapt_trace: Optional[Trace] = None,
    ) -> None:
        aiortc_hooks.install()
        self._adapt_interval = adapt_interval
        self._clock = clock
        self._adaptation_config = (estimator, selector)
        self._adapt_trace = adapt_trace
        self._adapt_task: Optional[asyncio.Task] = None
        self._max_media_lines = max_media_lines
        if loopback_candidates:
            icegatherer.use_loopback_addresses(True)
        self._ice_servers: Callable[[], list[RTCIceServer]]
        if callable(ice_servers):
            servers_of = ice_servers
            self._ice_servers = lambda: _ice_servers(servers_of())
        else:
            fixed = _ice_servers(ice_servers)
            self._ice_servers = lambda: fixed
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
        self._participants[participant_id] = _Participant(
            participant_id, room_id, events, adaptation=SubscriberAdaptation(
                *self._adaptation_config, trace=self._adapt_trace, name=participant_id))
        if self._adapt_task is None and self._adapt_interval:
            self._adapt_task = asyncio.ensure_future(self._adapt_loop(self._adapt_interval))

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
                    aiortc_hooks.answer_with_single_codec(transceiver)
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as exc:  # aiortc raises ValueError, InvalidStateError, ...
                raise MediaError(f"cannot apply publish offer: {exc}") from exc
            for early in p.early_candidates.pop("publish", []):
                await self._add_candidate(pc, early)
            changed = self._update_published(p, offer.sdp)
            # One REMB for the connection, not one per video (big, small, content).
            aiortc_hooks.share_bitrate_estimator(
                [t.receiver for t in pc.getTransceivers() if t.kind == "video"])
            answer = pc.localDescription
        for sub_id in changed:
            self._request_negotiation(sub_id)
        await self._report_publishing(p)
        return SessionDescription(sdp=ask_for_dtx(answer.sdp), type="answer")

    async def subscribe(
        self,
        participant_id: str,
        publisher_ids: list[str],
        audio_from: Optional[list[str]] = None,
        big: Optional[list[str]] = None,
    ) -> None:
        p = self._get(participant_id)
        wanted = set(publisher_ids) - {participant_id}
        wanted_audio = set(audio_from or ()) - wanted - {participant_id}
        stage = None if big is None else frozenset(big)
        if stage != p.adaptation.big:
            p.adaptation.big = stage
            self._adapt(p)  # no renegotiation: each camera keeps its transceiver
        if (wanted, wanted_audio) == (p.wanted, p.wanted_audio):
            return
        p.wanted, p.wanted_audio = wanted, wanted_audio
        self._request_negotiation(participant_id)

    async def set_receive_limits(self, participant_id: str, limits: ReceiveLimits) -> None:
        p = self._get(participant_id)
        if limits != p.adaptation.limits:
            p.adaptation.limits = limits
            self._adapt(p)

    async def adapt(self) -> None:
        """One adaptation step of every subscriber now (what the timer does)."""
        self._adapt_all()

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
        if p.padding_task is not None:
            p.padding_task.cancel()
            await asyncio.gather(p.padding_task, return_exceptions=True)
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
            aiortc_hooks.observe_sender_rtcp(slot.transceiver.sender, None)
        for pc in (p.publish_pc, p.subscribe_pc):
            if pc is not None:
                if pc is p.publish_pc:
                    for transceiver in pc.getTransceivers():
                        aiortc_hooks.observe_rtp(transceiver.receiver, None)
                        aiortc_hooks.take_rtp(transceiver.receiver, None)
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
                    if track.mid not in p.alt_mids:  # the small stream is not recorded
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
                if t.kind == "video" and t.live and t.frame_size and t.mid not in p.alt_mids:
                    s.frame_width, s.frame_height = t.frame_size
            for kind, rate in p.rates.items():
                s.inbound_bitrate[kind] = rate.sample(now)
            if p.publish_pc is not None:
                for transceiver in p.publish_pc.getTransceivers():
                    received, lost = aiortc_hooks.receiver_packet_counts(transceiver.receiver)
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
                        aiortc_hooks.sender_round_trip_time(x.transceiver.sender) for x in p.slots
                    )
                    if rtt is not None
                ]
                if rtts:
                    s.round_trip_time = min(rtts)
            estimator = p.adaptation.estimator
            s.downlink_estimate = estimator.estimate
            s.downlink_limited = estimator.limited
            s.downlink_loss = estimator.loss(self._clock())
            s.downlink_rtt = estimator.rtt
            s.layers = {
                slot.source.publisher_id: slot.track.current_layer
                for slot in p.slots
                if slot.kind == "video" and slot.source is not None and slot.source.mid not in
                (self._participants[slot.source.publisher_id].content_mids
                 if slot.source.publisher_id in self._participants else ())
            }
            result.append(s)
        return result

    async def metrics(self) -> dict[str, float]:
        census = aiortc_hooks.codec_census()
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
            **{f"packets_dropped_{reason}": n for reason, n in aiortc_hooks.packet_counters().items()},
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
        if self._adapt_task is not None:
            self._adapt_task.cancel()
            await asyncio.gather(self._adapt_task, return_exceptions=True)
            self._adapt_task = None
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
        p.alt_mids = alt_mids(offer_sdp)
        ports = {m.rtp.muxId: m.port for m in parsed.media}
        affected: set[str] = set()
        for transceiver in pc.getTransceivers():
            mid = transceiver.mid
            if mid is None:
                continue  # not negotiated: nothing is received on it, nothing published
            receiving = (
                transceiver.currentDirection in ("recvonly", "sendrecv")
                and ports.get(mid, 0) != 0
                and transceiver.receiver.track is not None
            )
            track = p.published.get(mid)
            if receiving and track is None:
                codec = aiortc_hooks.negotiated_codec(transceiver)
                if codec is None or codec.payloadType is None:
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
                aiortc_hooks.observe_rtp(transceiver.receiver, self._rtp_observer(p, track))
                aiortc_hooks.take_rtp(transceiver.receiver, track)
                p.published[mid] = track
                track.start()
                recorder = self._recordings.get(p.room_id)
                if recorder is not None and mid not in p.alt_mids:
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
            await aiortc_hooks.send_pli(receiver, ssrc)
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
        if track.mid in p.alt_mids:
            # A small stream: an alternative feed of the camera's slots, not a track.
            camera = p.camera()
            for stream in list(camera.subscribers) if camera is not None else ():
                stream.set_alternate(track)
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
            if state == "closed" and not p.closed:
                # The hub closes a connection only when its participant leaves: this
                # one ended by itself (ICE consent expired, or the far end closed it),
                # which is a failure to the signaling (重连中, then restartMedia).
                logger.warning("%s connection of %s closed without the hub closing it", transport, p.id)
                state = "failed"
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
