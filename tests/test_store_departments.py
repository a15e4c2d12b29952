"""store/departments.py and migration 0006 (issue 13): the department's
list order and its working days, and widening the account's role
constraint on a populated SQLite database without copying the table (its
logins and the audit's references survive)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlmodel import Session

from hub.config import load_config
from store import accounts, db as storedb, passwords
from store.departments import AssignedItem, days_left, sort_key
from store.opinion_models import Opinion
from store.opinions import OpinionRules

SH = ZoneInfo("Asia/Shanghai")
CONFIG = load_config(environ={})
CALENDAR = OpinionRules.from_config(CONFIG).calendar
NOW = datetime(2025, 3, 4, 10, 0, tzinfo=SH)  # a Tuesday


@pytest.fixture(autouse=True)
def cheap_passwords():
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.use_hasher(previous)


def test_working_days_left():
    assert days_left(CALENDAR, None, NOW) is None
    assert days_left(CALENDAR, datetime(2025, 3, 4, 23, 59, tzinfo=SH), NOW) == 0  # due today
    assert days_left(CALENDAR, datetime(2025, 3, 10, 23, 59, tzinfo=SH), NOW) == 4  # Wed Thu Fri Mon
    assert days_left(CALENDAR, datetime(2025, 2, 28, 23, 59, tzinfo=SH), NOW) == -2  # Mon, Tue


def _item(i: int, deadline, overdue: bool, received_days_ago: int = 0) -> AssignedItem:
    row = Opinion(id=i, client_key=str(i), fingerprint="", station_code="xucun", raised_by="resident",
                  category="11", request_type="complaint", summary="", captured_at=NOW, deadline=deadline,
                  received_at=NOW - timedelta(days=received_days_ago))
    return AssignedItem(row, overdue, None)


def test_overdue_first_then_by_deadline():
    items = [
        _item(1, NOW + timedelta(days=5), False),
        _item(2, None, False, received_days_ago=9),
        _item(3, NOW - timedelta(days=1), True),
        _item(4, NOW + timedelta(days=1), False),
        _item(5, NOW - timedelta(days=3), True),
    ]
    assert [i.opinion.id for i in sorted(items, key=sort_key)] == [5, 3, 4, 1, 2]


def test_the_role_constraint_widens_in_place_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    storedb.upgrade(url, "0005")
    engine = storedb.make_engine(url)
    try:
        with engine.begin() as c:  # an account of the old schema, logged in, in the audit
            c.exec_driver_sql("INSERT INTO account (username, display_name, password_hash, role, active, created_at) "
                              "VALUES ('admin', '', 'x', 'administrator', 1, '2025-03-01 00:00:00')")
            c.exec_driver_sql("INSERT INTO login_token (account_id, token_hash, created_at, expires_at) "
                              "VALUES (1, 'h', '2025-03-01 00:00:00', '2025-03-02 00:00:00')")
            c.exec_driver_sql("INSERT INTO audit_log (at, actor_id, actor_name, actor_role, action, target_type, "
                              "target_id) VALUES ('2025-03-01 00:00:00', 1, 'admin', 'administrator', 'x', 'y', '1')")
        storedb.upgrade(engine)
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert c.exec_driver_sql("SELECT count(*) FROM login_token").scalar() == 1
            assert c.exec_driver_sql("SELECT count(*) FROM audit_log WHERE actor_id = 1").scalar() == 1
        with Session(engine) as db:
            storedb.sync_stations(db, CONFIG.matrix)
            made = accounts.create_account(db, None, CONFIG.matrix, "dept", "long-password", "department",
                                           department="xucun-office")
            assert made.role == "department" and accounts.actor_of(made).department == "xucun-office"
        with pytest.raises(sa.exc.IntegrityError):  # the constraint still holds
            with engine.begin() as c:
                c.exec_driver_sql("INSERT INTO account (username, display_name, password_hash, role, active, "
                                  "created_at) VALUES ('x', '', 'x', 'nobody', 1, '2025-03-01 00:00:00')")
        storedb.downgrade(engine, "0005")  # the department account is disabled, the constraint narrowed back
        with engine.connect() as c:
            assert c.exec_driver_sql("SELECT role, active FROM account WHERE username = 'dept'").one() == ("operator", 0)
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        engine.dispose()
