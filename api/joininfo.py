"""What a join page shows before joining, and its network check.

A station's page, a deputy's phone and a dispatcher's console have only their
join token.  Before joining they name the meeting (title, the start and end of
its current or next occurrence in Beijing time), who joins (the station, the
deputy, the dispatcher) and the unit that convenes it (the chair station); an
early arrival waits in the 等候室 until the lobby opens, an ended or cancelled
meeting says so (``GET /join-info``).  The device check measures the round
trip and a short download from the hub (``GET /net-probe``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Optional

from aiohttp import web
from pydantic import Field
from sqlmodel import Session

from core import tokens
from core.errors import LoginRequired, SessionNotFound
from scheduler.lifecycle import State
from scheduler.recurrence import Occurrence
from store.live_sessions import deputy_may_join, session_info
from store.models import Account

from api import convert, schemas as s
from api.framework import Call

#: How far ahead the page looks for the next occurrence of a series.
LOOKAHEAD = timedelta(days=60)
#: The largest download ``/net-probe`` answers (bytes).
PROBE_MAX = 2 * 1024 * 1024
#: Incompressible filler for the probe, made once (a fixed pseudo-random pattern).
_PROBE_BLOCK = bytes((i * 2654435761 >> 13) & 0xFF for i in range(64 * 1024))


def pick_occurrence(items: list[tuple[Occurrence, State]]) -> Optional[tuple[Occurrence, State]]:
    """The occurrence a join page is about: the one in its lobby or live,
    else the next one to come, else the last one that ended (items sorted by
    start)."""
    for wanted in (State.LIVE, State.LOBBY, State.SCHEDULED):
        for item in items:
            if item[1] == wanted:
                return item
    return items[-1] if items else None


class JoinInfoSession(s.Model):
    id: str = Field(description="The session's public key (what join links name)")
    number: int
    title: str
    title_en: str
    state: Literal["scheduled", "lobby", "live", "ended", "cancelled"] = Field(
        description="The meeting's state now: scheduled (the page waits), lobby or live (it may join), "
        "ended, cancelled")
    standing: bool = Field(description="A standing meeting (always open, no times)")
    start: Optional[datetime] = Field(description="Start of the current or next occurrence (Asia/Shanghai)")
    end: Optional[datetime] = Field(description="Its end (Asia/Shanghai)")
    lobby_opens: Optional[datetime] = Field(description="When its lobby opens: the page joins by itself then")


class JoinInfoWho(s.Model):
    kind: Literal["station", "deputy", "dispatcher"]
    name: str = Field(description="The station's, deputy's or dispatcher's name; empty when the link admits "
                      "nobody any longer")
    name_en: str = ""
    station: Optional[str] = Field(default=None, description="The station's code (stations)")
    admitted: bool = Field(description="Whether the token still admits this station, deputy or dispatcher")


class JoinInfoUnit(s.Model):
    code: str
    name: str
    name_en: str


class JoinInfo(s.Model):
    session: JoinInfoSession
    joining: JoinInfoWho
    unit: Optional[JoinInfoUnit] = Field(description="The convening unit: the meeting's chair station")
    now: datetime = Field(description="The hub's clock (Asia/Shanghai), to count down without trusting the device's")


def _join_token(call: Call) -> str:
    header = call.request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or "." not in token or len(token) > 4096:
        raise LoginRequired("join_token_needed")
    return token


async def join_info(call: Call) -> JoinInfo:
    """The meeting, who joins and the convening unit, for the page's join
    token (``Authorization: Bearer``) — also when the meeting has ended or was
    cancelled, so that the page can say so."""
    services, now = call.services, call.now
    grant = tokens.verify(services.secret, _join_token(call))  # TokenInvalid / TokenExpired: 401
    matrix, repo = services.matrix, services.repo

    def work(db: Session) -> JoinInfo:
        info = session_info(db, grant.session_id, repo, now)
        if info is None:
            raise SessionNotFound()
        view = repo.load(db, info.number)
        start = end = lobby = None
        state = State(info.status)
        if not view.row.standing:
            items = repo.occurrences(db, info.number, now - max(view.series.duration, timedelta(days=1)),
                                     now + LOOKAHEAD, now)
            picked = pick_occurrence(items)
            if picked is not None:
                occurrence, occ_state = picked
                start, end = convert.local(occurrence.start), convert.local(occurrence.end)
                lobby = convert.local(occurrence.start - timedelta(minutes=repo.lobby_minutes))
                if state not in (State.CANCELLED, State.ENDED):
                    state = occ_state
        kind, _, value = grant.subject.partition(":")
        if kind == "station":
            station = matrix.get(value)
            who = JoinInfoWho(kind="station", name=station.name if station else value,
                              name_en=station.name_en if station else value, station=value,
                              admitted=station is not None and value in info.stations)
        elif kind == "deputy" and value.isdigit():
            name = deputy_may_join(db, info.number, int(value), now)
            who = JoinInfoWho(kind="deputy", name=name or "", name_en=name or "", admitted=bool(name))
        elif kind == "account" and value.isdigit():
            account = db.get(Account, int(value))
            name = (account.display_name or account.username) if account is not None else ""
            who = JoinInfoWho(kind="dispatcher", name=name, name_en=name,
                              admitted=account is not None and account.active)
        else:
            raise LoginRequired("join_link_admits_nobody")
        chair = matrix.get(view.row.chair_code)
        unit = JoinInfoUnit(code=chair.code, name=chair.name, name_en=chair.name_en) if chair else None
        return JoinInfo(
            session=JoinInfoSession(
                id=info.id, number=info.number, title=info.title, title_en=info.title_en, state=state.value,
                standing=info.standing, start=start, end=end, lobby_opens=lobby,
            ),
            joining=who, unit=unit, now=convert.local(now),
        )

    return await services.db(work)


class ProbeQuery(s.Input):
    bytes: int = Field(default=0, ge=0, le=PROBE_MAX, description="How many bytes to send (at most 2 MiB)")


async def net_probe(call: Call) -> web.Response:
    """``bytes`` bytes that do not compress, never cached: the page times a
    few empty calls (round trip) and one download (bandwidth)."""
    size: int = call.query.bytes
    whole, rest = divmod(size, len(_PROBE_BLOCK))
    body = _PROBE_BLOCK * whole + _PROBE_BLOCK[:rest]
    return web.Response(body=body, content_type="application/octet-stream",
                        headers={"Cache-Control": "no-store"})
