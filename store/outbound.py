"""What the outbound adapter sent (``hub/outbound.py``, issue 13): a reminder's
key is claimed in the database before it goes out and released if the
delivery fails, and forgotten once the reminder is no longer due (a reminder
that comes back later, a reopened item, goes out again).  A claim is an
``INSERT … ON CONFLICT DO NOTHING``: after a restart, or with several hub
processes, a key already claimed is not sent again (at most once; the
message's ``key`` lets a gateway deduplicate as well)."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from store.opinion_models import OutboundSent

_TABLE = OutboundSent.__table__  # type: ignore[attr-defined]


def sent_keys(db: Session) -> set[str]:
    return set(db.exec(select(OutboundSent.key)).all())


def claim(db: Session, key: str, now: datetime) -> bool:
    """Record ``key`` as sent; False when it was already (by anyone)."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(key=key, sent_at=now).on_conflict_do_nothing(index_elements=["key"]) \
        .returning(_TABLE.c.key)
    claimed = db.execute(statement).first() is not None
    db.commit()
    return claimed


def release(db: Session, key: str) -> None:
    """The delivery failed: the next round tries again."""
    db.exec(delete(OutboundSent).where(col(OutboundSent.key) == key))  # type: ignore[call-overload]
    db.commit()


def forget_except(db: Session, due: Iterable[str]) -> int:
    """Forget the keys no longer due; how many were forgotten."""
    due = set(due)
    gone = [k for k in sent_keys(db) if k not in due]
    if gone:
        db.exec(delete(OutboundSent).where(col(OutboundSent.key).in_(gone)))  # type: ignore[call-overload]
        db.commit()
    return len(gone)
