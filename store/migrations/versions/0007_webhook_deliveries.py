"""Signed webhooks with a delivery log (issue 13): each try to post a
department notice is logged (``webhook_delivery``), and a notice knows when
its next try is due (``department_notice.webhook_next_at``, the backoff).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("department_notice", sa.Column("webhook_next_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=8), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["department_notice.id"],
                                name=op.f("fk_webhook_delivery_notice_id_department_notice"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    op.create_index(op.f("ix_webhook_delivery_notice_id"), "webhook_delivery", ["notice_id"])
    op.create_index("ix_webhook_delivery_department_at", "webhook_delivery", ["department_code", "at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_department_at", table_name="webhook_delivery")
    op.drop_index(op.f("ix_webhook_delivery_notice_id"), table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_column("department_notice", "webhook_next_at")
