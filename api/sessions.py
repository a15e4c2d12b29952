"""Linked sessions: list, read, schedule, edit, cancel, dry-run check,
occurrences, an operator's own sessions and station join links.

Every rule (scope, conflicts, life cycle, versions) is the store's and the
domain modules'; this module only translates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlmodel import Session

from core import tokens
from core.errors import Forbidden, InvalidPayload, SessionClosed, StationNotFound
from core.scope import Actor, Do, JoinTarget, Pick, Role, SessionTarget, can, require
from scheduler.lifecycle import JOINABLE, State
from scheduler.recurrence import expand
from store import session_search
from store import invitations
from store.live_sessions import public_key
from store.sessions import SessionPlan, SessionRepo, SessionView

from api import convert, schemas as s
from api.framework import Call

DEFAULT_WINDOW = timedelta(days=60)
MAX_WINDOW = timedelta(days=400)
MAX_LISTED = 500


def plan_of(body: s.SessionIn) -> SessionPlan:
    picks: list[Pick | str] = []
    for pick in body.stations:
        if isinstance(pick, str):
            picks.append(pick)
        else:
            levels = frozenset(pick.levels) if pick.levels is not None else None
            picks.append(Pick(pick.code, subtree=pick.subtree, levels=levels))
    return SessionPlan(
        title=body.title,
        chair=body.chair,
        stations=tuple(picks),
        start=body.start,
        end=body.end,
        rrule=body.rrule,
        agenda=body.agenda,
        title_en=body.title_en,
        timezone=body.timezone,
        record=body.record,
    )


def window(q: s.WindowQuery, now: datetime) -> tuple[datetime, datetime]:
    start = q.from_ or now
    end = q.to or start + DEFAULT_WINDOW
    if end <= start:
        raise InvalidPayload("range_reversed", field="to")
    if end - start > MAX_WINDOW:
        raise InvalidPayload("window_too_long", days=MAX_WINDOW.days, field="to")
    return start, end


def target_for(repo: SessionRepo, db: Session, actor: Actor, view: SessionView, now: datetime) -> SessionTarget:
    """The scope target; deputies also need who is invited."""
    target = view.target
    if actor.role is Role.DEPUTY:
        assert view.row.id is not None
        target = SessionTarget(target.chair, target.stations, invitations.invited_deputies(db, view.row.id, now))
    return target


def next_occurrence(repo: SessionRepo, db: Session, view: SessionView, now: datetime) -> Optional[s.OccurrenceOut]:
    assert view.row.id is not None
    for span in (timedelta(days=31), repo.horizon):
        found = repo.occurrences(db, view.row.id, now, now + span, now)
        if found:
            occurrence, state = found[0]
            return convert.occurrence(occurrence, state.value, view.row.timezone)
    return None


def describe(
    repo: SessionRepo, db: Session, view: SessionView, now: datetime, actor: Optional[Actor] = None
) -> s.SessionOut:
    """The session as the API shows it; with ``actor``, whether it may open
    the live console (``mayControl``)."""
    assert view.row.id is not None
    state = repo.session_state(db, view.row.id, now)
    out = convert.session(view, state.value, next_occurrence(repo, db, view, now))
    if actor is not None:
        out.may_control = bool(can(actor, Do.CONTROL, view.target, repo.matrix))
    return out


def _load_visible(repo: SessionRepo, db: Session, actor: Actor, session_id: int, now: datetime) -> SessionView:
    view = repo.load(db, session_id)
    require(actor, Do.VIEW, target_for(repo, db, actor, view, now), repo.matrix)
    return view


# --- reading ----------------------------------------------------------------------------------


def _visible_in_window(
    repo: SessionRepo,
    db: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    station: Optional[str],
    status: Optional[str],
    now: datetime,
    skip_ended: bool = False,
) -> list[s.SessionOut]:
    matrix = repo.matrix
    if station is not None and station not in matrix:
        raise StationNotFound("station_code", station=station)
    stations: Optional[set[str]] = {station} if station else None
    invited: Optional[int] = None
    if actor.role is Role.DISPATCHER:
        assert actor.station is not None
        scope = {st.code for st in matrix.subtree(actor.station)}
        stations = scope if stations is None else stations & scope
    elif actor.role is Role.OPERATOR:
        assert actor.station is not None  # an operator has its station
        stations = {actor.station} if stations is None or actor.station in stations else set()
    elif actor.role is Role.DEPUTY:
        if actor.deputy_id is None:
            return []
        invited = actor.deputy_id
    if stations is not None and not stations:
        return []
    out = []
    for session_id in session_search.session_ids(db, start, end, stations, invited):
        view = repo.load(db, session_id)
        if not can(actor, Do.VIEW, target_for(repo, db, actor, view, now), matrix):
            continue
        if not view.row.standing and not expand(view.series, start, end):
            continue
        item = describe(repo, db, view, now, actor)
        if status is not None and item.state != status:
            continue
        if skip_ended and item.state == State.ENDED.value:
            continue
        out.append(item)
        if len(out) >= MAX_LISTED:
            break
    return out


async def list_sessions(call: Call) -> s.SessionList:
    q: s.SessionListQuery = call.query
    actor, repo, now = call.require_actor(), call.services.repo, call.now
    start, end = window(q, now)
    items = await call.services.db(
        lambda db: _visible_in_window(repo, db, actor, start, end, q.station, q.status, now)
    )
    return s.SessionList(items=items)


async def my_sessions(call: Call) -> s.SessionList:
    q: s.MySessionsQuery = call.query
    actor, repo, now = call.require_actor(), call.services.repo, call.now
    if actor.station is None and actor.role is not Role.DEPUTY:
        return s.SessionList(items=[])
    station = actor.station if actor.role is not Role.DEPUTY else None
    items = await call.services.db(
        lambda db: _visible_in_window(repo, db, actor, now, now + timedelta(days=q.days), station, None, now, True)
    )
    return s.SessionList(items=items)


async def get_session(call: Call) -> s.SessionOut:
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session) -> s.SessionOut:
        return describe(repo, db, _load_visible(repo, db, actor, session_id, now), now, actor)

    return await call.services.db(work)


async def occurrences(call: Call) -> s.OccurrenceList:
    q: s.WindowQuery = call.query
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id
    start, end = window(q, now)

    def work(db: Session) -> s.OccurrenceList:
        view = _load_visible(repo, db, actor, session_id, now)
        tz = view.row.timezone
        items = [convert.occurrence(o, state.value, tz) for o, state in repo.occurrences(db, session_id, start, end, now)]
        duration = view.row.end_at - view.row.start_at
        for e in view.exceptions:
            if e.cancelled and start <= e.original_start < end:
                items.append(
                    s.OccurrenceOut(
                        original_start=convert.local(e.original_start, tz),
                        start=convert.local(e.original_start, tz),
                        end=convert.local(e.original_start + duration, tz),
                        moved=False,
                        state="cancelled",
                    )
                )
        items.sort(key=lambda o: (o.start, o.original_start))
        return s.OccurrenceList(items=items)

    return await call.services.db(work)


# --- scheduling ----------------------------------------------------------------------------------


async def create_session(call: Call) -> s.SessionOut:
    actor, repo, now, plan = call.require_actor(), call.services.repo, call.now, plan_of(call.body)

    def work(db: Session) -> s.SessionOut:
        row = repo.create(db, actor, plan, now)
        assert row.id is not None
        return describe(repo, db, repo.load(db, row.id), now, actor)

    return await call.services.db(work)


async def update_session(call: Call) -> s.SessionOut:
    body: s.SessionUpdateIn = call.body
    actor, repo, now, plan, session_id = call.require_actor(), call.services.repo, call.now, plan_of(body), call.path.id

    def work(db: Session) -> s.SessionOut:
        repo.update(db, actor, session_id, plan, body.version, now)
        return describe(repo, db, repo.load(db, session_id), now, actor)

    return await call.services.db(work)


async def cancel_session(call: Call) -> s.SessionOut:
    body: s.VersionIn = call.body
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session) -> s.SessionOut:
        repo.cancel(db, actor, session_id, now, body.version)
        return describe(repo, db, repo.load(db, session_id), now, actor)

    return await call.services.db(work)


async def check_session(call: Call) -> s.CheckOut:
    body: s.SessionCheckIn = call.body
    actor, repo, now, plan, lang = call.require_actor(), call.services.repo, call.now, plan_of(body), call.lang
    matrix = repo.matrix

    def work(db: Session) -> list:
        return session_search.check_plan(repo, db, actor, plan, now, body.session_id)

    conflicts = await call.services.db(work)
    tz = body.timezone
    items = []
    for c in conflicts:
        station = matrix.get(c.station)
        items.append(
            s.ConflictOut(
                session_id=c.session_id,
                title=c.title,
                station=c.station,
                station_name=station.display_name(lang) if station else c.station,
                start=convert.local(c.occurrence.start, tz),
                end=convert.local(c.occurrence.end, tz),
                proposed_start=convert.local(c.proposed.start, tz),
                proposed_end=convert.local(c.proposed.end, tz),
                message=c.error(convert.local(c.occurrence.start, tz).tzinfo).message(lang),
            )
        )
    return s.CheckOut(ok=not items, conflicts=items)


async def _occurrence_action(call: Call, what: str) -> s.SessionOut:
    body = call.body
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session) -> s.SessionOut:
        if what == "cancel":
            repo.cancel_occurrence(db, actor, session_id, body.original_start, now, body.version)
        elif what == "end":
            repo.end_occurrence(db, actor, session_id, body.original_start, now, body.version)
        else:
            repo.move_occurrence(db, actor, session_id, body.original_start, body.start, body.end, now, body.version)
        return describe(repo, db, repo.load(db, session_id), now, actor)

    return await call.services.db(work)


async def cancel_occurrence(call: Call) -> s.SessionOut:
    return await _occurrence_action(call, "cancel")


async def move_occurrence(call: Call) -> s.SessionOut:
    return await _occurrence_action(call, "move")


async def end_occurrence(call: Call) -> s.SessionOut:
    return await _occurrence_action(call, "end")


# --- joining -----------------------------------------------------------------------------------------


def join_id(view: SessionView) -> str:
    """What join links name a session by: its public code, else its id
    (:func:`store.live_sessions.public_key`, what signaling looks up)."""
    return public_key(view.row)


async def join_link(call: Call) -> s.JoinLink:
    q: s.JoinLinkQuery = call.query
    services = call.services
    actor, repo, now, session_id = call.require_actor(), services.repo, call.now, call.path.id

    def work(db: Session) -> tuple[SessionView, State]:
        view = _load_visible(repo, db, actor, session_id, now)
        return view, repo.session_state(db, session_id, now)

    view, state = await services.db(work)
    station = q.station
    if station is None:
        if actor.role is Role.OPERATOR or (actor.station is not None and actor.station in view.stations):
            station = actor.station
        else:
            station = view.row.chair_code
    assert station is not None
    require(actor, Do.JOIN, JoinTarget(view.target, station), repo.matrix)
    if station not in view.stations:
        raise Forbidden("station_not_in_session", station=station)
    if state not in JOINABLE:
        raise SessionClosed("session_is", state=state)
    ttl = services.link_ttl_hours * 3600
    url = tokens.join_link(
        services.base_url, services.secret, join_id(view), f"station:{station}", "station", ttl, now=now.timestamp()
    )
    return s.JoinLink(
        url=url,
        expires_at=convert.local(now + timedelta(seconds=ttl)),
    )
