"""One transaction: the block's writes are committed together at its end, or rolled back if
anything (an error of the domain, a failed write, a cancellation) leaves it early.

Every write of the store follows the house order inside it: scope check → domain rule →
write + audit → commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlmodel import Session


@contextmanager
def transaction(db: Session) -> Iterator[Session]:
    """``with transaction(db):`` commits at the end of the block, rolls back and re-raises on
    any exception (``BaseException``: a cancelled request leaves nothing half written)."""
    try:
        yield db
        db.commit()
    except BaseException:
        db.rollback()
        raise
