"""Logging in and out; who am I."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from core.proxies import client_address
from store import accounts

from api import convert, schemas as s
from api.framework import COOKIE, Call


async def login(call: Call) -> web.Response:
    body: s.LoginIn = call.body
    services = call.services
    now = call.now
    # Behind the reverse proxy, the station's address, not the proxy's.
    remote = client_address(call.request.remote, call.request.headers.get("X-Forwarded-For"), services.trusted_proxies)

    def work(db: Session):
        return accounts.authenticate(db, body.username, body.password, now, remote=remote, ttl=services.login_ttl)

    account, token = await services.db(work)
    out = s.LoginOut(token=token, expires_at=convert.local(now + services.login_ttl), account=convert.account(account))
    response = web.json_response(out.model_dump(mode="json", by_alias=True))
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(services.login_ttl.total_seconds()),
        httponly=True,
        samesite="Strict",
        secure=services.secure_cookie,
        path="/",
    )
    return response


async def logout(call: Call) -> web.Response:
    now = call.now
    token = call.token
    assert token is not None
    await call.services.db(lambda db: accounts.logout(db, token, now))
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


async def me(call: Call) -> s.AccountOut:
    if call.account is None:  # a join token: who it stands for
        actor = call.require_actor()
        return s.AccountOut(
            id=0, username=actor.name, display_name=actor.name, role=actor.role, station=actor.station,
            deputy_id=actor.deputy_id, active=True, created_at=call.now,
        )
    return convert.account(call.account)
