"""Short invitation links, so that an invitation's QR code stays easy to scan.

A join link carries a signed token (``/join/{session}#token=…``, some 200
characters): its QR code is dense (version 10 or more) and hard to scan from
a printed sheet or an old phone.  The QR code carries the short form instead,
``{base_url}/i/{invitation}-{check}`` (about 45 characters: version 4, 33×33
modules, against version 10, 57×57, for the long link), whose
check is an HMAC of the invitation's id with the hub secret, so ids cannot be
guessed.  ``GET /i/{code}`` looks the invitation up and, while it is active,
answers with a redirect to a fresh join link (the token expires with the
invitation, as the long link's does); a revoked or expired invitation
answers 410 with a plain sentence.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web
from sqlmodel import Session

from core import tokens
from store.models import Deputy, Invitation

from api.services import ApiServices
from api.sessions import join_id

_CODE = re.compile(r"^([1-9][0-9]{0,9})-([a-z2-7]{8})$")


def _check(secret: bytes, invitation_id: int) -> str:
    mac = hmac.new(secret, f"invitation:{invitation_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:5]).decode().lower()


def short_code(secret: bytes, invitation_id: int) -> str:
    return f"{invitation_id}-{_check(secret, invitation_id)}"


def invitation_of(secret: bytes, code: str) -> Optional[int]:
    """The invitation id of a short code, or None when the code is not one the hub made."""
    m = _CODE.match(code)
    if not m or not hmac.compare_digest(_check(secret, int(m.group(1))), m.group(2)):
        return None
    return int(m.group(1))


def short_url(base_url: str, secret: bytes, invitation_id: int) -> str:
    return f"{base_url}/i/{short_code(secret, invitation_id)}"


GONE = "该邀请已撤销或已过期，请向联络站索取新的邀请。 This invitation was revoked or has expired."


def redirect_handler(services: ApiServices) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """``GET /i/{code}`` (mounted at the hub's root, next to ``/join``)."""

    async def follow(request: web.Request) -> web.StreamResponse:
        invitation_id = invitation_of(services.secret, request.match_info["code"])
        if invitation_id is None:
            raise web.HTTPNotFound(text="没有这个邀请。 No such invitation.")
        now = services.now()

        def work(db: Session) -> Optional[tuple[Any, Invitation, Deputy]]:
            invitation = db.get(Invitation, invitation_id)
            if invitation is None or invitation.revoked_at is not None or invitation.expires_at <= now:
                return None
            deputy = db.get(Deputy, invitation.deputy_id)
            return (services.repo.load(db, invitation.session_id), invitation, deputy) if deputy else None

        found = await services.db(work)
        if found is None:
            raise web.HTTPGone(text=GONE)
        view, invitation, deputy = found
        ttl = max((invitation.expires_at - now).total_seconds(), 1)
        url = tokens.join_link(services.base_url, services.secret, join_id(view), f"deputy:{deputy.id}", "deputy",
                               ttl, now=now.timestamp())
        raise web.HTTPFound(url, headers={"Cache-Control": "no-store"})

    return follow
