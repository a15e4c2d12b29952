"""The deputy roster (issue 13): a person holds one or more levels.

``deputy_level`` (deputy, level) keeps the set; ``deputy.level`` stays the
primary level (the highest, ``core/roster.py``) for every reader that knows
one.  A table rather than a JSON column: the CHECK holds for each level and
a filter by level is plain SQL on PostgreSQL and SQLite alike.  Every
deputy gets its present level as its one level.

Revision ID: 0011_deputy_roster
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011_deputy_roster"
down_revision: Union[str, None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "deputy_level",
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.CheckConstraint("level IN ('provincial', 'jiaxing', 'haining', 'town', 'street_rep')",
                           name=op.f("ck_deputy_level_level")),
        sa.ForeignKeyConstraint(["deputy_id"], ["deputy.id"], name=op.f("fk_deputy_level_deputy_id_deputy"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deputy_id", "level", name=op.f("pk_deputy_level")),
    )
    op.execute("INSERT INTO deputy_level (deputy_id, level) SELECT id, level FROM deputy")


def downgrade() -> None:
    op.drop_table("deputy_level")
