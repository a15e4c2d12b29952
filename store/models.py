"""The tables.  Times are stored as timezone-aware UTC (``timestamptz`` on
PostgreSQL; on SQLite, :class:`UTCDateTime` keeps UTC and hands back aware
values).  Enumerations are text columns with CHECK constraints, so adding a
value is a migration that touches one constraint.

Every change here needs a migration in ``store/migrations/versions``;
``tests/test_store.py`` compares the migrated schema with these models.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.zone import TIME_ZONE

# Stable constraint names, so migrations can name what they change.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("administrator", "dispatcher", "operator", "deputy", "department")
DEPUTY_LEVELS = ("provincial", "jiaxing", "haining", "town", "street_rep")
SESSION_STATUSES = ("scheduled", "lobby", "live", "ended", "cancelled")
STATION_LEVELS = ("general", "branch", "town", "room")


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware date-time stored in UTC; naive values are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive date-time: give a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Station(SQLModel, table=True):
    """A station of the matrix, synced from ``configs/matrix.yaml``.  A station
    removed from the configuration stays (sessions refer to it) inactive."""

    __tablename__ = "station"
    __table_args__ = (sa.CheckConstraint(_in("level", STATION_LEVELS), name="level"),)

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    level: str = Field(max_length=16)
    kind: Optional[str] = Field(default=None, max_length=16)
    example: bool = False
    parent_code: Optional[str] = Field(default=None, foreign_key="station.code", max_length=64)
    position: int = 0
    active: bool = True
    #: The generation of the station's calendar feed key (``store.feeds``):
    #: rotating the key counts it up and older links stop working.
    feed_generation: int = 0


class Account(SQLModel, table=True):
    """A person who logs in.  Dispatchers and operators have a scope station,
    a department's liaison (``department``) its department."""

    __tablename__ = "account"
    __table_args__ = (
        sa.CheckConstraint(_in("role", ROLES), name="role"),
        sa.CheckConstraint(
            "role NOT IN ('dispatcher', 'operator') OR station_code IS NOT NULL", name="scoped"
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    station_code: Optional[str] = Field(default=None, foreign_key="station.code", max_length=64)
    deputy_id: Optional[int] = Field(default=None, foreign_key="deputy.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: A department account's department (``configs/departments.yaml`` code):
    #: its scope (``core/scope.py``, issue 13).
    department_code: Optional[str] = Field(default=None, max_length=64)
    #: When it last signed in (``store.accounts.authenticate``; migration 0010).
    last_login_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class LoginToken(SQLModel, table=True):
    """A login session.  Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "login_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class LoginAttempt(SQLModel, table=True):
    """One login try, kept for rate limiting (by user name and by address)."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_username_at", "username", "at"),
                      sa.Index("ix_login_attempt_remote_at", "remote", "at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)
    remote: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    success: bool = False


class Deputy(SQLModel, table=True):
    """A deputy (provincial, Jiaxing, Haining or town level) or a street
    residents' representative (``street_rep``), at a station, in a group."""

    __tablename__ = "deputy"
    __table_args__ = (sa.CheckConstraint(_in("level", DEPUTY_LEVELS), name="level"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    level: str = Field(max_length=16)
    station_code: str = Field(foreign_key="station.code", index=True, max_length=64)
    deputy_group: str = Field(default="", max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: The mobile number the deputy logs in with (``store.deputy_home``);
    #: set from the roster or when the deputy sets up its account.
    phone: Optional[str] = Field(default=None, max_length=20, index=True, unique=True)


class DeputyLevelRow(SQLModel, table=True):
    """One of a person's levels (issue 13: a Haining and a town deputy, a
    deputy and a street residents' representative).  ``Deputy.level`` stays
    the primary one, the highest of the set (``core/roster.py``); a table,
    not a JSON column, so the CHECK holds for each level and a filter by
    level is the same SQL on PostgreSQL and SQLite (migration 0011)."""

    __tablename__ = "deputy_level"
    __table_args__ = (sa.CheckConstraint(_in("level", DEPUTY_LEVELS), name="level"),)

    deputy_id: int = Field(foreign_key="deputy.id", primary_key=True, ondelete="CASCADE")
    level: str = Field(primary_key=True, max_length=16)


class LinkedSession(SQLModel, table=True):
    """A linked session (联动会议), one-off or a series.  ``start_at``/``end_at``
    are the first occurrence's; ``timezone`` is the zone the rule repeats in;
    ``version`` grows by one with each edit (optimistic concurrency)."""

    __tablename__ = "linked_session"
    __table_args__ = (
        sa.CheckConstraint(_in("status", SESSION_STATUSES), name="status"),
        sa.CheckConstraint("end_at > start_at", name="times"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    agenda: str = Field(default="", sa_type=sa.Text)
    chair_code: str = Field(foreign_key="station.code", max_length=64)
    start_at: datetime = Field(sa_type=UTCDateTime, index=True)
    end_at: datetime = Field(sa_type=UTCDateTime)
    timezone: str = Field(default=TIME_ZONE, max_length=64)
    rrule: Optional[str] = Field(default=None, max_length=500)
    status: str = Field(default="scheduled", max_length=16)
    #: A public short name used in join links instead of the id (``demo``).
    code: Optional[str] = Field(default=None, max_length=64, sa_column_kwargs={"unique": True})
    #: A standing session (常设会议) is always open and books no stations: it
    #: never conflicts with scheduled sessions (the embedded ``demo`` session).
    standing: bool = False
    #: Recorded from its start (录制): the room starts recording on its
    #: first join (issue 12).
    record: bool = False
    created_by: Optional[int] = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = 1


class SessionStation(SQLModel, table=True):
    """A station taking part in a session (the chair is one of them)."""

    __tablename__ = "session_station"

    session_id: int = Field(foreign_key="linked_session.id", primary_key=True, ondelete="CASCADE")
    station_code: str = Field(foreign_key="station.code", primary_key=True, index=True, max_length=64)


class OccurrenceException(SQLModel, table=True):
    """What differs for one occurrence of a series, known by its original
    start: cancelled, moved (``moved_start``/``moved_end``) or ended early."""

    __tablename__ = "occurrence_exception"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "original_start", name="uq_occurrence_exception_key"),
        sa.CheckConstraint(
            "(moved_start IS NULL AND moved_end IS NULL) OR (moved_end > moved_start)", name="moved"
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="linked_session.id", ondelete="CASCADE")
    original_start: datetime = Field(sa_type=UTCDateTime)
    cancelled: bool = False
    moved_start: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    moved_end: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    ended_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A deputy invited to a session; the deputy joins with the token, of which
    only the SHA-256 is stored."""

    __tablename__ = "invitation"

    id: Optional[int] = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="linked_session.id", index=True, ondelete="CASCADE")
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_by: Optional[int] = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what, when, with the record before and after (JSON).  Written
    in the same transaction as the change it describes."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: Optional[int] = Field(default=None, foreign_key="account.id")
    actor_name: str = Field(default="", max_length=64)
    actor_role: str = Field(default="", max_length=16)
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=64)
    before: Optional[Any] = Field(default=None, sa_type=JSONType)
    after: Optional[Any] = Field(default=None, sa_type=JSONType)
