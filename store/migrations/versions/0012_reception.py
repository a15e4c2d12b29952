"""Station reception duty 进站接待 (the roster and the sign-ins by the
station's code of the day) and departments' extension requests, which the
town's dispatcher approves or refuses (issue 13).

Revision ID: 0012
Revises: 0011_deputy_roster
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, None] = "0011_deputy_roster"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "reception_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("rostered", sa.Boolean(), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duty_record_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_code"], ["station.code"], name=op.f("fk_reception_shift_station_code_station")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_reception_shift_deputy_id_deputy")),
        sa.ForeignKeyConstraint(["duty_record_id"], ["duty_record.id"],
                                name=op.f("fk_reception_shift_duty_record_id_duty_record")),
        sa.ForeignKeyConstraint(["created_by"], ["account.id"], name=op.f("fk_reception_shift_created_by_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_shift")),
        sa.UniqueConstraint("station_code", "day", "deputy_id", name="uq_reception_shift_key"),
    )
    op.create_index("ix_reception_shift_station_day", "reception_shift", ["station_code", "day"])
    op.create_index(op.f("ix_reception_shift_deputy_id"), "reception_shift", ["deputy_id"])
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("station_code", sa.String(length=64), nullable=False),
        sa.Column("town_code", sa.String(length=64), nullable=True),
        sa.Column("current_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')", name=op.f("ck_extension_request_status")),
        sa.ForeignKeyConstraint(["opinion_id"], ["opinion.id"], name=op.f("fk_extension_request_opinion_id_opinion"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by"], ["account.id"],
                                name=op.f("fk_extension_request_requested_by_account")),
        sa.ForeignKeyConstraint(["decided_by"], ["account.id"], name=op.f("fk_extension_request_decided_by_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_request")),
    )
    op.create_index("ix_extension_request_status", "extension_request", ["status", "town_code"])
    op.create_index(op.f("ix_extension_request_opinion_id"), "extension_request", ["opinion_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_extension_request_opinion_id"), table_name="extension_request")
    op.drop_index("ix_extension_request_status", table_name="extension_request")
    op.drop_table("extension_request")
    op.drop_index(op.f("ix_reception_shift_deputy_id"), table_name="reception_shift")
    op.drop_index("ix_reception_shift_station_day", table_name="reception_shift")
    op.drop_table("reception_shift")
