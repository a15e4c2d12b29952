"""The live rooms: the state every part of the signaling server shares, and
the operations they all use (``signaling/server.py`` composes the parts).

A room is a session live on this hub: its :class:`~signaling.presence.Presence`,
its :class:`~signaling.control.LiveControl`, and what the relay was last told.
:meth:`LiveRooms._apply` makes the relay match the control state and tells
every page; :meth:`LiveRooms._remove` is the one way out of a room.  The
parts of the server (one module each) subclass :class:`LiveRooms`; the few
calls from one part into another are declared at the end of the class.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Any, Optional, Protocol

import socketio

from core.matrix import Matrix
from core.proxies import Network
from core.turn import TurnService
from duty.attendance import attendance_of, stays_of_the_day
from media.interface import MediaEvents, MediaPlane
from scheduler.sessions import SessionInfo
from signaling.control import LiveControl
from signaling.limits import AddressCounter, SignalingLimits, TokenBucket
from signaling.monitor import LiveTicker
from signaling.presence import Participant, Presence
from signaling.receive import ReceiveDesk, big_publishers
from signaling.recording import RecordingDesk

logger = logging.getLogger("signaling")


def identity_room(identity: str, session_number: Optional[int] = None) -> str:
    """The Socket.IO room of every socket joined as ``identity`` (in one
    session, or in any): revoking an account or an invitation reaches its
    sockets through it, in whichever hub process they are."""
    return f"who:{identity}" if session_number is None else f"who:{session_number}:{identity}"


def dispatchers_room(session_number: int, scope: str) -> str:
    """The Socket.IO room of a live session's dispatchers of one reading
    scope (:func:`opinions.news.reader_scope`), by the session's number: any
    hub process can emit to it without knowing the live room, and
    python-socketio's Redis manager carries it to wherever they are."""
    return f"dispatchers:{session_number}@{scope}"


class SessionDirectory(Protocol):
    """Where the live core looks sessions up (``store.live_sessions``)."""

    async def get(self, key: str) -> Optional[SessionInfo]: ...

    async def deputy_name(self, session: SessionInfo, deputy_id: int) -> Optional[str]: ...

    async def dispatcher_name(self, session: SessionInfo, account_id: int) -> Optional[str]: ...

    async def dispatcher_scope(self, account_id: int) -> Optional[str]: ...

    async def record_attendance(self, session: SessionInfo, day_start: Any, stays: list) -> int: ...

    async def end_live(self, session: SessionInfo, account_id: Optional[int]) -> None: ...

    async def audit(
        self, session: SessionInfo, account_id: Optional[int], action: str,
        before: Optional[dict], after: Optional[dict],
    ) -> None: ...


class LiveRooms(ABC):
    """The shared state of the live rooms and the operations on it."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        media: MediaPlane,
        sessions: SessionDirectory,
        matrix: Matrix,
        secret: bytes,
        ice_servers: list[dict[str, Any]],
        max_thumbnails: int = 8,
        limits: SignalingLimits = SignalingLimits(),
        trusted_proxies: Optional[list[Network]] = None,
        turn: Optional[TurnService] = None,
        resume_seconds: float = 20.0,
    ) -> None:
        self.sio = sio
        self.media = media
        self.sessions = sessions
        self.matrix = matrix
        self.secret = secret
        self.ice_servers = ice_servers  # static (STUN), handed to everyone as they are
        self.turn = turn or TurnService()
        self.presence = Presence()
        self._controls: dict[str, LiveControl] = {}
        self._sessions: dict[str, SessionInfo] = {}  # of the live rooms
        self._forwarding_audio: dict[str, bool] = {}  # what the relay was last told
        self._views: dict[str, list[str]] = {}  # publishers each participant receives
        self._stays: dict[str, list[tuple[int, float, float]]] = {}  # room -> (deputy, joined, left)
        self.max_thumbnails = max_thumbnails
        self.resume_seconds = resume_seconds
        # Participants shown 重连中: removed when their timer fires first (signaling/resume.py).
        self._resume_timers: dict[str, asyncio.TimerHandle] = {}
        self._levels_task: Optional[asyncio.Task] = None
        # The 250 ms beat: audio levels, active speaker, polling turns, the monitor.
        self.ticker = LiveTicker(
            self.presence, self._controls, lambda: self.media.stats(),
            lambda *args, **kw: self.sio.emit(*args, **kw), self._apply,
        )
        # One lock per room: joins, leaves and subscription changes of a room
        # happen one at a time, so every participant sees a consistent order.
        self._room_locks: dict[str, asyncio.Lock] = {}
        # What each connection may hold and send (signaling.limits, signaling/connections.py).
        self.limits = limits
        self.trusted_proxies = trusted_proxies or []
        self._per_address = AddressCounter(limits.connections_per_address)
        self._addresses: dict[str, str] = {}  # sid -> client address
        self._buckets: dict[str, dict[str, TokenBucket]] = {}  # sid -> "events"/"ice" -> bucket
        self._join_deadlines: dict[str, asyncio.TimerHandle] = {}
        #: Recording (issue 12), set by hub.app; None: this hub does not record.
        self.recordings: Optional[RecordingDesk] = None
        #: What each page asked to receive (phone profile, 仅音频, a maximum height; issue 9).
        self.receiving = ReceiveDesk(media)

    def _lock(self, room_id: str) -> asyncio.Lock:
        lock = self._room_locks.get(room_id)
        if lock is None:
            lock = self._room_locks[room_id] = asyncio.Lock()
        return lock

    def ice_servers_for(self, participant: Participant) -> list[dict[str, Any]]:
        """The static servers, and the TURN server with credentials of this
        participant's own that expire (``turn.ttl_seconds``)."""
        return self.ice_servers + self.turn.ice_servers(participant.id, time.time())

    def _disconnect_later(self, sid: str, delay: float) -> None:
        """Close a socket after ``delay`` seconds: the reply or ``kicked``
        it was sent reaches its page first."""

        def close() -> None:
            asyncio.ensure_future(self.sio.disconnect(sid))

        asyncio.get_running_loop().call_later(delay, close)

    async def _updated(self, participant: Participant) -> None:
        await self.sio.emit(
            "participantUpdated", {"participant": participant.to_public()}, room=participant.room_id
        )

    async def _apply(self, room_id: str) -> None:
        """Make the relay match the room's control state: each participant
        receives the stage and its thumbnails (video and audio) and the audio
        of everyone else; only those allowed to speak are forwarded at all.
        Then tell every page."""
        room = self.presence.rooms.get(room_id)
        control = self._controls.get(room_id)
        if room is None or control is None:
            return
        members = list(room)
        with_video = [p.id for p in members if "video" in p.publishing]
        control.video = set(with_video)
        for p in members:
            allowed = control.audio_allowed(p.id)
            if self._forwarding_audio.get(p.id, True) != allowed:
                await self.media.set_forwarding(p.id, "audio", allowed)
                self._forwarding_audio[p.id] = allowed
        for p in members:
            view = control.view(p.id, with_video, previous=self._views.get(p.id, ()), cap=self.receiving.cap(p.id))
            self._views[p.id] = view.publishers
            others = [o.id for o in members if o.id != p.id]
            # the pictures shown large come big, the thumbnails small (大小流)
            await self.media.subscribe(p.id, view.publishers, audio_from=others, big=big_publishers(control.layout, view))
        await self._emit_control(room_id)

    async def _emit_control(self, room_id: str) -> None:
        control = self._controls.get(room_id)
        room = self.presence.rooms.get(room_id)
        if control is None or room is None:
            return
        state = control.to_public(time.monotonic())
        if self.recordings is not None:
            self.recordings.control(room_id, state)
        await self.sio.emit("control", state, room=room_id)

    async def _remove(
        self, participant: Participant, reason: str, notify_self: bool, locked: bool = False
    ) -> None:
        if self.presence.by_id(participant.id) is not participant:
            return
        if not locked:
            async with self._lock(participant.room_id):
                return await self._remove(participant, reason, notify_self, locked=True)
        self._cancel_resume_timer(participant.id)
        self.presence.remove(participant)
        session = self._sessions.get(participant.room_id)
        await self.sio.leave_room(participant.sid, identity_room(participant.identity))
        if session is not None:
            await self.sio.leave_room(participant.sid, identity_room(participant.identity, session.number))
        if participant.role == "dispatcher" and session is not None and participant.reading_scope is not None:
            await self.sio.leave_room(participant.sid, dispatchers_room(session.number, participant.reading_scope))
        if participant.role == "deputy":
            deputy_id = int(participant.identity.partition(":")[2])
            self._stays.setdefault(participant.room_id, []).append((deputy_id, participant.joined_at, time.time()))
        self._forwarding_audio.pop(participant.id, None)
        self._views.pop(participant.id, None)
        self.receiving.forget(participant.id)
        control = self._controls.get(participant.room_id)
        if self.recordings is not None:
            self.recordings.left(participant.room_id, participant.id, reason)
        if control is not None:
            control.left(participant.id)
            if participant.room_id not in self.presence.rooms:
                del self._controls[participant.room_id]
                if self.recordings is not None:
                    await self.recordings.room_closed(participant.room_id)
                session = self._sessions.pop(participant.room_id, None)
                if session is not None and session.standing:
                    # A standing session never ends: its day is counted when it empties.
                    await self._record_attendance(session, keep=True)
        try:
            await self.media.leave(participant.id)
        except Exception:
            logger.exception("media leave of %s failed", participant.id)
        await self.sio.emit(
            "participantLeft",
            {"participantId": participant.id, "reason": reason},
            room=participant.room_id,
            skip_sid=None if notify_self else participant.sid,
        )
        await self._apply(participant.room_id)
        logger.info("%s left %s (%s)", participant.identity, participant.room_id, reason)

    def _cancel_resume_timer(self, participant_id: str) -> None:
        timer = self._resume_timers.pop(participant_id, None)
        if timer is not None:
            timer.cancel()

    async def _record_attendance(self, session: SessionInfo, keep: bool = False) -> None:
        """Deputies' presence becomes duty records (one per deputy, session
        and day, minutes added up over rejoins).  ``keep``: a standing
        session's stays of the day are kept, to be counted again with the
        later ones (records are idempotent: a deputy gets its record once
        its stays of the day reach the minimum)."""
        stays = self._stays.pop(session.id, [])
        if keep:
            stays = stays_of_the_day(stays, datetime.now(timezone.utc))
            self._stays[session.id] = list(stays)
        if not stays:
            return
        day_start, records = attendance_of(stays)
        try:
            await self.sessions.record_attendance(session, day_start, records)
        except Exception:
            logger.exception("recording attendance of session %s failed", session.id)

    async def _log_action(
        self, room_id: str, account_id: Optional[int], entry: dict, before: dict, after: dict
    ) -> None:
        """Every dispatcher action goes to the audit log and, live, to every
        dispatcher of the room."""
        session = self._sessions.get(room_id)
        if session is not None:
            try:
                await self.sessions.audit(session, account_id, f"live.{entry['action']}", before, after)
            except Exception:
                logger.exception("audit of a live action failed")
        entry = {**entry, "at": time.time()}
        for p in self.presence.rooms.get(room_id) or ():
            if p.role == "dispatcher":
                await self.sio.emit("controlLog", entry, to=p.sid)

    # --- calls from one part into another --------------------------------

    @abstractmethod
    async def _lost(self, participant: Participant, why: str) -> None:
        """Its socket or media is gone: 重连中 (signaling/resume.py)."""

    @abstractmethod
    def _media_events(self) -> MediaEvents:
        """Where the relay reports a participant's media (signaling/negotiation.py)."""

    @abstractmethod
    async def _recheck(self, participant: Participant) -> None:
        """Refuse the action of a revoked participant (signaling/revocation.py)."""

    @abstractmethod
    async def _recording_joined(self, session: SessionInfo, participant: Participant) -> None:
        """A join goes on the recording's timeline (signaling/recording_notices.py)."""

    @abstractmethod
    async def _record(self, room_id: str, on: bool, by: str) -> None:
        """The ``record`` action (signaling/recording_notices.py)."""

    @abstractmethod
    async def _call_station(self, room_id: str, station: str, by: str, account_id: Optional[int]) -> dict:
        """The ``call`` action (signaling/calls.py)."""

    @abstractmethod
    async def session_changed(self, session: SessionInfo) -> None:
        """The scheduler moved a session (signaling/listeners.py)."""
