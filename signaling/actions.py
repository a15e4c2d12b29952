"""The room's control actions: a dispatcher's ``control`` (over the socket,
or from the REST API by the session's key) is applied to the room's
:class:`~signaling.control.LiveControl`, enforced at the relay, told to
everyone and written to the audit log; a member raises and lowers its hand.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Optional

from core.errors import ControlRefused, Forbidden
from signaling import events
from signaling.control import NAMES_A_MEMBER, ControlError
from signaling.control import apply as apply_action
from signaling.presence import Participant
from signaling.rooms import LiveRooms


class Actions(LiveRooms):
    """``control``, ``raiseHand``, ``lowerHand`` and the REST API's live port."""

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
            assert payload.station is not None  # events.Control requires it
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
            entry: dict[str, Any] = {"action": "end", "by": by, "participantId": None, "on": None, "layout": None}
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
