"""Department notices: an opinion assigned to a department leaves a notice for the department's
liaison, read in the console and, where the department has a webhook, posted by the shell's
delivery job (``hub/webhooks.py``) with its attempts recorded here.
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



def pending_webhooks(db: Session, limit: int = 50, max_attempts: int = 5) -> list[DepartmentNotice]:
    """Notices still to post to a department's webhook (for the delivery loop)."""
    return list(db.exec(
        select(DepartmentNotice).where(DepartmentNotice.webhook_status == "pending",
                                       col(DepartmentNotice.webhook_attempts) < max_attempts)
        .order_by(col(DepartmentNotice.id)).limit(limit)
    ).all())



def webhook_result(db: Session, notice_id: int, ok: bool, error: str = "", max_attempts: int = 5) -> None:
    row = db.get(DepartmentNotice, notice_id)
    if row is None:
        return
    row.webhook_attempts += 1
    row.webhook_status = "sent" if ok else ("failed" if row.webhook_attempts >= max_attempts else "pending")
    row.webhook_error = error[:500]
    db.add(row)
    db.commit()
