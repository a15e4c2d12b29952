"""The deputy's phone (issue 13): setting up the account from the invitation
link, the home page's summary, and a fresh join link for a session the
deputy is invited to.  The rest of the phone page uses the routes everyone
uses, which already narrow a deputy to its own: ``POST /opinions`` (capture
at any time), ``GET /opinions`` and ``GET /opinions/{id}`` (我的民情 with
the timeline and the department's answer), ``POST /opinions/{id}/actions``
(``rate``), ``GET /duty/records`` (我的履职), ``GET /me/sessions``.

Rules live in :mod:`store.deputy_home`; this module parses and words."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from aiohttp import web
from pydantic import Field
from sqlmodel import Session

from core import tokens
from core.errors import Forbidden, InvalidPayload, SessionClosed
from core.proxies import client_address
from core.scope import Role
from scheduler.lifecycle import JOINABLE
from store import accounts, deputy_home, devices

from api import convert, schemas as s
from api.framework import COOKIE, Call
from api.sessions import join_id


class DeputySetupIn(s.Input):
    phone: str = Field(min_length=1, max_length=32, description="the deputy's mobile number: its user name from now on")
    password: Optional[str] = Field(default=None, min_length=1, max_length=256,
                                    description="required unless bindDevice")
    bind_device: bool = Field(default=False, alias="bindDevice",
                              description="bind this phone instead of a password: the reply's deviceToken, kept by "
                                          "the phone, logs in (POST /auth/device)")
    device_label: str = Field(default="", alias="deviceLabel", max_length=100)


class DeputySetupOut(s.LoginOut):
    device_token: Optional[str] = Field(default=None, description="bindDevice: the phone's device token (shown once)")


class DeputyHomeOut(s.Model):
    deputy_id: int
    name: str
    level: str
    levels: list[str] = Field(default_factory=list, description="every level the deputy holds, highest first")
    station: str
    group: str
    phone: Optional[str]
    points_year: float = Field(description="approved duty points this calendar year (China time)")
    points_total: float = Field(description="approved duty points in all")
    pending_records: int = Field(description="duty records awaiting review")
    opinions: dict[str, int] = Field(description="the deputy's opinions counted by status")
    open_items: int = Field(description="opinions not yet rated, closed or rejected")
    awaiting_rating: int = Field(description="opinions fed back, waiting for the deputy's 满意/基本满意/不满意")


async def set_up(call: Call) -> web.Response:
    """``POST /deputy/setup``, with the invitation link's token: make the
    deputy's account and log it in (as ``POST /auth/login`` does)."""
    actor = call.require_actor()
    if not call.via_join_token or actor.role is not Role.DEPUTY:
        raise Forbidden("deputy_setup_needs_link")
    body: DeputySetupIn = call.body
    services, now = call.services, call.now
    remote = client_address(call.request.remote, call.request.headers.get("X-Forwarded-For"), services.trusted_proxies)

    if body.password is None and not body.bind_device:
        raise InvalidPayload("password_or_device", field="password")
    password = None if body.bind_device else body.password

    def work(db: Session):
        made, device_token = deputy_home.set_up_account(db, actor, body.phone, password, now, body.device_label)
        if device_token is not None:
            return (*devices.log_in(db, device_token, now, services.login_ttl), device_token)
        assert password is not None
        return (*accounts.authenticate(db, made.username, password, now, remote=remote, ttl=services.login_ttl), None)

    account, token, device_token = await services.db(work)
    out = DeputySetupOut(token=token, expires_at=convert.local(now + services.login_ttl),
                         account=convert.account(account), device_token=device_token)
    response = web.json_response(out.model_dump(mode="json", by_alias=True), status=201)
    response.set_cookie(COOKIE, token, max_age=int(services.login_ttl.total_seconds()), httponly=True,
                        samesite="Strict", secure=services.secure_cookie, path="/")
    return response


async def my_home(call: Call) -> DeputyHomeOut:
    actor, now = call.require_actor(), call.now
    from store.roster import levels_of

    def work(db: Session) -> tuple[deputy_home.DeputyHome, list[str]]:
        home = deputy_home.home(db, actor, now)
        return home, levels_of(db, [home.deputy])[home.deputy.id or 0]

    found, levels = await call.services.db(work)
    d = found.deputy
    assert d.id is not None
    return DeputyHomeOut(
        deputy_id=d.id, name=d.name, level=d.level, levels=levels, station=d.station_code, group=d.deputy_group, phone=d.phone,
        points_year=found.points_year, points_total=found.points_total, pending_records=found.pending_records,
        opinions=found.opinions_by_status, open_items=found.open_items, awaiting_rating=found.awaiting_rating,
    )


async def my_join_link(call: Call) -> s.JoinLink:
    """``GET /me/sessions/{id}/deputy-link``: a join link as the invited
    deputy (lobby or live), valid until the invitation ends or
    ``link_ttl_hours``, whichever is sooner."""
    actor, services, now, session_id = call.require_actor(), call.services, call.now, call.path.id
    repo = services.repo

    def work(db: Session):
        invitation = deputy_home.session_grant(db, actor, session_id, now)
        return repo.load(db, session_id), repo.session_state(db, session_id, now), invitation

    view, state, invitation = await services.db(work)
    if state not in JOINABLE:
        raise SessionClosed("session_is", state=state)
    ttl = min(services.link_ttl_hours * 3600, max((invitation.expires_at - now).total_seconds(), 1))
    url = tokens.join_link(services.base_url, services.secret, join_id(view), f"deputy:{actor.deputy_id}", "deputy",
                           ttl, now=now.timestamp())
    return s.JoinLink(url=url, expires_at=convert.local(now + timedelta(seconds=ttl)))
