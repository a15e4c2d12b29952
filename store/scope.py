"""Who reads what, in SQL: the town of a station, the WHERE clause of a reading scope, the scope
an actor reads statistics and lists for, and whether an actor sees one opinion.

The policy is shared by the opinion store, the duty records (``store/duty.py``) and the event
stream (``api/stream.py``); it holds no table of its own.  Administrators see all; a dispatcher
its subtree; an operator its own station; a deputy what it raised.
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from core.errors import Forbidden, NotFound, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Role
from store.opinion_models import Opinion


def town_of(matrix: Matrix, code: str) -> Optional[str]:
    """The town/street station at or above ``code`` (None above the towns)."""
    station = matrix.get(code)
    if station is None:
        return None
    if station.level == "town":
        return code
    return next((a.code for a in matrix.ancestors(code) if a.level == "town"), None)



def scope_clause(matrix: Matrix, scope: Optional[str], station_col: Any, town_col: Any) -> Any:
    """A WHERE clause for "within ``scope``'s subtree" (None: everything)."""
    if scope is None:
        return sa.true()
    station = matrix.get(scope)
    if station is None:
        raise StationNotFound("station_code", station=scope)
    if station.level == "town":
        return town_col == scope
    if station.level == "room":
        return station_col == scope
    return station_col.in_([s.code for s in matrix.subtree(scope)])



def reading_scope(actor: Actor, matrix: Matrix, scope: Optional[str]) -> Optional[str]:
    """The scope an actor reads statistics and lists for: ``scope`` if it lies
    in the actor's own; the actor's own by default (None: all, administrators)."""
    if actor.role is Role.DEPUTY:
        raise Forbidden("deputy_no_statistics")
    if actor.role is Role.DEPARTMENT:
        raise Forbidden("department_no_statistics")
    if scope is not None and scope not in matrix:
        raise StationNotFound("station_code", station=scope)
    if actor.role is Role.ADMINISTRATOR:
        return scope
    assert actor.station is not None
    if scope is None:
        return actor.station
    if actor.role is Role.OPERATOR and scope != actor.station:
        raise Forbidden("operator_sees_own", station=actor.station)
    if not matrix.is_within(scope, actor.station):
        raise Forbidden("outside_subtree", station=scope, scope=actor.station)
    return scope



def can_view(actor: Actor, matrix: Matrix, row: Opinion) -> bool:
    return can_view_opinion(actor, matrix, row.station_code, row.deputy_id, row.department)



def can_view_opinion(
    actor: Actor, matrix: Matrix, station: str, deputy_id: Optional[int], department: Optional[str] = None
) -> bool:
    """Whether ``actor`` sees an opinion of ``station`` raised by ``deputy_id``
    (and assigned to ``department``: what a department account sees)."""
    if actor.role is Role.ADMINISTRATOR:
        return True
    if actor.role is Role.DEPARTMENT:
        return actor.department is not None and department == actor.department
    if actor.role is Role.DEPUTY:
        return actor.deputy_id is not None and deputy_id == actor.deputy_id
    if actor.role is Role.OPERATOR:
        return station == actor.station
    return station in matrix and matrix.is_within(station, actor.station or "")



def require_view(actor: Actor, matrix: Matrix, row: Opinion) -> None:
    if not can_view(actor, matrix, row):
        # Not in scope: as if it did not exist.
        raise NotFound(what="opinion", id=row.id)
