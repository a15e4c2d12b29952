"""The notification centre (issue 13): ``GET /me/notifications``, the
reminders of the caller's role (:mod:`opinions.reminders`), derived from
the opinions and sessions in its scope when asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session, col, select

from core.matrix import Matrix
from core.scope import Actor, Role
from opinions import reminders
from opinions import workflow as wf
from opinions.reference import reference
from store.opinion_models import Opinion
from store.scope import scope_clause

from api import schemas as s
from api.convert import local
from api.framework import Call
from api.services import ApiServices
from api.opinions import rules_of
from api.sessions import _visible_in_window

HELD = [wf.Status.ASSIGNED.value, wf.Status.IN_PROGRESS.value]


class NotificationOut(s.Model):
    kind: str = Field(description="overdue, deadline_soon, assigned, returned, extension_requested, "
                                  "extension_refused, extension_approved, answered, lobby_open, session_soon")
    at: datetime
    title: str
    opinion_id: Optional[int]
    reference: Optional[str] = Field(description="the opinion's reference number")
    session_id: Optional[int]


class NotificationList(s.Model):
    items: list[NotificationOut]


def _opinions(db: Session, actor: Actor, matrix: Matrix, now: datetime) -> list[Opinion]:
    query = select(Opinion)
    if actor.role is Role.DEPARTMENT:
        query = query.where(Opinion.department == (actor.department or ""), col(Opinion.status).in_(HELD))
    elif actor.role is Role.DEPUTY:
        query = query.where(Opinion.deputy_id == (actor.deputy_id or -1), Opinion.status == wf.Status.FED_BACK.value)
    elif actor.role in (Role.DISPATCHER, Role.ADMINISTRATOR):
        scope = None if actor.role is Role.ADMINISTRATOR else actor.station
        query = query.where(
            scope_clause(matrix, scope, col(Opinion.station_code), col(Opinion.town_code)),
            sa.or_(col(Opinion.status) == wf.Status.RETURNED.value,
                   sa.and_(col(Opinion.status).in_(HELD), col(Opinion.deadline) < now)))
    else:
        return []
    return list(db.exec(query.order_by(col(Opinion.id)).limit(200)).all())


def _extensions(db: Session, actor: Actor, matrix: Matrix, now: datetime) -> list[reminders.Reminder]:
    """Extension requests: pending ones for those who decide, recent decisions for the department."""
    from store import extensions

    if actor.role in (Role.DISPATCHER, Role.ADMINISTRATOR):
        f = extensions.RequestFilter(status="pending", limit=200)
    elif actor.role is Role.DEPARTMENT:
        f = extensions.RequestFilter(decided_since=now - reminders.DECISION_NEWS, limit=200)
    else:
        return []
    rows = extensions.list_requests(db, actor, matrix, f)
    summaries = {o.id: o.summary for o in db.exec(select(Opinion).where(
        col(Opinion.id).in_({r.opinion_id for r in rows}))).all()} if rows else {}
    return reminders.for_extensions(actor.role.value, [
        reminders.ExtensionFacts(r.opinion_id, r.status, r.requested_at, r.decided_at, summaries.get(r.opinion_id, ""))
        for r in rows], now)


async def reminders_for(services: ApiServices, actor: Actor) -> list[NotificationOut]:
    """The reminders of ``actor`` now: what the bell shows and what
    :mod:`hub.outbound` sends out."""
    repo, now, calendar = services.repo, services.now(), rules_of(services).calendar

    def work(db: Session):
        rows = _opinions(db, actor, services.matrix, now)
        facts = [reminders.OpinionFacts(r.id or 0, r.status, r.deadline, r.updated_at, r.summary,
                                        r.town_code or r.station_code) for r in rows]
        found = reminders.for_opinions(actor.role.value, facts, calendar, now, services.matrix, actor.station)
        if actor.role in (Role.DEPUTY, Role.OPERATOR):
            station = actor.station if actor.role is Role.OPERATOR else None
            sessions = _visible_in_window(repo, db, actor, now, now + timedelta(days=1), station, None, now, True)
            found += reminders.for_sessions(
                [reminders.SessionFacts(x.id, x.title, x.next_occurrence.start, x.next_occurrence.state)
                 for x in sessions if x.next_occurrence is not None and not x.standing], now)
        found += _extensions(db, actor, services.matrix, now)
        received = {r.id: r.received_at for r in rows}
        for r in found:
            if r.opinion_id is not None and r.opinion_id not in received:
                row = db.get(Opinion, r.opinion_id)
                received[r.opinion_id] = row.received_at if row else now
        return found, received

    found, received = await services.db(work)
    return [NotificationOut(kind=r.kind, at=local(r.at), title=r.title, opinion_id=r.opinion_id,
                            reference=reference(r.opinion_id, received[r.opinion_id]) if r.opinion_id else None,
                            session_id=r.session_id)
            for r in reminders.ordered(found)]


async def my_notifications(call: Call) -> NotificationList:
    return NotificationList(items=await reminders_for(call.services, call.require_actor()))
