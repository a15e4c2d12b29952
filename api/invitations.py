"""Deputy invitations: invite (a signed join link and its QR code), list,
revoke.  The join link carries a :mod:`hub.tokens` token for
``deputy:{id}`` that expires with the invitation; a revoked invitation is
known by :meth:`store.sessions.SessionRepo.invited_deputies`, which the
signaling side checks when a deputy joins."""

from __future__ import annotations

import io
from datetime import datetime

import segno
from aiohttp import web
from sqlmodel import Session

from hub import tokens
from hub.errors import InvitationInactive, NotFound
from hub.scope import Do, InviteTarget, require
from store import sessions as store_sessions
from store.models import Deputy, Invitation
from store.sessions import SessionView

from api import convert, schemas as s
from api.framework import Call
from api.live import end_live_connections
from api.sessions import join_id




def _link(call: Call, view: SessionView, invitation: Invitation, deputy: Deputy, now: datetime) -> s.InvitationLink:
    services = call.services
    ttl = max((invitation.expires_at - now).total_seconds(), 1)
    url = tokens.join_link(
        services.base_url, services.secret, join_id(view), f"deputy:{deputy.id}", "deputy", ttl, now=now.timestamp()
    )
    base = f"{services.mount_path}/sessions/{view.row.id}/invitations/{invitation.id}"
    return s.InvitationLink(
        invitation=convert.invitation(invitation, deputy, now),
        url=url,
        expires_at=convert.local(invitation.expires_at),
        qr_png=f"{base}/qr.png",
        qr_svg=f"{base}/qr.svg",
    )


async def list_invitations(call: Call) -> s.InvitationList:
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session) -> s.InvitationList:
        view = repo.load(db, session_id)
        require(actor, Do.SCHEDULE, view.target, repo.matrix)
        rows = store_sessions.invitations_of(db, session_id)
        return s.InvitationList(items=[convert.invitation(i, d, now) for i, d in rows])

    return await call.services.db(work)


async def create_invitation(call: Call) -> s.InvitationLink:
    body: s.InvitationIn = call.body
    actor, repo, now, session_id = call.require_actor(), call.services.repo, call.now, call.path.id

    def work(db: Session):
        invitation, _token = repo.invite(db, actor, session_id, body.deputy_id, now)
        return repo.load(db, session_id), invitation, db.get(Deputy, body.deputy_id)

    view, invitation, deputy = await call.services.db(work)
    return _link(call, view, invitation, deputy, now)


def _load(call: Call, db: Session, active: bool):
    actor, repo, now = call.require_actor(), call.services.repo, call.now
    session_id, invitation_id = call.path.id, call.path.invitation_id
    view = repo.load(db, session_id)
    invitation = db.get(Invitation, invitation_id)
    if invitation is None or invitation.session_id != session_id:
        raise NotFound(what="invitation", id=invitation_id)
    deputy = db.get(Deputy, invitation.deputy_id)
    assert deputy is not None
    require(actor, Do.INVITE, InviteTarget(view.target, deputy.station_code), repo.matrix)
    if active and (invitation.revoked_at is not None or invitation.expires_at <= now):
        raise InvitationInactive(id=invitation_id)
    return view, invitation, deputy


async def invitation_link(call: Call) -> s.InvitationLink:
    now = call.now
    view, invitation, deputy = await call.services.db(lambda db: _load(call, db, True))
    return _link(call, view, invitation, deputy, now)


async def _qr(call: Call, kind: str) -> web.Response:
    now = call.now
    view, invitation, deputy = await call.services.db(lambda db: _load(call, db, True))
    url = _link(call, view, invitation, deputy, now).url
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    headers = {"Cache-Control": "no-store"}
    if kind == "png":
        qr.save(out, kind="png", scale=8, border=4)
        return web.Response(body=out.getvalue(), content_type="image/png", headers=headers)
    qr.save(out, kind="svg", scale=4, border=4, xmldecl=True, svgns=True, title="join link")
    return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers=headers)


async def invitation_qr_png(call: Call) -> web.Response:
    return await _qr(call, "png")


async def invitation_qr_svg(call: Call) -> web.Response:
    return await _qr(call, "svg")


async def revoke_invitation(call: Call) -> s.InvitationOut:
    actor, repo, now = call.require_actor(), call.services.repo, call.now

    def work(db: Session) -> s.InvitationOut:
        _view, invitation, deputy = _load(call, db, False)
        assert invitation.id is not None
        row = repo.revoke_invitation(db, actor, invitation.id, now)
        return convert.invitation(row, deputy, now)

    out = await call.services.db(work)
    await end_live_connections(call, f"deputy:{out.deputy_id}", out.session_id)
    return out
