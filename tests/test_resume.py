"""Network change without leaving (issue 9): a participant whose socket or
media is lost stays, shown 重连中, and its page takes it over again
(``resume``) or builds its media anew (``restartMedia``): same participant
id, floor and hand, and the others see no leave and no join.  Only after
``signaling.resume_seconds`` is it removed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import aiohttp
import pytest
from aiohttp import web

from core import tokens
from hub.app import create_app, secret_key
from tests.fake_media import FakeMedia
from tests.test_signaling_server import Station


@pytest.fixture
async def hub(config):
    signaling = config.settings.signaling.model_copy(
        update={"ping_interval": 0.5, "ping_timeout": 0.5, "resume_seconds": 1.5})
    config = dataclasses.replace(config, settings=config.settings.model_copy(update={"signaling": signaling}))
    media = FakeMedia()
    app = create_app(config, media=media)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    secret = secret_key(config)
    clients: list[Station] = []

    class Hub:
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

        def __init__(self) -> None:
            self.media = media
            self.app = app

        def token(self, station: str) -> str:
            return tokens.sign(secret, "demo", f"station:{station}", "station", 3600)

        async def station(self) -> Station:
            client = await Station(self.url).connect()
            clients.append(client)
            return client

        async def joined(self, station: str) -> Station:
            client = await self.station()
            reply = await client.call("join", {"token": self.token(station)})
            assert reply["ok"], reply
            client.me = reply["self"]
            return client

    yield Hub()
    for client in clients:
        if client.sio.connected:
            try:
                await asyncio.wait_for(client.sio.disconnect(), 5)
            except Exception:
                pass
    await asyncio.wait_for(runner.cleanup(), 30)


def _connections(station: Station, participant_id: str) -> list[str]:
    return [d["participant"]["connection"] for d in station.events("participantUpdated")
            if d["participant"]["id"] == participant_id]


async def test_resume_from_a_new_socket_keeps_the_participant_its_hand_and_place(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    assert (await b.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"}))["ok"]  # it publishes
    assert (await b.call("raiseHand", {}))["ok"]
    await a.wait_for("participantJoined")
    a.received.clear()

    # The phone's network changed: a new socket takes over (the old one may linger half-open).
    b2 = await hub.station()
    reply = await b2.call("resume", {"token": hub.token("changan"), "participantId": b.me["id"]})
    assert reply["ok"], reply
    assert reply["resumed"] is True and reply["self"]["id"] == b.me["id"]
    assert reply["self"]["connection"] == "reconnecting"
    assert [p["id"] for p in reply["participants"]] == [a.me["id"]]
    assert [h["participantId"] for h in reply["control"]["hands"]] == [b.me["id"]]
    # The media of the same participant starts anew; the old socket is closed.
    calls = hub.media.calls
    assert ("leave", b.me["id"]) in calls and calls.count(("join", "demo", b.me["id"])) == 2
    deadline = time.monotonic() + 3
    while b.sio.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not b.sio.connected
    # Its events reach the new socket: an answer, a hand lowered.
    assert (await b2.call("lowerHand", {}))["ok"]
    assert (await b2.call("subscribeAnswer", {"sdp": "v=0 a", "type": "answer"}))["ok"]

    # Media connected again: the others saw 重连中 and back, never a leave or a join.
    await hub.media.events[b.me["id"]].connection_state(b.me["id"], "publish", "connected")
    await a.wait_for("participantUpdated", lambda d: d["participant"]["id"] == b.me["id"]
                     and d["participant"]["connection"] == "connected")
    assert _connections(a, b.me["id"])[0] == "reconnecting"
    await asyncio.sleep(2)  # past resume_seconds: nobody is removed
    assert not a.events("participantLeft") and not a.events("participantJoined")


async def test_resume_needs_the_participants_own_token_and_a_live_participant(hub):
    a = await hub.joined("xucun")
    other = await hub.station()
    refused = await other.call("resume", {"token": hub.token("changan"), "participantId": a.me["id"]})
    assert refused["error"]["code"] == "not_resumable"
    refused = await other.call("resume", {"token": hub.token("xucun"), "participantId": "p-0000000000"})
    assert refused["error"]["code"] == "not_resumable"
    bad = await other.call("resume", {"token": "nonsense", "participantId": a.me["id"]})
    assert bad["error"]["code"] == "token_invalid"
    assert (await a.call("ping", {}))["ok"]  # the liveness probe of a stalled page
    assert (await other.call("ping", {}))["error"]["code"] == "not_joined"
    assert not a.events("participantLeft")


async def test_failed_media_waits_for_restart_media_without_leaving(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    assert (await b.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"}))["ok"]  # it publishes
    await a.wait_for("participantJoined")
    a.received.clear()
    events = hub.media.events[b.me["id"]]
    await events.connection_state(b.me["id"], "subscribe", "failed")
    await a.wait_for("participantUpdated", lambda d: d["participant"]["id"] == b.me["id"]
                     and d["participant"]["connection"] == "reconnecting")
    assert b.sio.connected  # the socket is fine: the page restarts its media itself
    reply = await b.call("restartMedia", {})
    assert reply["ok"] and reply["iceServers"] == []
    assert ("leave", b.me["id"]) in hub.media.calls and hub.media.calls.count(("join", "demo", b.me["id"])) == 2
    # the old connections' "closed" changes nothing; the new one connecting ends 重连中
    await hub.media.events[b.me["id"]].connection_state(b.me["id"], "publish", "closed")
    await hub.media.events[b.me["id"]].connection_state(b.me["id"], "subscribe", "connected")
    await a.wait_for("participantUpdated", lambda d: d["participant"]["id"] == b.me["id"]
                     and d["participant"]["connection"] == "connected")
    await asyncio.sleep(2)
    assert not a.events("participantLeft") and not a.events("participantJoined")


async def test_a_participant_that_does_not_come_back_is_removed_after_resume_seconds(hub):
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    await hub.media.events[b.me["id"]].connection_state(b.me["id"], "publish", "failed")
    started = time.monotonic()
    await asyncio.sleep(0.8)  # a second symptom does not extend the wait
    await hub.media.events[b.me["id"]].connection_state(b.me["id"], "subscribe", "failed")
    left = await a.wait_for("participantLeft", timeout=5)
    assert left == {"participantId": b.me["id"], "reason": "disconnected"}
    assert 1.4 <= time.monotonic() - started < 2.2
    assert _connections(a, b.me["id"]) == ["reconnecting"]
    refused = await (await hub.station()).call("resume", {"token": hub.token("changan"), "participantId": b.me["id"]})
    assert refused["error"]["code"] == "not_resumable"  # the page joins anew


async def test_a_socket_that_stops_answering_waits_then_leaves_but_a_closed_one_leaves_at_once(hub):
    watcher = await hub.joined("changan")
    async with aiohttp.ClientSession() as http:
        # A bare Engine.IO client that joins and then never answers a ping.
        async with http.ws_connect(f"{hub.url}/socket.io/?EIO=4&transport=websocket") as ws:
            await ws.receive()  # open packet
            await ws.send_str("40")
            await ws.receive()  # namespace connected
            await ws.send_str("42" + json.dumps(["join", {"token": hub.token("xucun")}]))
            joined = await watcher.wait_for("participantJoined")
            lost_id = joined["participant"]["id"]
            started = time.monotonic()
            await watcher.wait_for("participantUpdated", lambda d: d["participant"]["id"] == lost_id
                                   and d["participant"]["connection"] == "reconnecting", timeout=5)
            assert time.monotonic() - started < 3  # ping interval + timeout
            left = await watcher.wait_for("participantLeft", timeout=5)
            assert left["participantId"] == lost_id and left["reason"] == "disconnected"
    closing = await hub.joined("yanguan")
    await closing.sio.disconnect()
    left = await watcher.wait_for("participantLeft", lambda d: d["participantId"] == closing.me["id"], timeout=2)
    assert _connections(watcher, closing.me["id"]) == []  # never 重连中


async def test_resuming_with_no_media_to_carry_is_not_left_waiting(hub):
    """A participant with nothing to publish or receive (a console alone) has no
    connection to wait for: after resume it is simply there, and stays."""
    a = await hub.joined("xucun")
    a2 = await hub.station()
    reply = await a2.call("resume", {"token": hub.token("xucun"), "participantId": a.me["id"]})
    assert reply["ok"] and reply["self"]["connection"] == "new"
    await asyncio.sleep(2)  # past resume_seconds
    assert (await a2.call("ping", {}))["ok"]  # still joined


async def test_a_page_that_detaches_before_closing_its_socket_is_not_taken_as_leaving(hub):
    """A page that suspects its network changed while its socket still works says
    `detach`, closes the socket and resumes from a new one: no leave in between."""
    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    await a.wait_for("participantJoined")
    a.received.clear()
    assert (await b.call("detach", {}))["ok"]
    await b.sio.disconnect()
    await asyncio.sleep(0.5)
    b2 = await hub.station()
    reply = await b2.call("resume", {"token": hub.token("changan"), "participantId": b.me["id"]})
    assert reply["ok"] and reply["self"]["id"] == b.me["id"]
    assert not a.events("participantLeft") and not a.events("participantJoined")
    assert _connections(a, b.me["id"])[0] == "reconnecting"


async def test_a_resume_whose_socket_closed_while_it_waited_binds_nobody(hub, caplog):
    """A resume still in progress when its new socket closes (a slow hub, the network gone
    again) leaves the participant 重连中 on its timer: bound to the dead socket it was a ghost
    that no disconnect would ever remove."""
    from hub.keys import SIGNALING_KEY

    a = await hub.joined("xucun")
    b = await hub.joined("changan")
    await a.wait_for("participantJoined")
    assert (await b.call("detach", {}))["ok"]
    await b.sio.disconnect()
    signaling = hub.app[SIGNALING_KEY]
    original = signaling.sessions.get

    async def slow_get(session_id):
        await asyncio.sleep(0.8)
        return await original(session_id)

    signaling.sessions.get = slow_get
    b2 = await hub.station()
    await b2.sio.emit("resume", {"token": hub.token("changan"), "participantId": b.me["id"]})
    await asyncio.sleep(0.1)
    await b2.sio.disconnect()
    await asyncio.sleep(1.0)  # the resume has finished waiting
    signaling.sessions.get = original
    deadline = time.monotonic() + 5  # resume_seconds is 1.5
    while not a.events("participantLeft") and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert [d["participantId"] for d in a.events("participantLeft")] == [b.me["id"]]
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
