"""The deputy roster in the database (代表名册, issue 13): a person's levels,
the filtered list, editing, reactivating and the Excel import's writes.

The rules are :mod:`core.roster` (pure); here they meet the tables.  Every
write is scope-checked (``Do.MANAGE_DEPUTIES``: administrators everywhere,
a dispatcher in its subtree; nobody else), audited in the same transaction,
and leaves nothing changed when refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core import roster as rules
from core.errors import InvalidPayload, NotFound, StationNotFound, UsernameTaken
from core.matrix import Matrix
from core.scope import Actor, Do, StationTarget, require
from store.audit import record
from store.models import Account, Deputy, DeputyLevelRow, Station
from store.tx import transaction


# --- levels -----------------------------------------------------------------------------------


def levels_of(db: Session, deputies: Iterable[Deputy]) -> dict[int, list[str]]:
    """Each deputy's levels, highest first (a deputy without rows: its one level)."""
    rows = list(deputies)
    ids = [d.id for d in rows if d.id is not None]
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for deputy_id, level in db.exec(
            select(DeputyLevelRow.deputy_id, DeputyLevelRow.level).where(col(DeputyLevelRow.deputy_id).in_(chunk))
        ).all():
            found.setdefault(deputy_id, []).append(level)
    return {d.id: rules.ordered_levels(found.get(d.id) or [d.level]) for d in rows if d.id is not None}


def set_levels(db: Session, deputy: Deputy, levels: Iterable[str]) -> list[str]:
    """Replace the deputy's levels (flushed); ``deputy.level`` becomes the highest."""
    ordered = rules.ordered_levels(levels)
    if not ordered:
        raise InvalidPayload("deputy_levels_required", field="levels")
    assert deputy.id is not None
    deputy.level = ordered[0]
    db.add(deputy)
    db.exec(sa.delete(DeputyLevelRow).where(col(DeputyLevelRow.deputy_id) == deputy.id))  # type: ignore[call-overload]
    for level in ordered:
        db.add(DeputyLevelRow(deputy_id=deputy.id, level=level))
    db.flush()
    return ordered


def snapshot(deputy: Deputy, levels: list[str]) -> dict:
    """What the audit keeps of a deputy (the phone masked)."""
    return {
        "id": deputy.id, "name": deputy.name, "level": deputy.level, "levels": levels,
        "station": deputy.station_code, "group": deputy.deputy_group, "active": deputy.active,
        "phone": rules.mask(deputy.phone) if deputy.phone else None,
    }


# --- the list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterFilter:
    station: Optional[str] = None
    level: Optional[str] = None
    group: Optional[str] = None
    #: ``True``: serving only; ``False``: deactivated only; ``None``: both.
    active: Optional[bool] = True
    text: Optional[str] = None
    limit: int = 10_000


def scope_codes(actor: Actor, matrix: Matrix, station: Optional[str] = None) -> Optional[list[str]]:
    """The stations whose deputies ``actor`` manages, narrowed to ``station``'s
    subtree (which must lie in scope); ``None``: all (an administrator's)."""
    scope = station or actor.station
    if scope is not None:
        if scope not in matrix:
            raise StationNotFound("station_code", station=scope)
        require(actor, Do.MANAGE_DEPUTIES, StationTarget(scope), matrix)
        return [s.code for s in matrix.subtree(scope)]
    require(actor, Do.MANAGE_DEPUTIES, StationTarget(matrix.roots[0].code), matrix)
    return None


def search(db: Session, actor: Actor, matrix: Matrix, f: RosterFilter) -> list[Deputy]:
    """The roster within the actor's scope, filtered, by station and name."""
    codes = scope_codes(actor, matrix, f.station)
    query = select(Deputy)
    if codes is not None:
        query = query.where(col(Deputy.station_code).in_(codes))
    if f.active is not None:
        query = query.where(Deputy.active == f.active)
    if f.level:
        levels = select(DeputyLevelRow.deputy_id).where(DeputyLevelRow.level == f.level)
        query = query.where(sa.or_(col(Deputy.id).in_(levels), col(Deputy.level) == f.level))
    if f.group:
        query = query.where(Deputy.deputy_group == f.group)
    if f.text:
        like = f"%{f.text.strip()}%"
        query = query.where(sa.or_(col(Deputy.name).like(like), col(Deputy.phone).like(like)))
    return list(db.exec(query.order_by(col(Deputy.station_code), col(Deputy.name), col(Deputy.id)).limit(f.limit)).all())


def groups(db: Session, actor: Actor, matrix: Matrix) -> list[str]:
    """The deputy groups (代表小组) in use within scope, for the filter."""
    codes = scope_codes(actor, matrix)
    query = select(Deputy.deputy_group).where(Deputy.deputy_group != "").distinct()
    if codes is not None:
        query = query.where(col(Deputy.station_code).in_(codes))
    return sorted(db.exec(query).all())


# --- editing ----------------------------------------------------------------------------------


def _get(db: Session, actor: Actor, matrix: Matrix, deputy_id: int) -> Deputy:
    """The deputy, if ``actor`` manages its station (``Forbidden`` otherwise, with the reason)."""
    deputy = db.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(what="deputy", id=deputy_id)
    require(actor, Do.MANAGE_DEPUTIES, StationTarget(deputy.station_code), matrix)
    return deputy


def phone_free(db: Session, phone: str, deputy_id: Optional[int]) -> None:
    """``UsernameTaken`` if another deputy has the number or another account logs in with it."""
    other = db.exec(select(Deputy).where(Deputy.phone == phone, Deputy.id != deputy_id)).first()
    account = db.exec(select(Account).where(Account.username == phone)).first()
    if other is not None or (account is not None and (deputy_id is None or account.deputy_id != deputy_id)):
        raise UsernameTaken("phone_taken", phone=rules.mask(phone))


def _follow_account(db: Session, deputy: Deputy, old_phone: Optional[str]) -> None:
    """The deputy's account follows the roster: its name, station, and its
    user name when that was the old number (it logs in with the new one)."""
    account = db.exec(select(Account).where(Account.deputy_id == deputy.id)).first()
    if account is None:
        return
    account.display_name = deputy.name
    account.station_code = deputy.station_code
    if deputy.phone and old_phone and account.username == old_phone:
        account.username = deputy.phone
    db.add(account)


@dataclass(frozen=True)
class DeputyChange:
    """A PATCH: ``None`` leaves a field; ``phone=""`` clears the number."""

    name: Optional[str] = None
    levels: Optional[list[str]] = None
    station: Optional[str] = None
    group: Optional[str] = None
    phone: Optional[str] = None


def update_deputy(db: Session, actor: Actor, matrix: Matrix, deputy_id: int, change: DeputyChange,
                  now: Optional[datetime] = None) -> tuple[Deputy, list[str]]:
    """Edit a deputy; the old and the new station must both lie in scope.
    Audited as ``deputy.update``; refused: nothing changes."""
    with transaction(db):
        deputy = _get(db, actor, matrix, deputy_id)
        before_levels = levels_of(db, [deputy])[deputy_id]
        before = snapshot(deputy, before_levels)
        old_phone = deputy.phone
        if change.name is not None:
            if not change.name.strip():
                raise InvalidPayload("name_required", field="name")
            deputy.name = change.name.strip()
        if change.station is not None and change.station != deputy.station_code:
            if change.station not in matrix or db.get(Station, change.station) is None:
                raise StationNotFound("station_code", station=change.station)
            require(actor, Do.MANAGE_DEPUTIES, StationTarget(change.station), matrix)
            deputy.station_code = change.station
        if change.group is not None:
            deputy.deputy_group = change.group.strip()
        if change.phone is not None:
            if change.phone.strip():
                phone = rules.clean_phone(change.phone)
                if phone is None:
                    raise InvalidPayload("phone_invalid", field="phone")
                phone_free(db, phone, deputy.id)
                deputy.phone = phone
            else:
                deputy.phone = None
        levels = set_levels(db, deputy, change.levels) if change.levels is not None else before_levels
        _follow_account(db, deputy, old_phone)
        db.add(deputy)
        record(db, actor, "deputy.update", "deputy", deputy.id, before, snapshot(deputy, levels), now)
    db.refresh(deputy)
    return deputy, levels


def reactivate_deputy(db: Session, actor: Actor, matrix: Matrix, deputy_id: int,
                      now: Optional[datetime] = None) -> Deputy:
    """A deactivated deputy serves again (its account, if any, logs in
    again); audited as ``deputy.reactivate``."""
    with transaction(db):
        deputy = _get(db, actor, matrix, deputy_id)
        levels = levels_of(db, [deputy])[deputy_id]
        before = snapshot(deputy, levels)
        deputy.active = True
        db.add(deputy)
        record(db, actor, "deputy.reactivate", "deputy", deputy.id, before, snapshot(deputy, levels), now)
    db.refresh(deputy)
    return deputy


# --- the import -------------------------------------------------------------------------------


def _update_from(db: Session, actor: Actor, row: rules.GoodRow, now: Optional[datetime]) -> None:
    existing = db.get(Deputy, row.existing)
    assert existing is not None and existing.id is not None
    before = snapshot(existing, levels_of(db, [existing])[existing.id])
    old_phone = existing.phone
    existing.name, existing.station_code, existing.deputy_group = row.name, row.station, row.group
    existing.phone = row.phone
    set_levels(db, existing, row.levels)
    _follow_account(db, existing, old_phone)
    record(db, actor, "deputy.update", "deputy", existing.id, before, snapshot(existing, list(row.levels)), now)


def context(db: Session, actor: Actor, matrix: Matrix) -> rules.RosterContext:
    """What an import is validated against: the stations, the importer's
    scope, every deputy (a phone number is unique over the whole roster) and
    the accounts' user names that are phone numbers."""
    codes = scope_codes(actor, matrix)
    deputies = list(db.exec(select(Deputy)).all())
    levels = levels_of(db, deputies)
    existing = [rules.Existing(d.id, d.name, d.station_code, tuple(levels[d.id]), d.deputy_group, d.phone)
                for d in deputies if d.id is not None]
    phones = {username: deputy_id for username, deputy_id in db.exec(select(Account.username, Account.deputy_id)).all()
              if rules.PHONE.match(username)}
    stations = {s.code: s.name for s in matrix.stations()}
    return rules.RosterContext(stations, frozenset(codes) if codes is not None else None, existing, phones)


def apply_import(db: Session, actor: Actor, matrix: Matrix, result: rules.Validation, file_name: str,
                 now: Optional[datetime] = None) -> dict[str, int]:
    """Write the good rows of a validation in one transaction: new deputies
    created, those matched updated (audited each, and the import once with
    its counts and the file name)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "bad": len(result.bad)}
    with transaction(db):
        scope_codes(actor, matrix)
        created: list[tuple[Deputy, rules.GoodRow]] = []
        for row in result.good:
            if row.unchanged:
                counts["unchanged"] += 1
            elif row.existing is None:
                deputy = Deputy(name=row.name, level=row.level, station_code=row.station, deputy_group=row.group,
                                phone=row.phone)
                if now is not None:
                    deputy.created_at = now
                db.add(deputy)
                created.append((deputy, row))
            else:
                _update_from(db, actor, row, now)
                counts["updated"] += 1
        db.flush()  # the new deputies' ids, in one go
        for deputy, row in created:
            assert deputy.id is not None
            for level in row.levels:
                db.add(DeputyLevelRow(deputy_id=deputy.id, level=level))
            record(db, actor, "deputy.create", "deputy", deputy.id, None, snapshot(deputy, list(row.levels)), now)
        counts["created"] = len(created)
        record(db, actor, "deputy.import", "roster", "import", None,
               {"file": file_name[:200], "rows": len(result.good) + len(result.bad), **counts}, now)
    return counts
