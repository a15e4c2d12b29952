"""Reminders going out (issue 13, ``hub/outbound.py``): one adapter
interface, an HTTP adapter posting JSON to the configured URL, each reminder
sent once when it becomes due, a failed delivery tried again; no URL, no
adapter (the pages' bell only)."""

from __future__ import annotations

import pytest
from aiohttp import web

from hub.config import ConfigError, OutboundSettings, load_config
from hub.outbound import Announcer, HttpOutbound, make_outbound
from test_api_support import at, cheap_passwords, api_hub, session_body  # noqa: F401


@pytest.fixture
async def receiver():
    """A local receiver standing in for an SMS gateway: records what it gets;
    answers ``status[0]``."""
    got: list[dict] = []
    status = [200]

    async def take(request: web.Request) -> web.Response:
        assert request.headers.get("Authorization") == "Bearer s3cret-token-for-tests"
        got.append(await request.json())
        return web.Response(status=status[0])

    app = web.Application()
    app.router.add_post("/sms", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/sms", got, status
    await runner.cleanup()


async def test_a_reminder_is_posted_once_when_it_becomes_due(hub, receiver):
    url, got, status = receiver
    session = await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    announcer = Announcer(hub.services, HttpOutbound(url, "s3cret-token-for-tests"))
    assert await announcer.tick() == [] and got == []  # 1 March: nothing due
    hub.clock.now = at(3, 7, 13, 50)  # the lobby opens
    status[0] = 503  # the gateway is down: not delivered, tried again
    assert await announcer.tick() == [] and len(got) == 1
    status[0] = 200
    sent = await announcer.tick()
    assert [(m.username, m.kind) for m in sent] == [("op-xucun", "lobby_open")]
    lobby = got[1:]
    assert [(m["username"], m["kind"], m["session_id"]) for m in lobby] == [("op-xucun", "lobby_open", session["id"])]
    assert lobby[0]["text_zh"] == "会议候会已开放" and lobby[0]["text_en"] == "The meeting's lobby is open"
    before = len(got)
    assert await announcer.tick() == [] and len(got) == before  # once only


def test_no_url_means_in_app_only():
    assert make_outbound(OutboundSettings()) is None
    assert isinstance(make_outbound(OutboundSettings(url="https://sms.example/send")), HttpOutbound)
    with pytest.raises(ConfigError, match="notifications.outbound.url"):
        load_config(environ={"LIAISON_HUB_NOTIFICATIONS__OUTBOUND__URL": "sms.example/send"})


async def test_a_restart_sends_nothing_twice(hub, receiver):
    """The sent keys live in the database: a new announcer (a restarted hub)
    sends nothing already sent; a failed delivery is tried again after the
    restart; a reminder no longer due is forgotten and goes out again when it
    comes back."""
    url, got, status = receiver
    await hub.ok("POST", "/sessions", "hn", expect=201, json=session_body())
    hub.clock.now = at(3, 7, 13, 50)  # the lobby opens
    first = Announcer(hub.services, HttpOutbound(url, "s3cret-token-for-tests"))
    assert [m.kind for m in await first.tick()] == ["lobby_open"] and len(got) == 1
    restarted = Announcer(hub.services, HttpOutbound(url, "s3cret-token-for-tests"))
    assert await restarted.tick() == [] and len(got) == 1  # not again
    # a delivery that fails before the restart is sent after it
    await hub.ok("POST", "/sessions", "hn", expect=201,
                 json=session_body(title="第二场", start=at(3, 8, 14).isoformat(), end=at(3, 8, 16).isoformat()))
    hub.clock.now = at(3, 8, 13, 50)
    status[0] = 500
    assert await restarted.tick() == [] and len(got) == 2  # tried, refused by the gateway
    from sqlmodel import Session

    from store import outbound as sent_store

    with Session(hub.engine) as db:
        assert sent_store.sent_keys(db) == set()  # released; the first session's key forgotten (no longer due)
    status[0] = 200
    again = Announcer(hub.services, HttpOutbound(url, "s3cret-token-for-tests"))
    assert [m.title for m in await again.tick()] == ["第二场"] and len(got) == 3
    assert await again.tick() == [] and len(got) == 3
    with Session(hub.engine) as db:
        assert len(sent_store.sent_keys(db)) == 1
    hub.clock.now = at(3, 9, 9)  # over: nothing due, the key is forgotten
    assert await again.tick() == []
    with Session(hub.engine) as db:
        assert sent_store.sent_keys(db) == set()


async def test_a_real_hub_restart_sends_nothing_twice(tmp_path, receiver):
    """``liaison-hub serve`` posting to a local receiver: a session's lobby
    opens, the operator's reminder goes out once; the hub stops and starts
    again on the same database, and several rounds later it is still once."""
    import asyncio
    from datetime import datetime, timedelta, timezone

    from tests.browser import HubProcess, api_json

    url, got, _ = receiver
    hub = HubProcess(tmp_path / "var", env={"LIAISON_HUB_NOTIFICATIONS__OUTBOUND__URL": url,
                                            "LIAISON_HUB_NOTIFICATIONS__OUTBOUND__TOKEN": "s3cret-token-for-tests",
                                            "LIAISON_HUB_NOTIFICATIONS__EVERY_SECONDS": "0.5"})
    hub.create_account("hn", "Haining-dispatch-1", "dispatcher", "haining")
    hub.create_account("op-xucun", "Xucun-operator-1", "operator", "xucun")
    hub.start()
    try:
        token = api_json(hub, "/auth/login", body={"username": "hn", "password": "Haining-dispatch-1"})["token"]
        start = (datetime.now(timezone.utc) + timedelta(minutes=5)).replace(microsecond=0)
        api_json(hub, "/sessions", token, {"title": "重启测试", "chair": "haining", "stations": ["haining", "xucun"],
                                           "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()})
        for _ in range(100):  # up to 20 s on a loaded machine
            if got:
                break
            await asyncio.sleep(0.2)
        lobby = [m for m in got if m["kind"] == "lobby_open" and m["username"] == "op-xucun"]
        assert len(lobby) == 1, got
        hub.stop()
        hub.start()
        await asyncio.sleep(3)  # six rounds or so
        assert [m for m in got if m["kind"] == "lobby_open" and m["username"] == "op-xucun"] == lobby
    finally:
        hub.stop()
