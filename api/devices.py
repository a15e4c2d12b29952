"""REST: deputies' phones bound instead of a password (issue 13; rules in
:mod:`store.devices`): a login with the device token, the bindings, and
their revocation by the deputy or an administrator."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from aiohttp import web
from pydantic import Field

from store import devices as store
from store.opinion_models import DeviceBinding

from api import convert, schemas as s
from api.convert import local, maybe_local
from api.framework import COOKIE, Call


class DeviceLoginIn(s.Input):
    token: str = Field(min_length=1, max_length=100, description="the device token the phone keeps")


class DeviceIn(s.Input):
    label: str = Field(default="", max_length=100, description="e.g. the phone's name")


class DeviceQuery(s.Input):
    account_id: Optional[s.Id] = Field(default=None, alias="accountId")


class DeviceOut(s.Model):
    id: int
    account_id: int
    label: str
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]


class DeviceList(s.Model):
    items: list[DeviceOut]


class DeviceBound(s.Model):
    device: DeviceOut
    token: str = Field(description="the device token (shown once): the phone keeps it")


def _out(row: DeviceBinding) -> DeviceOut:
    return DeviceOut(id=row.id or 0, account_id=row.account_id, label=row.label, created_at=local(row.created_at),
                     last_used_at=maybe_local(row.last_used_at), revoked_at=maybe_local(row.revoked_at))


async def device_login(call: Call) -> web.Response:
    """``POST /auth/device``: a bound phone logs in (as ``POST /auth/login``)."""
    services, now, token = call.services, call.now, call.body.token
    account, login = await services.db(lambda db: store.log_in(db, token, now, services.login_ttl))
    out = s.LoginOut(token=login, expires_at=convert.local(now + services.login_ttl), account=convert.account(account))
    response = web.json_response(out.model_dump(mode="json", by_alias=True))
    response.set_cookie(COOKIE, login, max_age=int(services.login_ttl.total_seconds()), httponly=True,
                        samesite="Strict", secure=services.secure_cookie, path="/")
    return response


async def list_devices(call: Call) -> DeviceList:
    actor, account_id = call.require_actor(), call.query.account_id
    rows = await call.services.db(lambda db: store.devices(db, actor, account_id))
    return DeviceList(items=[_out(r) for r in rows])


async def bind_device(call: Call) -> DeviceBound:
    actor, now, label = call.require_actor(), call.now, call.body.label
    row, token = await call.services.db(lambda db: store.bind(db, actor, label, now))
    return DeviceBound(device=_out(row), token=token)


async def revoke_device(call: Call) -> DeviceOut:
    actor, now, device_id = call.require_actor(), call.now, call.path.id
    return _out(await call.services.db(lambda db: store.revoke(db, actor, device_id, now)))


async def device_forget(call: Call) -> web.Response:
    """``POST /auth/device/forget``: the phone ends its own binding (with its logout)."""
    now, token = call.now, call.body.token
    await call.services.db(lambda db: store.forget(db, token, now))
    return web.Response(status=204)
