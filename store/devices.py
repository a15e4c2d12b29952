"""A deputy's phone bound instead of a password (issue 13).

At set-up from the invitation link (``store/deputy_home.set_up_account``
without a password) or later from a logged-in phone (:func:`bind`), the hub
hands the phone a long-lived device token (256 random bits; only its SHA-256
is kept).  The phone keeps it in its storage and logs in with it
(:func:`log_in`, ``POST /api/auth/device``) when its login has expired.  The
deputy (its own phones) and administrators (anyone's) revoke a binding
(:func:`revoke`): the token stops working and the account's open logins end,
as after a password reset.  Only deputies' accounts bind phones.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Optional

from sqlmodel import Session, col, select

from core.errors import Forbidden, LoginRequired, NotFound
from core.scope import Actor, Role
from store.accounts import end_logins, token_hash
from store.audit import record
from store.models import Account, LoginToken
from store.opinion_models import DeviceBinding
from store.tx import transaction

PREFIX = "dv_"


def new_binding(db: Session, account: Account, label: str, now: datetime) -> tuple[DeviceBinding, str]:
    """A binding for ``account`` in the caller's transaction: the row and the token (shown once)."""
    if account.role != Role.DEPUTY.value or account.id is None:
        raise Forbidden("device_deputies_only")
    token = PREFIX + secrets.token_urlsafe(32)
    row = DeviceBinding(account_id=account.id, token_hash=token_hash(token), label=label.strip()[:100],
                        created_at=now)
    db.add(row)
    db.flush()
    return row, token


def bind(db: Session, actor: Actor, label: str, now: datetime) -> tuple[DeviceBinding, str]:
    """The logged-in deputy binds the phone it uses."""
    with transaction(db):
        account = db.get(Account, actor.account_id) if actor.account_id else None
        if account is None or actor.role is not Role.DEPUTY:
            raise Forbidden("device_deputies_only")
        row, token = new_binding(db, account, label, now)
        record(db, actor, "device.bind", "account", account.id, None, {"device": row.id, "label": row.label}, now)
    db.refresh(row)
    return row, token


def log_in(db: Session, token: str, now: datetime, ttl: timedelta) -> tuple[Account, str]:
    """A login token for a bound phone; :class:`LoginRequired` for an
    unknown or revoked token or an inactive account."""
    if not token.startswith(PREFIX) or len(token) > 100:
        raise LoginRequired("device_not_bound")
    row = db.exec(select(DeviceBinding).where(DeviceBinding.token_hash == token_hash(token))).first()
    account = db.get(Account, row.account_id) if row is not None else None
    if row is None or row.revoked_at is not None or account is None or account.id is None or not account.active:
        raise LoginRequired("device_not_bound")
    row.last_used_at = account.last_login_at = now
    login = secrets.token_urlsafe(32)
    db.add(LoginToken(account_id=account.id, token_hash=token_hash(login), created_at=now, expires_at=now + ttl))
    db.add(row)
    db.add(account)
    db.commit()
    db.refresh(account)
    return account, login


def devices(db: Session, actor: Actor, account_id: Optional[int] = None) -> list[DeviceBinding]:
    """A deputy's own bindings; an administrator's: all, or one account's."""
    query = select(DeviceBinding)
    if actor.role is Role.DEPUTY:
        query = query.where(DeviceBinding.account_id == (actor.account_id or -1))
    elif actor.role is Role.ADMINISTRATOR:
        if account_id is not None:
            query = query.where(DeviceBinding.account_id == account_id)
    else:
        raise Forbidden("device_deputies_only")
    return list(db.exec(query.order_by(col(DeviceBinding.id).desc()).limit(200)).all())


def revoke(db: Session, actor: Actor, device_id: int, now: datetime) -> DeviceBinding:
    """End a binding (the deputy's own, or any: administrators); the
    account's open logins end too.  Revoking again changes nothing."""
    with transaction(db):
        row = db.get(DeviceBinding, device_id)
        mine = row is not None and actor.role is Role.DEPUTY and row.account_id == actor.account_id
        if row is None or not (mine or actor.role is Role.ADMINISTRATOR):
            if actor.role not in (Role.DEPUTY, Role.ADMINISTRATOR):
                raise Forbidden("device_deputies_only")
            raise NotFound(what="device", id=device_id)
        if row.revoked_at is None:
            row.revoked_at = now
            db.add(row)
            end_logins(db, row.account_id, now)
            record(db, actor, "device.revoke", "account", row.account_id, None, {"device": row.id}, now)
    db.refresh(row)
    return row


def forget(db: Session, token: str, now: datetime) -> bool:
    """The phone holding ``token`` ends its own binding (its logout): whoever
    holds the token may end it.  False when it was not (or no longer) bound."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return False
    with transaction(db):
        row = db.exec(select(DeviceBinding).where(DeviceBinding.token_hash == token_hash(token))).first()
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now
        db.add(row)
        record(db, None, "device.revoke", "account", row.account_id, None, {"device": row.id, "by": "the phone"}, now)
    return True


__all__ = ["PREFIX", "forget", "bind", "devices", "log_in", "new_binding", "revoke"]
