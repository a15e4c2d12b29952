"""The tables of opinions 民情 and duty records 履职: the opinion (its current
state kept beside the timeline, for search and statistics), its timeline
events, photos, department notices and duty records.

Statistics for a year over a million opinions answer from covering indexes
(PostgreSQL ``INCLUDE``): ``ix_opinion_period`` for the whole city,
``ix_opinion_town_period`` for a town or street, ``ix_opinion_station_period``
for one station — range scans on ``received_at`` that never touch the table.
Migration ``0003_opinions`` creates all of this.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from store.models import JSONType, UTCDateTime, _in, utcnow

OPINION_STATUSES = (
    "submitted", "accepted", "rejected", "assigned", "returned", "in_progress",
    "answered", "fed_back", "rated", "reopened", "closed",
)
OPINION_LEVELS = ("town", "county", "city")
OPINION_GRADES = ("A", "B", "C", "D")
OPINION_RATINGS = ("satisfied", "basic", "unsatisfied")
RAISER_KINDS = ("deputy", "resident")
WEBHOOK_STATUSES = ("none", "pending", "sent", "failed")
DUTY_STATUSES = ("pending", "approved", "rejected")
PERSON_KINDS = ("deputy", "street_rep")

#: Columns the statistics read, carried in the covering indexes.
STATS_COLUMNS = ("category", "status", "level", "first_assigned_at", "resolved_at", "answer_seconds", "rating")


class Opinion(SQLModel, table=True):
    """An opinion as captured, with where its handling stands now.  The
    ``client_key`` (a UUID the page makes) makes capture idempotent."""

    __tablename__ = "opinion"
    __table_args__ = (
        sa.CheckConstraint(_in("status", OPINION_STATUSES), name="status"),
        sa.CheckConstraint(f"level IS NULL OR {_in('level', OPINION_LEVELS)}", name="level"),
        sa.CheckConstraint(f"grade IS NULL OR {_in('grade', OPINION_GRADES)}", name="grade"),
        sa.CheckConstraint(f"rating IS NULL OR {_in('rating', OPINION_RATINGS)}", name="rating"),
        sa.CheckConstraint(_in("raised_by", RAISER_KINDS), name="raised_by"),
        sa.CheckConstraint("raised_by <> 'deputy' OR deputy_id IS NOT NULL", name="deputy"),
        sa.Index("ix_opinion_period", "received_at", postgresql_include=["station_code", *STATS_COLUMNS]),
        sa.Index("ix_opinion_town_period", "town_code", "received_at", postgresql_include=list(STATS_COLUMNS)),
        sa.Index("ix_opinion_station_period", "station_code", "received_at", postgresql_include=list(STATS_COLUMNS)),
        sa.Index("ix_opinion_status_deadline", "status", "deadline"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    client_key: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    fingerprint: str = Field(max_length=64)
    station_code: str = Field(foreign_key="station.code", max_length=64)
    #: The town/street station above (or at) the station; null above the towns.
    town_code: Optional[str] = Field(default=None, max_length=64)
    raised_by: str = Field(max_length=16)
    deputy_id: Optional[int] = Field(default=None, foreign_key="deputy.id", index=True)
    resident_name: str = Field(default="", max_length=100)
    resident_contact: str = Field(default="", max_length=100)
    category: str = Field(max_length=16)
    request_type: str = Field(max_length=16)
    summary: str = Field(max_length=200)
    details: str = Field(default="", sa_type=sa.Text)
    session_id: Optional[int] = Field(default=None, foreign_key="linked_session.id")
    occurrence_start: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    #: Seconds into the live session when it was captured (set by the hub).
    session_offset: Optional[int] = None
    captured_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default="submitted", max_length=16)
    level: Optional[str] = Field(default=None, max_length=8)
    department: Optional[str] = Field(default=None, max_length=64)
    deadline: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    extensions: int = 0
    returns: int = 0
    reopenings: int = 0
    grade: Optional[str] = Field(default=None, max_length=1)
    rating: Optional[str] = Field(default=None, max_length=16)
    flag_suggestion: bool = False
    flag_hot: bool = False
    flag_supervision: bool = False
    first_assigned_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    first_answered_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    answered_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    #: Seconds from capture to the first answer (for the average, in SQL).
    answer_seconds: Optional[int] = None
    resolved_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    closed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_by: Optional[int] = Field(default=None, foreign_key="account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = 1


class OpinionEvent(SQLModel, table=True):
    """One entry of an opinion's timeline: who, when, what, why."""

    __tablename__ = "opinion_event"
    __table_args__ = (sa.UniqueConstraint("opinion_id", "seq", name="uq_opinion_event_seq"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", ondelete="CASCADE")
    seq: int
    action: str = Field(max_length=16)
    from_status: Optional[str] = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_id: Optional[int] = Field(default=None, foreign_key="account.id")
    actor_name: str = Field(default="", max_length=64)
    actor_role: str = Field(default="", max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    note: str = Field(default="", sa_type=sa.Text)
    payload: Optional[Any] = Field(default=None, sa_type=JSONType)


class OpinionPhoto(SQLModel, table=True):
    """A photo of an opinion, kept in the database (bounded in size), at a
    position 0-5 so an upload retried stays one photo."""

    __tablename__ = "opinion_photo"
    __table_args__ = (sa.UniqueConstraint("opinion_id", "position", name="uq_opinion_photo_position"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", ondelete="CASCADE")
    position: int
    content_type: str = Field(max_length=32)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DepartmentNotice(SQLModel, table=True):
    """An @-notice to a department's liaison when an opinion is assigned:
    read in the hub, and posted to the department's webhook if it has one."""

    __tablename__ = "department_notice"
    __table_args__ = (
        sa.CheckConstraint(_in("webhook_status", WEBHOOK_STATUSES), name="webhook_status"),
        sa.Index("ix_department_notice_department", "department_code", "read_at"),
        sa.Index("ix_department_notice_webhook", "webhook_status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True, ondelete="CASCADE")
    department_code: str = Field(max_length=64)
    liaison_name: str = Field(default="", max_length=100)
    liaison_contact: str = Field(default="", max_length=200)
    message: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    read_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    webhook_url: str = Field(default="", max_length=500)
    webhook_status: str = Field(default="none", max_length=8)
    webhook_attempts: int = 0
    webhook_error: str = Field(default="", max_length=500)
    #: When the next try is due (backoff after a failure, ``api/webhooks.py``).
    webhook_next_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One try to post a notice to a department's webhook: the delivery log
    administrators read (``GET /api/webhook-deliveries``)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_department_at", "department_code", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="department_notice.id", index=True, ondelete="CASCADE")
    department_code: str = Field(max_length=64)
    url: str = Field(max_length=500)
    attempt: int
    at: datetime = Field(sa_type=UTCDateTime)
    ok: bool = False
    status_code: Optional[int] = None
    error: str = Field(default="", max_length=500)
    duration_ms: int = 0
    #: The final state after this try: sent, pending (retried at ``next_at``) or failed.
    outcome: str = Field(default="pending", max_length=8)
    next_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class DutyRecord(SQLModel, table=True):
    """One duty record: one person, one occasion, one score (the ``key`` is
    unique).  The deputy's station, town and group are kept as they were."""

    __tablename__ = "duty_record"
    __table_args__ = (
        sa.CheckConstraint(_in("status", DUTY_STATUSES), name="status"),
        sa.CheckConstraint(_in("person_kind", PERSON_KINDS), name="person_kind"),
        sa.Index("ix_duty_record_period", "occurred_at", "town_code"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=255, sa_column_kwargs={"unique": True})
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    person_kind: str = Field(max_length=16)
    station_code: str = Field(max_length=64)
    town_code: Optional[str] = Field(default=None, max_length=64)
    deputy_group: str = Field(default="", max_length=200)
    kind: str = Field(max_length=32)
    occasion: str = Field(max_length=160)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    points: float
    minutes: Optional[float] = None
    manual: bool = False
    status: str = Field(default="approved", max_length=16)
    note: str = Field(default="", max_length=500)
    review_reason: str = Field(default="", max_length=500)
    reviewed_by: Optional[int] = Field(default=None, foreign_key="account.id")
    reviewed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_by: Optional[int] = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ResidentSubmission(SQLModel, table=True):
    """An opinion a resident sent through the online liaison station
    (网上联络站, issue 13): where from (for the rate limits) and a hash of the
    phone number; a hash of the one-time key the page uploads its photos with."""

    __tablename__ = "resident_submission"
    __table_args__ = (sa.Index("ix_resident_submission_remote_at", "remote", "at"),
                      sa.Index("ix_resident_submission_phone_at", "phone_hash", "at"))

    id: Optional[int] = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", ondelete="CASCADE", sa_column_kwargs={"unique": True})
    remote: str = Field(default="", max_length=64)
    phone_hash: str = Field(max_length=64)
    upload_key_hash: str = Field(default="", max_length=64)
    upload_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    at: datetime = Field(sa_type=UTCDateTime)


class ResidentLookup(SQLModel, table=True):
    """One progress lookup by reference number and phone digits, kept for the
    per-address rate limit (guessing four digits must not be cheap)."""

    __tablename__ = "resident_lookup"
    __table_args__ = (sa.Index("ix_resident_lookup_remote_at", "remote", "at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    remote: str = Field(default="", max_length=64)
    at: datetime = Field(sa_type=UTCDateTime)
    found: bool = False


# --- station reception duty 进站接待 and extension approval (issue 13; migration 0012) ----------

EXTENSION_STATUSES = ("pending", "approved", "refused")


class ReceptionShift(SQLModel, table=True):
    """A deputy's reception duty at a station on a China-time day: on the
    roster (``rostered``, set by staff) or come without (临时, made by the
    sign-in); ``signed_in_at`` once the deputy scanned the station's code of
    the day, with the duty record that made (``duty/reception.py``)."""

    __tablename__ = "reception_shift"
    __table_args__ = (
        sa.UniqueConstraint("station_code", "day", "deputy_id", name="uq_reception_shift_key"),
        sa.Index("ix_reception_shift_station_day", "station_code", "day"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    station_code: str = Field(foreign_key="station.code", max_length=64)
    day: date = Field(sa_type=sa.Date)
    deputy_id: int = Field(foreign_key="deputy.id", index=True)
    rostered: bool = True
    signed_in_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    duty_record_id: Optional[int] = Field(default=None, foreign_key="duty_record.id")
    created_by: Optional[int] = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExtensionRequest(SQLModel, table=True):
    """A department's request for more time on an opinion it holds: the
    town's dispatcher (or one above) approves or refuses it with a reason;
    the opinion's deadline changes only on approval (``opinions/extensions.py``)."""

    __tablename__ = "extension_request"
    __table_args__ = (
        sa.CheckConstraint(_in("status", EXTENSION_STATUSES), name="status"),
        sa.Index("ix_extension_request_status", "status", "town_code"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True, ondelete="CASCADE")
    department_code: str = Field(max_length=64)
    station_code: str = Field(max_length=64)
    town_code: Optional[str] = Field(default=None, max_length=64)
    current_deadline: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    requested_deadline: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(default="", sa_type=sa.Text)
    status: str = Field(default="pending", max_length=16)
    requested_by: Optional[int] = Field(default=None, foreign_key="account.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: Optional[int] = Field(default=None, foreign_key="account.id")
    decided_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str = Field(default="", sa_type=sa.Text)


class OutboundSent(SQLModel, table=True):
    """A reminder handed to the outbound adapter (``hub/outbound.py``), by its
    stable key, while it stays due: a restarted hub (or a second process)
    does not send it again (migration 0013)."""

    __tablename__ = "outbound_sent"

    key: str = Field(primary_key=True, max_length=255)
    sent_at: datetime = Field(sa_type=UTCDateTime)


class DeviceBinding(SQLModel, table=True):
    """A deputy's phone bound instead of a password (issue 13): a long-lived
    device token kept in the phone's storage, of which only the SHA-256 is
    stored; revocable by the deputy and administrators (``store/devices.py``;
    migration 0013)."""

    __tablename__ = "device_binding"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
