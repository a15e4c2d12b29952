"""Revocation: a deactivated account or a revoked invitation leaves every
live room at once (``kicked``, ``revoked``), here and, through the shared
Socket.IO manager, in the other hub processes; an action of a participant
revoked meanwhile is refused.
"""

from __future__ import annotations

from typing import Optional

from core.errors import Forbidden
from signaling.presence import Participant
from signaling.rooms import LiveRooms, identity_room


class Revocation(LiveRooms):
    """``end_identity`` (the REST API's live port) and the recheck of every action."""

    async def _recheck(self, participant: Participant) -> None:
        """Refuse an action of a dispatcher whose account was deactivated or
        moved out of the session's scope, or of a deputy whose invitation was
        revoked, and end its connection."""
        kind, _, value = participant.identity.partition(":")
        session = self._sessions.get(participant.room_id)
        if session is None or not value.isdigit() or kind not in ("account", "deputy"):
            return
        if kind == "account":
            name = await self.sessions.dispatcher_name(session, int(value))
        else:
            name = await self.sessions.deputy_name(session, int(value))
        if name is None:
            # Out of the room now; the socket closes once the refusal is acknowledged.
            await self._end(participant, "revoked", close_after=0.5)
            raise Forbidden()

    async def end_identity(self, identity: str, session_number: Optional[int] = None) -> int:
        """An account was deactivated or an invitation revoked: every live
        connection joined as ``identity`` (``account:7``, ``deputy:3``; in
        session ``session_number`` only, or in any) is told ``kicked``
        (``revoked``) and closed at once.  Sockets held by other hub processes
        hear ``kicked`` through the shared manager and are refused their next
        action (:meth:`_recheck`).  Returns how many were closed here."""
        await self.sio.emit("kicked", {"reason": "revoked"}, room=identity_room(identity, session_number))
        ended = 0
        for room in list(self.presence.rooms.values()):
            for participant in list(room):
                session = self._sessions.get(participant.room_id)
                if participant.identity != identity:
                    continue
                if session_number is not None and (session is None or session.number != session_number):
                    continue
                await self._end(participant, "revoked", notify=False)
                ended += 1
        return ended

    async def _end(self, participant: Participant, reason: str, notify: bool = True, close_after: float = 0) -> None:
        if notify:
            await self.sio.emit("kicked", {"reason": reason}, to=participant.sid)
        await self._remove(participant, reason, notify_self=False)
        if close_after:
            self._disconnect_later(participant.sid, close_after)
        else:
            await self.sio.disconnect(participant.sid)
