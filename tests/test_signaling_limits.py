"""What a connection may be and do: Origins, unjoined sockets, connections
per address, event rates, revoked accounts and invitations, health and
metrics, and the security headers of every response (issue 8)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timezone
from typing import Any, Optional

import aiohttp
import pytest
import socketio
from aiohttp import web
from sqlmodel import Session as DB

from core import tokens
from hub.app import create_app, make_repo, secret_key
from hub.keys import ENGINE_KEY, SIGNALING_KEY
from hub.config import Config
from core.scope import Actor, Role
from signaling.limits import AddressCounter, TokenBucket
from tests.fake_media import FakeMedia
from tests.test_signaling_server import Station


def _with(config: Config, signaling: Optional[dict] = None, limits: Optional[dict] = None, **top: Any) -> Config:
    s = config.settings
    sig = s.signaling
    if limits:
        sig = sig.model_copy(update={"limits": sig.limits.model_copy(update=limits)})
    if signaling:
        sig = sig.model_copy(update=signaling)
    return dataclasses.replace(config, settings=s.model_copy(update={"signaling": sig, **top}))


class Hub:
    def __init__(self, app: web.Application, url: str, config: Config) -> None:
        self.app, self.url, self.config = app, url, config
        self.engine = app[ENGINE_KEY]
        self.secret = secret_key(config)
        self.clients: list[Station] = []

    def token(self, station: str = "xucun") -> str:
        return tokens.sign(self.secret, "demo", f"station:{station}", "station", 3600)

    async def station(self, headers: Optional[dict] = None) -> Station:
        client = Station(self.url)
        await client.sio.connect(self.url, transports=["websocket"], headers=headers or {})
        self.clients.append(client)
        return client

    async def joined(self, station: str = "xucun", token: Optional[str] = None) -> Station:
        client = await self.station()
        reply = await client.call("join", {"token": token or self.token(station)})
        assert reply["ok"], reply
        client.me = reply["self"]
        return client


@pytest.fixture
async def start_hub(config):
    """Start a hub (in-process signaling, fake media unless ``real_media``)
    with the given configuration changes."""
    runners = []
    hubs: list[Hub] = []

    async def start(real_media: bool = False, **changes: Any) -> Hub:
        cfg = _with(config, **changes)
        app = create_app(cfg, media=None if real_media else FakeMedia())
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]
        hub = Hub(app, f"http://127.0.0.1:{port}", cfg)
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        for client in hub.clients:
            if client.sio.connected:
                try:
                    await asyncio.wait_for(client.sio.disconnect(), 5)
                except Exception:
                    pass
    for runner in runners:
        await asyncio.wait_for(runner.cleanup(), 30)


async def _gone(client: Station, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while client.sio.connected and time.monotonic() - started < timeout:
        await asyncio.sleep(0.05)
    assert not client.sio.connected
    return time.monotonic() - started


# --- pure rules ------------------------------------------------------------------------


def test_token_bucket_passes_a_burst_then_the_rate():
    bucket = TokenBucket(rate=5, burst=10)
    assert sum(bucket.take(100.0) for _ in range(1000)) == 10
    assert not bucket.take(100.1)
    assert sum(bucket.take(101.0) for _ in range(100)) == 5  # 0.1 s + 0.9 s at 5/s, less the one refused


def test_address_counter_caps_each_address():
    counter = AddressCounter(limit=2)
    assert counter.open("10.0.0.1") and counter.open("10.0.0.1") and not counter.open("10.0.0.1")
    assert counter.open("10.0.0.2")
    counter.close("10.0.0.1")
    assert counter.open("10.0.0.1") and counter.counts == {"10.0.0.1": 2, "10.0.0.2": 1}


def test_allowed_origins_are_validated(config):
    from hub.config import ConfigError, load_config

    cfg = load_config(environ={"LIAISON_HUB_SIGNALING__ALLOWED_ORIGINS": '["https://Portal.Example.org/"]'})
    assert cfg.settings.signaling.allowed_origins == ["https://portal.example.org"]
    with pytest.raises(ConfigError, match="allowed_origins"):
        load_config(environ={"LIAISON_HUB_SIGNALING__ALLOWED_ORIGINS": '["portal.example.org/path"]'})
    with pytest.raises(ConfigError, match="metrics.token"):
        load_config(environ={"LIAISON_HUB_METRICS__TOKEN": "short"})


# --- Origin (item 7) ---------------------------------------------------------------------


async def test_socketio_accepts_its_own_origin_and_configured_ones_only(start_hub):
    hub = await start_hub(signaling={"allowed_origins": ["https://portal.example.org"]})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hub.station(headers={"Origin": "http://evil.example"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hub.station(headers={"Origin": "null"})
    for origin in (hub.url, "https://portal.example.org"):
        client = await hub.station(headers={"Origin": origin})
        assert (await client.call("join", {"token": hub.token()}))["ok"]
        await client.sio.disconnect()
    assert (await (await hub.station()).call("join", {"token": hub.token()}))["ok"]  # no Origin: not a browser


# --- limits (item 9) ----------------------------------------------------------------------


async def test_a_socket_that_does_not_join_is_closed(start_hub):
    hub = await start_hub(limits={"join_timeout": 0.5})
    idle = await hub.station()
    member = await hub.joined("xucun")
    assert 0.3 < await _gone(idle) < 3
    await asyncio.sleep(0.5)
    assert member.sio.connected  # joined in time: stays


async def test_a_join_whose_socket_closed_while_it_waited_adds_nobody(start_hub, caplog):
    """A join still in progress when its socket is closed (here: media slower
    than join_timeout, as on a starved hub) leaves no participant behind: no
    ghost in the room, its media left, no error logged (it raised KeyError
    from enter_room and kept the participant)."""
    hub = await start_hub(limits={"join_timeout": 0.3})
    signaling = hub.app[SIGNALING_KEY]
    media = signaling.media
    original = media.join

    async def slow_join(room_id, participant_id, events):
        await asyncio.sleep(1.0)
        await original(room_id, participant_id, events)

    media.join = slow_join
    late = await hub.station()
    await late.sio.emit("join", {"token": hub.token("xucun")})
    await _gone(late)
    await asyncio.sleep(1.5)  # the join has finished waiting
    assert not [p for room in signaling.presence.rooms.values() for p in room]
    joined = [c[2] for c in media.calls if c[0] == "join"]
    assert len(joined) == 1 and ("leave", joined[0]) in media.calls
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text

    media.join = original  # and the station can join again
    again = await hub.joined("xucun")
    assert again.me["id"] != joined[0]


async def test_connections_per_address_are_capped(start_hub):
    hub = await start_hub(limits={"connections_per_address": 3})
    first = await hub.station()
    await hub.station()
    await hub.station()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hub.station()
    await first.sio.disconnect()
    await asyncio.sleep(0.2)
    assert (await hub.station()).sio.connected  # a freed place is given again


async def test_an_event_flood_is_refused_not_relayed(start_hub):
    hub = await start_hub(limits={"event_rate": 5, "event_burst": 10})
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    await asyncio.sleep(0.3)
    before = len(b.events("participantUpdated"))
    started = time.monotonic()
    replies = await asyncio.gather(*(a.call("mediaState", {"camera": i % 2 == 0, "mic": True}) for i in range(1000)))
    elapsed = time.monotonic() - started
    refused = [r for r in replies if not r["ok"]]
    assert {r["error"]["code"] for r in refused} == {"rate_limited"}
    passed = len(replies) - len(refused)
    assert passed <= 10 + 5 * elapsed + 1
    await asyncio.sleep(0.3)
    relayed = len(b.events("participantUpdated")) - before
    assert relayed == passed  # only what passed went to the room
    assert relayed < 100


async def test_garbage_sdp_and_too_many_media_lines_get_media_error(start_hub):
    hub = await start_hub(real_media=True)
    station = await hub.joined("xucun")
    reply = await station.call("publishOffer", {"sdp": "garbage", "type": "offer"})
    assert not reply["ok"] and reply["error"]["code"] == "media_error"
    many = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" * 180
    reply = await station.call("publishOffer", {"sdp": many, "type": "offer"})
    assert not reply["ok"] and reply["error"]["code"] == "media_error"


# --- revocation (item 6) ---------------------------------------------------------------------


def _account(hub: Hub, name: str, role: str = "administrator", station: Optional[str] = None) -> int:
    from store.accounts import create_account

    with DB(hub.engine) as db:
        return create_account(db, None, hub.config.matrix, name, "long-password", role, station=station).id


async def _login(http: aiohttp.ClientSession, hub: Hub, name: str) -> dict:
    async with http.post(hub.url + "/api/auth/login", json={"username": name, "password": "long-password"}) as r:
        assert r.status == 200, await r.text()
        return {"Authorization": "Bearer " + (await r.json())["token"]}


async def test_deactivating_a_dispatcher_ends_its_live_control_at_once(start_hub):
    hub = await start_hub()
    _account(hub, "admin")
    dispatcher_id = _account(hub, "tmp", "dispatcher", "jiaxing")
    station = await hub.joined("xucun")
    console = await hub.joined(token=tokens.sign(hub.secret, "demo", f"account:{dispatcher_id}", "dispatcher", 3600))
    assert (await console.call("control", {"action": "rollCall", "participantId": station.me["id"]}))["ok"]
    async with aiohttp.ClientSession() as http:
        admin = await _login(http, hub, "admin")
        async with http.post(f"{hub.url}/api/accounts/{dispatcher_id}/deactivate", headers=admin) as r:
            assert r.status == 200, await r.text()
    assert await console.wait_for("kicked") == {"reason": "revoked"}
    await _gone(console)
    left = await station.wait_for("participantLeft", lambda d: d["participantId"] == console.me["id"])
    assert left["reason"] == "revoked"


async def test_each_control_action_checks_the_account_again(start_hub):
    """Deactivated behind this process's back (another hub process, or the
    database directly): the next action is refused and the socket closed."""
    from store.accounts import deactivate_account

    hub = await start_hub()
    dispatcher_id = _account(hub, "tmp2", "dispatcher", "jiaxing")
    station = await hub.joined("xucun")
    console = await hub.joined(token=tokens.sign(hub.secret, "demo", f"account:{dispatcher_id}", "dispatcher", 3600))
    with DB(hub.engine) as db:
        deactivate_account(db, Actor(role=Role.ADMINISTRATOR), hub.config.matrix, dispatcher_id)
    reply = await console.call("control", {"action": "mute", "participantId": station.me["id"], "on": True})
    assert not reply["ok"] and reply["error"]["code"] == "forbidden"
    await _gone(console)
    assert not hub.app[SIGNALING_KEY]._controls["demo"].muted  # nothing applied


async def test_revoking_an_invitation_ends_the_deputys_connection(start_hub):
    from store.deputies import create_deputy
    from store.live_sessions import session_info
    from store import invitations

    hub = await start_hub()
    _account(hub, "admin3")
    admin = Actor(role=Role.ADMINISTRATOR)
    with DB(hub.engine) as db:
        deputy = create_deputy(db, admin, hub.config.matrix, "王建国", "haining", "xucun")
        number = session_info(db, "demo").number
        invitation, _ = invitations.invite(db, make_repo(hub.config), admin, number, deputy.id, datetime.now(timezone.utc))
        deputy_id, invitation_id = deputy.id, invitation.id
    station = await hub.joined("xucun")
    phone = await hub.joined(token=tokens.sign(hub.secret, "demo", f"deputy:{deputy_id}", "deputy", 3600))
    async with aiohttp.ClientSession() as http:
        headers = await _login(http, hub, "admin3")
        async with http.delete(f"{hub.url}/api/sessions/{number}/invitations/{invitation_id}", headers=headers) as r:
            assert r.status == 200, await r.text()
    assert await phone.wait_for("kicked") == {"reason": "revoked"}
    await _gone(phone)
    assert station.sio.connected


# --- health and metrics (item 10) --------------------------------------------------------------


async def test_health_is_anonymous_and_metrics_need_the_token(start_hub):
    token = "prometheus-scrape-token-1"
    hub = await start_hub(metrics=_metrics(token=token))
    member = await hub.joined("xucun")
    async with aiohttp.ClientSession() as http:
        async with http.get(hub.url + "/healthz") as r:
            text = await r.text()
            health = await r.json()
        assert health["rooms"] == 1 and health["participants"] == 1
        assert "demo" not in text and "xucun" not in text and member.me["id"] not in text
        async with http.get(hub.url + "/metrics") as r:
            assert r.status == 401 and "xucun" not in await r.text()
        async with http.get(hub.url + "/metrics", headers={"Authorization": "Bearer wrong-token-000000"}) as r:
            assert r.status == 401
        async with http.get(hub.url + "/metrics", headers={"Authorization": f"Bearer {token}"}) as r:
            text = await r.text()
            assert r.status == 200 and r.content_type == "text/plain"
    # Prometheus reads the relay's figures per participant
    assert 'liaison_media{name="participants"} 1.0' in text
    assert "liaison_participant_audio_level_dbov" in text
    # through prometheus-client (issue 14): process, HTTP, session and opinion families too
    assert "process_cpu_seconds_total" in text and "process_resident_memory_bytes" in text
    assert 'liaison_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'liaison_http_requests_total{method="GET",route="/metrics",status="401"} 2.0' in text
    assert 'liaison_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text
    assert "liaison_rooms 1.0" in text and 'liaison_room_participants{room="demo"} 1.0' in text
    assert 'liaison_sessions{status=' in text and "# TYPE liaison_opinions gauge" in text


async def test_metrics_are_off_unless_configured(start_hub):
    closed = await start_hub()
    opened = await start_hub(metrics=_metrics(open=True))
    async with aiohttp.ClientSession() as http:
        async with http.get(closed.url + "/metrics") as r:
            assert r.status == 404
        async with http.get(opened.url + "/metrics") as r:
            assert r.status == 200


def _metrics(**values: Any):
    from hub.config import MetricsSettings

    return MetricsSettings(**values)


# --- security headers (item 2) -----------------------------------------------------------------


async def test_every_response_carries_the_security_headers(start_hub):
    hub = await start_hub()
    ws = hub.url.replace("http://", "ws://")
    async with aiohttp.ClientSession() as http:
        for path in ("/join/demo", "/console", "/healthz", "/api/openapi.json", "/api/auth/me"):
            async with http.get(hub.url + path) as r:
                csp = r.headers.get("Content-Security-Policy", "")
                assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
                assert "script-src 'self';" in csp and "unsafe-inline" not in csp, path
                assert f"connect-src 'self' {ws}" in csp, path
                assert r.headers.get("X-Content-Type-Options") == "nosniff", path
                assert r.headers.get("Referrer-Policy") == "no-referrer", path
        async with http.get(hub.url + "/api/docs") as r:  # Swagger UI from the hub's assets: the usual policy
            csp = r.headers["Content-Security-Policy"]
            assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
