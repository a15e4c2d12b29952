"""The live core's view of stored sessions: looks a session up by its public
key (code such as ``demo``, or number) and answers who may join it.

A session's state comes from the same derivation REST reports
(``SessionRepo.session_state``, a pure function of the clock and the stored
plan), not from the ``status`` column the scheduler refreshes every tick: a
session REST shows in its lobby is joinable at once, not a tick later.

Blocking database work runs in a worker thread: the event loop that calls
this also forwards live media.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.matrix import Matrix
from core.scope import Actor, Role
from opinions.news import reader_scope
from scheduler import lifecycle
from scheduler.lifecycle import State
from scheduler.recurrence import expand
from scheduler.sessions import SessionInfo
from core.scope import Do, SessionTarget, can
from store import audit
from store.accounts import actor_of
from store.duty import record_attendance
from store.models import Account, Deputy, Invitation, LinkedSession, SessionStation

DEMO_START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def public_key(row: LinkedSession) -> str:
    return row.code or str(row.id)


def _find(db: Session, key: str) -> Optional[LinkedSession]:
    if key.isdigit():
        return db.get(LinkedSession, int(key))
    return db.exec(select(LinkedSession).where(LinkedSession.code == key)).first()


def session_info(
    db: Session, key: str, repo: Optional[Any] = None, now: Optional[datetime] = None
) -> Optional[SessionInfo]:
    """The session behind ``key``.  With ``repo`` (a ``SessionRepo``), its
    status is the state at ``now`` as REST computes it; without, the stored
    status (as of the scheduler's last tick)."""
    row = _find(db, key)
    if row is None:
        return None
    status = row.status
    if repo is not None:
        status = repo.session_state(db, row.id, now or datetime.now(timezone.utc)).value
    stations = frozenset(
        db.exec(select(SessionStation.station_code).where(SessionStation.session_id == row.id)).all()
    )
    assert row.id is not None
    return SessionInfo(
        id=public_key(row),
        number=row.id,
        title=row.title,
        title_en=row.title_en,
        stations=stations,
        status=status,
        standing=row.standing,
        record=row.record,
    )


def deputy_may_join(db: Session, session_number: int, deputy_id: int, now: datetime) -> Optional[str]:
    """The deputy's name if an unrevoked, unexpired invitation admits it."""
    invitation = db.exec(
        select(Invitation).where(
            Invitation.session_id == session_number,
            Invitation.deputy_id == deputy_id,
            Invitation.revoked_at == None,  # noqa: E711
            Invitation.expires_at > now,
        )
    ).first()
    if invitation is None:
        return None
    deputy = db.get(Deputy, deputy_id)
    return deputy.name if deputy is not None and deputy.active else None


def dispatcher_may_control(db: Session, matrix: Matrix, session_number: int, account_id: int) -> Optional[str]:
    """The account's name if it is active and may control the session
    (an administrator, or a dispatcher whose scope holds the session)."""
    account = db.get(Account, account_id)
    row = db.get(LinkedSession, session_number)
    if account is None or not account.active or row is None:
        return None
    stations = frozenset(
        db.exec(select(SessionStation.station_code).where(SessionStation.session_id == session_number)).all()
    )
    target = SessionTarget(chair=row.chair_code, stations=stations)
    if not can(actor_of(account), Do.CONTROL, target, matrix):
        return None
    return account.display_name or account.username


def dispatcher_scope(db: Session, account_id: int) -> Optional[str]:
    """The reading scope of an active staff account
    (:func:`opinions.news.reader_scope`): which opinions its live console
    hears of."""
    account = db.get(Account, account_id)
    if account is None or not account.active:
        return None
    return reader_scope(actor_of(account))


def audit_live_action(
    db: Session, session_number: int, account_id: Optional[int], action: str, before: Optional[dict], after: Optional[dict]
) -> None:
    """Write a live control action (roll call, mute, …) to the audit log."""
    account = db.get(Account, account_id) if account_id is not None else None
    audit.record(db, actor_of(account) if account else None, action, "session", session_number, before, after)
    db.commit()


def end_live_occurrence(db: Session, repo: Any, session_number: int, account_id: Optional[int], now: datetime) -> None:
    """End the live occurrence of a session now (a dispatcher's "end for
    all").  A standing session has none: its room just closes."""
    view = repo.load(db, session_number)
    if view.row.standing:
        return
    account = db.get(Account, account_id) if account_id is not None else None
    actor = actor_of(account) if account is not None else Actor(role=Role.ADMINISTRATOR, name="system")
    for occurrence in expand(view.series, now - timedelta(days=1), now + timedelta(days=1)):
        if repo.occurrence_state(view, occurrence, now) is State.LIVE:
            repo.end_occurrence(db, actor, session_number, occurrence.key, now)
            return


def join_actor(
    db: Session, matrix: Matrix, session_key: str, subject: str, now: Optional[datetime] = None
) -> Optional[Any]:
    """The actor a valid join token stands for, for the few API calls a live
    page makes (capturing an opinion): a station's operator, an invited
    deputy, or a dispatcher's account; ``None`` when the token no longer
    admits anyone (the session was cancelled, the station left it, the
    invitation was revoked, the account deactivated)."""
    info = session_info(db, session_key)
    if info is None or info.status == lifecycle.State.CANCELLED.value:
        # A cancelled session's links admit nobody, here as at ``join``; an
        # ended one still takes the opinions a page kept while offline.
        return None
    kind, _, value = subject.partition(":")
    if kind == "station" and value in info.stations:
        station = matrix.get(value)
        return Actor(role=Role.OPERATOR, station=value, name=station.name if station else value)
    if kind == "deputy" and value.isdigit():
        name = deputy_may_join(db, info.number, int(value), now or datetime.now(timezone.utc))
        if not name:
            return None
        deputy = db.get(Deputy, int(value))
        # The deputy's own station: where its opinions are raised by default.
        return Actor(role=Role.DEPUTY, deputy_id=int(value), name=name, station=deputy.station_code if deputy else None)
    if kind == "account" and value.isdigit():
        account = db.get(Account, int(value))
        return actor_of(account) if account is not None and account.active else None
    return None


def ensure_demo_session(db: Session, matrix: Matrix, code: str, title: str, title_en: str) -> LinkedSession:
    """The embedded demo: a standing session (always open, booking no
    station) holding every station of the matrix.  Idempotent; kept in step
    with the matrix."""
    row = db.exec(select(LinkedSession).where(LinkedSession.code == code)).first()
    if row is None:
        row = LinkedSession(
            code=code,
            title=title,
            title_en=title_en,
            agenda="",
            chair_code=matrix.roots[0].code,
            start_at=DEMO_START,
            end_at=DEMO_START + timedelta(hours=1),
            standing=True,
            status=lifecycle.State.LIVE.value,
        )
        db.add(row)
        db.flush()
    assert row.id is not None  # stored or flushed
    have = set(db.exec(select(SessionStation.station_code).where(SessionStation.session_id == row.id)).all())
    for station in matrix.stations():
        if station.code not in have:
            db.add(SessionStation(session_id=row.id, station_code=station.code))
    db.commit()
    db.refresh(row)
    return row


class SessionDirectory:
    """Async façade over the database for the signaling server."""

    def __init__(
        self, engine: Engine, matrix: Matrix, scoring: Optional[Any] = None, repo: Optional[Any] = None
    ) -> None:
        self.engine = engine
        self.matrix = matrix
        self.repo = repo  # store.sessions.SessionRepo: ending a live occurrence
        self.scoring = scoring  # duty.scoring.ScoringRules: attendance becomes duty records

    def _run(self, fn, *args):
        def call():
            with Session(self.engine) as db:
                return fn(db, *args)

        return asyncio.to_thread(call)

    async def get(self, key: str) -> Optional[SessionInfo]:
        """The session with its state now, as REST reports it (with a repo)."""
        return await self._run(session_info, key, self.repo, datetime.now(timezone.utc))

    async def deputy_name(self, session: SessionInfo, deputy_id: int) -> Optional[str]:
        return await self._run(deputy_may_join, session.number, deputy_id, datetime.now(timezone.utc))

    async def dispatcher_name(self, session: SessionInfo, account_id: int) -> Optional[str]:
        return await self._run(dispatcher_may_control, self.matrix, session.number, account_id)

    async def dispatcher_scope(self, account_id: int) -> Optional[str]:
        return await self._run(dispatcher_scope, account_id)

    async def audit(
        self, session: SessionInfo, account_id: Optional[int], action: str, before: Optional[dict], after: Optional[dict]
    ) -> None:
        await self._run(audit_live_action, session.number, account_id, action, before, after)

    async def record_attendance(self, session: SessionInfo, day_start: datetime, stays: Sequence[Any]) -> int:
        """Turn deputies' stays in a live session (``duty.scoring.Attendance``)
        into duty records: one per deputy per session and day.  Idempotent."""
        if self.scoring is None or not stays:
            return 0
        return await self._run(
            record_attendance, self.matrix, self.scoring, session.number, day_start, list(stays),
            datetime.now(timezone.utc),
        )

    async def end_live(self, session: SessionInfo, account_id: Optional[int]) -> None:
        if self.repo is not None:
            await self._run(end_live_occurrence, self.repo, session.number, account_id, datetime.now(timezone.utc))
