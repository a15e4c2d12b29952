"""Accounts, logins and login tokens.

* Passwords are hashed with argon2 (:mod:`store.passwords`).
* A login returns a random bearer token; only its SHA-256 is stored, with an
  expiry (:data:`TOKEN_TTL`).  :func:`resolve_token` turns a token back into
  the account and its :class:`~core.scope.Actor`; :func:`logout` revokes it.
* Logins are rate-limited per (user name, remote address) with a growing
  back-off, and per remote address (any name): :func:`throttle` is the pure
  rule.  Throttling a pair, not a name, means a stranger hammering a name
  from its own address cannot lock the account's owner out: the owner, from
  another address, still logs in.
* A try is recorded in ``login_attempt`` *before* the password is verified
  (as a failure, turned into a success afterwards), under one lock, so
  parallel tries each see the ones before them: with a limit of 5, twelve
  parallel wrong passwords get five verifications, not nine.
* Creating and changing accounts is an administrator's action and is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import (
    RuleError,
    InvalidPayload,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    StationNotFound,
    UsernameTaken,
)
from core.scope import Actor, Do, Role, require
from core.matrix import Matrix
from store import passwords
from store.audit import record
from store.models import Account, LoginAttempt, LoginToken, Station
from store.tx import transaction

TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class ThrottlePolicy:
    """``limit`` failures within ``window`` are free.  Without ``backoff``
    the next try waits until the oldest of them leaves the window; with it,
    the next try waits ``backoff`` after the latest failure, doubled for each
    failure beyond the limit and capped at ``window``."""

    limit: int = 5
    window: timedelta = timedelta(minutes=15)
    backoff: Optional[timedelta] = None


#: One user name from one address: 5 free tries, then 30 s, 1 min, 2 min, ...
PAIR_POLICY = ThrottlePolicy(limit=5, window=timedelta(minutes=15), backoff=timedelta(seconds=30))
#: One address, whatever the name (guessing many names): 20 per 15 minutes.
REMOTE_POLICY = ThrottlePolicy(limit=20, window=timedelta(minutes=15))
#: Serializes the bookkeeping step of a login on PostgreSQL (SQLite has one writer).
_LOGIN_LOCK = 0x4C48_4C4F  # "LHLO"


def throttle(failures: Sequence[datetime], now: datetime, policy: ThrottlePolicy) -> Optional[float]:
    """Seconds to wait before the next try, or ``None`` when it may go ahead.
    ``failures`` are the times of failed tries (any order)."""
    recent = sorted(t for t in failures if now - policy.window < t <= now)
    if len(recent) < policy.limit:
        return None
    if policy.backoff is not None:
        wait = min(policy.backoff * 2 ** (len(recent) - policy.limit), policy.window)
        release = recent[-1] + wait
    else:
        # The try is allowed again once enough old failures leave the window.
        release = recent[len(recent) - policy.limit] + policy.window
    if release <= now:
        return None
    return max((release - now).total_seconds(), 1.0)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def actor_of(account: Account) -> Actor:
    return Actor(
        role=Role(account.role),
        station=account.station_code,
        account_id=account.id,
        name=account.username,
        deputy_id=account.deputy_id,
        department=account.department_code,
    )


def account_snapshot(account: Account) -> dict:
    return {
        "id": account.id,
        "username": account.username,
        "displayName": account.display_name,
        "role": account.role,
        "station": account.station_code,
        "department": account.department_code,
        "active": account.active,
    }


def create_account(
    db: Session,
    actor: Optional[Actor],
    matrix: Matrix,
    username: str,
    password: str,
    role: Role | str,
    station: Optional[str] = None,
    display_name: str = "",
    now: Optional[datetime] = None,
    department: Optional[str] = None,
) -> Account:
    """Create an account.  ``actor`` is ``None`` only for the first
    administrator, made from the command line (audited as the system).
    ``department``: a department account's department (a code of
    ``configs/departments.yaml``, checked by the caller)."""
    role = Role(role)
    if actor is not None:
        require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
    if station is not None and (station not in matrix or db.get(Station, station) is None):
        raise StationNotFound("station_code", station=station)
    try:
        Actor(role=role, station=station, department=department)
    except ValueError as exc:
        raise InvalidPayload.because(exc) if isinstance(exc, RuleError) else InvalidPayload() from None
    if not username.strip():
        raise InvalidPayload("username_required")
    if db.exec(select(Account).where(Account.username == username.strip())).first() is not None:
        raise UsernameTaken("username", username=username.strip())
    account = Account(
        username=username.strip(),
        display_name=display_name,
        password_hash=_hash(password),
        role=role.value,
        station_code=station,
        department_code=department if role is Role.DEPARTMENT else None,
    )
    if now is not None:
        account.created_at = now
    db.add(account)
    db.flush()
    record(db, actor, "account.create", "account", account.id, None, account_snapshot(account), now)
    db.commit()
    db.refresh(account)
    return account


def _hash(password: str) -> str:
    try:
        return passwords.hash_password(password)
    except ValueError as exc:
        raise InvalidPayload.because(exc) if isinstance(exc, RuleError) else InvalidPayload() from None


def _failures(db: Session, since: datetime, exclude: int, username: Optional[str], remote: str) -> list[datetime]:
    """Failed (or still unverified) tries since ``since``: of the pair when
    ``username`` is given (only those after the pair's last success), else of
    the address (a success with one account does not clear guesses at others)."""
    query = select(LoginAttempt.at, LoginAttempt.success).where(
        LoginAttempt.remote == remote, LoginAttempt.at > since, LoginAttempt.id != exclude
    )
    if username is None:
        return [at for at, success in db.exec(query).all() if not success]
    rows = sorted(db.exec(query.where(LoginAttempt.username == username)).all())
    last_success = max((at for at, success in rows if success), default=None)
    return [at for at, success in rows if not success and (last_success is None or at > last_success)]


def _lock_logins(db: Session) -> None:
    """Hold the login lock until the transaction ends.  PostgreSQL: an
    advisory lock.  SQLite: the caller's first statement is a write, which
    takes the database's one write lock."""
    if db.get_bind().dialect.name == "postgresql":
        db.connection().execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOGIN_LOCK})


def _reserve_attempt(db: Session, username: str, remote: str, now: datetime) -> LoginAttempt:
    """Record the try as a failure, then check the limits counting every try
    recorded before it (verified or still in flight).  Raises
    :class:`LoginThrottled` (the try is then not recorded)."""
    with transaction(db):
        _lock_logins(db)
        attempt = LoginAttempt(username=username, remote=remote, at=now, success=False)
        db.add(attempt)
        db.flush()
        assert attempt.id is not None
        waits = [throttle(_failures(db, now - PAIR_POLICY.window, attempt.id, username, remote), now, PAIR_POLICY)]
        if remote:
            waits.append(throttle(_failures(db, now - REMOTE_POLICY.window, attempt.id, None, remote), now, REMOTE_POLICY))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            db.rollback()
            raise LoginThrottled(seconds=int(wait + 0.999))
    return attempt


def authenticate(
    db: Session,
    username: str,
    password: str,
    now: datetime,
    remote: str = "",
    ttl: timedelta = TOKEN_TTL,
) -> tuple[Account, str]:
    """Check the password and open a login session: ``(account, token)``.
    Raises :class:`LoginThrottled` (nothing checked) or :class:`LoginFailed`."""
    username = username.strip()
    attempt = _reserve_attempt(db, username[:64], remote[:64], now)

    account = db.exec(select(Account).where(Account.username == username)).first()
    if account is None:
        passwords.dummy_verify(password)
        ok = False
    else:
        ok = passwords.verify_password(account.password_hash, password) and account.active
    if not ok:
        raise LoginFailed()  # the try stays recorded as a failure
    assert account is not None
    attempt.success = True
    db.add(attempt)
    account.last_login_at = now
    db.add(account)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.HASHER.hash(password)
        db.add(account)
    token = secrets.token_urlsafe(32)
    assert account.id is not None  # a stored account
    db.add(LoginToken(account_id=account.id, token_hash=token_hash(token), created_at=now, expires_at=now + ttl))
    db.commit()
    db.refresh(account)
    return account, token


def resolve_token(db: Session, token: str, now: datetime) -> tuple[Account, Actor]:
    """The account behind a bearer token; :class:`LoginRequired` when the token
    is unknown, expired, revoked, or its account disabled."""
    row = db.exec(select(LoginToken).where(LoginToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise LoginRequired()
    account = db.get(Account, row.account_id)
    if account is None or not account.active:
        raise LoginRequired()
    return account, actor_of(account)


def logout(db: Session, token: str, now: datetime) -> None:
    row = db.exec(select(LoginToken).where(LoginToken.token_hash == token_hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        db.add(row)
        db.commit()


#: Login tries are kept this long (for the audit of an attack); throttling
#: needs only the last 15 minutes.
ATTEMPTS_KEPT = timedelta(days=30)
#: Tokens are dropped this long after they expired (or were revoked): a
#: request with one is refused either way; the row only says it existed.
TOKENS_KEPT = timedelta(days=1)


def purge_login_data(
    db: Session, now: datetime, attempts_kept: timedelta = ATTEMPTS_KEPT, tokens_kept: timedelta = TOKENS_KEPT
) -> tuple[int, int]:
    """Drop login tries older than ``attempts_kept`` and tokens expired or
    revoked more than ``tokens_kept`` ago: ``(tries, tokens)`` dropped.  The
    hub runs it every hour (``hub.app``)."""
    from sqlalchemy import delete, or_

    tries = db.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < now - attempts_kept))
    tokens = db.exec(delete(LoginToken).where(or_(
        col(LoginToken.expires_at) < now - tokens_kept, col(LoginToken.revoked_at) < now - tokens_kept,
    )))
    db.commit()
    return tries.rowcount, tokens.rowcount


# --- added for the REST API (api/) ----------------------------------------------


def list_accounts(db: Session, actor: Actor, matrix: Matrix, include_inactive: bool = True) -> list[Account]:
    """Every account, by user name: an administrator's view."""
    require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
    query = select(Account)
    if not include_inactive:
        query = query.where(Account.active == True)  # noqa: E712
    return list(db.exec(query.order_by(Account.username)).all())



def _managed_account(db: Session, actor: Actor, matrix: Matrix, account_id: int) -> Account:
    """The account an administrator acts on (``NotFound`` if there is none)."""
    from core.errors import NotFound

    require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
    account = db.get(Account, account_id)
    if account is None:
        raise NotFound(what="account", id=account_id)
    return account


def end_logins(db: Session, account_id: Optional[int], now: Optional[datetime]) -> None:
    """Revoke every open login of an account, in the caller's transaction."""
    for token in db.exec(
        select(LoginToken).where(LoginToken.account_id == account_id, LoginToken.revoked_at == None)  # noqa: E711
    ).all():
        token.revoked_at = now or token.created_at
        db.add(token)

def change_role(
    db: Session, actor: Actor, matrix: Matrix, account_id: int, role: Role | str,
    station: Optional[str] = None, department: Optional[str] = None, now: Optional[datetime] = None,
) -> Account:
    """An administrator gives an account another role and scope (a station,
    a department: checked as at creation); audited.  Not its own (it could
    lock everybody out), not a deputy's (bound to the deputy)."""
    from core.errors import Forbidden

    role = Role(role)
    with transaction(db):
        account = _managed_account(db, actor, matrix, account_id)
        if actor.account_id is not None and actor.account_id == account.id:
            raise Forbidden("admin_self_role")
        if account.role == Role.DEPUTY.value or role is Role.DEPUTY:
            raise Forbidden("account_deputy_role")
        if station is not None and (station not in matrix or db.get(Station, station) is None):
            raise StationNotFound("station_code", station=station)
        try:
            Actor(role=role, station=station, department=department)
        except ValueError as exc:
            raise InvalidPayload.because(exc) if isinstance(exc, RuleError) else InvalidPayload() from None
        before = account_snapshot(account)
        account.role = role.value
        account.station_code = station
        account.department_code = department if role is Role.DEPARTMENT else None
        db.add(account)
        record(db, actor, "account.role", "account", account.id, before, account_snapshot(account), now)
    db.refresh(account)
    return account


def reset_password(
    db: Session, actor: Actor, matrix: Matrix, account_id: int, password: str, now: Optional[datetime] = None
) -> Account:
    """An administrator sets a new password for an account (forgotten, or
    handed over): its open logins end; audited without any hash."""

    with transaction(db):
        account = _managed_account(db, actor, matrix, account_id)
        account.password_hash = _hash(password)
        db.add(account)
        end_logins(db, account.id, now)
        record(db, actor, "account.password_reset", "account", account.id, None, account_snapshot(account), now)
    db.refresh(account)
    return account


def deactivate_account(
    db: Session, actor: Actor, matrix: Matrix, account_id: int, now: Optional[datetime] = None
) -> Account:
    """Disable an account and revoke its open logins; audited.  An
    administrator cannot disable its own account (nobody could undo it)."""
    from core.errors import Forbidden

    with transaction(db):
        account = _managed_account(db, actor, matrix, account_id)
        if actor.account_id is not None and actor.account_id == account.id:
            raise Forbidden("admin_self_deactivate")
        before = account_snapshot(account)
        account.active = False
        db.add(account)
        end_logins(db, account.id, now)
        record(db, actor, "account.deactivate", "account", account.id, before, account_snapshot(account), now)
    db.refresh(account)
    return account


def reactivate_account(
    db: Session, actor: Actor, matrix: Matrix, account_id: int, now: Optional[datetime] = None
) -> Account:
    """An administrator enables a deactivated account again: it logs in
    again with its password (the logins revoked at deactivation stay
    revoked); audited as ``account.reactivate``."""

    with transaction(db):
        account = _managed_account(db, actor, matrix, account_id)
        before = account_snapshot(account)
        account.active = True
        db.add(account)
        record(db, actor, "account.reactivate", "account", account.id, before, account_snapshot(account), now)
    db.refresh(account)
    return account
