"""store/: the schema by alembic, stations, accounts, sessions, invitations and
the audit log, against both embedded SQLite and a real PostgreSQL.

PostgreSQL runs at 127.0.0.1:5432 (trust auth, user postgres); each run works
in a database of its own, created here and dropped afterwards.  Without a
reachable PostgreSQL the tests fail: ``make test`` starts it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlmodel import Session, SQLModel, select

from hub.config import load_config
from hub.errors import (
    Forbidden,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    ScheduleConflict,
    ScheduleInvalid,
    SessionNotFound,
    StaleVersion,
    TokenExpired,
    TokenInvalid,
    TransitionRefused,
)
from hub.matrix import Matrix
from hub.scope import Role
from scheduler.lifecycle import State
from store import accounts, audit, db as storedb, passwords
from store.deputies import create_deputy
from store.models import AuditEntry, LinkedSession, SessionStation, Station
from store.sessions import SessionPlan, SessionRepo

from databases import Databases  # noqa: E402
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=SH)
MATRIX = load_config(environ={}).matrix


def at(month, day, hour, minute=0):
    return datetime(2025, month, day, hour, minute, tzinfo=SH)


# --- databases -------------------------------------------------------------------

@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    dbs = Databases(tmp_path_factory)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(request, databases):
    url = databases.new(request.param)
    storedb.upgrade(url)
    engine = storedb.make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True, scope="module")
def cheap_passwords():
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.use_hasher(previous)


@pytest.fixture
def db(engine):
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    with Session(engine) as session:
        storedb.sync_stations(session, MATRIX)
        yield session


@pytest.fixture
def repo():
    return SessionRepo(MATRIX, lobby_minutes=15)


@pytest.fixture
def people(db):
    """Accounts of each role, as actors."""
    admin = accounts.create_account(db, None, MATRIX, "admin", "admin-password", Role.ADMINISTRATOR, now=NOW)
    admin_actor = accounts.actor_of(admin)
    out = {"admin": admin_actor}
    for username, role, station in [
        ("jx", Role.DISPATCHER, "jiaxing"),
        ("hn", Role.DISPATCHER, "haining"),
        ("op-xucun", Role.OPERATOR, "xucun"),
    ]:
        account = accounts.create_account(db, admin_actor, MATRIX, username, "long-password", role, station, now=NOW)
        out[username] = accounts.actor_of(account)
    return out


def plan(**kw) -> SessionPlan:
    values = dict(
        title="许村、长安与分站联动",
        chair="haining",
        stations=("xucun", "changan"),
        start=at(3, 7, 14),
        end=at(3, 7, 16),
    )
    values.update(kw)
    return SessionPlan(**values)


def audit_actions(db, session_id=None):
    return [e.action for e in reversed(audit.entries(db, "session" if session_id else None, session_id))]


# --- schema ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_from_an_empty_database(databases, backend):
    url = databases.new(backend)
    engine = storedb.make_engine(url)
    try:
        assert storedb.current_revision(engine) is None
        storedb.upgrade(url)
        assert storedb.current_revision(engine) == storedb.head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        with Session(engine) as session:
            report = storedb.sync_stations(session, MATRIX)
            assert len(report.added) == len(MATRIX)
        storedb.upgrade(url)  # already at head: nothing to do
        storedb.downgrade(url, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        storedb.upgrade(url)
        assert storedb.current_revision(engine) == storedb.head_revision()
    finally:
        engine.dispose()


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_plain_postgresql_urls_mean_psycopg():
    assert storedb.normalize_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert storedb.normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_default_sqlite_database_lives_under_var(tmp_path):
    config = load_config(environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var")})
    storedb.upgrade(config.database_url)
    assert (tmp_path / "var" / "hub.db").exists()


# --- stations ------------------------------------------------------------------------


def test_station_sync_is_idempotent_and_keeps_removed_stations(db):
    assert not storedb.sync_stations(db, MATRIX).changed
    rows = {s.code: s for s in db.exec(select(Station)).all()}
    assert rows["xucun"].parent_code == "haining" and rows["haining"].parent_code == "jiaxing"
    assert rows["xucun-rongxing"].example and rows["xucun"].kind == "town"

    haining = MATRIX["haining"]
    trimmed_haining = replace(haining, children=tuple(c for c in haining.children if c.code != "huangwan"))
    renamed = replace(MATRIX["jiaxing"], name="嘉兴总站", children=(trimmed_haining,))
    report = storedb.sync_stations(db, Matrix([renamed]))
    assert report.deactivated == ["huangwan"] and report.updated == ["jiaxing"]
    assert db.get(Station, "huangwan").active is False
    report = storedb.sync_stations(db, MATRIX)
    assert report.updated == ["jiaxing", "huangwan"] or set(report.updated) == {"jiaxing", "huangwan"}
    assert db.get(Station, "huangwan").active is True


# --- accounts ------------------------------------------------------------------------


def test_accounts_hash_passwords_with_argon2_and_log_in_with_expiring_tokens(db, people):
    account, token = accounts.authenticate(db, "hn", "long-password", NOW, remote="10.0.0.1")
    assert account.password_hash.startswith("$argon2id$")
    assert token not in account.password_hash
    stored = db.exec(select(accounts.LoginToken)).one()
    assert stored.token_hash == accounts.token_hash(token) and token != stored.token_hash
    found, actor = accounts.resolve_token(db, token, NOW + timedelta(hours=1))
    assert found.id == account.id and actor.role is Role.DISPATCHER and actor.station == "haining"
    with pytest.raises(LoginRequired):
        accounts.resolve_token(db, token, NOW + accounts.TOKEN_TTL)
    with pytest.raises(LoginRequired):
        accounts.resolve_token(db, "made-up", NOW)
    accounts.logout(db, token, NOW)
    with pytest.raises(LoginRequired):
        accounts.resolve_token(db, token, NOW)


def test_only_administrators_create_accounts_and_that_is_audited(db, people):
    with pytest.raises(Forbidden):
        accounts.create_account(db, people["hn"], MATRIX, "sneaky", "long-password", Role.ADMINISTRATOR)
    entries = audit.entries(db, "account")
    assert {e.after["username"] for e in entries} == {"admin", "jx", "hn", "op-xucun"}
    assert "password" not in str([e.after for e in entries])
    first = [e for e in entries if e.after["username"] == "admin"][0]
    assert first.actor_name == "system" and first.actor_id is None


def test_logins_are_rate_limited(db, people):
    for _ in range(accounts.PAIR_POLICY.limit):
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, "hn", "wrong-password", NOW)
    with pytest.raises(LoginThrottled) as info:
        accounts.authenticate(db, "hn", "long-password", NOW + timedelta(seconds=10))
    assert info.value.params["seconds"] == 20  # 30 s after the fifth failure
    account, _ = accounts.authenticate(db, "hn", "long-password", NOW + accounts.PAIR_POLICY.backoff)
    assert account.username == "hn"
    with pytest.raises(LoginFailed):
        accounts.authenticate(db, "nobody", "whatever-password", NOW)


def test_a_stranger_cannot_lock_an_account_out(db, people):
    """Throttling is per (name, address) with a growing back-off: the
    attacker's address waits longer and longer, the owner's does not."""
    t = NOW
    verified = 0
    for _ in range(40):
        try:
            accounts.authenticate(db, "admin", "guess-password", t, remote="10.0.0.66")
        except LoginFailed:
            verified += 1
        except LoginThrottled:
            pass
        t += timedelta(seconds=10)
    # 5 free tries, then one after 30 s, 60 s, 120 s within the 400 s of hammering.
    assert verified == 5 + 3
    account, _ = accounts.authenticate(db, "admin", "admin-password", t, remote="10.0.0.1")
    assert account.username == "admin"
    with pytest.raises(LoginThrottled):
        accounts.authenticate(db, "admin", "admin-password", t, remote="10.0.0.66")


def test_one_address_guessing_many_names_is_throttled(db, people):
    for i in range(accounts.REMOTE_POLICY.limit):
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, f"nobody{i}", "whatever-password", NOW, remote="10.0.0.66")
    with pytest.raises(LoginThrottled):
        accounts.authenticate(db, "hn", "long-password", NOW, remote="10.0.0.66")
    accounts.authenticate(db, "hn", "long-password", NOW, remote="10.0.0.67")


def test_a_success_clears_the_pairs_count_but_not_the_addresss(db, people):
    for _ in range(4):
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, "hn", "wrong-password", NOW, remote="10.0.0.66")
    accounts.authenticate(db, "hn", "long-password", NOW, remote="10.0.0.66")
    for _ in range(4):  # 4 more: free again after the success
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, "hn", "wrong-password", NOW, remote="10.0.0.66")
    for i in range(11):  # 19 failures from the address
        with pytest.raises(LoginFailed):
            accounts.authenticate(db, f"nobody{i}", "whatever-password", NOW, remote="10.0.0.66")
    accounts.authenticate(db, "jx", "long-password", NOW, remote="10.0.0.66")  # a success with another account
    with pytest.raises(LoginFailed):  # the 20th
        accounts.authenticate(db, "nobody", "whatever-password", NOW, remote="10.0.0.66")
    with pytest.raises(LoginThrottled):  # the success did not reset the address's count
        accounts.authenticate(db, "nobody2", "whatever-password", NOW, remote="10.0.0.66")


def test_parallel_wrong_passwords_get_no_more_verifications_than_the_limit(engine, db, people, monkeypatch):
    """Regression: the failure count was read before the (slow) verification
    and the try recorded after it: 9 of 12 parallel tries were verified
    through a limit of 5.  The try is now recorded first, under a lock."""
    import threading

    verify = passwords.verify_password
    verified = []

    def slow_verify(stored: str, password: str) -> bool:
        verified.append(password)
        threading.Event().wait(0.2)  # as long as a real argon2 verification, or longer
        return verify(stored, password)

    monkeypatch.setattr(passwords, "verify_password", slow_verify)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        with Session(engine) as session:
            start.wait()
            try:
                accounts.authenticate(session, "hn", f"wrong-password-{i}", NOW, remote="10.0.0.66")
            except LoginFailed:
                outcomes.append("failed")
            except LoginThrottled:
                outcomes.append("throttled")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["failed"] * 5 + ["throttled"] * 7
    assert len(verified) == accounts.PAIR_POLICY.limit
    rows = db.exec(select(accounts.LoginAttempt).where(accounts.LoginAttempt.username == "hn")).all()
    assert len(rows) == 5 and not any(r.success for r in rows)


def test_old_login_tries_and_spent_tokens_are_purged(db, people):
    """Regression: purge_login_data was never called and kept revoked tokens
    until long after they expired; the hub now runs it every hour."""
    from store.models import LoginAttempt, LoginToken

    account = db.exec(select(accounts.Account).where(accounts.Account.username == "hn")).one()
    day = timedelta(days=1)
    db.add(LoginAttempt(username="hn", remote="10.0.0.1", at=NOW - 31 * day, success=False))
    db.add(LoginAttempt(username="hn", remote="10.0.0.1", at=NOW - 29 * day, success=True))
    for name, created, expires, revoked in [
        ("expired-long-ago", NOW - 3 * day, NOW - 2 * day, None),
        ("revoked-long-ago", NOW - 3 * day, NOW + 9 * day, NOW - 2 * day),
        ("expired-just-now", NOW - day, NOW - timedelta(hours=1), None),
        ("current", NOW, NOW + accounts.TOKEN_TTL, None),
    ]:
        db.add(LoginToken(account_id=account.id, token_hash=accounts.token_hash(name), created_at=created,
                          expires_at=expires, revoked_at=revoked))
    db.commit()
    assert accounts.purge_login_data(db, NOW) == (1, 2)
    assert [a.at for a in db.exec(select(LoginAttempt)).all()] == [NOW - 29 * day]
    left = {t.token_hash for t in db.exec(select(LoginToken)).all()}
    assert left == {accounts.token_hash("expired-just-now"), accounts.token_hash("current")}
    assert accounts.purge_login_data(db, NOW) == (0, 0)


def test_throttle_rule():
    policy = accounts.ThrottlePolicy(limit=3, window=timedelta(minutes=10))
    t = [NOW, NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)]
    assert accounts.throttle(t[:2], NOW + timedelta(minutes=3), policy) is None
    assert accounts.throttle(t, NOW + timedelta(minutes=3), policy) == 7 * 60
    assert accounts.throttle(t, NOW + timedelta(minutes=10), policy) is None


def test_throttle_backoff_doubles_and_is_capped_by_the_window():
    policy = accounts.ThrottlePolicy(limit=2, window=timedelta(minutes=10), backoff=timedelta(seconds=30))
    t = [NOW, NOW + timedelta(seconds=1)]
    assert accounts.throttle(t[:1], NOW + timedelta(seconds=1), policy) is None
    assert accounts.throttle(t, NOW + timedelta(seconds=1), policy) == 30
    assert accounts.throttle(t, NOW + timedelta(seconds=31), policy) is None
    t.append(NOW + timedelta(seconds=31))
    assert accounts.throttle(t, NOW + timedelta(seconds=31), policy) == 60
    many = [NOW + timedelta(seconds=i) for i in range(12)]
    assert accounts.throttle(many, NOW + timedelta(seconds=11), policy) == 600


def test_an_old_hash_is_upgraded_on_login(db, people):
    account = db.exec(select(accounts.Account).where(accounts.Account.username == "hn")).one()
    account.password_hash = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash("long-password")
    db.add(account)
    db.commit()
    assert passwords.needs_rehash(account.password_hash)
    account, _ = accounts.authenticate(db, "hn", "long-password", NOW)
    assert not passwords.needs_rehash(account.password_hash)


# --- linked sessions -------------------------------------------------------------------


def test_create_stores_utc_times_stations_and_an_audit_row(engine, db, people, repo):
    row = repo.create(db, people["hn"], plan(stations=("haining/*",)), NOW)
    assert row.version == 1 and row.status == "scheduled"
    with Session(engine) as other:  # committed: another connection sees it
        stored = other.get(LinkedSession, row.id)
        assert stored.start_at == at(3, 7, 14) and stored.start_at.tzinfo == timezone.utc
        stations = set(other.exec(select(SessionStation.station_code).where(SessionStation.session_id == row.id)).all())
        assert stations == {s.code for s in MATRIX.subtree("haining")}
        (entry,) = audit.entries(other, "session", row.id)
        assert (entry.action, entry.actor_name, entry.actor_role, entry.before) == ("session.create", "hn", "dispatcher", None)
        assert entry.after["stations"] == sorted(stations) and entry.after["start"] == "2025-03-07T06:00:00+00:00"


def test_scope_is_enforced_and_a_refusal_writes_nothing(db, people, repo):
    with pytest.raises(Forbidden, match="jiaxing"):
        repo.create(db, people["hn"], plan(stations=("jiaxing", "xucun")), NOW)
    with pytest.raises(Forbidden):
        repo.create(db, people["op-xucun"], plan(chair="xucun"), NOW)
    row = repo.create(db, people["jx"], plan(chair="jiaxing", stations=("haining",)), NOW)
    assert db.exec(select(sa.func.count()).select_from(LinkedSession)).one() == 1
    with pytest.raises(Forbidden):
        repo.cancel(db, people["hn"], row.id, NOW)
    assert audit_actions(db, row.id) == ["session.create"]


def test_a_conflict_names_the_other_session_and_the_station(db, people, repo):
    first = repo.create(db, people["hn"], plan(title="丁桥民情恳谈", stations=("dingqiao", "changan")), NOW)
    with pytest.raises(ScheduleConflict) as info:
        repo.create(db, people["hn"], plan(chair="xucun", stations=("changan",), start=at(3, 7, 15), end=at(3, 7, 17)), NOW)
    assert info.value.params["other_id"] == first.id
    assert info.value.params["other_title"] == "丁桥民情恳谈"
    assert info.value.params["station"] == "changan"
    assert info.value.params["start"] == "2025-03-07 14:00"
    # back to back is fine; so is a session without shared stations
    repo.create(db, people["hn"], plan(chair="xucun", stations=("changan",), start=at(3, 7, 16), end=at(3, 7, 17)), NOW)
    repo.create(db, people["hn"], plan(chair="yanguan", stations=("huangwan",)), NOW)
    assert db.exec(select(sa.func.count()).select_from(LinkedSession)).one() == 3


def test_a_series_is_checked_on_every_occurrence(db, people, repo):
    monthly = plan(
        title="每月第一个星期二：十二镇街联动",
        stations=(_towns_pick(),),
        start=at(3, 1, 14),
        end=at(3, 1, 16),
        rrule="FREQ=MONTHLY;BYDAY=1TU",
    )
    series = repo.create(db, people["hn"], monthly, NOW)
    # the fifth occurrence (first Tuesday of July) collides
    with pytest.raises(ScheduleConflict) as info:
        repo.create(db, people["hn"], plan(chair="xucun", stations=("xucun-rongxing",), start=at(7, 1, 15), end=at(7, 1, 16)), NOW)
    assert info.value.params["other_id"] == series.id and info.value.params["station"] == "xucun"
    # cancelling that occurrence frees the stations
    repo.cancel_occurrence(db, people["hn"], series.id, at(7, 1, 14), NOW)
    repo.create(db, people["hn"], plan(chair="xucun", stations=("xucun-rongxing",), start=at(7, 1, 15), end=at(7, 1, 16)), NOW)
    # editing the series to Wednesdays would now hit a session on a Wednesday
    repo.create(db, people["hn"], plan(chair="yanguan", stations=("yanguan-guzhen",), start=at(9, 3, 14), end=at(9, 3, 15)), NOW)
    with pytest.raises(ScheduleConflict) as info:
        repo.update(db, people["hn"], series.id, replace(monthly, rrule="FREQ=MONTHLY;BYDAY=1WE"), 2, NOW)
    assert info.value.params["station"] == "yanguan" and info.value.params["start"] == "2025-09-03 14:00"
    assert db.get(LinkedSession, series.id).rrule == "FREQ=MONTHLY;BYDAY=1TU"
    assert audit_actions(db, series.id) == ["session.create", "session.occurrence.cancel"]


def _towns_pick():
    from hub.scope import Pick

    return Pick("haining", subtree=True, levels=frozenset({"branch", "town"}))


def test_edit_with_a_stale_version_is_refused(db, people, repo):
    row = repo.create(db, people["hn"], plan(), NOW)
    updated = repo.update(db, people["hn"], row.id, plan(title="改期", start=at(3, 8, 9), end=at(3, 8, 11)), 1, NOW)
    assert updated.version == 2 and updated.start_at == at(3, 8, 9)
    with pytest.raises(StaleVersion):
        repo.update(db, people["hn"], row.id, plan(title="又改"), 1, NOW)
    (entry,) = [e for e in audit.entries(db, "session", row.id) if e.action == "session.update"]
    assert entry.before["title"] == "许村、长安与分站联动" and entry.after["title"] == "改期"
    assert entry.before["version"] == 1 and entry.after["version"] == 2


def test_moving_an_occurrence_is_checked_and_audited(db, people, repo):
    weekly = repo.create(db, people["hn"], plan(start=at(3, 7, 14), end=at(3, 7, 16), rrule="FREQ=WEEKLY;COUNT=4"), NOW)
    other = repo.create(db, people["hn"], plan(title="长安专题", chair="changan", stations=("changan-xinfeng",), start=at(3, 15, 9), end=at(3, 15, 11)), NOW)
    with pytest.raises(ScheduleConflict) as info:
        repo.move_occurrence(db, people["hn"], weekly.id, at(3, 14, 14), at(3, 15, 10), at(3, 15, 12), NOW)
    assert info.value.params["other_id"] == other.id
    repo.move_occurrence(db, people["hn"], weekly.id, at(3, 14, 14), at(3, 15, 13), at(3, 15, 15), NOW)
    starts = [o.start for o, _ in repo.occurrences(db, weekly.id, at(3, 1, 0), at(4, 1, 0), NOW)]
    assert starts == [at(3, 7, 14), at(3, 15, 13), at(3, 21, 14), at(3, 28, 14)]
    entry = audit.entries(db, "session", weekly.id)[0]
    assert entry.action == "session.occurrence.move" and entry.before is None
    assert entry.after["movedStart"] == "2025-03-15T05:00:00+00:00"
    with pytest.raises(TransitionRefused, match="one-off"):
        repo.move_occurrence(db, people["hn"], other.id, at(3, 15, 9), at(3, 16, 9), at(3, 16, 10), NOW)


def test_life_cycle_cancel_end_early_and_catch_up(db, people, repo):
    row = repo.create(db, people["hn"], plan(), NOW)
    assert repo.session_state(db, row.id, at(3, 7, 13, 50)) is State.LOBBY
    with pytest.raises(TransitionRefused, match="not started"):
        repo.end_occurrence(db, people["hn"], row.id, at(3, 7, 14), at(3, 7, 13, 50))
    repo.end_occurrence(db, people["hn"], row.id, at(3, 7, 14), at(3, 7, 15))
    assert db.get(LinkedSession, row.id).status == "ended"
    with pytest.raises(TransitionRefused, match="ended"):
        repo.cancel(db, people["hn"], row.id, at(3, 7, 15, 30))
    # a session past its end closes by itself
    later = repo.create(db, people["hn"], plan(start=at(3, 9, 9), end=at(3, 9, 10)), NOW)
    cancelled = repo.create(db, people["hn"], plan(start=at(3, 10, 9), end=at(3, 10, 10)), NOW)
    repo.cancel(db, people["hn"], cancelled.id, NOW, expected_version=1)
    assert repo.refresh_statuses(db, at(3, 9, 9, 30)) == [later.id]
    assert db.get(LinkedSession, later.id).status == "live"
    assert repo.refresh_statuses(db, at(3, 20, 0)) == [later.id]
    assert db.get(LinkedSession, later.id).status == "ended"
    assert db.get(LinkedSession, cancelled.id).status == "cancelled"
    # a cancelled session no longer blocks its stations
    repo.create(db, people["hn"], plan(start=at(3, 10, 9), end=at(3, 10, 10)), NOW)
    assert audit_actions(db, cancelled.id) == ["session.create", "session.cancel"]
    assert audit_actions(db, row.id) == ["session.create", "session.occurrence.end"]


def test_plans_are_validated(db, people, repo):
    with pytest.raises(ScheduleInvalid, match="past"):
        repo.create(db, people["hn"], plan(start=at(2, 1, 9), end=at(2, 1, 10)), NOW)
    with pytest.raises(ScheduleInvalid, match="at least 2"):
        repo.create(db, people["hn"], plan(stations=()), NOW)
    with pytest.raises(ScheduleInvalid, match="title"):
        repo.create(db, people["hn"], plan(title=" "), NOW)
    with pytest.raises(SessionNotFound):
        repo.cancel(db, people["hn"], 999, NOW)
    assert audit.entries(db, "session") == []


def test_invitations(db, people, repo):
    row = repo.create(db, people["hn"], plan(), NOW)
    deputy = create_deputy(db, people["hn"], MATRIX, "张代表", "haining", "xucun", "许村代表小组", NOW)
    with pytest.raises(Forbidden):
        create_deputy(db, people["hn"], MATRIX, "李代表", "jiaxing", "jiaxing")
    invitation, token = repo.invite(db, people["hn"], row.id, deputy.id, NOW)
    assert invitation.token_hash != token and invitation.expires_at == at(3, 7, 16)
    found, session = repo.redeem(db, token, at(3, 7, 14))
    assert found.deputy_id == deputy.id and session.id == row.id
    assert repo.invited_deputies(db, row.id, NOW) == {deputy.id}
    with pytest.raises(TokenExpired):
        repo.redeem(db, token, at(3, 7, 16))
    _, second = repo.invite(db, people["hn"], row.id, deputy.id, NOW)  # the first token is revoked
    with pytest.raises(TokenInvalid):
        repo.redeem(db, token, NOW)
    assert repo.redeem(db, second, NOW)[0].deputy_id == deputy.id
    assert audit_actions(db, row.id) == ["session.create", "session.invite", "session.invite"]
    entries = audit.entries(db, "deputy", deputy.id)
    assert entries[0].after["level"] == "haining"


def test_every_dispatcher_action_is_audited_in_the_same_transaction(db, people, repo, monkeypatch):
    """If the audit write fails, the change is not stored either."""
    import store.sessions as sessions_module

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(sessions_module, "record", broken)
    with pytest.raises(RuntimeError):
        repo.create(db, people["hn"], plan(), NOW)
    assert db.exec(select(sa.func.count()).select_from(LinkedSession)).one() == 0
    assert db.exec(select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.target_type == "session")).one() == 0
