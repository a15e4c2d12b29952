"""The initial schema: stations, accounts, login tokens and attempts, deputies,
linked sessions with their stations and occurrence exceptions, invitations,
the audit log.

Revision ID: 0001
Revises: 
Create Date: 2025-06-01
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('remote', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index('ix_login_attempt_remote_at', 'login_attempt', ['remote', 'at'])
    op.create_index('ix_login_attempt_username_at', 'login_attempt', ['username', 'at'])

    op.create_table('station',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('example', sa.Boolean(), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("level IN ('general', 'branch', 'town', 'room')", name=op.f('ck_station_level')),
    sa.ForeignKeyConstraint(['parent_code'], ['station.code'], name=op.f('fk_station_parent_code_station')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_station'))
    )
    op.create_table('deputy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('station_code', sa.String(length=64), nullable=False),
    sa.Column('deputy_group', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('provincial', 'jiaxing', 'haining', 'town', 'street_rep')", name=op.f('ck_deputy_level')),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_deputy_station_code_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputy'))
    )
    op.create_index(op.f('ix_deputy_station_code'), 'deputy', ['station_code'])

    op.create_table('account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('station_code', sa.String(length=64), nullable=True),
    sa.Column('deputy_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('administrator', 'dispatcher', 'operator', 'deputy')", name=op.f('ck_account_role')),
    sa.CheckConstraint("role NOT IN ('dispatcher', 'operator') OR station_code IS NOT NULL", name=op.f('ck_account_scoped')),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputy.id'], name=op.f('fk_account_deputy_id_deputy')),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_account_station_code_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('username', name=op.f('uq_account_username'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['account.id'], name=op.f('fk_audit_log_actor_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'])
    op.create_index('ix_audit_log_target', 'audit_log', ['target_type', 'target_id'])

    op.create_table('linked_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('chair_code', sa.String(length=64), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('rrule', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'lobby', 'live', 'ended', 'cancelled')", name=op.f('ck_linked_session_status')),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_linked_session_times')),
    sa.ForeignKeyConstraint(['chair_code'], ['station.code'], name=op.f('fk_linked_session_chair_code_station')),
    sa.ForeignKeyConstraint(['created_by'], ['account.id'], name=op.f('fk_linked_session_created_by_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_session'))
    )
    op.create_index(op.f('ix_linked_session_start_at'), 'linked_session', ['start_at'])

    op.create_table('login_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_login_token_account_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_token_token_hash'))
    )
    op.create_index(op.f('ix_login_token_account_id'), 'login_token', ['account_id'])

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['account.id'], name=op.f('fk_invitation_created_by_account')),
    sa.ForeignKeyConstraint(['deputy_id'], ['deputy.id'], name=op.f('fk_invitation_deputy_id_deputy')),
    sa.ForeignKeyConstraint(['session_id'], ['linked_session.id'], name=op.f('fk_invitation_session_id_linked_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    op.create_index(op.f('ix_invitation_deputy_id'), 'invitation', ['deputy_id'])
    op.create_index(op.f('ix_invitation_session_id'), 'invitation', ['session_id'])

    op.create_table('occurrence_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('original_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('moved_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moved_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(moved_start IS NULL AND moved_end IS NULL) OR (moved_end > moved_start)', name=op.f('ck_occurrence_exception_moved')),
    sa.ForeignKeyConstraint(['session_id'], ['linked_session.id'], name=op.f('fk_occurrence_exception_session_id_linked_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occurrence_exception')),
    sa.UniqueConstraint('session_id', 'original_start', name='uq_occurrence_exception_key')
    )
    op.create_table('session_station',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('station_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['linked_session.id'], name=op.f('fk_session_station_session_id_linked_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_session_station_station_code_station')),
    sa.PrimaryKeyConstraint('session_id', 'station_code', name=op.f('pk_session_station'))
    )
    op.create_index(op.f('ix_session_station_station_code'), 'session_station', ['station_code'])



def downgrade() -> None:
    op.drop_index(op.f('ix_session_station_station_code'), table_name='session_station')

    op.drop_table('session_station')
    op.drop_table('occurrence_exception')
    op.drop_index(op.f('ix_invitation_session_id'), table_name='invitation')
    op.drop_index(op.f('ix_invitation_deputy_id'), table_name='invitation')

    op.drop_table('invitation')
    op.drop_index(op.f('ix_login_token_account_id'), table_name='login_token')

    op.drop_table('login_token')
    op.drop_index(op.f('ix_linked_session_start_at'), table_name='linked_session')

    op.drop_table('linked_session')
    op.drop_index('ix_audit_log_target', table_name='audit_log')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')

    op.drop_table('audit_log')
    op.drop_table('account')
    op.drop_index(op.f('ix_deputy_station_code'), table_name='deputy')

    op.drop_table('deputy')
    op.drop_table('station')
    op.drop_index('ix_login_attempt_username_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_remote_at', table_name='login_attempt')

    op.drop_table('login_attempt')
