"""The live console over REST: every MCU-style control that the socket
offers (roll call, broadcast, polling, layouts, mute, hands, remove, lock),
for dispatchers and outside systems, plus the link a dispatcher's console
joins with.  The live state itself belongs to the signaling server; the
API reaches it through :class:`LivePort`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional, Protocol

from pydantic import Field
from sqlmodel import Session

from hub import tokens
from hub.errors import SessionClosed
from hub.scope import Do, require
from scheduler.lifecycle import JOINABLE, State
from signaling.events import Control
from store.sessions import SessionView

from api import convert, schemas as s
from api.framework import Call
from api.sessions import join_id


class LivePort(Protocol):
    """What the API needs of the signaling server (``signaling.server``)."""

    def live_state(self, session_key: str) -> dict[str, Any]: ...

    async def control_by_key(
        self, session_key: str, payload: dict, by: str, account_id: Optional[int]
    ) -> dict[str, Any]: ...

    async def end_identity(self, identity: str, session_number: Optional[int] = None) -> int: ...


async def end_live_connections(call: Call, identity: str, session_number: Optional[int] = None) -> None:
    """A deactivated account or deputy, a revoked invitation: its live
    connections end at once (``docs/protocol.md``, ``kicked``)."""
    if call.services.live is not None:
        await call.services.live.end_identity(identity, session_number)


class LiveState(s.Model):
    control: Optional[dict[str, Any]] = Field(description="The control state (see docs/protocol.md), null when nobody is in")
    participants: list[dict[str, Any]] = Field(description="Participants as in docs/protocol.md")


#: The body of ``POST /sessions/{id}/live/control``: the socket event's own
#: schema (``signaling/events.py``), so that both transports accept the same.
LiveControlIn = Control


class LiveControlOut(s.Model):
    control: dict[str, Any]


def _control_check(call: Call):
    """The database work that loads the session and checks that the caller
    may control it; returns (view, state)."""
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session) -> tuple[SessionView, State]:
        view = repo.load(db, session_id)
        require(actor, Do.CONTROL, view.target, repo.matrix)
        return view, repo.session_state(db, session_id, now)

    return work  # type: ignore[return-value]


def _live(call: Call) -> LivePort:
    live = call.services.live
    if live is None:  # the API runs without a signaling server (tests of the API alone)
        raise SessionClosed("no_live_core")
    return live


async def live_state(call: Call) -> LiveState:
    view, _ = await call.services.db(_control_check(call))
    return LiveState(**_live(call).live_state(join_id(view)))


async def live_control(call: Call) -> LiveControlOut:
    body: Control = call.body
    view, state = await call.services.db(_control_check(call))
    if state not in JOINABLE:
        raise SessionClosed("session_is", state=state)
    actor = call.require_actor()
    payload = body.model_dump(exclude_none=True)
    result = await _live(call).control_by_key(join_id(view), payload, actor.name, actor.account_id)
    return LiveControlOut(**result)


async def console_link(call: Call) -> s.JoinLink:
    """A join link for the dispatcher's console: the dispatcher joins the
    live session as itself (``account:{id}``, role dispatcher)."""
    view, state = await call.services.db(_control_check(call))
    if state not in JOINABLE:
        raise SessionClosed("session_is", state=state)
    actor, services, now = call.require_actor(), call.services, call.now
    ttl = services.link_ttl_hours * 3600
    url = tokens.join_link(
        services.base_url, services.secret, join_id(view), f"account:{actor.account_id}", "dispatcher",
        ttl, now=now.timestamp(),
    )
    return s.JoinLink(url=url, expires_at=convert.local(now + timedelta(seconds=ttl)))
