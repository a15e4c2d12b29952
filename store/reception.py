"""Station reception duty 进站接待 and a session's 签到 by QR code (issue 13).

* The roster: deputies on duty per station and China-time day
  (:func:`set_roster`, :func:`day_of`), kept by the station's operator,
  dispatchers above it and administrators.
* The sign-in: a deputy's phone posts the code it scanned
  (:func:`sign_in`); the code is the station's code of the day or a live
  session's sign-in code (``duty/reception.py``).  A reception sign-in makes
  one reception duty record per deputy, station and day: approved for a
  deputy on the roster, pending review for one who came without (临时, only
  at a station of its own town).  A second scan changes nothing and says so.
* Residents received: the opinions the deputy raised that day at that
  station, read with the roster (no link column: the day, the station and
  the deputy name them).

Every write follows the house order: checks → write + audit → commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Optional, Sequence

from sqlmodel import Session, col, select

from core.errors import Forbidden, InvalidPayload, NotFound, OccurrenceNotFound, SessionClosed, StationNotFound
from core.matrix import Matrix
from core.scope import Actor, Role
from core.zone import ZONE
from duty import reception as rules_
from duty.scoring import ScoringRules
from scheduler.lifecycle import State
from scheduler.recurrence import Occurrence, expand
from store.audit import record
from store.duty import _occurrence, add_entries
from store.models import Deputy, Invitation
from store.opinion_models import DutyRecord, Opinion, ReceptionShift
from store.scope import town_of
from store.sessions import SessionRepo, SessionView
from store.tx import transaction


def _station(matrix: Matrix, code: str) -> None:
    if code not in matrix:
        raise StationNotFound("station_code", station=code)


def require_staff(actor: Actor, matrix: Matrix, station: str) -> None:
    """The station's operator, a dispatcher above it, an administrator."""
    _station(matrix, station)
    if actor.role is Role.ADMINISTRATOR:
        return
    if actor.role is Role.OPERATOR:
        if actor.station != station:
            raise Forbidden("operator_sees_own", station=actor.station)
        return
    if actor.role is Role.DISPATCHER:
        if not matrix.is_within(station, actor.station or ""):
            raise Forbidden("outside_subtree", station=station, scope=actor.station)
        return
    raise Forbidden("reception_staff_only")


# --- the roster -------------------------------------------------------------------------------


@dataclass
class ShiftView:
    shift: ReceptionShift
    deputy: Deputy
    record: Optional[DutyRecord]
    opinions: list[Opinion] = field(default_factory=list)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def day_of(db: Session, actor: Actor, matrix: Matrix, station: str, day: date) -> list[ShiftView]:
    """The station's reception day: who is on the roster, who came (临时
    too), their records and the opinions they captured there that day."""
    require_staff(actor, matrix, station)
    return _views(db, station, day)


def _views(db: Session, station: str, day: date) -> list[ShiftView]:
    shifts = list(db.exec(select(ReceptionShift).where(ReceptionShift.station_code == station,
                                                       ReceptionShift.day == day)
                          .order_by(col(ReceptionShift.id))).all())
    if not shifts:
        return []
    deputies = {d.id: d for d in db.exec(select(Deputy).where(col(Deputy.id).in_([s.deputy_id for s in shifts]))).all()}
    records = {r.id: r for r in db.exec(select(DutyRecord).where(
        col(DutyRecord.id).in_([s.duty_record_id for s in shifts if s.duty_record_id]))).all()}
    start, end = _day_bounds(day)
    opinions = list(db.exec(select(Opinion).where(
        Opinion.station_code == station, col(Opinion.deputy_id).in_(list(deputies)),
        col(Opinion.received_at) >= start, col(Opinion.received_at) < end).order_by(col(Opinion.id))).all())
    out = []
    for s in shifts:
        view = ShiftView(s, deputies[s.deputy_id], records.get(s.duty_record_id) if s.duty_record_id else None)
        view.opinions = [o for o in opinions if o.deputy_id == s.deputy_id]
        out.append(view)
    return out


def candidates(db: Session, matrix: Matrix, station: str) -> list[Deputy]:
    """The deputies the roster form offers: the active deputies of the
    station's town (its own deputies only, above the towns)."""
    town = town_of(matrix, station)
    codes = [s.code for s in matrix.subtree(town)] if town else [station]
    return list(db.exec(select(Deputy).where(col(Deputy.station_code).in_(codes), col(Deputy.active))
                        .order_by(col(Deputy.station_code), col(Deputy.name), col(Deputy.id))).all())


def _deputy_allowed(actor: Actor, matrix: Matrix, station: str, deputy: Deputy) -> None:
    """Staff roster deputies of the station's town, or (dispatchers,
    administrators) any deputy of their own subtree."""
    if actor.role is Role.ADMINISTRATOR:
        return
    if town_of(matrix, deputy.station_code) == town_of(matrix, station) and town_of(matrix, station) is not None:
        return
    if actor.role is Role.DISPATCHER and matrix.is_within(deputy.station_code, actor.station or ""):
        return
    raise Forbidden("deputy_outside_subtree", station=deputy.station_code, scope=actor.station or station)


def set_roster(
    db: Session, actor: Actor, matrix: Matrix, station: str, day: date, deputy_ids: Sequence[int], now: datetime,
) -> list[ShiftView]:
    """The day's roster becomes ``deputy_ids``.  Deputies who signed in stay
    (a record is never withdrawn here: staff reject it in review); a deputy
    who came without and is now put on the roster counts as rostered from
    now on.  Past days are kept as they were."""
    with transaction(db):
        require_staff(actor, matrix, station)
        if day < rules_.china_day(now):
            raise InvalidPayload("reception_day_past", field="day")
        wanted = set(deputy_ids)
        found = {d.id: d for d in db.exec(select(Deputy).where(col(Deputy.id).in_(wanted))).all()}
        for deputy_id in sorted(wanted):
            deputy = found.get(deputy_id)
            if deputy is None or not deputy.active:
                raise NotFound(what="deputy", id=deputy_id)
            _deputy_allowed(actor, matrix, station, deputy)
        shifts = {s.deputy_id: s for s in db.exec(select(ReceptionShift).where(
            ReceptionShift.station_code == station, ReceptionShift.day == day)).all()}
        before = sorted(d for d, s in shifts.items() if s.rostered)
        for deputy_id, shift in shifts.items():
            if deputy_id not in wanted and shift.rostered:
                if shift.signed_in_at is None:
                    db.delete(shift)
                else:
                    shift.rostered = False
                    db.add(shift)
        for deputy_id in wanted:
            kept = shifts.get(deputy_id)
            if kept is None:
                db.add(ReceptionShift(station_code=station, day=day, deputy_id=deputy_id, rostered=True,
                                      created_by=actor.account_id, created_at=now))
            elif not kept.rostered:
                kept.rostered = True
                db.add(kept)
        if before != sorted(wanted):
            record(db, actor, "reception.roster", "station", station, {"day": day.isoformat(), "deputies": before},
                   {"day": day.isoformat(), "deputies": sorted(wanted)}, now)
    return _views(db, station, day)


# --- signing in ----------------------------------------------------------------------------------


@dataclass
class SignIn:
    """What a scan did.  ``already``: the deputy had signed in (nothing new)."""

    kind: str  # reception | session
    already: bool
    station: str
    record: DutyRecord
    day: Optional[date] = None
    rostered: bool = True
    session_id: Optional[int] = None
    title: str = ""


def _deputy(db: Session, actor: Actor) -> Deputy:
    if actor.role is not Role.DEPUTY or actor.deputy_id is None:
        raise Forbidden("deputy_only")
    deputy = db.get(Deputy, actor.deputy_id)
    if deputy is None or not deputy.active:
        raise NotFound(what="deputy", id=actor.deputy_id)
    return deputy


def _refused(exc: rules_.CodeRefused) -> InvalidPayload:
    return InvalidPayload(exc.reason, field="code")


def sign_in(
    db: Session, actor: Actor, matrix: Matrix, rules: ScoringRules, repo: SessionRepo, secret: bytes, code: str,
    now: datetime,
) -> SignIn:
    """A logged-in deputy signs in with a scanned code (either kind)."""
    try:
        parsed = rules_.parse_code(secret, code)
    except rules_.CodeRefused as exc:
        raise _refused(exc) from None
    if isinstance(parsed, rules_.SessionCode):
        return _session_sign_in(db, actor, matrix, rules, repo, parsed, now)
    try:
        parsed = rules_.reception_of(secret, code, now)
    except rules_.CodeRefused as exc:
        raise _refused(exc) from None
    return _reception_sign_in(db, actor, matrix, rules, parsed, now)


def _reception_sign_in(
    db: Session, actor: Actor, matrix: Matrix, rules: ScoringRules, code: rules_.ReceptionCode, now: datetime,
) -> SignIn:
    with transaction(db):
        deputy = _deputy(db, actor)
        _station(matrix, code.station)
        shift = db.exec(select(ReceptionShift).where(
            ReceptionShift.station_code == code.station, ReceptionShift.day == code.day,
            ReceptionShift.deputy_id == deputy.id)).first()
        if shift is not None and shift.signed_in_at is not None and shift.duty_record_id is not None:
            row = db.get(DutyRecord, shift.duty_record_id)
            if row is not None:
                return SignIn("reception", True, code.station, row, code.day, shift.rostered)
        rostered = shift is not None and shift.rostered
        if not rostered and not rules_.walk_in_allowed(town_of(matrix, deputy.station_code),
                                                       town_of(matrix, code.station)):
            raise Forbidden("reception_not_your_town", station=code.station)
        assert deputy.id is not None
        entry = rules_.reception_record(rules, code.station, code.day, deputy.id, now, rostered)
        add_entries(db, matrix, [entry], actor, status="approved" if rostered else "pending")
        row = db.exec(select(DutyRecord).where(DutyRecord.key == entry.key)).one()
        if shift is None:
            shift = ReceptionShift(station_code=code.station, day=code.day, deputy_id=deputy.id, rostered=False,
                                   created_by=actor.account_id, created_at=now)
        shift.signed_in_at, shift.duty_record_id = now, row.id
        db.add(shift)
        record(db, actor, "reception.sign_in", "station", code.station, None,
               {"day": code.day.isoformat(), "deputy": deputy.id, "rostered": rostered, "record": row.id}, now)
    return SignIn("reception", False, code.station, row, code.day, rostered)


def _effective_end(view: SessionView, occurrence: Occurrence) -> datetime:
    ended = next((e.ended_at for e in view.exceptions if e.original_start == occurrence.key and e.ended_at), None)
    return min(ended, occurrence.end) if ended else occurrence.end


def _session_sign_in(
    db: Session, actor: Actor, matrix: Matrix, rules: ScoringRules, repo: SessionRepo, code: rules_.SessionCode,
    now: datetime,
) -> SignIn:
    with transaction(db):
        deputy = _deputy(db, actor)
        view = repo.load(db, code.session_id)
        if code.station not in view.stations or view.row.standing:
            raise InvalidPayload("signin_code_invalid", field="code")
        try:
            occurrence = _occurrence(view.series, code.occurrence_start)
        except OccurrenceNotFound:
            raise InvalidPayload("signin_code_invalid", field="code") from None
        state = repo.occurrence_state(view, occurrence, now)
        if not rules_.session_code_open(state is State.LIVE, _effective_end(view, occurrence), now) \
                or state is State.CANCELLED:
            raise SessionClosed("signin_session_not_live", state=state.value)
        invited = db.exec(select(Invitation.id).where(Invitation.session_id == view.row.id,
                                                      Invitation.deputy_id == deputy.id,
                                                      col(Invitation.revoked_at).is_(None))).first()
        if invited is None and not any(matrix.is_within(deputy.station_code, s) for s in view.stations):
            raise Forbidden("signin_deputy_not_in_session", station=deputy.station_code)
        assert deputy.id is not None and view.row.id is not None
        entry = rules_.session_signin_record(rules, view.row.id, occurrence.start, deputy.id, code.station, now)
        added = add_entries(db, matrix, [entry], actor)
        row = db.exec(select(DutyRecord).where(DutyRecord.key == entry.key)).one()
        if added:
            record(db, actor, "duty.attendance", "session", view.row.id, None,
                   {"occurrence": occurrence.start.isoformat(), "deputy": deputy.id, "via": "qr",
                    "station": code.station}, now)
    return SignIn("session", not added, code.station, row, session_id=view.row.id, title=view.row.title)


# --- making codes ---------------------------------------------------------------------------------


def live_occurrence(repo: SessionRepo, view: SessionView, now: datetime) -> Optional[Occurrence]:
    """The occurrence of ``view`` in its lobby or live now (a standing session has none)."""
    if view.row.standing:
        return None
    for occurrence in expand(view.series, now - timedelta(days=1), now + timedelta(minutes=repo.lobby_minutes + 1)):
        if repo.occurrence_state(view, occurrence, now) in (State.LOBBY, State.LIVE):
            return occurrence
    return None


def session_code_for(
    db: Session, actor: Actor, matrix: Matrix, repo: SessionRepo, secret: bytes, session_id: int, station: str,
    now: datetime, via_station_link: Optional[str] = None,
) -> tuple[str, Occurrence]:
    """The sign-in code a station's screen shows during a live occurrence:
    for that station's operator (or its join link), a dispatcher who sees the
    session, an administrator."""
    view = repo.load(db, session_id)
    if station not in view.stations:
        raise Forbidden("station_not_in_session", station=station)
    if via_station_link is not None:
        if via_station_link != station:
            raise Forbidden("operator_joins_own", station=via_station_link)
    elif actor.role is Role.OPERATOR:
        if actor.station != station:
            raise Forbidden("operator_sees_own", station=actor.station)
    elif actor.role is Role.DISPATCHER:
        if not any(matrix.is_within(c, actor.station or "") for c in {view.row.chair_code, *view.stations}):
            raise Forbidden("no_station_in_subtree", scope=actor.station)
    elif actor.role is not Role.ADMINISTRATOR:
        raise Forbidden("reception_staff_only")
    occurrence = live_occurrence(repo, view, now)
    if occurrence is None:
        raise SessionClosed("signin_session_not_live", state=repo.view_state(view, now).value)
    assert view.row.id is not None
    return rules_.session_code(secret, view.row.id, occurrence.start, station), occurrence


def my_receptions(db: Session, actor: Actor, since: date) -> list[ReceptionShift]:
    """The deputy's own reception days from ``since`` on (its phone's list)."""
    deputy = _deputy(db, actor)
    return list(db.exec(select(ReceptionShift).where(ReceptionShift.deputy_id == deputy.id,
                                                     col(ReceptionShift.day) >= since)
                        .order_by(col(ReceptionShift.day), col(ReceptionShift.id))).all())


__all__ = ["ShiftView", "SignIn", "day_of", "live_occurrence", "my_receptions", "require_staff", "session_code_for",
           "set_roster", "sign_in"]
