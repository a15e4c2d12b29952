"""Linked sessions get a public code (``demo``) and the standing flag.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("linked_session") as batch:
        batch.add_column(sa.Column("code", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("standing", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_unique_constraint(op.f("uq_linked_session_code"), ["code"])


def downgrade() -> None:
    with op.batch_alter_table("linked_session") as batch:
        batch.drop_constraint(op.f("uq_linked_session_code"), type_="unique")
        batch.drop_column("standing")
        batch.drop_column("code")
