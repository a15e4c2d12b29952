"""大小流, what each page receives (issue 9): ``receive`` (the phone profile, 仅音频, a
maximum height), kept by :class:`signaling.receive.ReceiveDesk` and enforced by the relay; and
the relay's ``layers`` (which stream of each camera a page gets, and why), told to that page.
"""

from __future__ import annotations

from media.interface import VideoLayer
from signaling import events
from signaling.presence import Participant
from signaling.receive import ReceivePreference, layers_public
from signaling.rooms import LiveRooms


class Receiving(LiveRooms):
    """``receive``, and the relay's :meth:`~media.interface.MediaEvents.subscriber_layers`."""

    async def receive(self, sid: str, participant: Participant, payload: events.Receive) -> dict:
        """What this page wants to receive (``docs/protocol.md``, ``receive``): the relay keeps
        to it, and a phone's view holds the stage and three thumbnails."""
        pref = ReceivePreference(payload.profile, payload.audioOnly, payload.maxHeight)
        async with self._lock(participant.room_id):
            await self.receiving.set(participant.id, pref)
            await self._apply(participant.room_id)
        return {}

    async def subscriber_layers(self, participant_id: str, layers: list[VideoLayer]) -> None:
        """Which stream of each camera the participant receives now: to its page (``layers``)."""
        participant = self.presence.by_id(participant_id)
        if participant is not None:
            await self.sio.emit("layers", {"layers": layers_public(layers)}, to=participant.sid)
