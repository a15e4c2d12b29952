"""Department notices: an opinion assigned to a department leaves a notice for the department's
liaison, read in the console and, where the department has a webhook, posted, signed, by the
delivery job (``api/webhooks.py``, its tries logged by ``store/webhooks.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Session, col, select

from core.errors import Forbidden, NotFound
from core.matrix import Matrix
from core.scope import Actor, Role
from store.opinion_models import DepartmentNotice, Opinion
from store.scope import can_view, scope_clause


def notices(
    db: Session, actor: Actor, matrix: Matrix, department: Optional[str] = None, unread: bool = False,
    limit: int = 100,
) -> list[DepartmentNotice]:
    """In-app notices of the opinions within the actor's scope, newest first
    (staff: a dispatcher sees those of its subtree)."""
    if actor.role not in (Role.ADMINISTRATOR, Role.DISPATCHER):
        raise Forbidden("notices_staff")
    scope = None if actor.role is Role.ADMINISTRATOR else actor.station
    query = (
        select(DepartmentNotice)
        .join(Opinion, col(Opinion.id) == col(DepartmentNotice.opinion_id))
        .where(scope_clause(matrix, scope, Opinion.station_code, Opinion.town_code))
    )
    if department is not None:
        query = query.where(DepartmentNotice.department_code == department)
    if unread:
        query = query.where(col(DepartmentNotice.read_at).is_(None))
    return list(db.exec(query.order_by(col(DepartmentNotice.id).desc()).limit(limit)).all())



def mark_notice_read(db: Session, actor: Actor, matrix: Matrix, notice_id: int, now: datetime) -> DepartmentNotice:
    if actor.role not in (Role.ADMINISTRATOR, Role.DISPATCHER):
        raise Forbidden("notices_staff")
    row = db.get(DepartmentNotice, notice_id)
    if row is None:
        raise NotFound(what="notice", id=notice_id)
    opinion = db.get(Opinion, row.opinion_id)
    if opinion is None or not can_view(actor, matrix, opinion):
        raise NotFound(what="notice", id=notice_id)
    if row.read_at is None:
        row.read_at = now
        db.add(row)
        db.commit()
        db.refresh(row)
    return row
