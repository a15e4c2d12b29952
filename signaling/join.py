"""Joining and leaving a live room: the token names a station, an invited
deputy or a dispatcher of the session; the join enters the Socket.IO rooms
the hub addresses it by (the session, its identity, its dispatchers' scope)
and the relay, and answers with the room as it stands.
"""

from __future__ import annotations

import logging
import time
from typing import Optional

from core import tokens
from core.errors import (
    Forbidden, NotInvited, NotJoined, SessionClosed, SessionLocked, SessionNotFound, StationNotFound,
)
from scheduler.sessions import SessionInfo
from signaling import events
from signaling.control import LiveControl
from signaling.presence import Participant, new_participant_id
from signaling.rooms import LiveRooms, dispatchers_room, identity_room

logger = logging.getLogger("signaling")


class Joining(LiveRooms):
    """``join`` and ``leave``."""

    async def join(self, sid: str, current: Optional[Participant], payload: events.Join) -> dict:
        grant = tokens.verify(self.secret, payload.token)
        session = await self.sessions.get(grant.session_id)
        if session is None:
            raise SessionNotFound()
        if not session.joinable:
            raise SessionClosed()
        station = None
        name: Optional[str] = None
        scope: Optional[str] = None  # a dispatcher's reading scope
        kind, _, value = grant.subject.partition(":")
        if kind == "station":
            station = self.matrix.get(value)
            if station is None or value not in session.stations:
                raise StationNotFound("station_code", station=value)
        elif kind == "deputy" and value.isdigit() and grant.role == "deputy":
            name = await self.sessions.deputy_name(session, int(value))
            if name is None:
                raise NotInvited()
        elif kind == "account" and value.isdigit() and grant.role == "dispatcher":
            name = await self.sessions.dispatcher_name(session, int(value))
            scope = await self.sessions.dispatcher_scope(int(value))
            if name is None or scope is None:
                raise Forbidden()
        else:
            raise NotInvited()
        control = self._controls.get(session.id)
        if control is not None and control.locked and grant.role != "dispatcher":
            if self.presence.room(session.id).by_identity(grant.subject) is None:
                raise SessionLocked()

        async with self._lock(session.id):
            if current is not None:  # a second join on one socket: start over
                await self._remove(current, "left", notify_self=False, locked=True)
            room = self.presence.room(session.id)
            older = room.by_identity(grant.subject)
            if older is not None:
                await self.sio.emit("kicked", {"reason": "replaced"}, to=older.sid)
                await self._remove(older, "replaced", notify_self=False, locked=True)
                self._disconnect_later(older.sid, 0.5)

            participant = Participant(
                id=new_participant_id(),
                sid=sid,
                identity=grant.subject,
                role=grant.role,
                room_id=session.id,
                station=station,
                name=name,
                lang=payload.lang,
                reading_scope=scope,
            )
            others = [p.to_public() for p in room]
            await self.media.join(session.id, participant.id, self._media_events())
            if not self.sio.manager.is_connected(sid, "/"):
                # Its socket closed while the join waited (no join within join_timeout
                # on a loaded hub, a phone's network gone): nobody to add, or a ghost
                # would stay in the room with a socket that never disconnects again.
                await self.media.leave(participant.id)
                logger.info("%s: join dropped, its socket %s closed meanwhile", grant.subject, sid)
                raise NotJoined()
            self.presence.add(participant)
            self._sessions[session.id] = session
            control = self._controls.setdefault(session.id, LiveControl(max_thumbnails=self.max_thumbnails))
            control.joined(participant.id)
            await self.sio.enter_room(sid, session.id)
            await self.sio.enter_room(sid, identity_room(participant.identity))
            await self.sio.enter_room(sid, identity_room(participant.identity, session.number))
            if participant.role == "dispatcher" and scope is not None:
                await self.sio.enter_room(sid, dispatchers_room(session.number, scope))
            await self.sio.emit(
                "participantJoined", {"participant": participant.to_public()},
                room=session.id, skip_sid=sid,
            )
            await self._recording_joined(session, participant)
            await self._apply(session.id)
        logger.info("%s joined %s as %s", grant.subject, session.id, participant.id)
        return {
            "self": participant.to_public(),
            "session": {
                "id": session.id, "number": session.number, "title": session.title, "titleEn": session.title_en,
                **({"stations": self._station_list(session)} if participant.role == "dispatcher" else {}),
            },
            "participants": others,
            "control": control.to_public(time.monotonic()),
            "iceServers": self.ice_servers_for(participant),
        }

    async def leave(self, sid: str, participant: Participant, payload: events.Leave) -> dict:
        await self._remove(participant, "left", notify_self=False)
        await self.sio.leave_room(sid, participant.room_id)
        return {}

    def _station_list(self, session: SessionInfo) -> list[dict]:
        """The session's stations in matrix order (a console lists the absent ones to call)."""
        return [
            {"code": st.code, "name": st.name, "nameEn": st.name_en}
            for st in self.matrix.stations() if st.code in session.stations
        ]
