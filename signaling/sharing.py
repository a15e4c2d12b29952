"""双流, content sharing: a participant shares its screen or a document as
a second video track, one source per session at a time (the rule is
:meth:`signaling.control.LiveControl.start_content`).
"""

from __future__ import annotations

import time

from core.errors import ControlRefused
from signaling import events
from signaling.control import ControlError
from signaling.presence import Participant
from signaling.rooms import LiveRooms


class Sharing(LiveRooms):
    """``share``."""

    async def share(self, sid: str, participant: Participant, payload: events.Share) -> dict:
        """双流: this participant shares its screen or a document (its second
        video track) or stops; one source per session at a time."""
        await self._recheck(participant)
        async with self._lock(participant.room_id):
            control = self._controls[participant.room_id]
            try:
                if payload.on:
                    control.start_content(participant.id)
                elif control.content == participant.id:
                    control.stop_content()
            except ControlError as exc:
                raise ControlRefused.because(exc) from None
            await self._apply(participant.room_id)
        return {"control": control.to_public(time.monotonic())}
