"""The audit log: who did what, when, with the record before and after.

:func:`record` adds an entry to the caller's transaction without committing,
so the entry and the change it describes are stored together or not at all.
``actor`` ``None`` is the system (the command line, the scheduler loop).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlmodel import Session, col, select

from hub.scope import Actor
from store.models import AuditEntry, utcnow


def record(
    db: Session,
    actor: Optional[Actor],
    action: str,
    target_type: str,
    target_id: Any,
    before: Optional[dict],
    after: Optional[dict],
    at: Optional[datetime] = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor.account_id if actor else None,
        actor_name=(actor.name if actor else "system")[:64],
        actor_role=str(actor.role) if actor else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    db.add(entry)
    return entry


def entries(
    db: Session, target_type: Optional[str] = None, target_id: Any = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == str(target_id))
    return list(db.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())
