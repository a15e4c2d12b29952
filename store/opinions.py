"""Opinions 民情: capture (idempotent by the client's key), handling through
:mod:`opinions.workflow` with one timeline and the audit, photos, and the rules the
configuration gives them (:class:`opinions.rules.OpinionRules`).  Who reads what is :mod:`store.scope`;
search, statistics and the hot-topic report are :mod:`store.opinion_reports`; department
notices and their webhooks are :mod:`store.notices`.

Every write follows the house order: scope check → domain rule → write +
audit → commit, in one transaction.

Who sees an opinion: administrators all; a dispatcher those of stations in
its subtree; an operator those of its own station; a deputy those it raised.
Who acts: see :data:`opinions.workflow.ACTION_ROLES`, within the same scope.

Scopes of statistics (``scope``, a station code): a town or street counts its
station and rooms (``town_code``), a room itself, the branch or the general
station their whole subtree.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from duty.scoring import opinion_raised, opinion_resolved
from core.errors import (
    Forbidden,
    IdempotencyConflict,
    InvalidPayload,
    NotFound,
    SessionNotFound,
    StaleVersion,
    StationNotFound,
)
from core.matrix import Matrix
from core.scope import Actor, Do, OpinionTarget, Role, SessionTarget, require
from core.zone import ZONE
from opinions import workflow as wf
from opinions.news import LiveOpinionOut, NewsKind, OpinionNews
from opinions.reference import reference
from opinions.rules import OpinionRules as OpinionRules  # its home; imported from here too
from store.audit import record
from store.live_sessions import dispatcher_may_control, session_info
from store.duty import add_entries
from store import invitations
from store.scope import can_view, require_view, town_of
from store.sessions import SessionRepo
from store.models import Deputy, LinkedSession, Station
from store.opinion_models import DepartmentNotice, Opinion, OpinionEvent, OpinionPhoto
from store.tx import transaction
# Photos have their module; the REST layer and the residents' page reach them from here too.
from store.opinion_photos import MAX_PHOTO_BYTES as MAX_PHOTO_BYTES
from store.opinion_photos import MAX_PHOTOS as MAX_PHOTOS
from store.opinion_photos import get_photo as get_photo
from store.opinion_photos import put_photo as put_photo

#: How far back a page may date an opinion it kept while offline.
OFFLINE_WINDOW = timedelta(days=30)


# --- capture ---------------------------------------------------------------------


@dataclass(frozen=True)
class Capture:
    """An opinion as the page sends it.  ``client_key``: a UUID the page made
    when the opinion was taken; sending it again returns the same opinion."""

    station: str
    category: str
    request_type: str
    summary: str
    details: str = ""
    deputy_id: Optional[int] = None
    resident_name: str = ""
    resident_contact: str = ""
    session_id: Optional[int] = None
    captured_at: Optional[datetime] = None
    client_key: Optional[str] = None

    def fingerprint(self) -> str:
        content = {
            "station": self.station, "category": self.category, "requestType": self.request_type,
            "summary": self.summary.strip(), "details": self.details.strip(), "deputy": self.deputy_id,
            "residentName": self.resident_name.strip(), "residentContact": self.resident_contact.strip(),
            "session": self.session_id,
            "capturedAt": self.captured_at.timestamp() if self.captured_at else None,
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class OpinionView:
    opinion: Opinion
    events: list[OpinionEvent] = field(default_factory=list)
    photos: list[OpinionPhoto] = field(default_factory=list)
    notices: list[DepartmentNotice] = field(default_factory=list)
    replayed: bool = False
    #: the raising deputy's name (``None`` when a resident raised it)
    deputy_name: Optional[str] = None
    #: What listeners hear of the committed change (``None``: nothing changed, a replay or a
    #: read): built here, with the commit, so that no writer can forget it.
    news: Optional[OpinionNews] = None


def _snapshot(row: Opinion) -> dict:
    return {
        "id": row.id, "station": row.station_code, "category": row.category, "requestType": row.request_type,
        "status": row.status, "level": row.level, "department": row.department,
        "deadline": row.deadline.isoformat() if row.deadline else None, "grade": row.grade, "rating": row.rating,
        "flags": sorted(flags_of(row)), "version": row.version,
    }


def flags_of(row: Opinion) -> frozenset[str]:
    return frozenset(f for f in wf.FLAGS if getattr(row, f"flag_{f}"))


def _capture_scope(
    db: Session, actor: Actor, matrix: Matrix, capture: Capture, now: datetime, token_session: Optional[str]
) -> None:
    """Whether ``actor`` may capture ``capture``: where (``station``), in
    which session (``session_id``) and crediting whom (``deputy_id``).

    * The session: the caller sees it (:data:`core.scope.Do.VIEW`), the
      station takes part in it (or is the invited deputy's own), and a join
      link's caller names the link's own session.
    * The station: an operator its own, a dispatcher its subtree, a deputy
      its own station, one of its town (the town and its rooms: where it
      met the resident, issue 13) or one of the session it is invited to.
    * The deputy credited: an active one; a deputy itself; staff one of
      their scope (an operator's station and the rooms below it) or one
      invited to the session."""
    if actor.role is Role.DEPARTMENT:  # departments answer opinions, they do not raise them
        raise Forbidden("role_may_not_do", role="department", action="opinion.capture")
    stations, invited = _capture_session(db, actor, matrix, capture, now, token_session)
    if actor.role is Role.DEPUTY:
        own_town = town_of(matrix, actor.station or "")
        in_town = own_town is not None and town_of(matrix, capture.station) == own_town
        if capture.station != actor.station and capture.station not in stations and not in_town:
            raise Forbidden("deputy_captures_at_own_station")
    elif actor.role is Role.OPERATOR and capture.station != actor.station:
        raise Forbidden("operator_captures_own", station=actor.station)
    elif actor.role is Role.DISPATCHER and not matrix.is_within(capture.station, actor.station or ""):
        raise Forbidden("outside_subtree", station=capture.station, scope=actor.station)
    if capture.deputy_id is not None:
        _check_credit(db, actor, matrix, capture.deputy_id, invited)


def _capture_session(
    db: Session, actor: Actor, matrix: Matrix, capture: Capture, now: datetime, token_session: Optional[str]
) -> tuple[frozenset[str], frozenset[int]]:
    """The stations of the capture's session and the deputies invited to
    it, once the caller may capture in it (both empty without a session)."""
    if capture.session_id is None:
        return frozenset(), frozenset()
    if token_session is not None:
        info = session_info(db, token_session)
        if info is None or info.number != capture.session_id:
            raise Forbidden("join_link_other_session")
    target = _require_session_view(db, actor, matrix, capture.session_id, now)
    # An invited deputy takes part by itself (on its phone): its own station counts.
    own = actor.role is Role.DEPUTY and capture.station == actor.station
    if capture.station not in target.stations and not own:
        raise Forbidden("station_not_in_session", station=capture.station, session=capture.session_id)
    return target.stations, target.invited_deputies


def _require_session_view(db: Session, actor: Actor, matrix: Matrix, session_id: int, now: datetime) -> SessionTarget:
    """:data:`~core.scope.Do.VIEW` on the session (:class:`SessionNotFound`
    when there is none); returns it as scope rules see it."""
    repo = SessionRepo(matrix)
    view = repo.load(db, session_id)
    target = SessionTarget(chair=view.row.chair_code, stations=view.stations,
                           invited_deputies=invitations.invited_deputies(db, session_id, now))
    require(actor, Do.VIEW, target, matrix)
    return target


def _check_credit(db: Session, actor: Actor, matrix: Matrix, deputy_id: int, invited: frozenset[int]) -> None:
    deputy = db.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound(what="deputy", id=deputy_id)
    if actor.role is Role.DEPUTY:
        if actor.deputy_id is None or deputy_id != actor.deputy_id:
            raise Forbidden("deputy_captures_own")
    elif actor.role is not Role.ADMINISTRATOR and deputy_id not in invited \
            and not matrix.is_within(deputy.station_code, actor.station or ""):
        raise Forbidden("deputy_outside_scope", deputy=deputy_id, scope=actor.station)
    if not deputy.active:
        raise InvalidPayload("deputy_deactivated", deputy=deputy_id, field="deputyId")


def _session_offset(
    db: Session, matrix: Matrix, session_id: int, at: datetime
) -> tuple[Optional[datetime], Optional[int]]:
    """The occurrence of ``session_id`` running at ``at`` and the seconds into it."""
    if db.get(LinkedSession, session_id) is None:
        raise SessionNotFound("session_number", id=session_id)
    repo = SessionRepo(matrix)
    for occurrence, _state in repo.occurrences(db, session_id, at - timedelta(days=1), at + timedelta(seconds=1), at):
        if occurrence.start <= at <= occurrence.end + timedelta(hours=2):
            return occurrence.start, int((at - occurrence.start).total_seconds())
    return None, None


def create_opinion(
    db: Session, actor: Actor, matrix: Matrix, rules: OpinionRules, capture: Capture, now: datetime,
    token_session: Optional[str] = None,
) -> OpinionView:
    """Store a captured opinion (durably: committed before this returns).  The
    same ``client_key`` again returns the stored opinion (``replayed``); with
    different content it is refused (:class:`IdempotencyConflict`).
    ``token_session``: the session key of the join link the caller came with
    (see :func:`_capture_scope`)."""
    key = (capture.client_key or str(uuid.uuid4())).strip().lower()
    fingerprint = capture.fingerprint()
    existing = db.exec(select(Opinion).where(Opinion.client_key == key)).first()
    if existing is not None:
        return _replay(db, actor, matrix, existing, fingerprint)
    try:
        view = _create(db, actor, matrix, rules, capture, key, fingerprint, now, token_session)
    except sa.exc.IntegrityError:
        db.rollback()
        existing = db.exec(select(Opinion).where(Opinion.client_key == key)).first()
        if existing is None:
            raise
        return _replay(db, actor, matrix, existing, fingerprint)
    except BaseException:
        db.rollback()
        raise
    return view


def _replay(db: Session, actor: Actor, matrix: Matrix, row: Opinion, fingerprint: str) -> OpinionView:
    if row.fingerprint != fingerprint:
        raise IdempotencyConflict("client_key", key=row.client_key)
    require_view(actor, matrix, row)
    view = load(db, row)
    view.replayed = True
    return view


def _create(
    db: Session, actor: Actor, matrix: Matrix, rules: OpinionRules, capture: Capture, key: str,
    fingerprint: str, now: datetime, token_session: Optional[str] = None,
) -> OpinionView:
    if capture.station not in matrix or db.get(Station, capture.station) is None:
        raise StationNotFound("station_code", station=capture.station)
    _capture_scope(db, actor, matrix, capture, now, token_session)
    if capture.category not in rules.categories:
        raise InvalidPayload("category_unknown", category=capture.category, field="category")
    if capture.request_type not in rules.request_types:
        raise InvalidPayload("request_type_unknown", request_type=capture.request_type, field="requestType")
    if not capture.summary.strip():
        raise InvalidPayload("summary_required", field="summary")
    deputy = None
    if capture.deputy_id is not None:
        deputy = db.get(Deputy, capture.deputy_id)  # found, active and in scope (_capture_scope)
        assert deputy is not None
        # A deputy on its phone names the resident it speaks for (issue 13);
        # staff credit either a deputy or a resident.
        if capture.resident_name.strip() and actor.role is not Role.DEPUTY:
            raise InvalidPayload("raiser_both", field="residentName")
    elif not capture.resident_name.strip():
        raise InvalidPayload("raiser_missing", field="residentName")
    captured_at = capture.captured_at or now
    if captured_at > now + timedelta(minutes=5) or captured_at < now - OFFLINE_WINDOW:
        raise InvalidPayload("captured_at_window", days=OFFLINE_WINDOW.days, field="capturedAt")
    occurrence_start, offset = (None, None)
    if capture.session_id is not None:
        occurrence_start, offset = _session_offset(db, matrix, capture.session_id, captured_at)

    step = wf.submit(actor, now)
    row = Opinion(
        client_key=key, fingerprint=fingerprint, station_code=capture.station,
        town_code=town_of(matrix, capture.station), raised_by="deputy" if deputy else "resident",
        deputy_id=deputy.id if deputy else None, resident_name=capture.resident_name.strip(),
        resident_contact=capture.resident_contact.strip(), category=capture.category,
        request_type=capture.request_type, summary=capture.summary.strip(), details=capture.details.strip(),
        session_id=capture.session_id, occurrence_start=occurrence_start, session_offset=offset,
        captured_at=captured_at, received_at=now, status=step.state.status.value,
        created_by=actor.account_id, updated_at=now,
    )
    db.add(row)
    db.flush()
    db.add(_event_row(row.id, 1, step.event))
    record(db, actor, "opinion.create", "opinion", row.id, None, _snapshot(row), now)
    if deputy is not None:
        assert row.id is not None and deputy.id is not None  # flushed, stored
        add_entries(db, matrix, [opinion_raised(rules.scoring, row.id, deputy.id, now)], actor)
    db.commit()
    db.refresh(row)
    view = load(db, row)
    view.news = news_of(row, view.deputy_name, "captured", wf.Action.SUBMIT.value, matrix, rules)
    return view


def _event_row(opinion_id: Optional[int], seq: int, event: wf.Event) -> OpinionEvent:
    assert opinion_id is not None
    return OpinionEvent(
        opinion_id=opinion_id, seq=seq, action=event.action.value,
        from_status=event.from_status.value if event.from_status else None, to_status=event.to_status.value,
        actor_id=event.actor.account_id, actor_name=event.actor.name[:64], actor_role=event.actor.role[:16],
        at=event.at, note=event.note, payload=dict(event.payload) or None,
    )


# --- reading -----------------------------------------------------------------------


def load(db: Session, row: Opinion) -> OpinionView:
    events = list(db.exec(select(OpinionEvent).where(OpinionEvent.opinion_id == row.id).order_by(col(OpinionEvent.seq))).all())
    photos = list(db.exec(
        select(OpinionPhoto).where(OpinionPhoto.opinion_id == row.id).order_by(col(OpinionPhoto.position))
    ).all())
    notices = list(db.exec(
        select(DepartmentNotice).where(DepartmentNotice.opinion_id == row.id).order_by(col(DepartmentNotice.id))
    ).all())
    names = deputy_names(db, {row.deputy_id} if row.deputy_id is not None else set())
    return OpinionView(row, events, photos, notices, deputy_name=names.get(row.deputy_id or 0))


def deputy_names(db: Session, ids: set[int]) -> dict[int, str]:
    """The names of the deputies ``ids`` (one query)."""
    if not ids:
        return {}
    rows = db.exec(select(Deputy.id, Deputy.name).where(col(Deputy.id).in_(sorted(ids)))).all()
    return {i: name for i, name in rows if i is not None}


#: At most this many opinions in :func:`session_opinions` (newest kept).
SESSION_OPINIONS_LIMIT = 500
#: Opinions taken this long before the running occurrence's start (its lobby)
#: count as this sitting's.
SESSION_LOBBY_SLACK = timedelta(hours=1)


@dataclass
class SessionOpinions:
    session_number: int
    since: datetime
    occurrence_start: Optional[datetime]
    opinions: list[Opinion]
    deputy_names: dict[int, str]


def session_opinions(
    db: Session, actor: Actor, matrix: Matrix, session_number: int, now: datetime,
    token_session: Optional[str] = None,
) -> SessionOpinions:
    """The opinions taken so far in this sitting of linked session
    ``session_number`` that ``actor`` may see, newest first (as ``GET /opinions``): those captured
    since the start of the occurrence running now (less
    :data:`SESSION_LOBBY_SLACK` for its lobby) or, when none runs (a standing
    session, the time after an occurrence), since midnight (Asia/Shanghai).

    The caller must see the session (:data:`~core.scope.Do.VIEW`).
    ``token_session``: the session key of the join token the caller came
    with; such a caller must be a dispatcher (or administrator) account that
    may control this very session (as for joining its live console)."""
    if db.get(LinkedSession, session_number) is None:
        raise SessionNotFound("session_number", id=session_number)
    if actor.role is not Role.ADMINISTRATOR and token_session is None:
        # Not even its existence and timing to a caller that may not see it.
        _require_session_view(db, actor, matrix, session_number, now)
    if token_session is not None:
        if actor.role not in (Role.ADMINISTRATOR, Role.DISPATCHER) or actor.account_id is None:
            raise Forbidden("console_link_only")
        info = session_info(db, token_session)
        if info is None or info.number != session_number:
            raise Forbidden("join_link_other_session")
        if dispatcher_may_control(db, matrix, session_number, actor.account_id) is None:
            raise Forbidden("may_no_longer_control")
    occurrence_start, _ = _session_offset(db, matrix, session_number, now)
    if occurrence_start is not None:
        since = occurrence_start - SESSION_LOBBY_SLACK
    else:
        zone = ZONE
        since = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.exec(
        select(Opinion)
        .where(Opinion.session_id == session_number, col(Opinion.captured_at) >= since)
        .order_by(col(Opinion.captured_at).desc(), col(Opinion.id).desc())
        .limit(SESSION_OPINIONS_LIMIT)
    ).all()
    visible = [r for r in rows if can_view(actor, matrix, r)]
    names = deputy_names(db, {r.deputy_id for r in visible if r.deputy_id is not None})
    return SessionOpinions(session_number, since, occurrence_start, visible, names)


def get_opinion(db: Session, actor: Actor, matrix: Matrix, opinion_id: int) -> OpinionView:
    row = db.get(Opinion, opinion_id)
    if row is None:
        raise NotFound(what="opinion", id=opinion_id)
    require_view(actor, matrix, row)
    return load(db, row)


def state_of(row: Opinion) -> wf.OpinionState:
    return wf.OpinionState(
        status=wf.Status(row.status), level=row.level, department=row.department, deadline=row.deadline,
        extensions=row.extensions, returns=row.returns, reopenings=row.reopenings, grade=row.grade,
        rating=row.rating, flags=flags_of(row), submitted_at=row.received_at,
        first_assigned_at=row.first_assigned_at, first_answered_at=row.first_answered_at,
        answered_at=row.answered_at, resolved_at=row.resolved_at, closed_at=row.closed_at,
    )


def timeline(view: OpinionView) -> list[wf.Event]:
    """The stored events as the workflow's :class:`~opinions.workflow.Event`."""
    return [
        wf.Event(wf.Action(e.action), wf.Status(e.from_status) if e.from_status else None, wf.Status(e.to_status),
                 wf.ActorRef(e.actor_role, e.actor_name, e.actor_id), e.at, e.note, e.payload or {})
        for e in view.events
    ]


# --- handling ----------------------------------------------------------------------


def _act_scope(actor: Actor, matrix: Matrix, row: Opinion) -> None:
    require_view(actor, matrix, row)
    if actor.role in (Role.DISPATCHER, Role.DEPARTMENT):
        require(actor, Do.HANDLE_OPINION, OpinionTarget(row.station_code, row.department), matrix)


def act(
    db: Session,
    actor: Actor,
    matrix: Matrix,
    rules: OpinionRules,
    opinion_id: int,
    action: str,
    payload: Optional[dict[str, Any]],
    now: datetime,
    note: str = "",
    version: Optional[int] = None,
) -> OpinionView:
    """Take a workflow action; illegal ones raise
    :class:`~core.errors.OpinionTransitionRefused` with the reason."""
    with transaction(db):
        query = select(Opinion).where(Opinion.id == opinion_id)
        if db.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = db.exec(query).first()
        if row is None:
            raise NotFound(what="opinion", id=opinion_id)
        _act_scope(actor, matrix, row)
        if version is not None and version != row.version:
            raise StaleVersion("version_not_current", version=version, current=row.version)
        payload = dict(payload or {})
        before = _snapshot(row)
        state = state_of(row)
        try:
            kind = wf.Action(action)
        except ValueError:
            raise InvalidPayload("opinion_action_choice", choices=wf.ACTIONS[1:], field="action") from None
        if kind is wf.Action.ASSIGN:
            _check_department(matrix, rules, row, payload)
        if kind in (wf.Action.ASSIGN, wf.Action.START) and payload.get("deadline") is None:
            level = payload.get("level") if kind is wf.Action.ASSIGN else state.level
            if level in wf.LEVELS and (kind is wf.Action.ASSIGN or state.deadline is None):
                payload["deadline"] = rules.calendar.deadline(now, rules.handling_days(level))
        step = wf.apply(state, kind, actor, payload, now, note)
        was_resolved = row.resolved_at is not None
        _write_state(row, step.state, now)
        seq = (db.exec(select(sa.func.max(OpinionEvent.seq)).where(OpinionEvent.opinion_id == row.id)).one() or 0) + 1
        db.add(row)
        db.add(_event_row(row.id, seq, step.event))
        if kind is wf.Action.ASSIGN:
            _notify(db, rules, row, step.event, now)
        if step.state.resolved and not was_resolved and row.deputy_id is not None:
            assert row.id is not None  # a stored opinion
            add_entries(db, matrix, [opinion_resolved(rules.scoring, row.id, row.deputy_id, now)], actor)
        record(db, actor, f"opinion.{kind.value}", "opinion", row.id, before, _snapshot(row), now)
    db.refresh(row)
    view = load(db, row)
    view.news = news_of(row, view.deputy_name, "updated", action, matrix, rules)
    return view


def _check_department(matrix: Matrix, rules: OpinionRules, row: Opinion, payload: dict[str, Any]) -> None:
    code = payload.get("department")
    department = rules.departments.get(code) if isinstance(code, str) else None
    if department is None:
        raise InvalidPayload("department_unknown", department=code, field="department")
    level = payload.get("level") or department.level
    payload["level"] = level
    if department.level != level:
        raise InvalidPayload("department_level", department=code, has=department.level, level=level, field="department")
    if level == "town" and department.station != row.town_code:
        raise InvalidPayload(
            "department_town", department=code, station=department.station, town=row.town_code or "—", field="department",
        )


def _write_state(row: Opinion, state: wf.OpinionState, now: datetime) -> None:
    row.status = state.status.value
    row.level = state.level
    row.department = state.department
    row.deadline = state.deadline
    row.extensions, row.returns, row.reopenings = state.extensions, state.returns, state.reopenings
    row.grade, row.rating = state.grade, state.rating
    for flag in wf.FLAGS:
        setattr(row, f"flag_{flag}", flag in state.flags)
    row.first_assigned_at = state.first_assigned_at
    if row.first_answered_at is None and state.first_answered_at is not None:
        row.answer_seconds = int((state.first_answered_at - row.received_at).total_seconds())
    row.first_answered_at = state.first_answered_at
    row.answered_at, row.resolved_at, row.closed_at = state.answered_at, state.resolved_at, state.closed_at
    row.updated_at = now
    row.version += 1


def _notify(db: Session, rules: OpinionRules, row: Opinion, event: wf.Event, now: datetime) -> None:
    department = rules.departments.get(row.department)
    if department is None:  # pragma: no cover - checked before
        return
    assert row.id is not None  # a stored opinion
    due = event.payload.get("deadline", "")
    message = (
        f"@{department.liaison.name} {department.name}：民情 #{row.id}《{row.summary}》已交办贵单位"
        f"（{rules.category_names.get(row.category, row.category)}），请于 {str(due)[:10]} 前答复。"
    )
    if event.note:
        message += f" 备注：{event.note}"
    db.add(DepartmentNotice(
        opinion_id=row.id, department_code=department.code, liaison_name=department.liaison.name,
        liaison_contact=department.liaison.contact, message=message, created_at=now,
        webhook_url=department.webhook, webhook_status="pending" if department.webhook else "none",
    ))


# --- live news ---------------------------------------------------------------------------


def news_of(row: Opinion, deputy_name: Optional[str], kind: NewsKind, action: str, matrix: Matrix,
            rules: OpinionRules) -> OpinionNews:
    """The news of ``row`` as committed (:mod:`opinions.news`), in the names of the configuration."""
    assert row.id is not None
    station = matrix.get(row.station_code)
    department = rules.departments.get(row.department) if row.department else None
    station_name = station.name if station else row.station_code
    category_name = rules.category_names.get(row.category, row.category)
    return OpinionNews(kind=kind, action=action, town=row.town_code, opinion=LiveOpinionOut(
        id=row.id, reference=reference(row.id, row.received_at), status=row.status, station=row.station_code,
        station_name=station_name, station_name_en=(station.name_en if station else "") or station_name,
        raised_by=row.raised_by, raiser_name=(deputy_name or "") if row.deputy_id is not None else row.resident_name,
        deputy_id=row.deputy_id, category=row.category, category_name=category_name,
        category_name_en=rules.category_names_en.get(row.category, row.category) or category_name,
        request_type=row.request_type, summary=row.summary, session_id=row.session_id,
        session_offset=row.session_offset, captured_at=row.captured_at.astimezone(ZONE), level=row.level,
        department=row.department, department_name=department.name if department else None,
        department_name_en=(department.name_en or department.name) if department else None, version=row.version,
    ))
