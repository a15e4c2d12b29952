"""The reconnection: a participant whose socket or media went away shows
重连中 for ``resume_seconds`` and keeps its id, floor, hand and place;
``resume`` takes it over from a new socket, ``restartMedia`` builds both
media connections anew, ``detach`` drops a socket the page suspects,
``ping`` proves the socket alive.  Otherwise the timer removes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional

from core import tokens
from core.errors import Forbidden, NotInvited, NotJoined, NotResumable, SessionClosed, SessionNotFound
from signaling import events
from signaling.presence import Participant
from signaling.rooms import LiveRooms, dispatchers_room, identity_room

logger = logging.getLogger("signaling")


class Reconnection(LiveRooms):
    """``resume``, ``restartMedia``, ``detach``, ``ping`` and the 重连中 timers."""

    async def resume(self, sid: str, current: Optional[Participant], payload: events.Resume) -> dict:
        """Take over a participant from a new socket: same id, floor, hand and
        place; both media connections start anew (:meth:`restart_media`).
        Others see it 重连中, never a leave and a join."""
        grant = tokens.verify(self.secret, payload.token)
        session = await self.sessions.get(grant.session_id)
        if session is None:
            raise SessionNotFound()
        if not session.joinable:
            raise SessionClosed()
        participant = self.presence.by_id(payload.participantId)
        if participant is None or participant.identity != grant.subject or participant.room_id != session.id:
            raise NotResumable()
        kind, _, value = grant.subject.partition(":")
        # Revoked meanwhile (a deactivated account, a revoked invitation): no way back in.
        if kind == "deputy" and await self.sessions.deputy_name(session, int(value)) is None:
            raise NotInvited()
        if kind == "account" and await self.sessions.dispatcher_name(session, int(value)) is None:
            raise Forbidden()
        async with self._lock(session.id):
            if self.presence.by_id(participant.id) is not participant:
                raise NotResumable()  # removed while we waited
            if not self.sio.manager.is_connected(sid, "/"):
                # The new socket closed while we waited: binding the participant to it would
                # leave a ghost no disconnect ever removes. It stays 重连中 on its timer.
                logger.info("%s: resume dropped, its socket %s closed meanwhile", grant.subject, sid)
                raise NotJoined()
            if current is not None and current is not participant:
                await self._remove(current, "left", notify_self=False, locked=True)
            old_sid = participant.sid
            self.presence.rebind(participant, sid)
            participant.lang = payload.lang
            await self.sio.enter_room(sid, session.id)
            await self.sio.enter_room(sid, identity_room(participant.identity))
            await self.sio.enter_room(sid, identity_room(participant.identity, session.number))
            if participant.role == "dispatcher" and participant.reading_scope is not None:
                await self.sio.enter_room(sid, dispatchers_room(session.number, participant.reading_scope))
            if old_sid != sid:
                # The old socket may linger half-open; it no longer names anyone.
                self._disconnect_later(old_sid, 0.5)
            await self._restart_media(participant)
            control = self._controls[session.id]
            others = [p.to_public() for p in self.presence.room(session.id) if p.id != participant.id]
        logger.info("%s resumed %s as %s", grant.subject, session.id, participant.id)
        return {
            "self": participant.to_public(),
            "session": {
                "id": session.id, "number": session.number, "title": session.title, "titleEn": session.title_en,
            },
            "participants": others,
            "control": control.to_public(time.monotonic()),
            "iceServers": self.ice_servers_for(participant),
            "resumed": True,
        }

    async def ping(self, sid: str, participant: Participant, payload: events.Ping) -> dict:
        return {}

    async def detach(self, sid: str, participant: Participant, payload: events.Detach) -> dict:
        """The page drops this socket to ``resume`` from a new one (it
        suspects the network changed): the socket's close is no leave."""
        self.presence.unbind(participant)
        await self._lost(participant, "the page reconnects")
        return {}

    async def restart_media(self, sid: str, participant: Participant, payload: events.RestartMedia) -> dict:
        """The page builds both media connections anew (its ICE failed, its
        network changed): the relay drops the old ones and takes the new
        offers for the same participant."""
        async with self._lock(participant.room_id):
            if self.presence.by_id(participant.id) is not participant:
                raise NotJoined()
            await self._restart_media(participant)
        return {"iceServers": self.ice_servers_for(participant)}

    async def _restart_media(self, participant: Participant) -> None:
        """(Room lock held.)  New media for the same participant: aiortc 1.16
        cannot restart ICE in place (its ``RTCIceTransport.start`` runs once;
        a new remote ufrag is ignored), so the relay's connections are made
        anew.  Until they connect the participant shows 重连中; if they do
        not within ``resume_seconds`` it is removed."""
        try:
            await self.media.leave(participant.id)
        except Exception:
            logger.exception("media leave of %s failed", participant.id)
        await self.media.join(participant.room_id, participant.id, self._media_events())
        await self.receiving.restore(participant.id)  # the new media knows nothing of its receive limits
        self._forwarding_audio.pop(participant.id, None)  # the new media forwards all: tell it again
        # A connection is awaited only if there is media to carry: its own, or others'.
        expects_media = bool(participant.publishing) or any(
            p.publishing for p in self.presence.room(participant.room_id) if p.id != participant.id
        )
        participant.publishing = []
        if expects_media:
            participant.connection = "reconnecting"
            self._arm_resume_timer(participant)
        else:  # nothing to connect (a console alone in its room): as after join
            participant.connection = "new"
            self._cancel_resume_timer(participant.id)
        await self._updated(participant)
        await self._apply(participant.room_id)

    async def _lost(self, participant: Participant, why: str) -> None:
        """Its socket or media is gone: 重连中 for ``resume_seconds``."""
        logger.warning("%s in %s: %s; waiting %g s for it to resume",
                       participant.identity, participant.room_id, why, self.resume_seconds)
        if participant.id not in self._resume_timers:  # a second symptom does not extend the wait
            self._arm_resume_timer(participant)
        if participant.connection != "reconnecting":
            participant.connection = "reconnecting"
            await self._updated(participant)

    def _arm_resume_timer(self, participant: Participant) -> None:
        self._cancel_resume_timer(participant.id)

        def expire() -> None:
            self._resume_timers.pop(participant.id, None)
            if self.presence.by_id(participant.id) is participant and participant.connection == "reconnecting":
                logger.warning("%s did not resume within %g s", participant.identity, self.resume_seconds)
                asyncio.ensure_future(self._give_up(participant))

        self._resume_timers[participant.id] = asyncio.get_running_loop().call_later(self.resume_seconds, expire)

    async def _give_up(self, participant: Participant) -> None:
        await self._remove(participant, "disconnected", notify_self=False)
        await self.sio.disconnect(participant.sid)
