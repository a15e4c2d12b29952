"""First start: the console creates the first administrator with the
one-time link the hub prints (``core/firststart.py``).

``GET /api/setup`` says whether an administrator is still to be created and,
to a browser on the hub's own machine (a loopback address, no proxy in
between), gives the link itself, so that ``/console`` can show it.
``POST /api/setup`` creates the administrator when the token matches and no
account exists yet; afterwards it refuses (``setup_done``).
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated, Optional

from aiohttp import web
from pydantic import Field
from sqlmodel import Session, select

from core.errors import Forbidden, InvalidPayload
from core.firststart import setup_token_matches, setup_url
from store import accounts
from store.models import Account
from store.passwords import MIN_LENGTH

from api import convert, schemas as s
from api.framework import Call

MIN_PASSWORD = MIN_LENGTH


class SetupState(s.Model):
    #: No account exists yet: the first administrator is to be created.
    needed: bool
    #: The one-time link, only to a browser on the hub's own machine.
    link: Optional[str] = None


class SetupIn(s.Input):
    token: Annotated[s.Text, Field(min_length=1, max_length=200)]
    username: Annotated[s.Text, Field(min_length=1, max_length=64)]
    password: Annotated[s.Text, Field(min_length=1, max_length=1024)]
    display_name: Annotated[s.Text, Field(max_length=64)] = ""


def _no_accounts(db: Session) -> bool:
    return db.exec(select(Account.id).limit(1)).first() is None


def _on_this_machine(request: web.Request) -> bool:
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


async def setup_state(call: Call) -> SetupState:
    needed = await call.services.db(_no_accounts)
    link = setup_url(call.services.base_url, call.services.secret) if needed and _on_this_machine(call.request) else None
    return SetupState(needed=needed, link=link)


async def create_administrator(call: Call) -> s.AccountOut:
    body: SetupIn = call.body
    services = call.services
    if not setup_token_matches(services.secret, body.token):
        raise Forbidden("setup_link_invalid")
    if len(body.password) < MIN_PASSWORD:
        raise InvalidPayload("password_too_short", minimum=MIN_PASSWORD)
    now = call.now

    def work(db: Session) -> Account:
        if not _no_accounts(db):
            raise Forbidden("setup_done")
        return accounts.create_account(
            db, None, services.matrix, body.username, body.password, "administrator",
            display_name=body.display_name.strip(), now=now,
        )

    return convert.account(await services.db(work))
