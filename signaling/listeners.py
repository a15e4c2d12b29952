"""What the live rooms hear from the other layers: the scheduler moved a
session (an ended session closes its room), and an opinion taken in a live
session was stored or handled (its dispatchers hear of it).
"""

from __future__ import annotations

from opinions.news import OpinionNews, reader_scopes
from scheduler.sessions import SessionInfo
from signaling.rooms import LiveRooms, dispatchers_room


class Listeners(LiveRooms):
    """``session_changed`` (the scheduler) and ``opinion_changed`` (the opinion bus)."""

    async def opinion_changed(self, news: OpinionNews) -> None:
        """An opinion taken in a live session was stored (``opinionCaptured``)
        or took a handling step (``opinionUpdated``): every dispatcher in
        that session's room who may read it (as over REST and the console's
        event stream) hears of it at once; the others do not."""
        if news.session_number is None:
            return
        if self.recordings is not None:
            self.recordings.opinion(news)
        event = "opinionCaptured" if news.kind == "captured" else "opinionUpdated"
        rooms = [dispatchers_room(news.session_number, scope) for scope in reader_scopes(self.matrix, news.station)]
        # Every hub process hears the news from the opinion bus
        # (``opinions.bus``): each tells its own clients only.
        await self.sio.emit(event, {"opinion": news.public(), "action": news.action}, to=rooms, ignore_queue=True)

    async def session_changed(self, session: SessionInfo) -> None:
        """The scheduler moved a session: a session that ended or was cancelled
        closes its live room for everyone."""
        if session.joinable:
            return
        room = self.presence.rooms.get(session.id)
        if room is not None:
            await self.sio.emit("sessionEnded", {"sessionId": session.id, "status": session.status}, room=session.id)
            for participant in room:
                await self._remove(participant, "ended", notify_self=False)
                await self.sio.leave_room(participant.sid, session.id)
        await self._record_attendance(session)
