"""Deputies get the mobile number they log in with on their phones
(issue 13: a deputy's account, set up from the invitation link, then a
login by phone number).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A nullable column and a unique index: no table copy (see 0004).
    op.add_column("deputy", sa.Column("phone", sa.String(length=20), nullable=True))
    op.create_index("ix_deputy_phone", "deputy", ["phone"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_deputy_phone", table_name="deputy")
    op.drop_column("deputy", "phone")
