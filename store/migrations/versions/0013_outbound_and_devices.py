"""The reminders the outbound adapter sent, by key, while they stay due, so
that a restart sends nothing twice (issue 13, ``hub/outbound.py``); and
deputies' phones bound instead of a password (``store/devices.py``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "outbound_sent",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_outbound_sent")),
    )


    op.create_table(
        "device_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_device_binding_account_id_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_binding")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_binding_token_hash")),
    )
    op.create_index(op.f("ix_device_binding_account_id"), "device_binding", ["account_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_device_binding_account_id"), table_name="device_binding")
    op.drop_table("device_binding")
    op.drop_table("outbound_sent")
