"""Invitations: a deputy invited to a linked session gets a join token of its own.

The token is returned once and only its hash stored; inviting again revokes the earlier token;
an invitation expires with the session's last occurrence (or after
:attr:`store.sessions.SessionRepo.invitation_ttl` for an unbounded series).  The deputies a
session invites are part of who may see it (:class:`core.scope.SessionTarget`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Optional

from sqlmodel import Session, col, select

from core.errors import NotFound, TokenExpired, TokenInvalid, TransitionRefused
from core.scope import Actor, Do, InviteTarget, require
from scheduler import lifecycle
from scheduler.lifecycle import State
from scheduler.recurrence import last_end
from store.audit import record
from store.models import Deputy, Invitation, LinkedSession
from store.session_series import iso
from store.sessions import SessionRepo
from store.tx import transaction


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite(
    db: Session, repo: SessionRepo, actor: Actor, session_id: int, deputy_id: int, now: datetime,
    expires_at: Optional[datetime] = None,
) -> tuple[Invitation, str]:
    """Invite a deputy: ``(invitation, token)``.  The token is returned once
    and only its hash stored; inviting again revokes the earlier token.
    By default the invitation expires with the session's last occurrence
    (or after :attr:`invitation_ttl` for an unbounded series)."""
    with transaction(db):
        view = repo.load(db, session_id)
        deputy = db.get(Deputy, deputy_id)
        if deputy is None or not deputy.active:
            raise NotFound(what="deputy", id=deputy_id)
        require(actor, Do.INVITE, InviteTarget(view.target, deputy.station_code), repo.matrix)
        state = repo.view_state(view, now)
        if state in lifecycle.FINAL:
            raise TransitionRefused("session_is", state=state)
        if expires_at is None:
            # A standing session has no last occurrence to expire with.
            end = last_end(view.series) if view.series.bounded and not view.row.standing else None
            expires_at = end if end is not None else now + repo.invitation_ttl
        revoked = []
        for old in db.exec(
            select(Invitation).where(
                Invitation.session_id == session_id,
                Invitation.deputy_id == deputy_id,
                col(Invitation.revoked_at).is_(None),
            )
        ).all():
            old.revoked_at = now
            db.add(old)
            revoked.append(old.id)
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            session_id=session_id,
            deputy_id=deputy_id,
            token_hash=_token_hash(token),
            created_by=actor.account_id,
            created_at=now,
            expires_at=expires_at,
        )
        db.add(invitation)
        db.flush()
        record(
            db, actor, "session.invite", "session", session_id,
            {"revokedInvitations": revoked} if revoked else None,
            {"invitation": invitation.id, "deputy": deputy_id, "expires": iso(expires_at)},
            now,
        )
    db.refresh(invitation)
    return invitation, token


def revoke_invitation(db: Session, repo: SessionRepo, actor: Actor, invitation_id: int, now: datetime) -> Invitation:
    with transaction(db):
        invitation = db.get(Invitation, invitation_id)
        if invitation is None:
            raise NotFound(what="invitation", id=invitation_id)
        view = repo.load(db, invitation.session_id)
        deputy = db.get(Deputy, invitation.deputy_id)
        assert deputy is not None
        require(actor, Do.INVITE, InviteTarget(view.target, deputy.station_code), repo.matrix)
        if invitation.revoked_at is None:
            invitation.revoked_at = now
            db.add(invitation)
            record(
                db, actor, "session.invitation.revoke", "session", invitation.session_id,
                {"invitation": invitation.id, "deputy": invitation.deputy_id}, None, now,
            )
    db.refresh(invitation)
    return invitation


def redeem(db: Session, token: str, now: datetime) -> tuple[Invitation, LinkedSession]:
    """The invitation and session behind a deputy's token."""
    invitation = db.exec(select(Invitation).where(Invitation.token_hash == _token_hash(token))).first()
    if invitation is None or invitation.revoked_at is not None:
        raise TokenInvalid()
    if invitation.expires_at <= now:
        raise TokenExpired()
    row = db.get(LinkedSession, invitation.session_id)
    if row is None or row.status == State.CANCELLED.value:
        raise TokenInvalid("session_cancelled")
    return invitation, row


def invited_deputies(db: Session, session_id: int, now: datetime) -> frozenset[int]:
    return frozenset(
        db.exec(
            select(Invitation.deputy_id).where(
                Invitation.session_id == session_id,
                col(Invitation.revoked_at).is_(None),
                Invitation.expires_at > now,
            )
        ).all()
    )


def invitations_of(db: Session, session_id: int) -> list[tuple[Invitation, Deputy]]:
    """A session's invitations (revoked ones too), newest first, with their deputy."""
    return list(
        db.exec(
            select(Invitation, Deputy)
            .join(Deputy, col(Deputy.id) == col(Invitation.deputy_id))
            .where(Invitation.session_id == session_id)
            .order_by(col(Invitation.id).desc())
        ).all()
    )
