"""Posting department notices to their webhooks (issue 13): which notices
are due, the backoff after a failure, and the delivery log.

* A notice with a webhook starts ``pending`` and is due at once.  A failed
  try (an HTTP status outside 2xx, a network error, a timeout) makes it due
  again after :func:`backoff` — 30 s, 1 min, 2 min, … capped at an hour —
  until :data:`MAX_ATTEMPTS` tries have failed: then it is ``failed``.
* Every try is one row of ``webhook_delivery`` (when, which URL, the status
  or the error, how long, the outcome), which administrators read.

The signing and the HTTP post are the delivery loop's (``api/webhooks.py``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import Forbidden
from core.scope import Actor, Role
from store.opinion_models import DepartmentNotice, WebhookDelivery

MAX_ATTEMPTS = 8
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def backoff(failures: int, first: timedelta = FIRST_DELAY, cap: timedelta = MAX_DELAY) -> timedelta:
    """The wait after the ``failures``-th failed try (≥ 1): doubling from
    ``first``, at most ``cap`` (pure)."""
    return min(first * 2 ** max(failures - 1, 0), cap)


def due(db: Session, now: datetime, limit: int = 50) -> list[DepartmentNotice]:
    """Notices to post now: pending, with no later next try."""
    return list(db.exec(
        select(DepartmentNotice).where(
            DepartmentNotice.webhook_status == "pending",
            sa.or_(col(DepartmentNotice.webhook_next_at).is_(None), col(DepartmentNotice.webhook_next_at) <= now),
        ).order_by(col(DepartmentNotice.id)).limit(limit)
    ).all())


def record_try(
    db: Session, notice_id: int, at: datetime, ok: bool, status_code: Optional[int], error: str, duration_ms: int,
    first_delay: Optional[timedelta] = None,
) -> Optional[WebhookDelivery]:
    """Log one try and move the notice on: sent, pending until the backoff
    has passed, or failed after :data:`MAX_ATTEMPTS`."""
    notice = db.get(DepartmentNotice, notice_id)
    if notice is None:
        return None
    notice.webhook_attempts += 1
    notice.webhook_error = error[:500]
    next_at: Optional[datetime] = None
    if ok:
        notice.webhook_status = "sent"
    elif notice.webhook_attempts >= MAX_ATTEMPTS:
        notice.webhook_status = "failed"
    else:
        next_at = at + backoff(notice.webhook_attempts, first_delay or FIRST_DELAY)
    notice.webhook_next_at = next_at
    row = WebhookDelivery(
        notice_id=notice_id, department_code=notice.department_code, url=notice.webhook_url[:500],
        attempt=notice.webhook_attempts, at=at, ok=ok, status_code=status_code, error=error[:500],
        duration_ms=duration_ms, outcome=notice.webhook_status, next_at=next_at,
    )
    db.add(notice)
    db.add(row)
    db.commit()
    db.refresh(row)
    return row


def deliveries(
    db: Session, actor: Actor, department: Optional[str] = None, failed_only: bool = False, limit: int = 100,
) -> list[WebhookDelivery]:
    """The delivery log, newest first: administrators only."""
    if actor.role is not Role.ADMINISTRATOR:
        raise Forbidden("admin_reads_deliveries")
    query = select(WebhookDelivery)
    if department is not None:
        query = query.where(WebhookDelivery.department_code == department)
    if failed_only:
        query = query.where(WebhookDelivery.ok == False)  # noqa: E712
    return list(db.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all())
