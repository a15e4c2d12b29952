"""Linked sessions in storage: the repository dispatchers act through.

Every action here runs in one transaction that (1) checks the actor's scope
(:mod:`core.scope`), (2) checks the domain rules (:mod:`scheduler.recurrence`,
:mod:`scheduler.lifecycle`) and the station conflicts against the stored
sessions (:mod:`scheduler.conflicts`), (3) writes the change and its audit
entry, and (4) commits before returning.  Any refusal rolls everything back.

Rules beyond the domain modules
-------------------------------
* The chair is always one of the participating stations; a linked session
  joins at least two stations, all of them active in the matrix.
* A new session, or a new start, cannot lie in the past.
* Conflicts are checked from ``now`` on: to the series' last end for a
  bounded series, over :attr:`SessionRepo.horizon` for an unbounded one.
  The check and the write are serialized (PostgreSQL: an advisory lock;
  SQLite: its write lock, taken before the check), so two dispatchers
  cannot book the same station at once.
* ``version`` is compared and bumped in one ``UPDATE``: an edit made on a
  stale copy fails with :class:`~core.errors.StaleVersion`.
* Changing a series' timing keeps the exceptions of occurrences that still
  exist under the new rule and drops the others.
* Cancelling a session or an occurrence and ending one early follow
  :func:`scheduler.lifecycle.check_transition`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import (
    OccurrenceNotFound,
    ScheduleInvalid,
    SessionNotFound,
    StaleVersion,
    StationNotFound,
    TransitionRefused,
)
from core.matrix import Matrix
from core.scope import Actor, Do, Pick, SessionTarget, expand_picks, require
from scheduler import lifecycle
from scheduler.conflicts import Booking, require_no_conflict
from scheduler.lifecycle import Action, State, Timing
from scheduler.recurrence import (
    DEFAULT_TZ,
    Moved,
    Occurrence,
    Series,
    expand,
    find_occurrence,
    last_end,
    normalize_rrule,
    zone,
)
from store.audit import record
from store.models import (
    LinkedSession,
    OccurrenceException,
    SessionStation,
    Station,
)
from store.session_series import exception_snapshot, series_of, snapshot, with_exceptions
from store.tx import transaction

SCHEDULE_LOCK = 0x6C6873  # "lhs": PostgreSQL advisory lock serializing bookings
MIN_STATIONS = 2


@dataclass(frozen=True)
class SessionPlan:
    """What a dispatcher asks for.  ``stations`` are picks (``"xucun"``,
    ``"haining/*"`` or :class:`~core.scope.Pick`); the chair is added."""

    title: str
    chair: str
    stations: tuple[Pick | str, ...]
    start: datetime
    end: datetime
    rrule: Optional[str] = None
    agenda: str = ""
    title_en: str = ""
    timezone: str = DEFAULT_TZ
    record: bool = False  # recorded from its start (issue 12)


@dataclass
class SessionView:
    """A stored session with what the rules need."""

    row: LinkedSession
    stations: frozenset[str]
    series: Series
    exceptions: list[OccurrenceException] = field(default_factory=list)

    @property
    def target(self) -> SessionTarget:
        return SessionTarget(chair=self.row.chair_code, stations=self.stations)


class SessionRepo:
    """Linked sessions, invitations and their audit, over one matrix."""

    def __init__(
        self,
        matrix: Matrix,
        *,
        horizon: timedelta = timedelta(days=400),
        lobby_minutes: float = lifecycle.DEFAULT_LOBBY_MINUTES,
        invitation_ttl: timedelta = timedelta(days=30),
    ) -> None:
        self.matrix = matrix
        self.horizon = horizon
        self.lobby_minutes = lobby_minutes
        self.invitation_ttl = invitation_ttl

    # --- reading --------------------------------------------------------------

    def load(self, db: Session, session_id: int) -> SessionView:
        row = db.get(LinkedSession, session_id)
        if row is None:
            raise SessionNotFound("session_number", id=session_id)
        stations = frozenset(
            db.exec(select(SessionStation.station_code).where(SessionStation.session_id == session_id)).all()
        )
        exceptions = list(
            db.exec(select(OccurrenceException).where(OccurrenceException.session_id == session_id)).all()
        )
        return SessionView(row, stations, series_of(row, exceptions), exceptions)

    def occurrences(
        self, db: Session, session_id: int, window_start: datetime, window_end: datetime, now: datetime
    ) -> list[tuple[Occurrence, State]]:
        """The occurrences in a window with the state each is in at ``now``."""
        view = self.load(db, session_id)
        ended = {e.original_start: e.ended_at for e in view.exceptions if e.ended_at}
        out = []
        for occurrence in expand(view.series, window_start, window_end):
            timing = Timing(
                occurrence.start,
                occurrence.end,
                cancelled=view.row.status == State.CANCELLED.value,
                ended_at=ended.get(occurrence.key),
            )
            out.append((occurrence, lifecycle.state_at(timing, now, self.lobby_minutes)))
        return out

    def occurrence_state(self, view: SessionView, occurrence: Occurrence, now: datetime) -> State:
        ended_at = next(
            (e.ended_at for e in view.exceptions if e.original_start == occurrence.key and e.ended_at), None
        )
        timing = Timing(
            occurrence.start,
            occurrence.end,
            cancelled=view.row.status == State.CANCELLED.value,
            ended_at=ended_at,
        )
        return lifecycle.state_at(timing, now, self.lobby_minutes)

    def session_state(self, db: Session, session_id: int, now: datetime) -> State:
        """The state of a whole session at ``now``: cancelled; the state of an
        occurrence in lobby or live; ended after the last occurrence;
        scheduled otherwise."""
        return self.view_state(self.load(db, session_id), now)

    def view_state(self, view: SessionView, now: datetime) -> State:
        if view.row.status == State.CANCELLED.value:
            return State.CANCELLED
        if view.row.standing:
            return State.LIVE
        window_end = now + timedelta(minutes=self.lobby_minutes) + timedelta(seconds=1)
        current = expand(view.series, now, window_end)
        states = {self.occurrence_state(view, o, now) for o in current}
        for state in (State.LIVE, State.LOBBY):
            if state in states:
                return state
        end = last_end(view.series) if view.series.bounded else None
        if view.series.bounded and (end is None or end <= now):
            return State.ENDED
        if not view.series.recurring and states == {State.ENDED}:
            return State.ENDED
        return State.SCHEDULED

    def refresh_statuses(self, db: Session, now: datetime) -> list[int]:
        """Write the clock-driven state of every open session into ``status``
        (a restarted hub catches up; a session past its end closes by
        itself).  Returns the ids that changed.  Not audited: the clock acts."""
        changed = []
        rows = db.exec(select(LinkedSession).where(col(LinkedSession.status).not_in(["cancelled", "ended"]))).all()
        for row in rows:
            assert row.id is not None
            state = self.view_state(self.load(db, row.id), now)
            if state.value != row.status:
                row.status = state.value
                db.add(row)
                changed.append(row.id)
        db.commit()
        return changed

    # --- helpers ----------------------------------------------------------------

    def _lock(self, db: Session) -> None:
        """Serialize bookings from here to the commit: the conflict check that
        follows must see every booking committed before this one's."""
        dialect = db.get_bind().dialect.name
        if dialect == "postgresql":
            db.connection().execute(sa.text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=SCHEDULE_LOCK))
        elif dialect == "sqlite":
            # A write opens the transaction and takes SQLite's one write lock
            # now (the driver begins a transaction only at the first write):
            # without it two worker threads both read "no conflict" and both
            # book the station.  It changes no row.
            db.connection().execute(sa.text("UPDATE station SET code = code WHERE code = ''"))

    def _stations_for(self, db: Session, plan: SessionPlan) -> frozenset[str]:
        if plan.chair not in self.matrix:
            raise StationNotFound("station_code", station=plan.chair)
        stations = expand_picks(self.matrix, plan.stations) | {plan.chair}
        active = set(
            db.exec(select(Station.code).where(col(Station.code).in_(stations), Station.active == True)).all()  # noqa: E712
        )
        missing = sorted(stations - active)
        if missing:
            raise StationNotFound("station_code", station=sorted(missing))
        if len(stations) < MIN_STATIONS:
            raise ScheduleInvalid("too_few_stations", minimum=MIN_STATIONS)
        return frozenset(stations)

    @staticmethod
    def _check_text(plan: SessionPlan) -> None:
        if not plan.title.strip():
            raise ScheduleInvalid("title_required")
        if len(plan.title) > 200 or len(plan.title_en) > 200:
            raise ScheduleInvalid("title_too_long", maximum=200)

    def _bookings(
        self, db: Session, stations: frozenset[str], window_start: datetime, window_end: datetime
    ) -> list[Booking]:
        found = db.exec(
            select(LinkedSession.id)
            .join(SessionStation, col(SessionStation.session_id) == col(LinkedSession.id))
            .where(
                col(SessionStation.station_code).in_(stations),
                LinkedSession.status != State.CANCELLED.value,
                LinkedSession.standing == False,  # noqa: E712  standing sessions book nothing
                sa.or_(
                    col(LinkedSession.rrule).is_not(None),
                    sa.and_(col(LinkedSession.start_at) < window_end, col(LinkedSession.end_at) > window_start),
                ),
            )
            .distinct()
        ).all()
        ids = [i for i in found if i is not None]  # stored rows: never None
        if not ids:
            return []
        rows = {r.id: r for r in db.exec(select(LinkedSession).where(col(LinkedSession.id).in_(ids))).all()}
        station_sets: dict[int, set[str]] = {i: set() for i in ids}
        for sid, code in db.exec(
            select(SessionStation.session_id, SessionStation.station_code).where(col(SessionStation.session_id).in_(ids))
        ).all():
            station_sets[sid].add(code)
        exceptions: dict[int, list[OccurrenceException]] = {i: [] for i in ids}
        for e in db.exec(select(OccurrenceException).where(col(OccurrenceException.session_id).in_(ids))).all():
            exceptions[e.session_id].append(e)
        bookings = []
        for sid in ids:
            row = rows[sid]
            ended = {e.original_start: e.ended_at for e in exceptions[sid] if e.ended_at}
            occurrences = tuple(
                # An occurrence ended early stops booking its stations then.
                Occurrence(o.key, o.start, min(o.end, ended[o.key])) if o.key in ended and ended[o.key] > o.start else o
                for o in expand(series_of(row, exceptions[sid]), window_start, window_end)
                if not (o.key in ended and ended[o.key] <= o.start)
            )
            bookings.append(Booking(sid, row.title, frozenset(station_sets[sid]), occurrences))
        return bookings

    def _check_conflicts(
        self, db: Session, session_id: Optional[int], title: str, stations: frozenset[str], series: Series, now: datetime
    ) -> None:
        window_start = now
        end = last_end(series) if series.bounded else None
        window_end = end if end is not None else max(now, series.start) + self.horizon
        if window_end <= window_start:
            return
        mine = tuple(expand(series, window_start, window_end))
        proposed = Booking(session_id, title, stations, mine)
        require_no_conflict(proposed, self._bookings(db, stations, window_start, window_end), zone(series.tz))

    def _bump(self, db: Session, row: LinkedSession, expected_version: Optional[int], now: datetime) -> None:
        """Compare-and-bump the version in one UPDATE."""
        expected = row.version if expected_version is None else expected_version
        result = db.exec(
            sa.update(LinkedSession)
            .where(col(LinkedSession.id) == row.id, col(LinkedSession.version) == expected)
            .values(version=expected + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.rollback()
            raise StaleVersion("expected_version", expected=expected)
        row.version = expected + 1
        row.updated_at = now

    def _require_not_past(self, start: datetime, now: datetime) -> None:
        if start < now:
            raise ScheduleInvalid("start_in_past")

    # --- dispatcher actions -----------------------------------------------------------

    def create(self, db: Session, actor: Actor, plan: SessionPlan, now: datetime) -> LinkedSession:
        """Schedule a new linked session (one-off or series)."""
        with transaction(db):
            self._check_text(plan)
            stations = self._stations_for(db, plan)
            require(actor, Do.SCHEDULE, SessionTarget(plan.chair, stations), self.matrix)
            rrule = normalize_rrule(plan.rrule) if plan.rrule else None
            series = Series(plan.start, plan.end, rrule, plan.timezone)
            self._require_not_past(plan.start, now)
            self._lock(db)
            self._check_conflicts(db, None, plan.title, stations, series, now)
            row = LinkedSession(
                title=plan.title.strip(),
                title_en=plan.title_en.strip(),
                agenda=plan.agenda,
                chair_code=plan.chair,
                start_at=plan.start,
                end_at=plan.end,
                timezone=plan.timezone,
                rrule=rrule,
                record=plan.record,
                created_by=actor.account_id,
                created_at=now,
                updated_at=now,
            )
            db.add(row)
            db.flush()
            assert row.id is not None  # flushed
            for code in sorted(stations):
                db.add(SessionStation(session_id=row.id, station_code=code))
            record(db, actor, "session.create", "session", row.id, None, snapshot(row, stations), now)
        db.refresh(row)
        return row

    def update(
        self, db: Session, actor: Actor, session_id: int, plan: SessionPlan, expected_version: int, now: datetime
    ) -> LinkedSession:
        """Replace a session's plan.  Every occurrence of the edited series is
        checked for conflicts."""
        with transaction(db):
            view = self.load(db, session_id)
            row = view.row
            require(actor, Do.SCHEDULE, view.target, self.matrix)
            if row.status in (State.CANCELLED.value, State.ENDED.value):
                raise TransitionRefused("session_is", state=row.status)
            self._check_text(plan)
            stations = self._stations_for(db, plan)
            require(actor, Do.SCHEDULE, SessionTarget(plan.chair, stations), self.matrix)
            rrule = normalize_rrule(plan.rrule) if plan.rrule else None
            timing_changed = (plan.start, plan.end, rrule, plan.timezone) != (
                row.start_at, row.end_at, row.rrule, row.timezone
            )
            if timing_changed and not view.series.recurring:
                state = self.view_state(view, now)
                if state not in (State.SCHEDULED, State.LOBBY):
                    raise TransitionRefused("session_time_fixed", state=state)
            if plan.start != row.start_at:
                self._require_not_past(plan.start, now)
            base = Series(plan.start, plan.end, rrule, plan.timezone)
            kept: list[OccurrenceException] = []
            for e in view.exceptions:
                try:
                    find_occurrence(base, e.original_start)
                    kept.append(e)
                except OccurrenceNotFound:
                    db.delete(e)  # its occurrence is gone under the new timing
            new_series = with_exceptions(base, kept)
            self._lock(db)
            self._check_conflicts(db, session_id, plan.title, stations, new_series, now)
            before = snapshot(row, view.stations)
            self._bump(db, row, expected_version, now)
            row.title = plan.title.strip()
            row.title_en = plan.title_en.strip()
            row.agenda = plan.agenda
            row.chair_code = plan.chair
            row.start_at = plan.start
            row.end_at = plan.end
            row.rrule = rrule
            row.timezone = plan.timezone
            row.record = plan.record
            db.add(row)
            for code in view.stations - stations:
                link = db.get(SessionStation, (session_id, code))
                if link is not None:
                    db.delete(link)
            for code in sorted(stations - view.stations):
                db.add(SessionStation(session_id=session_id, station_code=code))
            record(db, actor, "session.update", "session", session_id, before, snapshot(row, stations), now)
        db.refresh(row)
        return row

    def cancel(
        self, db: Session, actor: Actor, session_id: int, now: datetime, expected_version: Optional[int] = None
    ) -> LinkedSession:
        """Cancel a whole session (every occurrence).  Refused while one is live
        or after the last has ended."""
        with transaction(db):
            view = self.load(db, session_id)
            row = view.row
            require(actor, Do.SCHEDULE, view.target, self.matrix)
            lifecycle.check_transition(self.view_state(view, now), Action.CANCEL)
            before = snapshot(row, view.stations)
            self._bump(db, row, expected_version, now)
            row.status = State.CANCELLED.value
            db.add(row)
            record(db, actor, "session.cancel", "session", session_id, before, snapshot(row, view.stations), now)
        db.refresh(row)
        return row

    def _exception(self, db: Session, session_id: int, key: datetime) -> Optional[OccurrenceException]:
        return db.exec(
            select(OccurrenceException).where(
                OccurrenceException.session_id == session_id, OccurrenceException.original_start == key
            )
        ).first()

    def cancel_occurrence(
        self, db: Session, actor: Actor, session_id: int, original_start: datetime, now: datetime,
        expected_version: Optional[int] = None,
    ) -> LinkedSession:
        """Cancel one occurrence of a series, known by its original start."""
        return self._occurrence_action(db, actor, session_id, original_start, now, expected_version, "cancel")

    def end_occurrence(
        self, db: Session, actor: Actor, session_id: int, original_start: datetime, now: datetime,
        expected_version: Optional[int] = None,
    ) -> LinkedSession:
        """End a live occurrence early (one-off sessions too: their only one)."""
        return self._occurrence_action(db, actor, session_id, original_start, now, expected_version, "end")

    def move_occurrence(
        self, db: Session, actor: Actor, session_id: int, original_start: datetime,
        start: datetime, end: datetime, now: datetime, expected_version: Optional[int] = None,
    ) -> LinkedSession:
        """Move one scheduled occurrence of a series; checked for conflicts."""
        return self._occurrence_action(
            db, actor, session_id, original_start, now, expected_version, "move", (start, end)
        )

    def extend_live(
        self, db: Session, actor: Actor, session_id: int, minutes: int, now: datetime,
        expected_version: Optional[int] = None,
    ) -> LinkedSession:
        """延长会议: the occurrence in its lobby or live now ends ``minutes``
        later (a one-off session's end, or that occurrence of a series);
        checked for conflicts like any move.  For whoever may control it."""
        try:
            view = self.load(db, session_id)
            row = view.row
            require(actor, Do.CONTROL, view.target, self.matrix)
            if row.standing:
                raise TransitionRefused("standing_has_no_end")
            current = [
                (o, st) for o, st in self.occurrences(db, session_id, now - view.series.duration, now + timedelta(
                    minutes=self.lobby_minutes) + timedelta(seconds=1), now)
                if st in (State.LOBBY, State.LIVE)
            ]
            if not current:
                raise TransitionRefused("session_is", state=self.view_state(view, now))
            occurrence, _ = current[0]
            new_end = occurrence.end + timedelta(minutes=minutes)
            self._lock(db)
            before: Optional[dict]
            if view.series.recurring:
                exception = self._exception(db, session_id, occurrence.key)
                before = exception_snapshot(exception)
                if exception is None:
                    exception = OccurrenceException(session_id=session_id, original_start=occurrence.key)
                series = view.series.with_exceptions(moved=[Moved(occurrence.key, occurrence.start, new_end)])
                self._check_conflicts(db, session_id, row.title, view.stations, series, now)
                exception.moved_start, exception.moved_end = occurrence.start, new_end
                db.add(exception)
                after = exception_snapshot(exception)
            else:
                before = snapshot(row, view.stations)
                series = Series(row.start_at, new_end, None, row.timezone)
                self._check_conflicts(db, session_id, row.title, view.stations, series, now)
                row.end_at = new_end
                after = snapshot(row, view.stations)
            self._bump(db, row, expected_version, now)
            db.add(row)
            db.flush()
            record(db, actor, "session.extend", "session", session_id, before, after, now)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        db.refresh(row)
        return row

    def _occurrence_action(
        self, db: Session, actor: Actor, session_id: int, key: datetime, now: datetime,
        expected_version: Optional[int], what: str, moved_to: Optional[tuple[datetime, datetime]] = None,
    ) -> LinkedSession:
        with transaction(db):
            view = self.load(db, session_id)
            row = view.row
            require(actor, Do.SCHEDULE, view.target, self.matrix)
            if what in ("cancel", "move") and not view.series.recurring:
                raise TransitionRefused("one_off_as_whole")
            occurrence = find_occurrence(view.series, key)
            state = self.occurrence_state(view, occurrence, now)
            exception = self._exception(db, session_id, occurrence.key)
            before = exception_snapshot(exception)
            if exception is None:
                exception = OccurrenceException(session_id=session_id, original_start=occurrence.key)
            if what == "cancel":
                lifecycle.check_transition(state, Action.CANCEL)
                exception.cancelled = True
                exception.moved_start = exception.moved_end = None
            elif what == "end":
                lifecycle.check_transition(state, Action.END)
                exception.ended_at = now
                if not view.series.recurring:
                    row.status = State.ENDED.value
            else:
                assert moved_to is not None
                if state is not State.SCHEDULED:
                    raise TransitionRefused("occurrence_fixed", state=state)
                start, end = moved_to
                self._require_not_past(start, now)
                series = view.series.with_exceptions(moved=[Moved(occurrence.key, start, end)])
                self._lock(db)
                self._check_conflicts(db, session_id, row.title, view.stations, series, now)
                exception.moved_start, exception.moved_end = start, end
            self._bump(db, row, expected_version, now)
            db.add(row)
            db.add(exception)
            db.flush()
            record(
                db, actor, f"session.occurrence.{what}", "session", session_id,
                before, exception_snapshot(exception), now,
            )
        db.refresh(row)
        return row
