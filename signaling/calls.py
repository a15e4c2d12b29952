"""呼叫: a station's page open but not joined ``watch``es its session, and a
dispatcher's ``call`` action rings it (``ring``), in whichever hub process
the page is connected to.
"""

from __future__ import annotations

import time
from typing import Optional

from core import tokens
from core.errors import ControlRefused, Forbidden, SessionNotFound, StationNotFound
from signaling import events
from signaling.control import ControlError
from signaling.presence import Participant
from signaling.rooms import LiveRooms


def ring_room(session_number: int, identity: str) -> str:
    """The Socket.IO room of a station's open pages that have not joined
    (``watch``): a dispatcher's ``call`` rings them, in whichever hub process."""
    return f"ring:{session_number}:{identity}"


class Calls(LiveRooms):
    """``watch`` and the ``call`` control action."""

    async def watch(self, sid: str, current: Optional[Participant], payload: events.Watch) -> dict:
        """A station's page open but not joined waits to be called (``ring``):
        its socket stays open past ``join_timeout``."""
        grant = tokens.verify(self.secret, payload.token)
        session = await self.sessions.get(grant.session_id)
        if session is None:
            raise SessionNotFound()
        kind, _, value = grant.subject.partition(":")
        if kind != "station":
            raise Forbidden("watch_stations_only")
        if value not in session.stations:
            raise StationNotFound("station_code", station=value)
        deadline = self._join_deadlines.pop(sid, None)
        if deadline is not None:
            deadline.cancel()
        await self.sio.enter_room(sid, ring_room(session.number, grant.subject))
        return {"session": {"id": session.id, "number": session.number, "status": session.status}}

    async def _call_station(self, room_id: str, station: str, by: str, account_id: Optional[int]) -> dict:
        """呼叫: ring the open pages of a station of the session that is not in it."""
        session = self._sessions[room_id]
        if station not in session.stations:
            raise ControlRefused.because(ControlError("station_not_in_session", station=station))
        identity = f"station:{station}"
        if self.presence.room(room_id).by_identity(identity) is not None:
            raise ControlRefused.because(ControlError("station_present", station=station))
        await self.sio.emit(
            "ring",
            {"session": {"id": session.id, "number": session.number, "title": session.title,
                         "titleEn": session.title_en}, "station": station, "by": by},
            room=ring_room(session.number, identity),
        )
        control = self._controls[room_id]
        state = control.to_public(time.monotonic())
        entry = {"action": "call", "by": by, "participantId": None, "on": None, "layout": None, "station": station}
        await self._log_action(room_id, account_id, entry, state, state)
        return {"control": state}
