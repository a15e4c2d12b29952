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
