"""The media seam: a participant's offers, answers, ICE candidates and
camera/microphone state go to the relay (:class:`media.interface.MediaPlane`),
and the relay's events (:class:`media.interface.MediaEvents`) go to the
pages.  A refusal of the relay (``media.interface.MediaError``) is
``media_refused``; anything else is a fault, logged as ``internal_error``.
"""

from __future__ import annotations

import logging
from typing import Any

from core.errors import MediaError
from media.interface import IceCandidate, MediaEvents, SessionDescription, TrackInfo
from media.interface import MediaError as MediaRefused
from signaling import events
from signaling.presence import Participant
from signaling.rooms import LiveRooms

logger = logging.getLogger("signaling")


class Negotiation(LiveRooms):
    """The media events of the protocol, and the relay's :class:`~media.interface.MediaEvents`."""

    def _media_events(self) -> MediaEvents:
        return self

    async def publish_offer(self, sid: str, participant: Participant, payload: events.Offer) -> dict:
        try:
            answer = await self.media.publish(
                participant.id, SessionDescription(sdp=payload.sdp, type="offer")
            )
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {"sdp": answer.sdp, "type": answer.type}

    async def subscribe_answer(self, sid: str, participant: Participant, payload: events.Answer) -> dict:
        try:
            await self.media.answer(
                participant.id, SessionDescription(sdp=payload.sdp, type="answer")
            )
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {}

    async def ice(self, transport: str, sid: str, participant: Participant, payload: events.Ice) -> dict:
        candidate = IceCandidate(
            candidate=payload.candidate or None,
            sdp_mid=payload.sdpMid,
            sdp_mline_index=payload.sdpMLineIndex,
        )
        try:
            await self.media.add_ice_candidate(participant.id, transport, candidate)  # type: ignore[arg-type]
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {}

    async def media_state(self, sid: str, participant: Participant, payload: events.MediaState) -> dict:
        participant.camera, participant.mic = payload.camera, payload.mic
        if self.recordings is not None:
            self.recordings.media_state(participant.room_id, participant.id, payload.camera, payload.mic)
        await self._updated(participant)
        return {}

    async def subscriber_offer(
        self, participant_id: str, offer: SessionDescription, tracks: list[TrackInfo]
    ) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        await self.sio.emit(
            "subscribeOffer",
            {
                "sdp": offer.sdp,
                "type": offer.type,
                "tracks": _track_list(tracks),
            },
            to=participant.sid,
        )

    async def subscriber_tracks(self, participant_id: str, tracks: list[TrackInfo]) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        await self.sio.emit("subscribeTracks", {"tracks": _track_list(tracks)}, to=participant.sid)

    async def connection_state(self, participant_id: str, transport: str, state: str) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        if state == "failed":
            # Not mended in place (aiortc cannot restart ICE): the page builds
            # both connections anew (restartMedia) within resume_seconds.
            await self._lost(participant, f"{transport} connection failed")
            return
        if state == "closed":  # only the hub closes them (leave, restartMedia)
            return
        if participant.connection == "reconnecting":
            if state != "connected":
                return
            self._cancel_resume_timer(participant.id)
            logger.info("%s: media back (%s connected)", participant.identity, transport)
        elif transport != "publish" or participant.connection == state:
            return
        participant.connection = state
        await self._updated(participant)

    async def publishing(self, participant_id: str, kinds: list[str]) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        participant.publishing = sorted(kinds)
        await self._updated(participant)
        await self._apply(participant.room_id)


def _track_list(tracks: list[TrackInfo]) -> list[dict[str, Any]]:
    """The wire form of a subscriber's mid map (``subscribeOffer``, ``subscribeTracks``);
    ``content`` marks a shared screen or document (双流)."""
    return [
        {"mid": t.mid, "participantId": t.publisher_id, "kind": t.kind, **({"content": True} if t.content else {})}
        for t in tracks
    ]
