"""Reading sessions without writing: the dry run of a plan (every conflict at once, for the
booking form) and the candidate sessions of a time window (for lists and calendars)."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import OccurrenceNotFound, ScheduleInvalid
from core.scope import Actor, Do, SessionTarget, require
from scheduler.conflicts import Booking, find_conflicts, self_overlaps
from scheduler.recurrence import Series, expand, find_occurrence, last_end, normalize_rrule
from store.models import Invitation, LinkedSession, SessionStation
from store.session_series import with_exceptions
from store.sessions import SessionPlan, SessionRepo


def check_plan(
    repo: SessionRepo,
    db: Session,
    actor: Actor,
    plan: SessionPlan,
    now: datetime,
    session_id: Optional[int] = None,
) -> list:
    """A dry run of :meth:`SessionRepo.create` (or of ``update`` for
    ``session_id``): the same validation and scope checks, raising the same
    errors, but every conflict is returned (a list of
    :class:`scheduler.conflicts.Conflict`, earliest first) instead of the
    first raised.  Nothing is written."""
    try:
        repo._check_text(plan)
        stations = repo._stations_for(db, plan)
        view = None
        if session_id is not None:
            view = repo.load(db, session_id)
            require(actor, Do.SCHEDULE, view.target, repo.matrix)
        require(actor, Do.SCHEDULE, SessionTarget(plan.chair, stations), repo.matrix)
        rrule = normalize_rrule(plan.rrule) if plan.rrule else None
        base = Series(plan.start, plan.end, rrule, plan.timezone)
        if view is None or plan.start != view.row.start_at:
            repo._require_not_past(plan.start, now)
        kept = []
        for e in view.exceptions if view is not None else ():
            try:
                find_occurrence(base, e.original_start)
                kept.append(e)
            except OccurrenceNotFound:
                pass
        series = with_exceptions(base, kept)
        window_start = now
        end = last_end(series) if series.bounded else None
        window_end = end if end is not None else max(now, series.start) + repo.horizon
        if window_end <= window_start:
            return []
        mine = tuple(expand(series, window_start, window_end))
        clash = self_overlaps(mine)
        if clash:
            first, second = clash[0]
            raise ScheduleInvalid(
                "occurrences_overlap", first=first.start.isoformat(), second=second.start.isoformat()
            )
        proposed = Booking(session_id, plan.title, stations, mine)
        return find_conflicts(proposed, repo._bookings(db, stations, window_start, window_end))
    finally:
        db.rollback()


def session_ids(
    db: Session,
    window_start: datetime,
    window_end: datetime,
    stations: Optional[Iterable[str]] = None,
    invited_deputy: Optional[int] = None,
) -> list[int]:
    """Ids of the sessions that may have an occurrence in the window (every
    series and standing session is a candidate; one-off sessions must
    overlap), optionally only those with one of ``stations`` or to which
    ``invited_deputy`` is invited.  Callers check scope and expand."""
    query = select(LinkedSession.id).where(
        sa.or_(
            col(LinkedSession.rrule).is_not(None),
            col(LinkedSession.standing) == True,  # noqa: E712
            sa.and_(col(LinkedSession.start_at) < window_end, col(LinkedSession.end_at) > window_start),
        )
    )
    if stations is not None:
        query = query.where(
            col(LinkedSession.id).in_(
                select(SessionStation.session_id).where(col(SessionStation.station_code).in_(sorted(set(stations))))
            )
        )
    if invited_deputy is not None:
        query = query.where(
            col(LinkedSession.id).in_(select(Invitation.session_id).where(Invitation.deputy_id == invited_deputy))
        )
    rows = db.exec(query.order_by(col(LinkedSession.start_at), col(LinkedSession.id))).all()
    return [i for i in rows if i is not None]  # stored rows: never None
