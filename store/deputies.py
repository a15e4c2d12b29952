"""Deputies: the four levels of congress deputies (provincial, Jiaxing,
Haining, town) and the street residents' representatives (``street_rep``,
not congress deputies, managed alongside: "4+1").  Each belongs to a station
and a deputy group and may hold several levels.  Managing them is scoped like
scheduling and audited; the roster's list, edits and import are
``store/roster.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Session

from core.errors import InvalidPayload, NotFound, StationNotFound
from core.roster import clean_phone
from core.matrix import Matrix
from core.scope import Actor, Do, StationTarget, require
from store.audit import record
from store.models import DEPUTY_LEVELS, Deputy, Station
from store.roster import levels_of, phone_free, set_levels, snapshot
from store.tx import transaction


def create_deputy(
    db: Session,
    actor: Actor,
    matrix: Matrix,
    name: str,
    level: Optional[str],
    station: str,
    group: str = "",
    now: Optional[datetime] = None,
    levels: Optional[list[str]] = None,
    phone: Optional[str] = None,
) -> Deputy:
    """A new deputy at ``station`` with ``level`` and any further ``levels``
    (the primary level is the highest, ``core/roster.py``) and optionally
    its mobile number (unique on the roster)."""
    with transaction(db):
        if station not in matrix or db.get(Station, station) is None:
            raise StationNotFound("station_code", station=station)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(station), matrix)
        wanted = {*(levels or []), *([level] if level else [])}
        if not wanted or not wanted <= set(DEPUTY_LEVELS):
            raise InvalidPayload("deputy_level", choices=DEPUTY_LEVELS, field="level")
        if not name.strip():
            raise InvalidPayload("name_required", field="name")
        number = None
        if phone is not None and phone.strip():
            number = clean_phone(phone)
            if number is None:
                raise InvalidPayload("phone_invalid", field="phone")
            phone_free(db, number, None)
        deputy = Deputy(name=name.strip(), level=level or "town", station_code=station, deputy_group=group.strip(),
                        phone=number)
        if now is not None:
            deputy.created_at = now
        db.add(deputy)
        db.flush()
        ordered = set_levels(db, deputy, wanted)
        record(db, actor, "deputy.create", "deputy", deputy.id, None, snapshot(deputy, ordered), now)
    db.refresh(deputy)
    return deputy


def deactivate_deputy(db: Session, actor: Actor, matrix: Matrix, deputy_id: int, now: Optional[datetime] = None) -> Deputy:
    with transaction(db):
        deputy = db.get(Deputy, deputy_id)
        if deputy is None:
            raise NotFound(what="deputy", id=deputy_id)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(deputy.station_code), matrix)
        levels = levels_of(db, [deputy])[deputy_id]
        before = snapshot(deputy, levels)
        deputy.active = False
        db.add(deputy)
        record(db, actor, "deputy.deactivate", "deputy", deputy.id, before, snapshot(deputy, levels), now)
    db.refresh(deputy)
    return deputy
