"""Stations get the generation of their calendar feed key: rotating the key
counts it up, and links made with an older key stop working.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# Plain ALTER TABLE (SQLite ≥ 3.35 drops a column in place): a batch copy of
# ``station`` would drop a table that other tables' foreign keys point at.


def upgrade() -> None:
    op.add_column("station", sa.Column("feed_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("station", "feed_generation")
