"""The live side of recording (issue 12): the ``record`` action, joins on the
timeline, a session scheduled to record, and what the
:class:`~signaling.recording.RecordingDesk` tells the room
(:class:`~signaling.recording.RecordingNotices`).
"""

from __future__ import annotations

import time
from typing import Any

from scheduler.sessions import SessionInfo
from signaling.control import ControlError
from signaling.presence import Participant
from signaling.rooms import LiveRooms


class Recording(LiveRooms):
    """The recording desk's counterpart in the live rooms."""

    async def _record(self, room_id: str, on: bool, by: str) -> None:
        """The ``record`` action: start or stop recording the room."""
        if self.recordings is None:
            raise ControlError("recording_unavailable")
        control = self._controls[room_id]
        if on:
            room = self.presence.rooms.get(room_id) or ()
            await self.recordings.start(
                room_id, self._sessions[room_id], by, control.to_public(time.monotonic()),
                [p.to_public() for p in room],
            )
        else:
            await self.recordings.stop(room_id, "stopped", by)
        control.recording = self.recordings.public(room_id)

    async def _recording_joined(self, session: SessionInfo, participant: Participant) -> None:
        """A join goes on the timeline; the first join of a session
        scheduled to record starts its recording."""
        if self.recordings is None:
            return
        self.recordings.joined(session.id, participant.to_public())
        control = self._controls[session.id]
        room = self.presence.rooms.get(session.id) or ()
        await self.recordings.scheduled(
            session.id, session, session.record, control.to_public(time.monotonic()), [p.to_public() for p in room]
        )
        control.recording = self.recordings.public(session.id)

    async def recording_changed(self, room_id: str) -> None:
        control = self._controls.get(room_id)
        if control is not None and self.recordings is not None:
            control.recording = self.recordings.public(room_id)
            await self._emit_control(room_id)

    async def recording_alert(self, room_id: str, alert: dict[str, Any]) -> None:
        """A recording stopped by itself: every dispatcher of the room hears why."""
        for p in self.presence.rooms.get(room_id) or ():
            if p.role == "dispatcher":
                await self.sio.emit("recordingStopped", alert, to=p.sid)
