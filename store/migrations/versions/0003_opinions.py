"""Opinions 民情 (with their timeline, photos and department notices) and
deputy duty records 履职.  Covering indexes (PostgreSQL INCLUDE) let a year's
statistics and category ranking answer from the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_STATS = ["category", "status", "level", "first_assigned_at", "resolved_at", "answer_seconds", "rating"]


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("town_code", sa.String(length=64), nullable=True),
        sa.Column("raised_by", sa.String(length=16), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=True),
        sa.Column("resident_name", sa.String(length=100), nullable=False),
        sa.Column("resident_contact", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        _at("occurrence_start"),
        sa.Column("session_offset", sa.Integer(), nullable=True),
        _at("captured_at", False),
        _at("received_at", False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        _at("deadline"),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("reopenings", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("flag_suggestion", sa.Boolean(), nullable=False),
        sa.Column("flag_hot", sa.Boolean(), nullable=False),
        sa.Column("flag_supervision", sa.Boolean(), nullable=False),
        _at("first_assigned_at"),
        _at("first_answered_at"),
        _at("answered_at"),
        sa.Column("answer_seconds", sa.Integer(), nullable=True),
        _at("resolved_at"),
        _at("closed_at"),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _at("updated_at", False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('submitted', 'accepted', 'rejected', 'assigned', 'returned', 'in_progress', "
            "'answered', 'fed_back', 'rated', 'reopened', 'closed')",
            name=op.f("ck_opinion_status"),
        ),
        sa.CheckConstraint("level IS NULL OR level IN ('town', 'county', 'city')", name=op.f("ck_opinion_level")),
        sa.CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D')", name=op.f("ck_opinion_grade")),
        sa.CheckConstraint(
            "rating IS NULL OR rating IN ('satisfied', 'basic', 'unsatisfied')", name=op.f("ck_opinion_rating")
        ),
        sa.CheckConstraint("raised_by IN ('deputy', 'resident')", name=op.f("ck_opinion_raised_by")),
        sa.CheckConstraint("raised_by <> 'deputy' OR deputy_id IS NOT NULL", name=op.f("ck_opinion_deputy")),
        sa.ForeignKeyConstraint(["station_code"], ["station.code"], name=op.f("fk_opinion_station_code_station")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_opinion_deputy_id_deputy")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["linked_session.id"], name=op.f("fk_opinion_session_id_linked_session")
        ),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], name=op.f("fk_opinion_created_by_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion")),
        sa.UniqueConstraint("client_key", name=op.f("uq_opinion_client_key")),
    )
    op.create_index(op.f("ix_opinion_deputy_id"), "opinion", ["deputy_id"])
    op.create_index("ix_opinion_period", "opinion", ["received_at"], postgresql_include=["station_code", *_STATS])
    op.create_index("ix_opinion_town_period", "opinion", ["town_code", "received_at"], postgresql_include=_STATS)
    op.create_index(
        "ix_opinion_station_period", "opinion", ["station_code", "received_at"], postgresql_include=_STATS
    )
    op.create_index("ix_opinion_status_deadline", "opinion", ["status", "deadline"])

    op.create_table(
        "opinion_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        _at("at", False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("payload", _JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinion.id"], name=op.f("fk_opinion_event_opinion_id_opinion"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["account.id"], name=op.f("fk_opinion_event_actor_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_event")),
        sa.UniqueConstraint("opinion_id", "seq", name="uq_opinion_event_seq"),
    )

    op.create_table(
        "opinion_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _at("created_at", False),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinion.id"], name=op.f("fk_opinion_photo_opinion_id_opinion"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_photo")),
        sa.UniqueConstraint("opinion_id", "position", name="uq_opinion_photo_position"),
    )

    op.create_table(
        "department_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("liaison_name", sa.String(length=100), nullable=False),
        sa.Column("liaison_contact", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        _at("created_at", False),
        _at("read_at"),
        sa.Column("webhook_url", sa.String(length=500), nullable=False),
        sa.Column("webhook_status", sa.String(length=8), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_error", sa.String(length=500), nullable=False),
        sa.CheckConstraint(
            "webhook_status IN ('none', 'pending', 'sent', 'failed')", name=op.f("ck_department_notice_webhook_status")
        ),
        sa.ForeignKeyConstraint(
            ["opinion_id"], ["opinion.id"], name=op.f("fk_department_notice_opinion_id_opinion"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_notice")),
    )
    op.create_index(op.f("ix_department_notice_opinion_id"), "department_notice", ["opinion_id"])
    op.create_index("ix_department_notice_department", "department_notice", ["department_code", "read_at"])
    op.create_index("ix_department_notice_webhook", "department_notice", ["webhook_status"])

    op.create_table(
        "duty_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("person_kind", sa.String(length=16), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("town_code", sa.String(length=64), nullable=True),
        sa.Column("deputy_group", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occasion", sa.String(length=160), nullable=False),
        _at("occurred_at", False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("review_reason", sa.String(length=500), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        _at("reviewed_at"),
        sa.Column("created_by", sa.Integer(), nullable=True),
        _at("created_at", False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f("ck_duty_record_status")),
        sa.CheckConstraint("person_kind IN ('deputy', 'street_rep')", name=op.f("ck_duty_record_person_kind")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_duty_record_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["reviewed_by"], ["account.id"], name=op.f("fk_duty_record_reviewed_by_account")),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], name=op.f("fk_duty_record_created_by_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_record")),
        sa.UniqueConstraint("key", name=op.f("uq_duty_record_key")),
    )
    op.create_index(op.f("ix_duty_record_deputy_id"), "duty_record", ["deputy_id"])
    op.create_index("ix_duty_record_period", "duty_record", ["occurred_at", "town_code"])


def downgrade() -> None:
    op.drop_table("duty_record")
    op.drop_table("department_notice")
    op.drop_table("opinion_photo")
    op.drop_table("opinion_event")
    op.drop_table("opinion")
