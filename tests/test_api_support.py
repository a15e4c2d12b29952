"""The harness of the REST API tests (no tests of its own): a real aiohttp
server on 127.0.0.1:0 with the API mounted at /api as the hub mounts it, over
a fresh SQLite or PostgreSQL database, with accounts of every role and a
fixed clock.  PostgreSQL databases are created uniquely and dropped after;
without PostgreSQL the tests FAIL (run `make test`)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from databases import migrated_sqlite, new_database  # noqa: F401  (used by the API tests)
import sqlalchemy as sa
from aiohttp import web
from argon2 import PasswordHasher
from sqlmodel import Session

from api import ApiServices, create_api
from hub.config import load_config
from core.scope import Role
from store import accounts, db as storedb, passwords
from store.deputies import create_deputy
from store.opinions import OpinionRules
from store.sessions import SessionRepo

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=SH)
SECRET = b"s" * 40
BASE_URL = "https://hub.example"
OPINION_RULES = OpinionRules.from_config(load_config())
PASSWORD = "long-password"

# username -> (role, station)
PEOPLE = {
    "admin": (Role.ADMINISTRATOR, None),
    "jx": (Role.DISPATCHER, "jiaxing"),
    "hn": (Role.DISPATCHER, "haining"),
    "op-xucun": (Role.OPERATOR, "xucun"),
}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SH)


def iso(value: datetime) -> str:
    return value.isoformat()


def session_body(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "许村、长安与分站联动",
        "chair": "haining",
        "stations": ["xucun", "changan"],
        "start": iso(at(3, 7, 14)),
        "end": iso(at(3, 7, 16)),
    }
    body.update(kw)
    return body


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now.astimezone(timezone.utc)


@dataclass
class Hub:
    """A running API.  ``ids`` maps user names to account ids; ``deputies``
    names to deputy ids."""

    url: str
    services: ApiServices
    clock: Clock
    engine: sa.Engine
    ids: dict[str, int] = field(default_factory=dict)
    deputies: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    http: Optional[aiohttp.ClientSession] = None

    async def login(self, username: str) -> str:
        if username not in self.tokens:
            async with self.http.post(f"{self.url}/auth/login", json={"username": username, "password": PASSWORD}) as r:
                assert r.status == 200, await r.text()
                self.tokens[username] = (await r.json())["token"]
        return self.tokens[username]

    async def call(
        self, method: str, path: str, who: Optional[str] = None, json: Any = None, lang: str = "",
        params: Optional[dict] = None, data: Optional[bytes] = None,
    ) -> tuple[int, Any]:
        headers = {}
        if who is not None:
            headers["Authorization"] = f"Bearer {await self.login(who)}"
        if lang:
            headers["Accept-Language"] = lang
        async with self.http.request(
            method, f"{self.url}{path}", json=json, headers=headers, params=params, data=data
        ) as r:
            body = await r.read()
            if r.content_type == "application/json":
                import json as _json

                return r.status, _json.loads(body)
            return r.status, body

    async def ok(self, method: str, path: str, who: Optional[str] = None, expect: int = 200, **kw) -> Any:
        status, body = await self.call(method, path, who, **kw)
        assert status == expect, (method, path, who, status, body)
        return body


def build(url: str, tmp_path) -> tuple[ApiServices, Clock, sa.Engine, dict, dict]:
    config = load_config(environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var")})
    matrix = config.matrix
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        migrated_sqlite(Path(url.removeprefix("sqlite:///")))
    else:
        storedb.upgrade(url)
    engine = storedb.make_engine(url)
    ids: dict[str, int] = {}
    deputy_ids: dict[str, int] = {}
    with Session(engine) as db:
        storedb.sync_stations(db, matrix)
        admin = None
        for username, (role, station) in PEOPLE.items():
            account = accounts.create_account(db, admin, matrix, username, PASSWORD, role, station, now=NOW)
            ids[username] = account.id
            if admin is None:
                admin = accounts.actor_of(account)
        for name, station in (("许村代表", "xucun"), ("嘉兴代表", "jiaxing"), ("长安代表", "changan")):
            deputy_ids[name] = create_deputy(db, admin, matrix, name, "haining", station, "许村小组", NOW).id
    clock = Clock()
    services = ApiServices(
        engine=engine,
        matrix=matrix,
        repo=SessionRepo(matrix, lobby_minutes=15),
        secret=SECRET,
        base_url=BASE_URL,
        opinion_rules=OPINION_RULES,
        link_ttl_hours=12,
        clock=clock,
        login_ttl=timedelta(days=60),  # the tests move the clock by weeks
    )
    return services, clock, engine, ids, deputy_ids


def parent_app(services: ApiServices) -> web.Application:
    from api.invite_links import redirect_handler

    app = web.Application()
    app.add_subapp("/api", create_api(services))
    app.router.add_get("/i/{code}", redirect_handler(services))  # as hub/app.py mounts it
    return app


@pytest.fixture(autouse=True, scope="module")
def cheap_passwords():
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    passwords.use_hasher(previous)


async def start_hub(backend: str, tmp_path):
    """Async context: a running hub.  Use as ``async with running(...) as hub``."""
    url, drop = new_database(backend, tmp_path)
    services, clock, engine, ids, deputy_ids = build(url, tmp_path)
    runner = web.AppRunner(parent_app(services))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    hub = Hub(f"http://127.0.0.1:{port}/api", services, clock, engine, ids, deputy_ids)
    hub.http = aiohttp.ClientSession()

    async def stop() -> None:
        await hub.http.close()
        await runner.cleanup()
        engine.dispose()
        drop()

    return hub, stop


class ThreadedHub:
    """The hub served from a thread of its own, for synchronous clients
    (schemathesis uses requests)."""

    def __init__(self, tmp_path, backend: str = "sqlite") -> None:
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.tmp_path = tmp_path
        self.backend = backend
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.hub, self._stop = self.loop.run_until_complete(start_hub(self.backend, self.tmp_path))
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> Hub:
        self.thread.start()
        assert self.ready.wait(30)
        return self.hub

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(name="hub")
async def api_hub(tmp_path):
    hub, stop = await start_hub("sqlite", tmp_path)
    yield hub
    await stop()


def sync_login(hub: Hub, username: str) -> str:
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{hub.url}/auth/login",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["token"]


__all__ = [n for n in dir() if not n.startswith("__")]
