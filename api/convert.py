"""Stored rows → response models."""

from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from core.matrix import Station
from core.zone import TIME_ZONE
from scheduler.recurrence import Occurrence
from store.models import Account, AuditEntry, Deputy, Invitation
from store.sessions import SessionView

from api import schemas as s


def local(value: datetime, tz: str = TIME_ZONE) -> datetime:
    try:
        return value.astimezone(ZoneInfo(tz))
    except Exception:  # an unknown stored zone: show UTC
        return value


def maybe_local(value: Optional[datetime], tz: str = TIME_ZONE) -> Optional[datetime]:
    return local(value, tz) if value is not None else None


def account(row: Account) -> s.AccountOut:
    assert row.id is not None
    return s.AccountOut(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,  # type: ignore[arg-type]
        station=row.station_code,
        deputy_id=row.deputy_id,
        active=row.active,
        created_at=local(row.created_at),
        department=row.department_code,
        last_login_at=local(row.last_login_at) if row.last_login_at else None,
    )


def deputy(row: Deputy, levels: Optional[list[str]] = None) -> s.DeputyOut:
    assert row.id is not None
    return s.DeputyOut(
        id=row.id,
        name=row.name,
        level=row.level,  # type: ignore[arg-type]
        levels=levels or [row.level],  # type: ignore[arg-type]
        station=row.station_code,
        group=row.deputy_group,
        active=row.active,
        created_at=local(row.created_at),
        phone=row.phone,
    )


def station(node: Station) -> s.StationNode:
    return s.StationNode(
        code=node.code,
        name=node.name,
        name_en=node.name_en,
        level=node.level,  # type: ignore[arg-type]
        kind=node.kind,  # type: ignore[arg-type]
        example=node.example,
        children=[station(child) for child in node.children],
    )


def occurrence(o: Occurrence, state: str, tz: str) -> s.OccurrenceOut:
    return s.OccurrenceOut(
        original_start=local(o.key, tz),
        start=local(o.start, tz),
        end=local(o.end, tz),
        moved=o.moved,
        state=state,  # type: ignore[arg-type]
    )


def session(view: SessionView, state: str, next_occurrence: Optional[s.OccurrenceOut]) -> s.SessionOut:
    row = view.row
    tz = row.timezone
    assert row.id is not None
    return s.SessionOut(
        id=row.id,
        code=row.code,
        standing=row.standing,
        title=row.title,
        title_en=row.title_en,
        agenda=row.agenda,
        chair=row.chair_code,
        stations=sorted(view.stations),
        start=local(row.start_at, tz),
        end=local(row.end_at, tz),
        timezone=tz,
        rrule=row.rrule,
        record=row.record,
        status=row.status,  # type: ignore[arg-type]
        state=state,  # type: ignore[arg-type]
        version=row.version,
        created_by=row.created_by,
        created_at=local(row.created_at, tz),
        updated_at=local(row.updated_at, tz),
        exceptions=[
            s.ExceptionOut(
                original_start=local(e.original_start, tz),
                cancelled=e.cancelled,
                moved_start=maybe_local(e.moved_start, tz),
                moved_end=maybe_local(e.moved_end, tz),
                ended_at=maybe_local(e.ended_at, tz),
            )
            for e in sorted(view.exceptions, key=lambda e: e.original_start)
        ],
        next_occurrence=next_occurrence,
    )


def invitation(row: Invitation, dep: Deputy, now: datetime) -> s.InvitationOut:
    assert row.id is not None
    return s.InvitationOut(
        id=row.id,
        session_id=row.session_id,
        deputy_id=row.deputy_id,
        deputy_name=dep.name,
        created_at=local(row.created_at),
        expires_at=local(row.expires_at),
        revoked_at=maybe_local(row.revoked_at),
        active=row.revoked_at is None and row.expires_at > now,
    )


def audit(row: AuditEntry) -> s.AuditOut:
    assert row.id is not None
    return s.AuditOut(
        id=row.id,
        at=local(row.at),
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        actor_role=row.actor_role,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        before=row.before,
        after=row.after,
    )
