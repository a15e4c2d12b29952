"""The residents' online liaison station (网上联络站, issue 13): where each
resident's submission came from and a hash of the phone (rate limits, the
photo upload key), and the progress lookups (their rate limit).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "resident_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("upload_key_hash", sa.String(length=64), nullable=False),
        sa.Column("upload_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["opinion_id"], ["opinion.id"], name=op.f("fk_resident_submission_opinion_id_opinion"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_submission")),
        sa.UniqueConstraint("opinion_id", name=op.f("uq_resident_submission_opinion_id")),
    )
    op.create_index("ix_resident_submission_remote_at", "resident_submission", ["remote", "at"])
    op.create_index("ix_resident_submission_phone_at", "resident_submission", ["phone_hash", "at"])
    op.create_table(
        "resident_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_lookup")),
    )
    op.create_index("ix_resident_lookup_remote_at", "resident_lookup", ["remote", "at"])


def downgrade() -> None:
    op.drop_index("ix_resident_lookup_remote_at", table_name="resident_lookup")
    op.drop_table("resident_lookup")
    op.drop_index("ix_resident_submission_phone_at", table_name="resident_submission")
    op.drop_index("ix_resident_submission_remote_at", table_name="resident_submission")
    op.drop_table("resident_submission")
