"""The deputy's own side between sessions (issue 13, 民情直通车 on the phone).

A deputy first arrives through an invitation link: a join token for
``deputy:{id}``.  From that link, once, the deputy sets up an account
(:func:`set_up_account`): the mobile number becomes the user name and the
deputy chooses a password.  Afterwards it logs in by phone number like any
account (``POST /api/auth/login``).  The account carries ``deputy_id`` and
the deputy's station (:func:`store.accounts.actor_of`), so every rule the
hub has for deputies holds for the login as for the link: it sees only the
opinions it raised and its own duty records, and the sessions it is
invited to (``core/scope.py``, ``store/opinions.py``, ``store/duty.py``).

* The number must be the roster's when the roster has one
  (``Deputy.phone``): a forwarded link cannot bind a stranger's phone.  A
  roster without a number takes the one given.
* One account per deputy; a second set-up is refused
  (``deputy_account_exists``), so a leaked old link cannot take the account
  over.
* :func:`home` sums what the phone's home page shows; :func:`session_grant`
  says whether a logged-in deputy may have a fresh join link for a session
  (an unrevoked, unexpired invitation, the session joinable now).

Every write follows the house order: checks → write + audit → commit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.errors import Forbidden, InvalidPayload, NotFound, RuleError, UsernameTaken
from core.scope import Actor, Role
from core.zone import ZONE
from store import passwords
from store.audit import record
from store.models import Account, Deputy, Invitation
from store.opinion_models import DutyRecord, Opinion

#: A mainland mobile number: 11 digits starting with 1 (13x-19x).
PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(text: str) -> str:
    """The number as stored: digits only, without ``+86``/``0086`` and
    separators; :class:`InvalidPayload` (``phone_invalid``) if it is not a
    mobile number."""
    digits = re.sub(r"[\s\-()（）]", "", text or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == 11 + len(prefix):
            digits = digits[len(prefix):]
            break
    if not PHONE.match(digits):
        raise InvalidPayload("phone_invalid", field="phone")
    return digits


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (for lists)."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def _deputy_of(db: Session, actor: Actor) -> Deputy:
    if actor.role is not Role.DEPUTY or actor.deputy_id is None:
        raise Forbidden("deputy_only")
    deputy = db.get(Deputy, actor.deputy_id)
    if deputy is None or not deputy.active:
        raise NotFound(what="deputy", id=actor.deputy_id)
    return deputy


def set_up_account(
    db: Session, actor: Actor, phone: str, password: Optional[str], now: datetime, device_label: str = "",
) -> tuple[Account, Optional[str]]:
    """The deputy's account, made once from its invitation link (``actor``
    is the link's deputy).  Audited as ``account.create`` by the deputy.
    Without a password the phone is bound instead (``store/devices.py``):
    the account gets an unusable password and the second value is the
    device token the phone keeps; with one, it is ``None``."""
    try:
        deputy = _deputy_of(db, actor)
        number = normalize_phone(phone)
        if db.exec(select(Account).where(Account.deputy_id == deputy.id)).first() is not None:
            raise Forbidden("deputy_account_exists")
        if deputy.phone and deputy.phone != number:
            raise Forbidden("phone_not_on_roster")
        if db.exec(select(Account).where(Account.username == number)).first() is not None:
            raise UsernameTaken("phone_taken", phone=mask_phone(number))
        other = db.exec(select(Deputy).where(Deputy.phone == number, Deputy.id != deputy.id)).first()
        if other is not None:
            raise UsernameTaken("phone_taken", phone=mask_phone(number))
        try:
            # bound phone: a password nobody knows (an administrator may set one later)
            digest = passwords.hash_password(password if password is not None else secrets.token_urlsafe(32))
        except RuleError as exc:
            raise InvalidPayload.because(exc, field="password") from None
        account = Account(
            username=number, display_name=deputy.name, password_hash=digest, role=Role.DEPUTY.value,
            station_code=deputy.station_code, deputy_id=deputy.id, created_at=now,
        )
        db.add(account)
        if deputy.phone != number:
            deputy.phone = number
            db.add(deputy)
        db.flush()
        device_token = None
        if password is None:
            from store.devices import new_binding

            _row, device_token = new_binding(db, account, device_label, now)
        record(db, actor, "account.create", "account", account.id, None,
               {"username": mask_phone(number), "role": "deputy", "deputy": deputy.id, "via": "invitation",
                "device": password is None}, now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    db.refresh(account)
    return account, device_token


@dataclass
class DeputyHome:
    """What the deputy's home page sums up."""

    deputy: Deputy
    points_year: float
    points_total: float
    pending_records: int
    opinions_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def awaiting_rating(self) -> int:
        return self.opinions_by_status.get("fed_back", 0)

    @property
    def open_items(self) -> int:
        return sum(n for s, n in self.opinions_by_status.items() if s not in ("closed", "rejected", "rated"))


def home(db: Session, actor: Actor, now: datetime) -> DeputyHome:
    """The logged-in deputy's summary: approved points this (China) year and
    in all, records awaiting review, its opinions counted by status."""
    deputy = _deputy_of(db, actor)
    year_start = now.astimezone(ZONE).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    approved = sa.and_(col(DutyRecord.deputy_id) == deputy.id, col(DutyRecord.status) == "approved")
    total = db.exec(select(sa.func.coalesce(sa.func.sum(DutyRecord.points), 0.0)).where(approved)).one()
    year = db.exec(select(sa.func.coalesce(sa.func.sum(DutyRecord.points), 0.0))
                   .where(approved, col(DutyRecord.occurred_at) >= year_start)).one()
    pending = db.exec(select(sa.func.count()).select_from(DutyRecord)
                      .where(DutyRecord.deputy_id == deputy.id, DutyRecord.status == "pending")).one()
    rows = db.exec(select(Opinion.status, sa.func.count()).where(Opinion.deputy_id == deputy.id)
                   .group_by(Opinion.status)).all()
    return DeputyHome(deputy, float(year), float(total), int(pending), {s: int(n) for s, n in rows})


def session_grant(db: Session, actor: Actor, session_id: int, now: datetime) -> Invitation:
    """The invitation that admits the logged-in deputy to session
    ``session_id`` now: unrevoked and unexpired (``NotFound`` otherwise, as
    if the session did not exist for it).  Whether the session is open to
    join is the caller's check (:class:`~core.errors.SessionClosed`)."""
    deputy = _deputy_of(db, actor)
    invitation = db.exec(
        select(Invitation).where(
            Invitation.session_id == session_id, Invitation.deputy_id == deputy.id,
            col(Invitation.revoked_at).is_(None), Invitation.expires_at > now,
        ).order_by(col(Invitation.id).desc())
    ).first()
    if invitation is None:
        raise NotFound(what="session", id=session_id)
    return invitation


__all__ = ["PHONE", "DeputyHome", "home", "mask_phone", "normalize_phone", "session_grant",
           "set_up_account"]
