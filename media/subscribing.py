"""The relay's subscribe side: which transceivers carry which publisher to
each subscriber, their (re)negotiation, and the adaptation of what each one
is sent (big, small or paused: :mod:`media.adapt`).

:class:`SubscribeSide` is the part of :class:`media.relay.Relay` that acts on
subscribe connections; the relay provides the participants, the clock and
the connection factory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Optional, Sequence

from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from . import adapt, aiortc_hooks
from .fanout import ForwardedTrack, PublishedTrack
from .interface import SessionDescription, TrackInfo, Transport
from .participant import _Participant, _Slot
from .published import SubscriberStream

logger = logging.getLogger(__name__)

#: Seconds between two sends of probe padding, and the most sent at once (a
#: queue of a thin link takes a burst badly: the padding is paced).
PADDING_TICK = 0.01
PADDING_BURST_OCTETS = 4_000
#: Seconds into the padding when the padded streams send a sender report (and
#: they send another when it ends).
PADDING_REPORT_AFTER = 0.3


class SubscribeSide:
    """Subscribe-side behaviour of the relay (see the module docstring)."""

    _participants: dict[str, _Participant]
    _clock: Callable[[], float]
    _adapt_interval: Optional[float]

    def _new_pc(self, p: _Participant, transport: Transport) -> RTCPeerConnection:
        raise NotImplementedError

    def _spawn(self, coro: Any) -> None:
        raise NotImplementedError

    def _owner_of(self, forwarded: SubscriberStream) -> list[str]:
        return [
            sub.id
            for sub in self._participants.values()
            if any(slot.track is forwarded for slot in sub.slots)
        ]

    def _desired(self, sub: _Participant) -> list[PublishedTrack]:
        tracks: list[PublishedTrack] = []
        for pub_id in sorted(sub.wanted | sub.wanted_audio):
            pub = self._participants.get(pub_id)
            if pub is None or pub.closed or pub.room_id != sub.room_id:
                continue
            audio_only = pub_id not in sub.wanted
            tracks.extend(
                t for t in pub.published.values()
                if t.live and t.active and not (audio_only and t.kind != "audio")
                and t.mid not in pub.alt_mids  # the small stream feeds the camera's slot
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
        try:
            await self._negotiate_once(p)
        except InvalidStateError as e:
            # The connection was closed meanwhile (the page went away: aiortc marks a
            # connection closed, and refuses to change it, before its state says so).
            # The control plane removes or resumes this participant; there is nobody
            # to offer to.
            if str(e) != "RTCPeerConnection is closed":
                raise
            logger.debug("no offer for %s: its subscribe connection is closed", p.id)

    async def _negotiate_once(self, p: _Participant) -> None:
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
                self._bind(p, slot, track)
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
            reusable = next(
                (s for s in p.slots if s.reusable and s.kind == track.kind and s.codec_key == track.codec_key),
                None,
            )
            slot = reusable if reusable is not None else self._new_slot(p, track)
            self._bind(p, slot, track)
            slot.transceiver.direction = "sendonly"
            changed = True
        return changed, rebound

    def _new_slot(self, p: _Participant, track: PublishedTrack) -> _Slot:
        if p.subscribe_pc is None:
            p.subscribe_pc = self._new_pc(p, "subscribe")
        forwarded = ForwardedTrack(track.kind, temporal_limits=p.temporal_limits)
        transceiver = p.subscribe_pc.addTransceiver(forwarded, direction="sendonly")
        forwarded.attach(transceiver)
        aiortc_hooks.observe_sender_rtcp(transceiver.sender, p.adaptation.observer(forwarded, self._clock))
        transceiver.setCodecPreferences(self._pinned_codecs(track))
        slot = _Slot(transceiver, forwarded, track.kind, track.codec_key)
        p.slots.append(slot)
        return slot

    def _bind(self, p: _Participant, slot: _Slot, track: PublishedTrack) -> None:
        """Feed ``slot`` from ``track``; a camera's slot from its small stream
        instead when the subscriber's adaptation says so."""
        publisher = self._participants.get(track.publisher_id)
        alternate = publisher.small() if publisher is not None and track is publisher.camera() else None
        if track.kind == "video":
            slot.track.layer = p.adaptation.initial_layer(track.publisher_id, slot.transceiver.mid or "")
        slot.track.bind(track, alternate)
        if track.kind == "video":
            self._spawn_adapt(p)

    # ------------------------------------------------------------------
    # Adaptation (media/adapt.py)
    # ------------------------------------------------------------------

    async def _adapt_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self._adapt_all()
            except Exception:  # a bug here must not stop adaptation for good
                logger.exception("adaptation step failed")

    def _adapt_all(self, network: bool = True) -> None:
        now = self._clock()
        for p in self._participants.values():
            for track in p.published.values():
                track.rate.sample(now, track.octets_received)
                track.wire_rate.sample(now, track.octets_received + track.packets_received * adapt.PACKET_OVERHEAD)
        for p in list(self._participants.values()):
            self._adapt(p, now, network)

    def _spawn_adapt(self, p: _Participant) -> None:
        loop = asyncio.get_event_loop()
        loop.call_soon(self._adapt, p)

    def _adapt(self, p: _Participant, now: Optional[float] = None, network: Optional[bool] = None) -> None:
        """One adaptation step of subscriber ``p``; reports changed layers.
        ``network``: whether its downlink estimate counts (by default when
        the relay adapts on a timer)."""
        if p.closed:
            return
        now = self._clock() if now is None else now
        videos, audio = [], []
        sent = 0
        for slot in p.slots:
            stream = slot.track
            stream.rate.sample(now, stream.octets_sent)
            sent += stream.octets_sent + stream.octets_resent \
                + (stream.packets_sent + stream.retransmissions) * adapt.PACKET_OVERHEAD
            source = slot.source
            if source is None:
                continue
            if slot.kind == "audio":
                audio.append(stream)
                continue
            publisher = self._participants.get(source.publisher_id)
            content = publisher is not None and source.mid in publisher.content_mids
            videos.append(adapt.SentVideo(source.publisher_id, slot.transceiver.mid or "", stream, content))
        if network is None:
            network = self._adapt_interval is not None
        layers = p.adaptation.step(now, videos, audio, sent, network)
        if p.adaptation.padding > 0 and (p.padding_task is None or p.padding_task.done()):
            p.padding_task = asyncio.ensure_future(self._pad(p))
        report = getattr(p.events, "subscriber_layers", None)
        if layers is not None and report is not None:
            self._spawn(report(p.id, layers))

    async def _pad(self, p: _Participant) -> None:
        """Send the adaptation's probe padding (:mod:`media.probe`), paced:
        a share every :data:`PADDING_TICK` seconds, over the video streams
        that play (copies of what each sent last), for as long as it asks."""
        loop = asyncio.get_running_loop()
        began = last = loop.time()
        owed = 0.0
        turn = 0
        reported = False
        while not p.closed and p.adaptation.padding > 0:
            await asyncio.sleep(PADDING_TICK)
            now = loop.time()
            owed = min(owed + p.adaptation.padding / 8 * (now - last), PADDING_BURST_OCTETS)
            last = now
            slots = _padded(p)
            if not slots:
                continue
            if not reported and now - began >= PADDING_REPORT_AFTER:
                # The round trip of what the padding queued, measured soon (media.probe).
                reported = True
                for slot in slots:
                    aiortc_hooks.send_sender_report(slot.transceiver.sender)
            while owed > 0:
                turn += 1
                sent = slots[turn % len(slots)].track.pad(min(int(owed), 1200))
                if sent <= 0:
                    break
                owed -= sent
        # And one at the end: a receiver answers only the last sender report it got.
        for slot in _padded(p) if not p.closed else ():
            aiortc_hooks.send_sender_report(slot.transceiver.sender)

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


def _padded(p: _Participant) -> list[_Slot]:
    """The subscriber's video slots that carry probe padding: those that play and can pad."""
    return [s for s in p.slots if s.kind == "video" and s.track.can_pad and s.track.current_layer != "paused"]
