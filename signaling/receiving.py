"""大小流, what each page receives (issue 9): ``receive`` (the phone profile, 仅音频, a
maximum height), kept by :class:`signaling.receive.ReceiveDesk` and enforced by the relay (which
says what it sends in ``layers``: ``signaling/negotiation.py``).
"""

from __future__ import annotations

from signaling import events
from signaling.presence import Participant
from signaling.receive import ReceivePreference
from signaling.rooms import LiveRooms


class Receiving(LiveRooms):
    """``receive``."""

    async def receive(self, sid: str, participant: Participant, payload: events.Receive) -> dict:
        """What this page wants to receive (``docs/protocol.md``, ``receive``): the relay keeps
        to it, and a phone's view holds the stage and three thumbnails."""
        pref = ReceivePreference(payload.profile, payload.audioOnly, payload.maxHeight)
        async with self._lock(participant.room_id):
            await self.receiving.set(participant.id, pref)
            await self._apply(participant.room_id)
        return {}
