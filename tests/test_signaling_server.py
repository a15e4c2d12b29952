"""The signaling protocol over a real Socket.IO connection, with a recording
media plane in place of WebRTC."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import socketio
from aiohttp import web

from core import tokens
from media.interface import MediaError
from signaling import events
from hub.app import create_app, make_repo, secret_key
from hub.keys import ENGINE_KEY, SCHEDULER_KEY, SIGNALING_KEY
from tests.fake_media import FakeMedia


class Station:
    """A Socket.IO client that records every server event."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: list[tuple[str, dict]] = []
        self.sio.on("*", self._record)

    async def _record(self, event, data=None):
        self.received.append((event, data))

    async def connect(self):
        await self.sio.connect(self.url, transports=["websocket"])
        return self

    async def call(self, event, data=None):
        return await self.sio.call(event, data, timeout=5)

    def events(self, name):
        return [d for e, d in self.received if e == name]

    async def wait_for(self, name, predicate=lambda d: True, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for data in self.events(name):
                if predicate(data):
                    return data
            await asyncio.sleep(0.02)
        raise AssertionError(f"no {name} event matching; got {self.received}")


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["in-process", "redis"])
async def hub(request, config):
    """The hub with in-process signaling (embedded default) and with
    python-socketio's Redis manager (production), against a real Redis."""
    if request.param == "redis":
        import redis.asyncio
        try:
            client = redis.asyncio.Redis.from_url(REDIS_URL)
            await client.ping()
            await client.aclose()
        except Exception as exc:
            pytest.fail(f"Redis is needed at {REDIS_URL} ({exc}); run `make test`, which starts it")
        settings = config.settings.model_copy(update={"redis_url": REDIS_URL})
        config = dataclasses.replace(config, settings=settings)  # departments and scoring kept
    media = FakeMedia()
    app = create_app(config, media=media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    secret = secret_key(config)
    clients: list[Station] = []

    class Hub:
        url = f"http://127.0.0.1:{port}"

        def __init__(self):
            self.media = media
            self.app = app
            self.engine = app[ENGINE_KEY]
            self.config = config

        def deputy_token(self, deputy_id, session="demo", ttl=3600):
            return tokens.sign(secret, session, f"deputy:{deputy_id}", "deputy", ttl)

        def token(self, station="xucun", session="demo", ttl=3600, **kw):
            return tokens.sign(secret, session, f"station:{station}", "station", ttl, **kw)

        async def station(self):
            client = await Station(self.url).connect()
            clients.append(client)
            return client

        async def joined(self, station="xucun", lang="zh-CN"):
            client = await self.station()
            reply = await client.call("join", {"token": self.token(station), "lang": lang})
            assert reply["ok"], reply
            client.me = reply["self"]
            return client

    yield Hub()
    for client in clients:
        if client.sio.connected:
            try:  # a client the hub already dropped may not answer any more
                await asyncio.wait_for(client.sio.disconnect(), 5)
            except (asyncio.TimeoutError, Exception):
                pass
    await asyncio.wait_for(runner.cleanup(), 30)


async def test_join_answers_identity_participants_and_ice_servers(hub):
    first = await hub.joined("xucun")
    assert first.me["station"]["code"] == "xucun"
    assert first.me["displayName"] == "许村镇人大代表联络站"
    second = await hub.station()
    reply = await second.call("join", {"token": hub.token("changan")})
    assert reply["ok"]
    assert reply["session"]["id"] == "demo" and reply["session"]["title"] == "演示会议"
    assert reply["session"]["titleEn"] == "Demo session" and isinstance(reply["session"]["number"], int)
    assert [p["station"]["code"] for p in reply["participants"]] == ["xucun"]
    assert reply["iceServers"] == []
    joined = await first.wait_for("participantJoined")
    assert joined["participant"]["station"]["code"] == "changan"
    # everyone receives everyone else (nobody sends video yet: audio only)
    assert hub.media.received(first.me["id"]) == [reply["self"]["id"]]
    assert hub.media.received(reply["self"]["id"]) == [first.me["id"]]
    assert reply["control"]["stage"] is None and reply["control"]["layout"] == "1+N"  # nobody sends video yet
    await second.wait_for("subscribeOffer")


async def test_offer_answer_and_trickled_candidates_reach_the_media_plane(hub):
    station = await hub.joined()
    pid = station.me["id"]
    reply = await station.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"})
    assert reply == {"ok": True, "sdp": "v=0 answer-for-" + pid, "type": "answer"}
    assert (await station.call("publishIce", {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}))["ok"]
    assert (await station.call("publishIce", {"candidate": None}))["ok"]
    assert (await station.call("subscribeAnswer", {"sdp": "v=0 answer", "type": "answer"}))["ok"]
    ice = [c for c in hub.media.calls if c[0] == "ice"]
    assert ice[0][2] == "publish" and ice[0][3].sdp_mid == "0"
    assert ice[1][3].candidate is None  # end-of-candidates
    assert ("answer", pid, "v=0 answer") in hub.media.calls
    updated = await station.wait_for("participantUpdated", lambda d: d["participant"]["publishing"] == ["audio", "video"])
    assert updated["participant"]["id"] == pid



async def test_a_refusal_of_the_media_plane_is_media_error_and_a_fault_is_internal_error(hub, caplog):
    """The seam names what the relay refuses (media.interface.MediaError → media_error); any
    other exception is a fault of the hub: logged, and answered internal_error (issue 11)."""
    station = await hub.joined()
    hub.media.fail_publish = MediaError("the offer is not valid SDP")
    reply = await station.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"})
    assert not reply["ok"] and reply["error"]["code"] == "media_error"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    hub.media.fail_publish = RuntimeError("a bug in the relay")
    reply = await station.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"})
    assert not reply["ok"] and reply["error"]["code"] == "internal_error"
    assert any("publishOffer" in r.getMessage() and r.exc_info for r in caplog.records if r.levelname == "ERROR")
    hub.media.fail_publish = None
    assert (await station.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"}))["ok"]  # the socket lives on

@pytest.mark.parametrize("event,payload,field", [
    ("join", {}, "token"),
    ("join", {"token": 5}, "token"),
    ("join", "text", "payload"),
    ("join", {"token": "x", "lang": "fr"}, "lang"),
    ("join", {"token": "x", "extra": 1}, "extra"),
])
async def test_malformed_event_gets_error_and_connection_stays(hub, event, payload, field):
    station = await hub.station()
    reply = await station.call(event, payload)
    assert reply["ok"] is False
    assert reply["error"]["code"] == "invalid_payload"
    if field == "payload":
        assert reply["error"]["reason"] == "payload_not_object"
    else:
        assert field in reply["error"]["message"]
    error = await station.wait_for("error")
    assert error["event"] == event
    assert station.sio.connected
    assert hub.media.calls == []
    # and the same connection can still join
    assert (await station.call("join", {"token": hub.token()}))["ok"]


async def test_media_events_before_join_are_refused(hub):
    station = await hub.station()
    reply = await station.call("publishOffer", {"sdp": "v=0", "type": "offer"})
    assert reply["error"]["code"] == "not_joined"
    assert hub.media.calls == []


async def test_expired_forged_and_foreign_tokens_are_refused(hub):
    station = await hub.station()
    expired = hub.token(ttl=10, now=time.time() - 60)
    assert (await station.call("join", {"token": expired}))["error"]["code"] == "token_expired"
    forged = tokens.sign(b"x" * 64, "demo", "station:xucun", "station", 60)
    assert (await station.call("join", {"token": forged, "lang": "en"}))["error"] == {
        "code": "token_invalid", "message": "The join link is not valid", "event": "join"}
    assert (await station.call("join", {"token": hub.token(session="nope")}))["error"]["code"] == "session_not_found"
    assert (await station.call("join", {"token": hub.token(station="atlantis")}))["error"]["code"] == "station_not_found"
    assert hub.media.calls == []


async def test_media_state_is_broadcast(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    assert (await b.call("mediaState", {"camera": False, "mic": True}))["ok"]
    update = await a.wait_for("participantUpdated", lambda d: d["participant"]["id"] == b.me["id"])
    assert update["participant"]["media"] == {"camera": False, "mic": True}
    assert (await b.call("mediaState", {"camera": "yes", "mic": True}))["error"]["code"] == "invalid_payload"


async def test_leave_and_disconnect_remove_participant(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    c = await hub.joined("yanguan")
    assert (await b.call("leave", {}))["ok"]
    left = await a.wait_for("participantLeft")
    assert left == {"participantId": b.me["id"], "reason": "left"}
    assert ("leave", b.me["id"]) in hub.media.calls
    assert hub.media.received(a.me["id"]) == [c.me["id"]]
    await c.sio.disconnect()
    gone = await a.wait_for("participantLeft", lambda d: d["participantId"] == c.me["id"])
    assert gone["reason"] == "disconnected"
    assert hub.media.received(a.me["id"]) == []


async def test_rejoin_of_same_station_replaces_the_old_connection(hub):
    old = await hub.joined("xucun")
    watcher = await hub.joined("changan")
    new = await hub.joined("xucun")
    assert (await old.wait_for("kicked")) == {"reason": "replaced"}
    left = await watcher.wait_for("participantLeft")
    assert left == {"participantId": old.me["id"], "reason": "replaced"}
    assert hub.media.received(watcher.me["id"]) == [new.me["id"]]


async def test_audio_levels_mark_the_speaker(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    hub.media.levels = {a.me["id"]: 127, b.me["id"]: 25}
    levels = await a.wait_for("audioLevels", lambda d: d["speaking"] == b.me["id"])
    assert levels["levels"][b.me["id"]] == 25


async def test_health_reports_rooms(hub):
    await hub.joined("xucun")
    import aiohttp
    async with aiohttp.ClientSession() as http:
        async with http.get(hub.url + "/healthz") as response:
            assert (await response.json())["rooms"] == 1


async def test_station_that_stops_answering_is_removed(config):
    """A station whose network goes away sends nothing more, not even a close:
    it is removed once it misses the Socket.IO pings and does not resume within
    signaling.resume_seconds."""
    import json

    import aiohttp

    settings = config.settings.model_copy(
        update={"signaling": config.settings.signaling.model_copy(
            update={"ping_interval": 0.5, "ping_timeout": 0.5, "resume_seconds": 0.5})}
    )
    config = type(config)(settings, config.matrix, config.categories, config.config_dir)
    media = FakeMedia()
    app = create_app(config, media=media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    watcher = await Station(url).connect()
    try:
        assert (await watcher.call("join", {"token": tokens.sign(secret_key(config), "demo", "station:changan", "station", 60)}))["ok"]
        async with aiohttp.ClientSession() as http:
            # A bare Engine.IO client that joins and then never answers a ping.
            async with http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket") as ws:
                await ws.receive()  # open packet
                await ws.send_str("40")
                await ws.receive()  # namespace connected
                token = tokens.sign(secret_key(config), "demo", "station:xucun", "station", 60)
                await ws.send_str("42" + json.dumps(["join", {"token": token}]))
                started = time.monotonic()
                left = await watcher.wait_for("participantLeft", timeout=5)
                assert left["reason"] == "disconnected"
                # missed pings, then resume_seconds to come back (tests/test_resume.py)
                assert time.monotonic() - started < 3.5
        assert [c[0] for c in media.calls].count("leave") == 1
    finally:
        await watcher.sio.disconnect()
        await runner.cleanup()


def _session(hub, start, end, stations=("xucun", "changan")):
    from sqlmodel import Session as DB
    from core.scope import Actor, Role
    from store.sessions import SessionPlan
    from datetime import datetime, timezone
    with DB(hub.engine) as db:
        row = make_repo(hub.config).create(
            db, Actor(role=Role.ADMINISTRATOR),
            SessionPlan(title="许村、长安联动", chair="haining", stations=stations, start=start, end=end),
            now=datetime.now(timezone.utc),
        )
        return row.id


async def test_a_session_that_has_not_opened_cannot_be_joined(hub):
    from datetime import datetime, timedelta, timezone
    start = datetime.now(timezone.utc) + timedelta(days=2)
    number = _session(hub, start, start + timedelta(hours=1))
    station = await hub.station()
    reply = await station.call("join", {"token": hub.token("xucun", session=str(number))})
    assert reply["error"]["code"] == "session_closed"
    reply = await station.call("join", {"token": hub.token("yanguan", session="demo")})
    assert reply["ok"]


async def test_a_session_rest_shows_in_its_lobby_is_joinable_before_the_next_tick(hub):
    """Regression: REST derived the state from the clock (lobby) while join
    read the status column the scheduler writes each tick (still scheduled):
    the join link REST handed out was refused as session_closed for up to a
    tick.  Join now reads the state REST reports."""
    from datetime import datetime, timedelta, timezone
    from sqlmodel import Session as DB
    from scheduler.lifecycle import State
    from store.models import LinkedSession
    await hub.app[SCHEDULER_KEY].stop()  # no tick between the creation and the join
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(minutes=5), now + timedelta(hours=1))
    with DB(hub.engine) as db:
        row = db.get(LinkedSession, number)
        row.status = "scheduled"  # as the last tick left it
        db.add(row)
        db.commit()
        assert make_repo(hub.config).session_state(db, number, datetime.now(timezone.utc)) is State.LOBBY  # REST's
    station = await hub.station()
    reply = await station.call("join", {"token": hub.token("xucun", session=str(number))})
    assert reply["ok"], reply


async def test_a_live_session_that_ends_closes_its_room(hub):
    from datetime import datetime, timedelta, timezone
    from sqlmodel import Session as DB
    from store.models import LinkedSession
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=2), now + timedelta(hours=1))
    await hub.app[SCHEDULER_KEY].tick()  # lobby is open 15 minutes before
    a = await hub.station()
    assert (await a.call("join", {"token": hub.token("xucun", session=str(number))}))["ok"]
    b = await hub.station()
    assert (await b.call("join", {"token": hub.token("changan", session=str(number))}))["ok"]
    assert (await b.call("join", {"token": hub.token("yanguan", session=str(number))}))["error"]["code"] == "station_not_found"
    with DB(hub.engine) as db:  # the dispatcher ends it early
        row = db.get(LinkedSession, number)
        row.status = "ended"
        db.add(row)
        db.commit()
    from store.live_sessions import SessionDirectory
    info = await SessionDirectory(hub.engine, hub.config.matrix).get(str(number))
    await hub.app[SIGNALING_KEY].session_changed(info)
    ended = await a.wait_for("sessionEnded")
    assert ended == {"sessionId": str(number), "status": "ended"}
    assert hub.app[SIGNALING_KEY].presence.rooms == {}


async def test_an_invited_deputy_joins_by_name_and_others_do_not(hub):
    from datetime import datetime, timezone
    from sqlmodel import Session as DB
    from core.scope import Actor, Role
    from store import invitations
    from store.deputies import create_deputy
    from store.live_sessions import session_info
    admin = Actor(role=Role.ADMINISTRATOR)
    with DB(hub.engine) as db:
        invited = create_deputy(db, admin, hub.config.matrix, "王建国", "haining", "xucun")
        other = create_deputy(db, admin, hub.config.matrix, "李梅", "town", "changan")
        demo = session_info(db, "demo")
        invitations.invite(db, make_repo(hub.config), admin, demo.number, invited.id, datetime.now(timezone.utc))
        invited_id, other_id = invited.id, other.id
    phone = await hub.station()
    reply = await phone.call("join", {"token": hub.deputy_token(invited_id)})
    assert reply["ok"], reply
    assert reply["ok"] and reply["self"]["displayName"] == "王建国" and reply["self"]["role"] == "deputy"
    stranger = await hub.station()
    assert (await stranger.call("join", {"token": hub.deputy_token(other_id)}))["error"]["code"] == "not_invited"


def _dispatcher_token(hub, role="administrator", station=None):
    from sqlmodel import Session as DB
    from store.accounts import create_account
    with DB(hub.engine) as db:
        account = create_account(db, None, hub.config.matrix, f"d-{role}-{station}", "long-password", role, station=station)
        account_id = account.id
    return tokens.sign(secret_key(hub.config), "demo", f"account:{account_id}", "dispatcher", 3600), account_id


async def dispatcher(hub, **kw):
    token, account_id = _dispatcher_token(hub, **kw)
    client = await hub.station()
    reply = await client.call("join", {"token": token})
    assert reply["ok"], reply
    client.me = reply["self"]
    return client


async def test_only_a_dispatcher_in_scope_controls_the_session(hub):
    station = await hub.joined("xucun")
    assert (await station.call("control", {"action": "muteAll", "on": True}))["error"]["code"] == "forbidden"
    # a Haining dispatcher cannot control the demo, which includes Jiaxing
    token, _ = _dispatcher_token(hub, role="dispatcher", station="haining")
    outsider = await hub.station()
    assert (await outsider.call("join", {"token": token}))["error"]["code"] == "forbidden"
    assert ("forwarding", station.me["id"], "audio", False) not in hub.media.calls


async def test_roll_call_mute_and_hands_are_enforced_at_the_relay(hub):
    from sqlmodel import Session as DB, select
    from store.models import AuditEntry
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    c = await hub.joined("yanguan")
    for s in (a, b, c):
        await s.call("publishOffer", {"sdp": "v=0", "type": "offer"})

    reply = await console.call("control", {"action": "rollCall", "participantId": b.me["id"]})
    assert reply["ok"] and reply["control"]["stage"] == b.me["id"] and reply["control"]["floor"] == b.me["id"]
    state = await a.wait_for("control", lambda d: d["floor"] == b.me["id"])
    assert state["heard"] == [b.me["id"]]
    assert ("forwarding", a.me["id"], "audio", False) in hub.media.calls
    assert ("forwarding", c.me["id"], "audio", False) in hub.media.calls
    assert ("forwarding", b.me["id"], "audio", False) not in hub.media.calls
    assert b.me["id"] in hub.media.subscriptions[a.me["id"]]

    # a raised hand, approved, gets the floor
    assert (await c.call("raiseHand", {}))["ok"]
    waiting = await console.wait_for("control", lambda d: [h["participantId"] for h in d["hands"]] == [c.me["id"]])
    assert waiting["hands"][0]["waitingSeconds"] >= 0
    assert (await console.call("control", {"action": "approveHand", "participantId": c.me["id"]}))["ok"]
    state = await a.wait_for("control", lambda d: d["floor"] == c.me["id"])
    assert state["heard"] == [c.me["id"]] and state["hands"] == []
    assert ("forwarding", c.me["id"], "audio", True) in hub.media.calls

    # mute one, refused actions, layout
    assert (await console.call("control", {"action": "mute", "participantId": c.me["id"], "on": True}))["ok"]
    assert (await a.wait_for("control", lambda d: c.me["id"] in d["muted"]))["heard"] == []
    refused = await console.call("control", {"action": "approveHand", "participantId": a.me["id"]})
    assert refused["error"]["code"] == "control_refused"
    assert (await console.call("control", {"action": "layout", "layout": "9x9"}))["error"]["code"] == "invalid_payload"
    assert (await console.call("control", {"action": "layout", "layout": "2x2"}))["ok"]
    await a.wait_for("control", lambda d: d["layout"] == "2x2")

    # every action is in the audit log and shown live to dispatchers
    logs = [e["action"] for e in console.events("controlLog")]
    assert logs[:4] == ["rollCall", "approveHand", "mute", "layout"] or logs[:3] == ["rollCall", "approveHand", "mute"]
    with DB(hub.engine) as db:
        actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.action.like("live.%"))).all()]
    assert actions == ["live.rollCall", "live.approveHand", "live.mute", "live.layout"]


async def test_remove_and_lock(hub):
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    assert (await console.call("control", {"action": "remove", "participantId": b.me["id"]}))["ok"]
    assert (await b.wait_for("kicked")) == {"reason": "removed"}
    assert (await a.wait_for("participantLeft", lambda d: d["participantId"] == b.me["id"]))["reason"] == "removed"
    assert (await console.call("control", {"action": "lock", "on": True}))["ok"]
    late = await hub.station()
    assert (await late.call("join", {"token": hub.token("yanguan")}))["error"]["code"] == "session_locked"
    assert (await console.call("control", {"action": "lock", "on": False}))["ok"]
    assert (await late.call("join", {"token": hub.token("yanguan")}))["ok"]


async def test_fourteen_stations_each_receive_the_stage_and_eight_thumbnails(hub):
    codes = ["jiaxing", "haining", "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan",
             "zhouwangmiao", "yanguan", "xieqiao", "dingqiao", "yuanhua", "huangwan"]
    stations = [await hub.joined(code) for code in codes]
    for s in stations:
        await s.call("publishOffer", {"sdp": "v=0", "type": "offer"})
    ids = [s.me["id"] for s in stations]
    for pid in ids:
        video = hub.media.subscriptions[pid]
        assert len(video) == (9 if pid != ids[0] else 8), video  # the stage sees no picture of itself
        assert ids[0] in video or pid == ids[0]
        assert hub.media.audio_subscriptions[pid] == sorted(set(ids) - {pid})  # everyone is heard


async def test_dispatchers_see_every_station_monitored(hub):
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    await a.call("mediaState", {"camera": True, "mic": True})
    # A monitor round may have gone out between the join and the camera switched on:
    # wait for the first one that shows the camera on.
    tiles = await console.wait_for(
        "monitor", lambda d: any(t["participantId"] == a.me["id"] and t["camera"] for t in d["participants"])
    )
    tile = next(t for t in tiles["participants"] if t["participantId"] == a.me["id"])
    assert tile["displayName"] == "许村镇人大代表联络站" and tile["camera"] is True
    assert "warnings" in tile and "packetLoss" in tile
    assert a.events("monitor") == []  # stations do not get it


async def test_the_live_console_over_rest(hub):
    """Each control is also a REST call, checked against the dispatcher's scope."""
    import aiohttp
    from sqlmodel import Session as DB
    from store.accounts import create_account
    from store.live_sessions import session_info
    with DB(hub.engine) as db:
        create_account(db, None, hub.config.matrix, "jx", "long-password", "dispatcher", station="jiaxing")
        create_account(db, None, hub.config.matrix, "hn", "long-password", "dispatcher", station="haining")
        number = session_info(db, "demo").number
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    async with aiohttp.ClientSession() as http:
        async def login(name):
            async with http.post(hub.url + "/api/auth/login", json={"username": name, "password": "long-password"}) as r:
                assert r.status == 200, await r.text()
                return {"Authorization": "Bearer " + (await r.json())["token"]}
        jx, hn = await login("jx"), await login("hn")
        url = f"{hub.url}/api/sessions/{number}/live"
        async with http.post(url + "/control", json={"action": "rollCall", "participantId": b.me["id"]}, headers=hn) as r:
            assert r.status == 403
        async with http.post(url + "/control", json={"action": "rollCall", "participantId": b.me["id"]}, headers=jx) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["control"]["floor"] == b.me["id"]
        await a.wait_for("control", lambda d: d["floor"] == b.me["id"])
        async with http.post(url + "/control", json={"action": "approveHand", "participantId": a.me["id"]}, headers=jx) as r:
            assert r.status == 409 and (await r.json())["error"]["code"] == "control_refused"
        async with http.get(url, headers=jx) as r:
            state = await r.json()
            assert state["control"]["stage"] == b.me["id"] and len(state["participants"]) == 2
        async with http.get(f"{hub.url}/api/sessions/{number}/console-link", headers=jx) as r:
            link = (await r.json())["url"]
    grant = tokens.verify(secret_key(hub.config), link.split("#token=")[1])
    assert grant.role == "dispatcher" and grant.subject.startswith("account:") and grant.session_id == "demo"
    console = await hub.station()
    assert (await console.call("join", {"token": link.split("#token=")[1]}))["ok"]


#: (payload, reason): refused alike by the socket event and by REST (one schema, events.Control)
CONTROL_REFUSALS = [
    ({"action": "startPolling", "order": ["a", "b"], "interval": 0}, "field_at_least"),
    ({"action": "startPolling", "order": ["a", "b"]}, "interval_required"),
    ({"action": "startPolling", "interval": 5}, "order_required"),
    ({"action": "mute", "on": True}, "participant_required"),
    ({"action": "lock"}, "on_required"),
    ({"action": "layout"}, "layout_required"),
    ({"action": "layout", "layout": "9x9"}, "field_choice"),
    ({"action": "dance"}, "field_choice"),
    ({"action": "lock", "on": True, "colour": "red"}, "field_unknown"),
]


async def test_one_control_schema_for_the_socket_and_rest(hub):
    """issue 8: REST had its own control model (no ``end``, a polling interval
    of 0 let through); both transports now validate with events.Control."""
    import aiohttp
    from sqlmodel import Session as DB
    from api import live as api_live
    from api.routes import OPERATIONS
    from store.accounts import create_account
    from store.live_sessions import session_info

    route = next(op for op in OPERATIONS if op.path == "/sessions/{id}/live/control")
    assert route.body is events.Control and "end" in events.CONTROL_ACTIONS
    assert api_live.LiveControlIn is events.Control
    with DB(hub.engine) as db:
        create_account(db, None, hub.config.matrix, "jx", "long-password", "dispatcher", station="jiaxing")
        number = session_info(db, "demo").number
    station = await hub.joined("xucun")
    console = await dispatcher(hub)
    async with aiohttp.ClientSession() as http:
        async with http.post(hub.url + "/api/auth/login", json={"username": "jx", "password": "long-password"}) as r:
            headers = {"Authorization": "Bearer " + (await r.json())["token"], "Accept-Language": "en"}
        url = f"{hub.url}/api/sessions/{number}/live/control"
        for payload, reason in CONTROL_REFUSALS:
            socket_reply = await console.call("control", payload)
            assert socket_reply["ok"] is False and socket_reply["error"]["code"] == "invalid_payload", payload
            assert socket_reply["error"]["reason"] == reason, (payload, socket_reply)
            async with http.post(url, json=payload, headers=headers) as r:
                rest_reply = await r.json()
                assert r.status == 400 and rest_reply["error"]["code"] == "invalid_payload", (payload, rest_reply)
                assert rest_reply["error"]["reason"] == reason, (payload, rest_reply)
        # the smallest interval is taken by both
        order = [station.me["id"], console.me["id"]]
        assert (await console.call("control", {"action": "startPolling", "order": order, "interval": 3}))["ok"]
        assert (await console.call("control", {"action": "stopPolling"}))["ok"]
        async with http.post(url, json={"action": "startPolling", "order": order, "interval": 3}, headers=headers) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["control"]["polling"] is not None


async def test_a_deputys_presence_becomes_one_duty_record(hub):
    """一人一次一记一赋分: a deputy present in a live session earns one record
    for it, however often it rejoins; the minutes are added up."""
    from datetime import datetime, timezone
    from sqlmodel import Session as DB, select
    from core.scope import Actor, Role
    from store import invitations
    from store.deputies import create_deputy
    from store.live_sessions import session_info
    from store.opinion_models import DutyRecord
    admin = Actor(role=Role.ADMINISTRATOR)
    with DB(hub.engine) as db:
        deputy_id = create_deputy(db, admin, hub.config.matrix, "王建国", "haining", "xucun").id
        demo = session_info(db, "demo")
        invitations.invite(db, make_repo(hub.config), admin, demo.number, deputy_id, datetime.now(timezone.utc))
    server = hub.app[SIGNALING_KEY]
    for minutes in (8, 7):  # two stays, each below the 10-minute minimum, together above
        phone = await hub.station()
        reply = await phone.call("join", {"token": hub.deputy_token(deputy_id)})
        assert reply["ok"], reply
        server.presence.by_id(reply["self"]["id"]).joined_at -= minutes * 60
        assert (await phone.call("leave", {}))["ok"]
        await phone.sio.disconnect()
    with DB(hub.engine) as db:
        records = db.exec(select(DutyRecord).where(DutyRecord.deputy_id == deputy_id)).all()
    assert len(records) == 1
    assert 14.9 <= records[0].minutes <= 15.2 and records[0].points == 1


async def test_a_dispatcher_ends_the_session_for_all(hub):
    from datetime import datetime, timedelta, timezone
    from sqlmodel import Session as DB, select
    from store.models import AuditEntry, LinkedSession
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()  # live now
    token, account_id = _dispatcher_token(hub)
    console_token = tokens.sign(secret_key(hub.config), str(number), f"account:{account_id}", "dispatcher", 600)
    console = await hub.station()
    assert (await console.call("join", {"token": console_token}))["ok"]
    a = await hub.station()
    assert (await a.call("join", {"token": hub.token("xucun", session=str(number))}))["ok"]
    assert (await console.call("control", {"action": "end"}))["ok"]
    assert (await a.wait_for("sessionEnded")) == {"sessionId": str(number), "status": "ended"}
    with DB(hub.engine) as db:
        assert db.get(LinkedSession, number).status == "ended"
        actions = [e.action for e in db.exec(select(AuditEntry).where(AuditEntry.target_id == str(number))).all()]
    assert "live.end" in actions and "session.occurrence.end" in actions
    late = await hub.station()
    assert (await late.call("join", {"token": hub.token("changan", session=str(number))}))["error"]["code"] == "session_closed"


async def test_ending_the_standing_demo_empties_its_room_and_it_stays_open(hub):
    console = await dispatcher(hub)
    a = await hub.joined("xucun")
    assert (await console.call("control", {"action": "end"}))["ok"]
    await a.wait_for("sessionEnded")
    again = await hub.station()
    assert (await again.call("join", {"token": hub.token("xucun")}))["ok"]


async def test_a_live_page_captures_an_opinion_with_its_join_token(hub):
    """The station page has no login: its join token opens opinion capture
    (as the station's operator) and nothing else."""
    import uuid
    from datetime import datetime, timedelta, timezone
    import aiohttp
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    await asyncio.sleep(2.2)
    await hub.app[SCHEDULER_KEY].tick()  # live now, for two seconds
    station = await hub.station()
    reply = await station.call("join", {"token": hub.token("xucun", session=str(number))})
    assert reply["ok"] and reply["session"]["number"] == number
    headers = {"Authorization": "Bearer " + hub.token("xucun", session=str(number))}
    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "夜间工地噪声", "residentName": "李先生", "residentContact": "139", "sessionId": number}
    async with aiohttp.ClientSession() as http:
        async with http.get(hub.url + "/api/auth/me", headers=headers) as r:
            me = await r.json()
            assert r.status == 200 and me["role"] == "operator" and me["station"] == "xucun"
        async with http.post(hub.url + "/api/opinions", json=body, headers=headers) as r:
            made = await r.json()
            assert r.status == 201, made
            assert made["sessionId"] == number and made["sessionOffset"] >= 1  # seconds into the session
        async with http.post(hub.url + "/api/opinions", json=body, headers=headers) as r:
            assert r.status == 200 and (await r.json())["id"] == made["id"]  # a retry, not a copy
        async with http.post(hub.url + "/api/opinions", json={**body, "clientKey": str(uuid.uuid4()), "station": "changan"},
                             headers=headers) as r:
            assert r.status == 403  # only its own station
        async with http.get(hub.url + "/api/opinions", headers=headers) as r:
            assert r.status == 403  # the database of opinions needs a login
        forged = {"Authorization": "Bearer " + tokens.sign(b"x" * 64, str(number), "station:xucun", "station", 60)}
        async with http.post(hub.url + "/api/opinions", json=body, headers=forged) as r:
            assert r.status == 401


async def test_dispatchers_of_the_session_hear_of_its_opinions_at_once(hub):
    """A capture (here over REST with the station's join token) and each later
    handling step reach every dispatcher in the opinion's live session, and
    nobody else: not the stations, not a dispatcher of another session."""
    import uuid
    from datetime import datetime, timedelta, timezone
    import aiohttp
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()
    _, account_id = _dispatcher_token(hub)
    console = await hub.station()
    console_token = tokens.sign(secret_key(hub.config), str(number), f"account:{account_id}", "dispatcher", 600)
    assert (await console.call("join", {"token": console_token}))["ok"]
    elsewhere = await dispatcher(hub, role="dispatcher", station="jiaxing")  # in the demo, not this session
    station = await hub.station()
    station_token = hub.token("xucun", session=str(number))
    assert (await station.call("join", {"token": station_token}))["ok"]

    body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
            "summary": "夜间工地噪声", "residentName": "李先生", "residentContact": "139", "sessionId": number}
    async with aiohttp.ClientSession() as http:
        async def post(path, payload, headers):
            async with http.post(hub.url + "/api" + path, json=payload, headers=headers) as r:
                return r.status, await r.json()

        status, made = await post("/opinions", body, {"Authorization": "Bearer " + station_token})
        assert status == 201, made
        heard = await console.wait_for("opinionCaptured")
        opinion = heard["opinion"]
        assert heard["action"] == "submit"
        assert opinion["id"] == made["id"] and opinion["sessionId"] == number
        assert made["sessionOffset"] is not None and opinion["sessionOffset"] == made["sessionOffset"]
        assert opinion["raiserName"] == "李先生" and opinion["raisedBy"] == "resident"
        assert opinion["categoryName"] == "噪声扰民" and opinion["stationName"] == "许村镇人大代表联络站"
        assert opinion["categoryNameEn"] == "Noise nuisance" and opinion["stationNameEn"] == "Xucun Town Station"
        assert opinion["reference"] == made["reference"] == f"MQ{datetime.fromisoformat(made['receivedAt']).year}-{made['id']:06d}"
        assert opinion["summary"] == "夜间工地噪声" and opinion["status"] == "submitted"
        assert "residentContact" not in opinion  # the live list needs no contact details

        # a retry is the stored opinion, not news
        status, _ = await post("/opinions", body, {"Authorization": "Bearer " + station_token})
        assert status == 200
        # an opinion taken outside any session is no news for the session
        status, other = await post("/opinions", {**body, "clientKey": str(uuid.uuid4()), "sessionId": None,
                                                 "summary": "会外的民情"}, {"Authorization": "Bearer " + station_token})
        assert status == 201

        async with http.post(hub.url + "/api/auth/login",
                             json={"username": "d-administrator-None", "password": "long-password"}) as r:
            login = {"Authorization": "Bearer " + (await r.json())["token"]}
        status, _ = await post(f"/opinions/{made['id']}/actions", {"action": "accept"}, login)
        assert status == 200
        status, _ = await post(f"/opinions/{made['id']}/actions",
                               {"action": "assign", "level": "town", "department": "xucun-office"}, login)
        assert status == 200, _
    assigned = await console.wait_for("opinionUpdated", lambda d: d["action"] == "assign")
    assert assigned["opinion"]["status"] == "assigned" and assigned["opinion"]["department"] == "xucun-office"
    assert assigned["opinion"]["departmentName"] == "许村镇党政办公室"
    assert assigned["opinion"]["departmentNameEn"] == "Xucun Town Office"
    assert [d["action"] for d in console.events("opinionUpdated")] == ["accept", "assign"]
    assert [d["opinion"]["id"] for d in console.events("opinionCaptured")] == [made["id"]]
    await asyncio.sleep(0.2)
    for other_client in (station, elsewhere):
        assert not other_client.events("opinionCaptured") and not other_client.events("opinionUpdated")


async def test_a_dispatcher_joining_mid_way_reads_the_opinions_taken_so_far(hub):
    """The live console's backfill: ``GET /api/sessions/{number}/opinions``
    with the dispatcher's console join token lists what was taken in the
    sitting before it joined (newest first, as the socket events' objects),
    within each caller's scope; station tokens and other sessions are
    refused."""
    import uuid
    from datetime import datetime, timedelta, timezone
    import aiohttp
    from sqlmodel import Session as DB
    from store.accounts import create_account
    from store.live_sessions import session_info
    now = datetime.now(timezone.utc)
    number = _session(hub, now + timedelta(seconds=1), now + timedelta(hours=1))
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()  # live now
    _, account_id = _dispatcher_token(hub, role="dispatcher", station="haining")
    console_token = tokens.sign(secret_key(hub.config), str(number), f"account:{account_id}", "dispatcher", 600)
    with DB(hub.engine) as db:
        create_account(db, None, hub.config.matrix, "op-changan", "long-password", "operator", station="changan")
        demo_number = session_info(db, "demo").number

    def body(station, summary, **kw):
        return {"clientKey": str(uuid.uuid4()), "station": station, "category": "11", "requestType": "complaint",
                "summary": summary, "residentName": "李先生", "residentContact": "139", "sessionId": number, **kw}

    async with aiohttp.ClientSession() as http:
        async def call(method, path, token, payload=None):
            async with http.request(method, hub.url + "/api" + path, json=payload,
                                    headers={"Authorization": "Bearer " + token}) as r:
                return r.status, await r.json()

        # taken before any dispatcher is there
        status, a = await call("POST", "/opinions", hub.token("xucun", session=str(number)), body("xucun", "夜间工地噪声"))
        assert status == 201, a
        status, b = await call("POST", "/opinions", hub.token("changan", session=str(number)), body("changan", "路灯不亮"))
        assert status == 201, b
        status, outside = await call("POST", "/opinions", hub.token("xucun", session=str(number)),
                                     body("xucun", "会外的民情", sessionId=None))
        assert status == 201

        status, listed = await call("GET", f"/sessions/{number}/opinions", console_token)
        assert status == 200, listed
        assert [o["id"] for o in listed["items"]] == [b["id"], a["id"]]  # newest first, not the one outside
        assert listed["sessionId"] == number and listed["occurrenceStart"] is not None
        start = datetime.fromisoformat(listed["occurrenceStart"])
        assert datetime.fromisoformat(listed["since"]) == start - timedelta(hours=1)
        first = listed["items"][1]
        assert first["summary"] == "夜间工地噪声" and first["raiserName"] == "李先生" and first["version"] == 1
        assert first["categoryName"] == "噪声扰民" and first["sessionOffset"] == a["sessionOffset"]
        assert first["categoryNameEn"] == "Noise nuisance" and first["stationNameEn"] == "Xucun Town Station"
        assert first["reference"] == a["reference"] and a["reference"].startswith("MQ20")
        assert "residentContact" not in first

        # a handling step shows in a later read (the version tells the newer copy)
        async with http.post(hub.url + "/api/auth/login",
                             json={"username": "d-dispatcher-haining", "password": "long-password"}) as r:
            login = (await r.json())["token"]
        status, _ = await call("POST", f"/opinions/{a['id']}/actions", login, {"action": "accept"})
        assert status == 200
        status, listed = await call("GET", f"/sessions/{number}/opinions", console_token)
        assert {o["id"]: (o["status"], o["version"]) for o in listed["items"]}[a["id"]] == ("accepted", 2)

        # a login reads it too, within its scope: the Changan operator sees Changan's only
        async with http.post(hub.url + "/api/auth/login",
                             json={"username": "op-changan", "password": "long-password"}) as r:
            operator = (await r.json())["token"]
        status, listed = await call("GET", f"/sessions/{number}/opinions", operator)
        assert status == 200 and [o["id"] for o in listed["items"]] == [b["id"]]

        # refused: a station's join token, the console token of another session, an unknown session, a bad id
        status, err = await call("GET", f"/sessions/{number}/opinions", hub.token("xucun", session=str(number)))
        assert status == 403 and err["error"]["code"] == "forbidden"
        status, err = await call("GET", f"/sessions/{demo_number}/opinions", console_token)
        assert status == 403 and err["error"]["code"] == "forbidden"
        status, err = await call("GET", "/sessions/999999/opinions", login)
        assert status == 404 and err["error"]["code"] == "session_not_found"
        status, err = await call("GET", "/sessions/abc/opinions", login)
        assert status == 400 and err["error"]["code"] == "invalid_payload"
        # the join link opens nothing more than before
        status, err = await call("GET", "/opinions", console_token)
        assert status == 403


async def test_the_live_push_of_an_opinion_reaches_only_the_dispatchers_who_may_read_it(hub):
    """issue 8 (item 4): ``opinionCaptured``/``opinionUpdated`` go to each
    dispatcher of the session that may read the opinion over REST, not to
    the whole room.  Xucun's own session (Xucun and its room Rongxing) has a
    Xucun dispatcher and a Haining dispatcher at its console; an opinion
    stored under this session at Chang'an (as captures were accepted before
    the session check) reaches Haining only; a capture at Xucun reaches both."""
    import uuid
    from datetime import datetime, timedelta, timezone
    import aiohttp
    from sqlmodel import Session as DB
    from core.scope import Actor, Role
    from store.opinion_models import Opinion
    from store.sessions import SessionPlan
    now = datetime.now(timezone.utc)
    with DB(hub.engine) as db:
        number = make_repo(hub.config).create(
            db, Actor(role=Role.ADMINISTRATOR),
            SessionPlan(title="许村联动", chair="xucun", stations=("xucun", "xucun-rongxing"),
                        start=now + timedelta(seconds=1), end=now + timedelta(hours=1)), now=now).id
    await asyncio.sleep(1.2)
    await hub.app[SCHEDULER_KEY].tick()  # live now
    consoles = {}
    for station in ("xucun", "haining"):
        _, account_id = _dispatcher_token(hub, role="dispatcher", station=station)
        console_token = tokens.sign(secret_key(hub.config), str(number), f"account:{account_id}", "dispatcher", 600)
        consoles[station] = await hub.station()
        assert (await consoles[station].call("join", {"token": console_token}))["ok"]
    _, admin_id = _dispatcher_token(hub)  # d-administrator-None

    def body(station, summary, **kw):
        return {"clientKey": str(uuid.uuid4()), "station": station, "category": "11", "requestType": "complaint",
                "summary": summary, "residentName": "李四", "residentContact": "139", "sessionId": number, **kw}

    async with aiohttp.ClientSession() as http:
        async def post(path, payload, token):
            async with http.post(hub.url + "/api" + path, json=payload, headers={"Authorization": "Bearer " + token}) as r:
                return r.status, await r.json()

        async with http.post(hub.url + "/api/auth/login",
                             json={"username": "d-administrator-None", "password": "long-password"}) as r:
            admin = (await r.json())["token"]
        # a Chang'an station that is not in the session cannot file under it any more...
        status, err = await post("/opinions", body("changan", "来自长安的民情"), hub.token("changan", session="demo"))
        assert status == 403 and err["error"]["code"] == "forbidden"
        status, err = await post("/opinions", body("changan", "来自长安的民情"), admin)
        assert status == 403  # not even an administrator: Chang'an takes no part in the session
        # ...but one stored so before (here: moved under the session in the database) is still handled
        status, legacy = await post("/opinions", body("changan", "来自长安的民情", sessionId=None), admin)
        assert status == 201, legacy
        with DB(hub.engine) as db:
            row = db.get(Opinion, legacy["id"])
            row.session_id = number
            db.add(row)
            db.commit()
        status, _ = await post(f"/opinions/{legacy['id']}/actions", {"action": "accept"}, admin)
        assert status == 200
        heard = await consoles["haining"].wait_for("opinionUpdated", lambda d: d["opinion"]["id"] == legacy["id"])
        assert heard["opinion"]["raiserName"] == "李四"
        # a capture at Xucun, in the session: both hear of it
        status, made = await post("/opinions", body("xucun", "许村的民情"), hub.token("xucun", session=str(number)))
        assert status == 201, made
        for console in consoles.values():
            await console.wait_for("opinionCaptured", lambda d: d["opinion"]["id"] == made["id"])
    await asyncio.sleep(0.2)
    assert [d["opinion"]["id"] for d in consoles["xucun"].events("opinionUpdated")] == []
    assert [d["opinion"]["id"] for d in consoles["xucun"].events("opinionCaptured")] == [made["id"]]


async def test_a_dispatcher_calls_an_absent_stations_open_page(hub):
    """呼叫: a station's page open but not joined (``watch``) hears ``ring``; a station that is
    in the meeting, one that is not part of it, and a deputy's page cannot be rung."""
    console = await dispatcher(hub)
    waiting = await hub.station()
    assert (await waiting.call("watch", {"token": hub.token("xucun")}))["ok"]
    other = await hub.station()
    assert (await other.call("watch", {"token": hub.token("changan")}))["ok"]
    ack = await console.call("control", {"action": "call", "station": "xucun"})
    assert ack["ok"], ack
    ring = await waiting.wait_for("ring")
    assert ring["station"] == "xucun" and ring["session"]["id"] == "demo" and ring["by"]
    await asyncio.sleep(0.2)
    assert other.events("ring") == []  # only the station called
    log = await console.wait_for("controlLog", lambda d: d["action"] == "call")
    assert log["station"] == "xucun"
    # the called page joins; calling it again is refused, as is a station outside the matrix's session
    assert (await waiting.call("join", {"token": hub.token("xucun")}))["ok"]
    again = await console.call("control", {"action": "call", "station": "xucun"})
    assert again["error"]["code"] == "control_refused" and again["error"]["reason"] == "station_present"
    assert (await console.call("control", {"action": "call"}))["error"]["code"] == "invalid_payload"
    station = await hub.joined("yanguan")
    assert (await station.call("control", {"action": "call", "station": "changan"}))["error"]["code"] == "forbidden"
    deputy = await hub.station()
    assert (await deputy.call("watch", {"token": hub.deputy_token(1)}))["error"]["code"] == "forbidden"


def test_deployments_sharing_a_redis_use_their_own_socketio_channel():
    from hub.app import socketio_channel_for

    here = socketio_channel_for("postgresql+psycopg://hub@db/haining")
    assert here == socketio_channel_for("postgresql+psycopg://hub@db/haining")  # its processes meet
    assert here != socketio_channel_for("postgresql+psycopg://hub@db/staging")
    assert here.startswith("liaison-hub:socketio:")
