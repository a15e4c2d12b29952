"""Deputy duty records 履职: automatic records (sessions attended, opinions
raised and resolved), manual records staff enter, their review, and ledgers
per deputy, deputy group, town/street and the city.

Records are unique by key (:func:`duty.scoring.record_key`): adding the same
fact again is a no-op (``INSERT … ON CONFLICT DO NOTHING``).  Automatic
records are approved when made; manual ones (attendance staff enter
included) wait for review, which a dispatcher never gives its own.  Ledgers count
approved records; street residents' representatives (``street_rep``) have a
ledger of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Iterable, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from duty import scoring
from core.errors import DutyReviewRefused, Forbidden, InvalidPayload, NotFound, OccurrenceNotFound, RuleError, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Do, Role, SessionTarget, require
from scheduler.lifecycle import DEFAULT_LOBBY_MINUTES, State
from scheduler.recurrence import Occurrence, Series, expand, find_occurrence
from store.audit import record
from store.models import Deputy
from store.opinion_models import DutyRecord
from store.scope import reading_scope, scope_clause, town_of
from store.sessions import SessionRepo
from store.tx import transaction


def _staff_over(actor: Actor, matrix: Matrix, station: str) -> None:
    if actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is not Role.DISPATCHER:
        raise Forbidden("duty_staff_only")
    if not matrix.is_within(station, actor.station or ""):
        raise Forbidden("outside_subtree", station=station, scope=actor.station)


def _person_kind(deputy: Deputy) -> str:
    return "street_rep" if deputy.level == "street_rep" else "deputy"


def add_entries(
    db: Session, matrix: Matrix, entries: Iterable[scoring.DutyEntry], actor: Optional[Actor],
    status: str = "approved",
) -> int:
    """Insert records whose key is new, in the caller's transaction (no
    commit).  Returns how many were new."""
    entries = scoring.dedupe(entries)
    if not entries:
        return 0
    deputies = {d.id: d for d in db.exec(select(Deputy).where(col(Deputy.id).in_({e.deputy_id for e in entries}))).all()}
    values = []
    for e in entries:
        deputy = deputies.get(e.deputy_id)
        if deputy is None:
            raise NotFound(what="deputy", id=e.deputy_id)
        values.append(dict(
            key=e.key, deputy_id=e.deputy_id, person_kind=_person_kind(deputy), station_code=deputy.station_code,
            town_code=town_of(matrix, deputy.station_code), deputy_group=deputy.deputy_group, kind=e.kind,
            occasion=e.occasion[:160], occurred_at=e.occurred_at, points=e.points, minutes=e.minutes,
            manual=e.manual, status=status, note=e.note[:500], review_reason="",
            created_by=actor.account_id if actor else None, created_at=e.occurred_at,
        ))
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = DutyRecord.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(values).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    return len(db.execute(statement).fetchall())


def record_attendance(
    db: Session, matrix: Matrix, rules: scoring.ScoringRules, session_id: int, day_start: datetime,
    stays: Sequence[scoring.Attendance], now: datetime,
) -> int:
    """Approved records for the deputies the live layer saw in a session on
    the day starting ``day_start`` (:func:`duty.scoring.attendance_day`);
    called when an occurrence ends (a standing session: when its room
    empties).  Idempotent."""
    with transaction(db):
        entries = scoring.session_records(rules, session_id, day_start, stays)
        added = add_entries(db, matrix, entries, None)
        if added:
            record(db, None, "duty.attendance", "session", session_id, None,
                   {"occurrence": day_start.isoformat(), "records": added}, now)
    return added


def enter_attendance(
    db: Session, actor: Actor, matrix: Matrix, rules: scoring.ScoringRules, session_id: int,
    occurrence_start: datetime, stays: Sequence[scoring.Attendance], now: datetime,
    lobby_minutes: float = DEFAULT_LOBBY_MINUTES,
) -> int:
    """Attendance staff enter by hand (a deputy the live layer missed: it
    sat at a station's screen, its phone failed).  Such records are manual
    and wait for review, as other manual records; they share their key with
    the live layer's (one per deputy, session and day), so neither doubles
    the other.

    The caller controls the session (:data:`~core.scope.Do.CONTROL`) and
    keeps every deputy named (:func:`_staff_over`); ``occurrence_start``
    names a real occurrence of the session (by its start or original start)
    that is over, and each stay lies within it.  Returns how many records
    are new."""
    with transaction(db):
        repo = SessionRepo(matrix, lobby_minutes=lobby_minutes)
        view = repo.load(db, session_id)
        _staff_over_session(actor, matrix, view.target)
        if view.row.standing:
            raise InvalidPayload("attendance_standing_session", field="occurrenceStart")
        occurrence = _occurrence(view.series, occurrence_start)
        state = repo.occurrence_state(view, occurrence, now)
        if state is not State.ENDED:
            raise InvalidPayload("attendance_occurrence_not_over", state=state.value, field="occurrenceStart")
        deputies = {d.id: d for d in db.exec(
            select(Deputy).where(col(Deputy.id).in_({s.deputy_id for s in stays}))).all()}
        for stay in stays:
            deputy = deputies.get(stay.deputy_id)
            if deputy is None:
                raise NotFound(what="deputy", id=stay.deputy_id)
            _staff_over(actor, matrix, deputy.station_code)
        try:
            scoring.check_stays(stays, occurrence.start - timedelta(minutes=lobby_minutes), occurrence.end)
            entries = scoring.session_records(rules, session_id, scoring.attendance_day(occurrence.start), stays)
        except ValueError as exc:
            raise InvalidPayload(str(exc), field="stays") from None
        entries = [replace(e, manual=True, note=f"occurrence {occurrence.start.isoformat()}") for e in entries]
        added = add_entries(db, matrix, entries, actor, status="pending")
        if added:
            record(db, actor, "duty.attendance", "session", session_id, None,
                   {"occurrence": occurrence.start.isoformat(), "records": added, "status": "pending"}, now)
    return added


def _staff_over_session(actor: Actor, matrix: Matrix, target: SessionTarget) -> None:
    if actor.role not in (Role.ADMINISTRATOR, Role.DISPATCHER):
        raise Forbidden("attendance_by_staff")
    require(actor, Do.CONTROL, target, matrix)


def _occurrence(series: Series, start: datetime) -> Occurrence:
    """The occurrence that starts (or originally started) at ``start``."""
    try:
        return find_occurrence(series, start)
    except OccurrenceNotFound:
        for occurrence in expand(series, start, start + timedelta(seconds=1)):
            if occurrence.start == start:
                return occurrence
        raise


def add_manual(
    db: Session, actor: Actor, matrix: Matrix, rules: scoring.ScoringRules, deputy_id: int, kind: str,
    occasion: str, occurred_at: datetime, now: datetime, points: Optional[float] = None, note: str = "",
) -> DutyRecord:
    """A record staff enter (station reception duty...), pending review.
    The same person, kind and occasion again returns the stored record."""
    with transaction(db):
        deputy = db.get(Deputy, deputy_id)
        if deputy is None:
            raise NotFound(what="deputy", id=deputy_id)
        _staff_over(actor, matrix, deputy.station_code)
        try:
            entry = scoring.manual_record(rules, kind, deputy_id, occasion, occurred_at, points, note)
        except RuleError as exc:
            raise InvalidPayload.because(exc, field="kind") from None
        if add_entries(db, matrix, [entry], actor, status="pending"):
            row = db.exec(select(DutyRecord).where(DutyRecord.key == entry.key)).one()
            record(db, actor, "duty.create", "duty_record", row.id, None, snapshot(row), now)
    return db.exec(select(DutyRecord).where(DutyRecord.key == entry.key)).one()


def review(
    db: Session, actor: Actor, matrix: Matrix, record_id: int, approve: bool, reason: str, now: datetime
) -> DutyRecord:
    """Approve or reject a record; rejecting needs a reason.  A reviewed
    record may be reviewed again (a correction).  A dispatcher never
    approves a record it entered itself: another account in scope does."""
    with transaction(db):
        row = db.get(DutyRecord, record_id)
        if row is None:
            raise NotFound(what="duty record", id=record_id)
        _staff_over(actor, matrix, row.station_code)
        if not approve and not reason.strip():
            raise InvalidPayload("rejection_needs_reason", field="reason")
        if approve and actor.role is Role.DISPATCHER and row.created_by is not None \
                and row.created_by == actor.account_id:
            raise Forbidden("duty_own_record")
        target = "approved" if approve else "rejected"
        if row.status == target:
            raise DutyReviewRefused("duty_already", review=target)
        before = snapshot(row)
        row.status, row.review_reason = target, reason.strip()[:500]
        row.reviewed_by, row.reviewed_at = actor.account_id, now
        db.add(row)
        record(db, actor, f"duty.{'approve' if approve else 'reject'}", "duty_record", row.id, before, snapshot(row), now)
    db.refresh(row)
    return row


def snapshot(row: DutyRecord) -> dict:
    return {"id": row.id, "key": row.key, "deputy": row.deputy_id, "kind": row.kind, "points": row.points,
            "status": row.status, "reason": row.review_reason}


@dataclass(frozen=True)
class DutyFilter:
    scope: Optional[str] = None
    deputy_id: Optional[int] = None
    kind: Optional[str] = None
    status: Optional[str] = None
    person_kind: Optional[str] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    limit: int = 100
    offset: int = 0


def _where(actor: Actor, matrix: Matrix, f: DutyFilter) -> list:
    conditions: list = []
    if actor.role is Role.DEPUTY:
        conditions.append(DutyRecord.deputy_id == (actor.deputy_id or -1))
    else:
        scope = reading_scope(actor, matrix, f.scope)
        conditions.append(scope_clause(matrix, scope, col(DutyRecord.station_code), col(DutyRecord.town_code)))
    for column, value in ((DutyRecord.deputy_id, f.deputy_id), (DutyRecord.kind, f.kind),
                          (DutyRecord.status, f.status), (DutyRecord.person_kind, f.person_kind)):
        if value is not None:
            conditions.append(column == value)
    if f.start is not None:
        conditions.append(col(DutyRecord.occurred_at) >= f.start)
    if f.end is not None:
        conditions.append(col(DutyRecord.occurred_at) < f.end)
    return conditions


def list_records(db: Session, actor: Actor, matrix: Matrix, f: DutyFilter) -> tuple[list[DutyRecord], int]:
    where = sa.and_(*_where(actor, matrix, f))
    total = db.exec(select(sa.func.count()).select_from(DutyRecord).where(where)).one()
    rows = db.exec(select(DutyRecord).where(where)
                   .order_by(col(DutyRecord.occurred_at).desc(), col(DutyRecord.id).desc())
                   .limit(f.limit).offset(f.offset)).all()
    return list(rows), int(total)


def ledger_records(db: Session, actor: Actor, matrix: Matrix, f: DutyFilter) -> list[scoring.LedgerRecord]:
    """The records of a period and scope, summed per deputy, kind and status
    in SQL, as the pure ledger's input (one row per deputy × kind × status)."""
    where = sa.and_(*_where(actor, matrix, f))
    rows = db.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            DutyRecord.deputy_id, Deputy.name, DutyRecord.deputy_group, DutyRecord.town_code,
            DutyRecord.person_kind, DutyRecord.kind, DutyRecord.status,
            sa.func.sum(DutyRecord.points), sa.func.count(),
        )
        .join(Deputy, col(Deputy.id) == col(DutyRecord.deputy_id))
        .where(where)
        .group_by(DutyRecord.deputy_id, Deputy.name, DutyRecord.deputy_group, DutyRecord.town_code,
                  DutyRecord.person_kind, DutyRecord.kind, DutyRecord.status)
    ).all()
    out = []
    for deputy_id, name, group, town, person_kind, kind, status, points, count in rows:
        out.append(scoring.LedgerRecord(deputy_id, name, group, town or "", person_kind, kind, float(points),
                                        status, int(count)))
    return out


def ledger(
    db: Session, actor: Actor, matrix: Matrix, f: DutyFilter, by: str = "deputy", person_kind: str = "deputy"
) -> list[scoring.LedgerRow]:
    if f.scope is not None and f.scope not in matrix:
        raise StationNotFound("station_code", station=f.scope)
    names = {s.code: s.name for s in matrix.stations()}
    return scoring.ledger(ledger_records(db, actor, matrix, f), by, person_kind, names)
