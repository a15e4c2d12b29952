"""Calendar feed keys: the ``?key=`` of a station's iCalendar subscription.

Calendar programs cannot log in, so the feed address carries a key: an HMAC
of the station's code and the key's *generation* under the hub's secret.
The key travels in URLs (calendar programs, proxies' logs), so it can be
rotated: :func:`rotate_feed_key` counts the station's generation up
(audited), and every address made with an older key stops working.
Generation 0 is the key the hub handed out before keys could be rotated.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Optional

from sqlmodel import Session

from hub.errors import StationNotFound
from hub.scope import Actor
from store.audit import record
from store.models import Station


def feed_key(secret: bytes, station: str, generation: int = 0) -> str:
    """The key of ``station``'s feed at ``generation``: 32 hex digits."""
    message = b"calendar-feed:" + station.encode("utf-8")
    if generation:
        message += b":" + str(generation).encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def feed_key_ok(secret: bytes, station: str, generation: int, key: Optional[str]) -> bool:
    return hmac.compare_digest(feed_key(secret, station, generation).encode(), (key or "").encode("utf-8"))


def feed_generation(db: Session, station: str) -> int:
    row = db.get(Station, station)
    if row is None:
        raise StationNotFound(station)
    return row.feed_generation


def rotate_feed_key(db: Session, actor: Optional[Actor], station: str, now: Optional[datetime] = None) -> int:
    """Give ``station`` a new feed key; returns its generation.  The caller
    checks that ``actor`` may see the station's calendar (``None``: the
    command line, audited as the system)."""
    try:
        row = db.get(Station, station)
        if row is None:
            raise StationNotFound(station)
        before = row.feed_generation
        row.feed_generation = before + 1
        db.add(row)
        record(db, actor, "station.calendar_key_rotate", "station", station,
               {"station": station, "generation": before}, {"station": station, "generation": before + 1}, now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return before + 1
