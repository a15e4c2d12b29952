"""The departments' side (承办单位, issue 13): what a department account has
to handle, overdue first, with its deadline in working days.

A department account (role ``department``, scope = its department code)
sees only the opinions assigned to it (:func:`store.opinions.can_view_opinion`)
and takes its own steps through the one workflow
(:data:`opinions.workflow.DEPARTMENT_STEPS`: accept = ``start``, 退回 =
``return`` with the reason, ``answer``; more time is a request a dispatcher
approves, :mod:`store.extensions`), through the same ``POST /opinions/{id}/actions`` as staff, so
the step lands in the timeline, the audit and the live news that the
deputy's phone and the dispatcher's console read.  The workflow refuses
the steps that are staff's (accept into the system, assign, feed back,
close, flag: ``role_may_not_act``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from sqlmodel import Session, col, select

from core.errors import Forbidden
from core.scope import Actor, Role
from opinions import workflow as wf
from opinions.deadlines import WorkCalendar
from store.opinion_models import Opinion

#: What a department's list shows by default: the opinions it holds now.
HELD = (wf.Status.ASSIGNED.value, wf.Status.IN_PROGRESS.value)
#: With ``done``: also those it answered (and what became of them).
ANSWERED = (wf.Status.ANSWERED.value, wf.Status.FED_BACK.value, wf.Status.RATED.value,
            wf.Status.REOPENED.value, wf.Status.CLOSED.value)


@dataclass(frozen=True)
class AssignedItem:
    opinion: Opinion
    overdue: bool
    #: Working days until the deadline (0: due today; negative: that many
    #: working days overdue); ``None`` without a deadline.
    working_days_left: Optional[int]


def require_department(actor: Actor) -> str:
    if actor.role is not Role.DEPARTMENT or not actor.department:
        raise Forbidden("role_may_not_do", role=actor.role.value, action="department.items")
    return actor.department


def days_left(calendar: WorkCalendar, deadline: Optional[datetime], now: datetime) -> Optional[int]:
    """Working days from today to the deadline's day (pure)."""
    if deadline is None:
        return None
    if now > deadline:
        return -max(calendar.working_days_overdue(deadline, now), 0)
    return calendar.working_days_between(calendar.local_date(now), calendar.local_date(deadline))


def sort_key(item: AssignedItem) -> tuple[Any, ...]:
    """Overdue first (the most overdue first), then by deadline, then the oldest."""
    o = item.opinion
    return (not item.overdue, o.deadline is None, o.deadline or o.received_at, o.received_at, o.id)


def assigned_items(
    db: Session, actor: Actor, calendar: WorkCalendar, now: datetime, done: bool = False, limit: int = 200
) -> list[AssignedItem]:
    """The opinions assigned to the actor's department: held now, or with
    ``done`` also those answered since."""
    department = require_department(actor)
    statuses = HELD + ANSWERED if done else HELD
    rows = db.exec(
        select(Opinion).where(Opinion.department == department, col(Opinion.status).in_(statuses))
        .order_by(col(Opinion.received_at)).limit(limit)
    ).all()
    items = []
    for row in rows:
        overdue = row.status in HELD and row.deadline is not None and now > row.deadline
        items.append(AssignedItem(row, overdue, days_left(calendar, row.deadline, now) if row.status in HELD else None))
    return sorted(items, key=sort_key)
