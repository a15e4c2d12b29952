"""Socket.IO event handlers: the signaling protocol of ``docs/protocol.md``.

The server validates every event, checks who sends it, keeps presence and
drives the media plane through :class:`media.interface.MediaPlane` only.  It
is also the media plane's :class:`media.interface.MediaEvents` sink.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Optional, Protocol

import socketio

from core import tokens
from signaling.limits import SignalingLimits
from core.errors import (
    ControlRefused,
    Forbidden,
    HubError,
    MediaError,
    NotInvited,
    NotJoined,
    RateLimited,
    NotResumable,
    SessionClosed,
    SessionLocked,
    SessionNotFound,
    StationNotFound,
)
from core.matrix import Matrix
from core.proxies import Network, client_address
from core.tasks import cancel_and_wait
from core.turn import TurnService
from media.interface import IceCandidate, MediaPlane, SessionDescription, TrackInfo, VideoLayer
from media.interface import MediaError as MediaRefused
from opinions.news import OpinionNews, reader_scopes
from scheduler.sessions import SessionInfo
from signaling import events
from signaling.control import NAMES_A_MEMBER, ControlError, LiveControl
from signaling.control import apply as apply_action
from signaling.limits import AddressCounter, TokenBucket
from duty.attendance import attendance_of, stays_of_the_day
from signaling.presence import Participant, Presence, new_participant_id
from signaling.monitor import AUDIO_LEVELS_INTERVAL, LiveTicker
from signaling.recording import RecordingDesk
from signaling.receive import ReceiveDesk, ReceivePreference, big_publishers, layers_public

logger = logging.getLogger("signaling")


Handler = Callable[..., Awaitable[dict[str, Any]]]

#: Events metered by the ICE bucket; ``leave`` and ``subscribeAnswer`` (the
#: answer to the hub's own offer) are never metered, every other event is
#: metered by the events bucket (``signaling.limits``).
ICE_EVENTS = ("publishIce", "subscribeIce")
UNMETERED_EVENTS = ("leave", "subscribeAnswer")


def identity_room(identity: str, session_number: Optional[int] = None) -> str:
    """The Socket.IO room of every socket joined as ``identity`` (in one
    session, or in any): revoking an account or an invitation reaches its
    sockets through it, in whichever hub process they are."""
    return f"who:{identity}" if session_number is None else f"who:{session_number}:{identity}"


def ring_room(session_number: int, identity: str) -> str:
    """The Socket.IO room of a station's open pages that have not joined
    (``watch``): a dispatcher's ``call`` rings them, in whichever hub process."""
    return f"ring:{session_number}:{identity}"


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


class SignalingServer:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        media: MediaPlane,
        sessions: "SessionDirectory",
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
        # Participants shown 重连中: removed when their timer fires first.
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
        # What each connection may hold and send (signaling.limits).
        self.limits = limits
        self.trusted_proxies = trusted_proxies or []
        self._per_address = AddressCounter(limits.connections_per_address)
        self._addresses: dict[str, str] = {}  # sid -> client address
        self._buckets: dict[str, dict[str, TokenBucket]] = {}  # sid -> "events"/"ice" -> bucket
        self._join_deadlines: dict[str, asyncio.TimerHandle] = {}
        #: Recording (issue 12), set by hub.app; None: this hub does not record.
        self.recordings: Optional[RecordingDesk] = None
        #: What each page asked to receive (phone profile, 仅音频, a maximum resolution; issue 9).
        self.receiving = ReceiveDesk(media)

        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        for name, model, handler in (
            ("join", events.Join, self.join),
            ("resume", events.Resume, self.resume),
            ("restartMedia", events.RestartMedia, self.restart_media),
            ("ping", events.Ping, self.ping),
            ("detach", events.Detach, self.detach),
            ("publishOffer", events.Offer, self.publish_offer),
            ("publishIce", events.Ice, functools.partial(self.ice, "publish")),
            ("subscribeAnswer", events.Answer, self.subscribe_answer),
            ("subscribeIce", events.Ice, functools.partial(self.ice, "subscribe")),
            ("mediaState", events.MediaState, self.media_state),
            ("leave", events.Leave, self.leave),
            ("control", events.Control, self.control),
            ("raiseHand", events.Hand, self.raise_hand),
            ("lowerHand", events.Hand, self.lower_hand),
            ("watch", events.Watch, self.watch),
            ("share", events.Share, self.share),
            ("receive", events.Receive, self.receive),
        ):
            sio.on(name, self._wrap(name, model, handler))

    # --- life cycle ------------------------------------------------------

    async def start(self) -> None:
        self._levels_task = asyncio.create_task(self._ticker_loop())

    async def _ticker_loop(self) -> None:
        while True:
            await asyncio.sleep(AUDIO_LEVELS_INTERVAL)
            try:
                await self.ticker.tick()
            except Exception:
                logger.exception("audio levels failed")

    async def stop(self) -> None:
        await cancel_and_wait(self._levels_task)
        for deadline in self._join_deadlines.values():
            deadline.cancel()
        self._join_deadlines.clear()
        for room in list(self.presence.rooms.values()):
            for participant in room:
                await self._remove(participant, "left", notify_self=False)

    # --- event plumbing --------------------------------------------------

    def _wrap(self, name: str, model: type[events.Event], handler: Handler) -> Callable:
        """Validate the payload, run the handler, and map errors once: an
        ``error`` event plus ``{"ok": false}`` as the acknowledgement."""

        async def on_event(sid: str, data: Any = None) -> dict[str, Any]:
            participant = self.presence.by_sid(sid)
            lang = participant.lang if participant else "zh-CN"
            if isinstance(data, dict) and data.get("lang") in ("zh-CN", "en"):
                lang = data["lang"]
            try:
                self._meter(sid, name)
                payload = events.parse(model, data)
                if name not in ("join", "resume", "watch") and participant is None:
                    raise NotJoined()
                result = await handler(sid, participant, payload)
                return {"ok": True, **result}
            except HubError as exc:
                error = exc.to_dict(lang, event=name)
            except Exception:
                logger.exception("event %s from %s failed", name, sid)
                error = HubError().to_dict(lang, event=name)
            await self.sio.emit("error", error, to=sid)
            return {"ok": False, "error": error}

        return on_event

    def _meter(self, sid: str, name: str) -> None:
        """Take a token of the sid's bucket for this event, or refuse it
        (:class:`RateLimited`: not applied, not relayed)."""
        if name in UNMETERED_EVENTS:
            return
        kind = "ice" if name in ICE_EVENTS else "events"
        buckets = self._buckets.setdefault(sid, {})
        bucket = buckets.get(kind)
        if bucket is None:
            lim = self.limits
            bucket = buckets[kind] = (
                TokenBucket(lim.ice_rate, lim.ice_burst) if kind == "ice" else TokenBucket(lim.event_rate, lim.event_burst)
            )
        if not bucket.take(time.monotonic()):
            raise RateLimited()

    async def _on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        """Count the connection against its address's cap, and close it if it
        has not joined within ``join_timeout``."""
        request = environ.get("aiohttp.request")
        remote = getattr(request, "remote", None) or environ.get("REMOTE_ADDR", "")
        forwarded = request.headers.get("X-Forwarded-For") if request is not None else None
        address = client_address(remote, forwarded, self.trusted_proxies)
        if not self._per_address.open(address):
            logger.warning("refused a connection from %s: %d open already", address, self.limits.connections_per_address)
            raise socketio.exceptions.ConnectionRefusedError("too_many_connections")
        self._addresses[sid] = address
        self._join_deadlines[sid] = asyncio.get_running_loop().call_later(
            self.limits.join_timeout, lambda: asyncio.ensure_future(self._join_deadline(sid))
        )
        return True

    async def _join_deadline(self, sid: str) -> None:
        self._join_deadlines.pop(sid, None)
        if sid in self._addresses and self.presence.by_sid(sid) is None:
            logger.info("closing %s: no join within %s s", sid, self.limits.join_timeout)
            await self.sio.disconnect(sid)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        address = self._addresses.pop(sid, None)
        if address is not None:
            self._per_address.close(address)
        deadline = self._join_deadlines.pop(sid, None)
        if deadline is not None:
            deadline.cancel()
        self._buckets.pop(sid, None)
        participant = self.presence.by_sid(sid)
        if participant is None:
            return
        if reason in (self.sio.reason.PING_TIMEOUT, self.sio.reason.TRANSPORT_ERROR):
            # The network went away under the socket (a phone changing
            # networks): the participant waits, 重连中, for its page to resume.
            self.presence.unbind(participant)
            await self._lost(participant, f"socket lost ({reason})")
        else:  # closed by the page (left, reloaded, tab closed) or by the hub
            await self._remove(participant, "disconnected", notify_self=False)

    def _lock(self, room_id: str) -> asyncio.Lock:
        lock = self._room_locks.get(room_id)
        if lock is None:
            lock = self._room_locks[room_id] = asyncio.Lock()
        return lock

    # --- client events ---------------------------------------------------

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
                asyncio.get_running_loop().call_later(
                    0.5, lambda s=older.sid: asyncio.ensure_future(self.sio.disconnect(s))
                )

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
            await self.media.join(session.id, participant.id, self)
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
                asyncio.get_running_loop().call_later(
                    0.5, lambda s=old_sid: asyncio.ensure_future(self.sio.disconnect(s))
                )
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
        await self.media.join(participant.room_id, participant.id, self)
        await self.receiving.restore(participant.id)
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

    def _cancel_resume_timer(self, participant_id: str) -> None:
        timer = self._resume_timers.pop(participant_id, None)
        if timer is not None:
            timer.cancel()

    async def _give_up(self, participant: Participant) -> None:
        await self._remove(participant, "disconnected", notify_self=False)
        await self.sio.disconnect(participant.sid)

    def ice_servers_for(self, participant: Participant) -> list[dict[str, Any]]:
        """The static servers, and the TURN server with credentials of this
        participant's own that expire (``turn.ttl_seconds``)."""
        return self.ice_servers + self.turn.ice_servers(participant.id, time.time())

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

    async def receive(self, sid: str, participant: Participant, payload: events.Receive) -> dict:
        """What this page wants to receive (``docs/protocol.md``, ``receive``): the relay keeps
        to it, and a phone's view holds the stage and three thumbnails."""
        pref = ReceivePreference(payload.profile, payload.audioOnly, payload.maxHeight)
        async with self._lock(participant.room_id):
            await self.receiving.set(participant.id, pref)
            await self._apply(participant.room_id)
        return {}

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

    def _station_list(self, session: SessionInfo) -> list[dict]:
        """The session's stations in matrix order (a console lists the absent ones to call)."""
        return [
            {"code": st.code, "name": st.name, "nameEn": st.name_en}
            for st in self.matrix.stations() if st.code in session.stations
        ]

    async def publish_offer(self, sid: str, participant: Participant, payload: events.Offer) -> dict:
        try:
            answer = await self.media.publish(
                participant.id, SessionDescription(sdp=payload.sdp, type="offer")
            )
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {"sdp": answer.sdp, "type": answer.type}

    async def subscribe_answer(self, sid: str, participant: Participant, payload: events.Answer) -> dict:
        try:
            await self.media.answer(
                participant.id, SessionDescription(sdp=payload.sdp, type="answer")
            )
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {}

    async def ice(self, transport: str, sid: str, participant: Participant, payload: events.Ice) -> dict:
        candidate = IceCandidate(
            candidate=payload.candidate or None,
            sdp_mid=payload.sdpMid,
            sdp_mline_index=payload.sdpMLineIndex,
        )
        try:
            await self.media.add_ice_candidate(participant.id, transport, candidate)  # type: ignore[arg-type]
        except MediaRefused as exc:  # anything else is a fault: logged, internal_error (_wrap)
            raise MediaError("media_refused", detail=str(exc)) from exc
        return {}

    async def media_state(self, sid: str, participant: Participant, payload: events.MediaState) -> dict:
        participant.camera, participant.mic = payload.camera, payload.mic
        if self.recordings is not None:
            self.recordings.media_state(participant.room_id, participant.id, payload.camera, payload.mic)
        await self._updated(participant)
        return {}

    async def leave(self, sid: str, participant: Participant, payload: events.Leave) -> dict:
        await self._remove(participant, "left", notify_self=False)
        await self.sio.leave_room(sid, participant.room_id)
        return {}

    async def control(self, sid: str, participant: Participant, payload: events.Control) -> dict:
        """A dispatcher's control action over the socket.  The account is
        checked again on every action (still active, still over the session)."""
        if participant.role != "dispatcher":
            raise Forbidden()
        kind, _, value = participant.identity.partition(":")
        account_id = int(value) if kind == "account" and value.isdigit() else None
        await self._recheck(participant)
        return await self.apply_control(participant.room_id, payload, participant.display_name, account_id)

    async def control_by_key(
        self, session_key: str, payload: dict, by: str, account_id: Optional[int]
    ) -> dict:
        """A control action from the REST API (the caller checked the
        dispatcher's scope).  ``session_key`` is the session's public key."""
        parsed = events.parse(events.Control, payload)
        if session_key not in self._controls:
            raise ControlRefused("nobody_in_session")
        return await self.apply_control(session_key, parsed, by, account_id)

    def live_state(self, session_key: str) -> dict:
        """The control state and participants of a live room (empty when
        nobody is in it)."""
        control = self._controls.get(session_key)
        room = self.presence.rooms.get(session_key)
        if control is None or room is None:
            return {"control": None, "participants": []}
        return {
            "control": control.to_public(time.monotonic()),
            "participants": [p.to_public() for p in room],
        }

    async def apply_control(
        self, room_id: str, payload: events.Control, by: str, account_id: Optional[int]
    ) -> dict:
        """Apply one control action to a room's :class:`LiveControl`, enforce
        it at the relay, tell everyone, and write the audit log."""
        if payload.action == "call":
            return await self._call_station(room_id, payload.station, by, account_id)
        control = self._controls[room_id]
        now = time.monotonic()
        target = payload.participantId
        before = control.to_public(now)
        try:
            if payload.action in NAMES_A_MEMBER and target is not None:
                member = self.presence.by_id(target)
                if member is None or member.room_id != room_id:
                    raise ControlError("not_member", participant=target)
            stopped = control.content if payload.action == "stopContent" else None
            if payload.action == "record":
                await self._record(room_id, bool(payload.on), by)
            apply_action(control, payload, now)
            if stopped is not None:
                sharer = self.presence.by_id(stopped)
                if sharer is not None:
                    await self.sio.emit("contentStopped", {"by": by}, to=sharer.sid)
        except ControlError as exc:
            raise ControlRefused.because(exc) from None
        if payload.action == "end":
            session = self._sessions[room_id]
            entry = {"action": "end", "by": by, "participantId": None, "on": None, "layout": None}
            await self._log_action(room_id, account_id, entry, before, before)
            await self.sessions.end_live(session, account_id)
            await self.session_changed(dataclasses.replace(session, status="ended"))
            return {"control": before}
        if payload.action == "remove":
            removed = self.presence.by_id(target)  # type: ignore[arg-type]
            if removed is not None:
                await self.sio.emit("kicked", {"reason": "removed"}, to=removed.sid)
                await self._remove(removed, "removed", notify_self=False)
                await self.sio.disconnect(removed.sid)
        else:
            await self._apply(room_id)
        entry = {
            "action": payload.action,
            "by": by,
            "participantId": target,
            "on": payload.on,
            "layout": payload.layout,
        }
        await self._log_action(room_id, account_id, entry, before, control.to_public(now))
        return {"control": control.to_public(now)}

    async def raise_hand(self, sid: str, participant: Participant, payload: events.Hand) -> dict:
        await self._recheck(participant)
        control = self._controls[participant.room_id]
        try:
            control.raise_hand(participant.id, time.monotonic())
        except ControlError as exc:
            raise ControlRefused.because(exc) from None
        await self._emit_control(participant.room_id)
        return {}

    async def lower_hand(self, sid: str, participant: Participant, payload: events.Hand) -> dict:
        self._controls[participant.room_id].lower_hand(participant.id)
        await self._emit_control(participant.room_id)
        return {}

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
            asyncio.get_running_loop().call_later(
                close_after, lambda s=participant.sid: asyncio.ensure_future(self.sio.disconnect(s))
            )
        else:
            await self.sio.disconnect(participant.sid)

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

    # --- recording (signaling.recording.RecordingNotices) -----------------

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

    # --- opinion events (opinions.news.OpinionEvents) ---------------------

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

    # --- scheduler events -------------------------------------------------

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

    # --- media plane events (MediaEvents) --------------------------------

    async def subscriber_offer(
        self, participant_id: str, offer: SessionDescription, tracks: list[TrackInfo]
    ) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        await self.sio.emit(
            "subscribeOffer",
            {
                "sdp": offer.sdp,
                "type": offer.type,
                "tracks": _track_list(tracks),
            },
            to=participant.sid,
        )

    async def subscriber_tracks(self, participant_id: str, tracks: list[TrackInfo]) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        await self.sio.emit("subscribeTracks", {"tracks": _track_list(tracks)}, to=participant.sid)

    async def connection_state(self, participant_id: str, transport: str, state: str) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        if state == "failed":
            # Not mended in place (aiortc cannot restart ICE): the page builds
            # both connections anew (restartMedia) within resume_seconds.
            await self._lost(participant, f"{transport} connection failed")
            return
        if state == "closed":  # only the hub closes them (leave, restartMedia)
            return
        if participant.connection == "reconnecting":
            if state != "connected":
                return
            self._cancel_resume_timer(participant.id)
            logger.info("%s: media back (%s connected)", participant.identity, transport)
        elif transport != "publish" or participant.connection == state:
            return
        participant.connection = state
        await self._updated(participant)

    async def publishing(self, participant_id: str, kinds: list[str]) -> None:
        participant = self.presence.by_id(participant_id)
        if participant is None:
            return
        participant.publishing = sorted(kinds)
        await self._updated(participant)
        await self._apply(participant.room_id)

    async def subscriber_layers(self, participant_id: str, layers: list[VideoLayer]) -> None:
        """Which stream of each camera the participant receives now: to its page (``layers``)."""
        participant = self.presence.by_id(participant_id)
        if participant is not None:
            await self.sio.emit("layers", {"layers": layers_public(layers)}, to=participant.sid)

    # --- helpers ---------------------------------------------------------

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


def _track_list(tracks: list[TrackInfo]) -> list[dict[str, Any]]:
    """The wire form of a subscriber's mid map (``subscribeOffer``, ``subscribeTracks``);
    ``content`` marks a shared screen or document (双流)."""
    return [
        {"mid": t.mid, "participantId": t.publisher_id, "kind": t.kind, **({"content": True} if t.content else {})}
        for t in tracks
    ]
