"""The audit log: who did what, when, with the record before and after.

:func:`record` adds an entry to the caller's transaction without committing,
so the entry and the change it describes are stored together or not at all.
``actor`` ``None`` is the system (the command line, the scheduler loop).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlmodel import Session, col, select

from core.scope import Actor
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


# --- added for the REST API (api/) ----------------------------------------------


def entries_in_scope(
    db: Session,
    stations: Optional[set[str]],
    limit: int = 100,
    before_id: Optional[int] = None,
    action: Optional[str] = None,
    target_type: Optional[str] = None,
    target_id: Optional[str] = None,
    actor_name: Optional[str] = None,
    since: Optional[datetime] = None,
    until: Optional[datetime] = None,
) -> list[AuditEntry]:
    """Newest first, made by ``actor_name`` (a user name) in [``since``,
    ``until``) when given.  ``stations`` ``None`` is everything (an administrator);
    otherwise the entries about a session, deputy or account of one of
    ``stations``, or made by an account of one of them."""
    import sqlalchemy as sa

    from store.models import Account, Deputy, SessionStation

    query = select(AuditEntry)
    if stations is not None:
        codes = sorted(stations)
        text = sa.String()
        query = query.where(
            sa.or_(
                sa.and_(
                    col(AuditEntry.target_type) == "session",
                    col(AuditEntry.target_id).in_(
                        select(sa.cast(SessionStation.session_id, text)).where(col(SessionStation.station_code).in_(codes))
                    ),
                ),
                sa.and_(
                    col(AuditEntry.target_type) == "deputy",
                    col(AuditEntry.target_id).in_(
                        select(sa.cast(Deputy.id, text)).where(col(Deputy.station_code).in_(codes))
                    ),
                ),
                sa.and_(
                    col(AuditEntry.target_type) == "account",
                    col(AuditEntry.target_id).in_(
                        select(sa.cast(Account.id, text)).where(col(Account.station_code).in_(codes))
                    ),
                ),
                col(AuditEntry.actor_id).in_(select(Account.id).where(col(Account.station_code).in_(codes))),
            )
        )
    if before_id is not None:
        query = query.where(col(AuditEntry.id) < before_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_type is not None:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if actor_name is not None:
        query = query.where(AuditEntry.actor_name == actor_name)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    return list(db.exec(query.order_by(col(AuditEntry.id).desc()).limit(limit)).all())
