"""Department accounts (承办单位, issue 13): the role ``department`` and the
account's department, its scope.

Widening the CHECK constraint on the role: PostgreSQL drops and re-adds it.
SQLite cannot alter a constraint, and a batch copy of ``account`` would
drop a table that other tables' foreign keys point at (with foreign keys
on, dropping it deletes its rows first: logins cascade away and the audit's
references refuse).  A wider IN list changes nothing stored, so SQLite gets
the procedure its documentation gives for such changes (ALTER TABLE, "making
other kinds of table schema changes", writable_schema): the table's
definition is rewritten in place and the schema version counted up.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD = "role IN ('administrator', 'dispatcher', 'operator', 'deputy')"
NEW = "role IN ('administrator', 'dispatcher', 'operator', 'deputy', 'department')"


def _rewrite_sqlite(before: str, after: str) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type='table' AND name='account'").scalar()
    if sql is None or before not in sql:
        raise RuntimeError("account: the role constraint is not the expected one")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    bind.exec_driver_sql("UPDATE sqlite_master SET sql=? WHERE type='table' AND name='account'",
                         (sql.replace(before, after),))
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema=OFF")


def _role_constraint(before: str, after: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rewrite_sqlite(before, after)
    else:
        op.drop_constraint(op.f("ck_account_role"), "account", type_="check")
        op.create_check_constraint(op.f("ck_account_role"), "account", after)


def upgrade() -> None:
    op.add_column("account", sa.Column("department_code", sa.String(length=64), nullable=True))
    _role_constraint(OLD, NEW)


def downgrade() -> None:
    op.execute("DELETE FROM login_token WHERE account_id IN (SELECT id FROM account WHERE role = 'department')")
    op.execute("UPDATE account SET active = false, role = 'operator', station_code = "
               "(SELECT code FROM station WHERE parent_code IS NULL LIMIT 1) WHERE role = 'department'")
    _role_constraint(NEW, OLD)
    op.drop_column("account", "department_code")
