"""Deputies: the four levels of congress deputies (provincial, Jiaxing,
Haining, town) and the street residents' representatives (``street_rep``,
not congress deputies, managed alongside: "4+1").  Each belongs to a station
and a deputy group.  Managing them is scoped like scheduling and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Session

from core.errors import InvalidPayload, NotFound, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Do, StationTarget, require
from store.audit import record
from store.models import DEPUTY_LEVELS, Deputy, Station
from store.tx import transaction


def deputy_snapshot(deputy: Deputy) -> dict:
    return {
        "id": deputy.id,
        "name": deputy.name,
        "level": deputy.level,
        "station": deputy.station_code,
        "group": deputy.deputy_group,
        "active": deputy.active,
    }


def create_deputy(
    db: Session,
    actor: Actor,
    matrix: Matrix,
    name: str,
    level: str,
    station: str,
    group: str = "",
    now: Optional[datetime] = None,
) -> Deputy:
    with transaction(db):
        if station not in matrix or db.get(Station, station) is None:
            raise StationNotFound("station_code", station=station)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(station), matrix)
        if level not in DEPUTY_LEVELS:
            raise InvalidPayload("deputy_level", choices=DEPUTY_LEVELS, field="level")
        if not name.strip():
            raise InvalidPayload("name_required", field="name")
        deputy = Deputy(name=name.strip(), level=level, station_code=station, deputy_group=group)
        if now is not None:
            deputy.created_at = now
        db.add(deputy)
        db.flush()
        record(db, actor, "deputy.create", "deputy", deputy.id, None, deputy_snapshot(deputy), now)
    db.refresh(deputy)
    return deputy


def deactivate_deputy(db: Session, actor: Actor, matrix: Matrix, deputy_id: int, now: Optional[datetime] = None) -> Deputy:
    with transaction(db):
        deputy = db.get(Deputy, deputy_id)
        if deputy is None:
            raise NotFound(what="deputy", id=deputy_id)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(deputy.station_code), matrix)
        before = deputy_snapshot(deputy)
        deputy.active = False
        db.add(deputy)
        record(db, actor, "deputy.deactivate", "deputy", deputy.id, before, deputy_snapshot(deputy), now)
    db.refresh(deputy)
    return deputy


# --- added for the REST API (api/) ----------------------------------------------


def list_deputies(
    db: Session,
    actor: Actor,
    matrix: Matrix,
    station: Optional[str] = None,
    include_inactive: bool = False,
) -> list[Deputy]:
    """The deputies an actor manages: everyone for an administrator, the
    stations of its subtree for a dispatcher (``station`` narrows to one
    station's subtree, which must lie in scope)."""
    from sqlmodel import col, select

    scope = station or actor.station
    if scope is not None:
        if scope not in matrix:
            raise StationNotFound("station_code", station=scope)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(scope), matrix)
    else:
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(matrix.roots[0].code), matrix)
    query = select(Deputy)
    if scope is not None:
        query = query.where(col(Deputy.station_code).in_([s.code for s in matrix.subtree(scope)]))
    if not include_inactive:
        query = query.where(Deputy.active == True)  # noqa: E712
    return list(db.exec(query.order_by(col(Deputy.station_code), col(Deputy.name), col(Deputy.id))).all())
