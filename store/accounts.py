"""Accounts, logins and login tokens.

* Passwords are hashed with argon2 (:mod:`store.passwords`).
* A login returns a random bearer token; only its SHA-256 is stored, with an
  expiry (:data:`TOKEN_TTL`).  :func:`resolve_token` turns a token back into
  the account and its :class:`~hub.scope.Actor`; :func:`logout` revokes it.
* Logins are rate-limited by user name and by remote address: after
  ``limit`` failures within ``window`` the next try is refused until the
  oldest of them leaves the window (:func:`throttle`, a pure rule).  Every
  try is recorded in ``login_attempt``.
* Creating and changing accounts is an administrator's action and is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Sequence

from sqlmodel import Session, select

from hub.errors import (
    RuleError,
    InvalidPayload,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    StationNotFound,
    UsernameTaken,
)
from hub.scope import Actor, Do, Role, require
from hub.matrix import Matrix
from store import passwords
from store.audit import record
from store.models import Account, LoginAttempt, LoginToken, Station

TOKEN_TTL = timedelta(hours=12)


@dataclass(frozen=True)
class ThrottlePolicy:
    limit: int = 5
    window: timedelta = timedelta(minutes=15)


USER_POLICY = ThrottlePolicy(limit=5, window=timedelta(minutes=15))
REMOTE_POLICY = ThrottlePolicy(limit=20, window=timedelta(minutes=15))


def throttle(failures: Sequence[datetime], now: datetime, policy: ThrottlePolicy) -> Optional[float]:
    """Seconds to wait before the next try, or ``None`` when it may go ahead.
    ``failures`` are the times of failed tries (any order)."""
    recent = sorted(t for t in failures if now - policy.window < t <= now)
    if len(recent) < policy.limit:
        return None
    # The try is allowed again once enough old failures leave the window.
    release = recent[len(recent) - policy.limit] + policy.window
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
    )


def account_snapshot(account: Account) -> dict:
    return {
        "id": account.id,
        "username": account.username,
        "displayName": account.display_name,
        "role": account.role,
        "station": account.station_code,
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
) -> Account:
    """Create an account.  ``actor`` is ``None`` only for the first
    administrator, made from the command line (audited as the system)."""
    role = Role(role)
    if actor is not None:
        require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
    if station is not None and (station not in matrix or db.get(Station, station) is None):
        raise StationNotFound("station_code", station=station)
    try:
        Actor(role=role, station=station)
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


def _failures(db: Session, column, value: str, since: datetime) -> list[datetime]:
    rows = db.exec(
        select(LoginAttempt.at).where(column == value, LoginAttempt.success == False, LoginAttempt.at > since)  # noqa: E712
    ).all()
    return list(rows)


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
    for column, value, policy in (
        (LoginAttempt.username, username, USER_POLICY),
        (LoginAttempt.remote, remote, REMOTE_POLICY),
    ):
        if column is LoginAttempt.remote and not remote:
            continue
        wait = throttle(_failures(db, column, value, now - policy.window), now, policy)
        if wait is not None:
            raise LoginThrottled(seconds=int(wait + 0.999))

    account = db.exec(select(Account).where(Account.username == username)).first()
    if account is None:
        passwords.dummy_verify(password)
        ok = False
    else:
        ok = passwords.verify_password(account.password_hash, password) and account.active
    db.add(LoginAttempt(username=username[:64], remote=remote[:64], at=now, success=ok))
    if not ok:
        db.commit()
        raise LoginFailed()
    assert account is not None
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.HASHER.hash(password)
        db.add(account)
    token = secrets.token_urlsafe(32)
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


def purge_login_data(db: Session, now: datetime, keep: timedelta = timedelta(days=30)) -> None:
    """Drop login attempts and expired tokens older than ``keep``."""
    from sqlalchemy import delete

    db.exec(delete(LoginAttempt).where(LoginAttempt.at < now - keep))
    db.exec(delete(LoginToken).where(LoginToken.expires_at < now - keep))
    db.commit()


# --- added for the REST API (api/) ----------------------------------------------


def list_accounts(db: Session, actor: Actor, matrix: Matrix, include_inactive: bool = True) -> list[Account]:
    """Every account, by user name: an administrator's view."""
    require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
    query = select(Account)
    if not include_inactive:
        query = query.where(Account.active == True)  # noqa: E712
    return list(db.exec(query.order_by(Account.username)).all())


def deactivate_account(
    db: Session, actor: Actor, matrix: Matrix, account_id: int, now: Optional[datetime] = None
) -> Account:
    """Disable an account and revoke its open logins; audited.  An
    administrator cannot disable its own account (nobody could undo it)."""
    from hub.errors import Forbidden, NotFound

    try:
        require(actor, Do.MANAGE_ACCOUNTS, None, matrix)
        account = db.get(Account, account_id)
        if account is None:
            raise NotFound(what="account", id=account_id)
        if actor.account_id is not None and actor.account_id == account.id:
            raise Forbidden("admin_self_deactivate")
        before = account_snapshot(account)
        account.active = False
        db.add(account)
        for token in db.exec(
            select(LoginToken).where(LoginToken.account_id == account.id, LoginToken.revoked_at == None)  # noqa: E711
        ).all():
            token.revoked_at = now or token.created_at
            db.add(token)
        record(db, actor, "account.deactivate", "account", account.id, before, account_snapshot(account), now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    db.refresh(account)
    return account
