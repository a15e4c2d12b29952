"""The residents' online liaison station (网上联络站, issue 13): a resident,
without an account, sends a matter to a town's station and follows it with
its reference number and the last four digits of its phone.

* A submission becomes an opinion of the same workflow as any other
  (:func:`store.opinions.create_opinion`), raised by a resident, captured by
  the station the resident chose (the timeline names ``网上联络站``).  Only
  a town/street station or a grassroots room takes submissions.
* Rate limits (429 ``rate_limited``): per address :data:`PER_ADDRESS`, per
  phone number :data:`PER_PHONE`; lookups per address :data:`LOOKUPS`
  (four digits must not be cheap to guess).
* Photos: the reply to a submission carries a one-time upload key (its
  SHA-256 stored) valid for :data:`UPLOAD_WINDOW`.
* A lookup answers only when reference and digits match a resident's
  opinion, the same ``404`` otherwise; it shows the progress, the
  department's answer and the resident's own name and number masked —
  nothing of other people (no staff names, no deputies).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import InvalidPayload, NotFound, RateLimited, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Role
from core.zone import ZONE
from opinions.reference import parse as parse_reference
from store import opinions as store
from store.deputy_home import mask_phone, normalize_phone
from store.opinion_models import Opinion, OpinionEvent, OpinionPhoto, ResidentLookup, ResidentSubmission

PER_ADDRESS = (5, timedelta(hours=1))
PER_PHONE = (3, timedelta(days=1))
LOOKUPS = (20, timedelta(minutes=15))
UPLOAD_WINDOW = timedelta(hours=1)
MAX_PHOTOS = 3
#: Who the timeline says captured it.
CAPTURER = "网上联络站"


@dataclass(frozen=True)
class Submission:
    station: str
    category: str
    request_type: str
    summary: str
    name: str
    phone: str
    details: str = ""
    client_key: Optional[str] = None


def mask_name(name: str) -> str:
    """``王小明`` → ``王**`` (lists and lookups show no full name)."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _capturer(station: str) -> Actor:
    return Actor(role=Role.OPERATOR, station=station, name=CAPTURER)


def _limit(count: int, rule: tuple[int, timedelta], what: str) -> None:
    if count >= rule[0]:
        raise RateLimited("resident_rate_limited", kind=what, limit=rule[0], minutes=int(rule[1].total_seconds() // 60))


def submit(
    db: Session, matrix: Matrix, rules: store.OpinionRules, sub: Submission, remote: str, now: datetime
) -> tuple[store.OpinionView, Optional[str]]:
    """Store the resident's matter: ``(opinion, upload key)``; a retry with
    the same ``client_key`` returns the stored opinion and no new key."""
    station = matrix.get(sub.station)
    if station is None or station.level not in ("town", "room"):
        raise StationNotFound("station_code", station=sub.station)
    if not sub.name.strip():
        raise InvalidPayload("name_required", field="name")
    phone = normalize_phone(sub.phone)
    phone_hash = _hash(phone)
    count = db.exec(select(sa.func.count()).select_from(ResidentSubmission).where(
        ResidentSubmission.remote == remote[:64], col(ResidentSubmission.at) > now - PER_ADDRESS[1])).one()
    _limit(int(count), PER_ADDRESS, "address")
    count = db.exec(select(sa.func.count()).select_from(ResidentSubmission).where(
        ResidentSubmission.phone_hash == phone_hash, col(ResidentSubmission.at) > now - PER_PHONE[1])).one()
    _limit(int(count), PER_PHONE, "phone")
    capture = store.Capture(
        station=sub.station, category=sub.category, request_type=sub.request_type, summary=sub.summary,
        details=sub.details, resident_name=sub.name.strip(), resident_contact=phone, captured_at=now,
        client_key=sub.client_key,
    )
    view = store.create_opinion(db, _capturer(sub.station), matrix, rules, capture, now)
    if view.replayed:
        return view, None
    key = secrets.token_urlsafe(24)
    assert view.opinion.id is not None  # stored
    db.add(ResidentSubmission(opinion_id=view.opinion.id, remote=remote[:64], phone_hash=phone_hash,
                              upload_key_hash=_hash(key), upload_until=now + UPLOAD_WINDOW, at=now))
    db.commit()
    return view, key


def put_photo(
    db: Session, matrix: Matrix, opinion_id: int, key: str, position: int, content_type: str, data: bytes,
    now: datetime,
) -> OpinionPhoto:
    """A photo of the resident's own submission, with its upload key."""
    row = db.exec(select(ResidentSubmission).where(ResidentSubmission.opinion_id == opinion_id)).first()
    if row is None or not key or not secrets.compare_digest(row.upload_key_hash, _hash(key)) \
            or row.upload_until is None or row.upload_until <= now:
        raise NotFound(what="opinion", id=opinion_id)
    if not 0 <= position < MAX_PHOTOS:
        raise InvalidPayload("photo_position", maximum=MAX_PHOTOS - 1, field="position")
    opinion = db.get(Opinion, opinion_id)
    assert opinion is not None
    return store.put_photo(db, _capturer(opinion.station_code), matrix, opinion_id, position, content_type, data, now)


@dataclass
class Progress:
    opinion: Opinion
    events: list[OpinionEvent]


def lookup(db: Session, reference: str, digits: str, remote: str, now: datetime) -> Progress:
    """The progress of a resident's opinion by its reference number and the
    last four digits of the phone given with it (``NotFound`` otherwise)."""
    count = db.exec(select(sa.func.count()).select_from(ResidentLookup).where(
        ResidentLookup.remote == remote[:64], col(ResidentLookup.at) > now - LOOKUPS[1])).one()
    _limit(int(count), LOOKUPS, "lookup")
    wanted = parse_reference(reference or "")
    digits = (digits or "").strip()
    row = db.get(Opinion, wanted[1]) if wanted is not None and len(digits) == 4 and digits.isdigit() else None
    found = (row is not None and wanted is not None and row.raised_by == "resident"
             and row.resident_contact.endswith(digits) and len(row.resident_contact) >= 7
             and row.received_at.astimezone(ZONE).year == wanted[0])
    db.add(ResidentLookup(remote=remote[:64], at=now, found=found))
    db.commit()
    if not found or row is None:
        raise NotFound(what="opinion", id=(reference or "")[:40])
    events = list(db.exec(select(OpinionEvent).where(OpinionEvent.opinion_id == row.id).order_by(col(OpinionEvent.seq))).all())
    return Progress(row, events)


__all__ = ["CAPTURER", "Progress", "Submission", "lookup", "mask_name", "mask_phone", "put_photo", "submit"]
