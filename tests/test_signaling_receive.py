"""Big and small streams, and what a page asks to receive (issue 9): the ``receive`` event,
the ``big`` publishers and the limits signaling hands the media plane, the ``layers`` event,
and the monitor's downlink figures; over a real Socket.IO connection with the recording
media plane, and the pure rules directly."""

from __future__ import annotations

import asyncio

import pytest

from hub.keys import SIGNALING_KEY
from media.interface import ParticipantStats, ReceiveLimits, VideoLayer
from signaling.control import LiveControl, View
from signaling.monitor import assess
from signaling.receive import ReceivePreference, big_publishers, layer_counts, limits_of, thumbnail_cap
from tests.test_signaling_server import hub  # noqa: F401  (the fixture: in-process and Redis)

TOWNS = ("haining", "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan")


async def _publishing(hub, codes):  # noqa: F811
    stations = []
    for code in codes:
        station = await hub.joined(code)
        assert (await station.call("publishOffer", {"sdp": "v=0 offer", "type": "offer"}))["ok"]
        stations.append(station)
    return stations


async def _settle(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


# --- the pure rules ----------------------------------------------------------------------------


def test_the_stage_is_big_and_thumbnails_small_but_every_cell_of_a_2x2_is_big():
    view = View("a", ["b", "c", "d"])
    assert big_publishers("1+N", view) == ["a"]
    assert big_publishers("single", View("a", [])) == ["a"]
    assert big_publishers("3x3", view) == ["a"] and big_publishers("4x4", view) == ["a"]
    assert big_publishers("2x2", view) == ["a", "b", "c", "d"]
    assert big_publishers("1+N", View(None, ["b"])) == []


def test_preferences_become_relay_limits_and_a_phone_view_holds_the_stage_and_three():
    assert limits_of(ReceivePreference()) == ReceiveLimits()
    assert limits_of(ReceivePreference("phone")) == ReceiveLimits(max_videos=4)
    assert limits_of(ReceivePreference("full", True, 360)) == ReceiveLimits(audio_only=True, max_height=360)
    assert thumbnail_cap(None) is None and thumbnail_cap(ReceivePreference()) is None
    assert thumbnail_cap(ReceivePreference("phone")) == 3
    control = LiveControl(max_thumbnails=8)
    for pid in "abcdefgh":
        control.joined(pid)
    control.floor = "h"
    view = control.view("a", list("bcdefgh"), cap=3)
    assert view.stage == "h" and len(view.thumbnails) == 3  # the floor is the stage
    control.layout = "4x4"
    assert len(control.view("a", list("bcdefgh"), cap=3).thumbnails) == 3  # a grid too
    assert len(control.view("a", list("bcdefgh")).thumbnails) == 6  # without a cap, all


def test_the_monitor_says_the_downlink_and_which_streams_a_station_receives():
    stat = ParticipantStats(participant_id="p", room_id="r", downlink_estimate=1_234_567.8, downlink_loss=0.031234,
                            downlink_rtt=0.0456, layers={"a": "big", "b": "small", "c": "small", "d": "paused"})
    tile = assess(stat, True, True, "connected")
    assert tile["downlink"] == {"estimate": 1234568, "limited": False, "loss": 0.0312, "roundTripTime": 0.0456,
                                "layers": {"big": 1, "small": 2, "paused": 1}}
    blank = assess(ParticipantStats(participant_id="p", room_id="r"), True, True, "connected")["downlink"]
    assert blank == {"estimate": None, "limited": False, "loss": None, "roundTripTime": None,
                     "layers": {"big": 0, "small": 0, "paused": 0}}
    assert layer_counts({"x": "bogus"}) == {"big": 0, "small": 0, "paused": 0}


# --- over the socket ---------------------------------------------------------------------------


@pytest.mark.parametrize("payload,field,reason", [
    ({"profile": "tablet"}, "profile", "field_choice"),
    ({"maxHeight": 100}, "maxHeight", "field_at_least"),
    ({"maxHeight": 9999}, "maxHeight", "field_at_most"),
    ({"maxHeight": "720"}, "maxHeight", "field_type"),
    ({"audioOnly": "yes"}, "audioOnly", "field_type"),
    ({"quality": "low"}, "quality", "field_unknown"),
])
async def test_a_bad_receive_is_refused_with_its_reason_and_changes_nothing(hub, payload, field, reason):  # noqa: F811
    station = await hub.joined("xucun", lang="en")
    reply = await station.call("receive", payload)
    assert not reply["ok"]
    error = reply["error"]
    assert (error["code"], error["reason"], error["event"]) == ("invalid_payload", reason, "receive")
    assert field in error["message"]
    assert not [c for c in hub.media.calls if c[0] == "limits"]


async def test_receive_before_joining_is_refused(hub):  # noqa: F811
    station = await hub.station()
    reply = await station.call("receive", {"profile": "phone"})
    assert reply["error"]["code"] == "not_joined"


async def test_the_stage_goes_big_and_a_2x2_makes_every_cell_big(hub):  # noqa: F811
    a, b, c, d = await _publishing(hub, TOWNS[:4])
    ids = [s.me["id"] for s in (a, b, c, d)]
    stage = ids[0]  # the first to publish video
    await _settle(lambda: hub.media.big.get(ids[3]) == [stage])
    assert sorted(hub.media.subscriptions[ids[3]]) == sorted(ids[:3])
    assert hub.media.big[ids[0]] == []  # the stage itself sees the others as thumbnails
    server = hub.app[SIGNALING_KEY]
    assert (await server.control_by_key("demo", {"action": "layout", "layout": "2x2"}, "test", None))["control"]
    await _settle(lambda: hub.media.big.get(ids[3]) == sorted(ids[:3]))


async def test_a_phone_gets_the_stage_and_three_thumbnails_and_its_limits_reach_the_relay(hub):  # noqa: F811
    stations = await _publishing(hub, TOWNS)
    ids = [s.me["id"] for s in stations]
    phone = stations[-1]
    await _settle(lambda: len(hub.media.subscriptions.get(ids[-1], [])) == 6)
    assert (await phone.call("receive", {"profile": "phone", "audioOnly": False, "maxHeight": None}))["ok"]
    assert hub.media.limits[ids[-1]] == ReceiveLimits(max_videos=4)
    subscribed = hub.media.subscriptions[ids[-1]]
    assert len(subscribed) == 4 and ids[0] in subscribed  # the stage among them
    assert hub.media.big[ids[-1]] == [ids[0]]
    assert len(hub.media.subscriptions[ids[0]]) == 6  # the others keep theirs
    # 仅音频: the pictures stay negotiated; the relay pauses them (and says so in `layers`)
    assert (await phone.call("receive", {"profile": "phone", "audioOnly": True}))["ok"]
    assert hub.media.limits[ids[-1]] == ReceiveLimits(audio_only=True, max_videos=4)
    assert (await phone.call("receive", {"maxHeight": 360}))["ok"]
    assert hub.media.limits[ids[-1]] == ReceiveLimits(max_height=360)
    assert len(hub.media.subscriptions[ids[-1]]) == 6


async def test_limits_outlive_new_media_and_end_with_the_participant(hub):  # noqa: F811
    a, b = await _publishing(hub, TOWNS[:2])
    me = b.me["id"]
    assert (await b.call("receive", {"audioOnly": True}))["ok"]
    assert (await b.call("restartMedia", {}))["ok"]  # the relay made its media anew: limits again
    assert hub.media.limits[me] == ReceiveLimits(audio_only=True)
    assert [c for c in hub.media.calls if c[0] in ("join", "limits") and c[1 if c[0] == "limits" else 2] == me][-2:] == [
        ("join", "demo", me), ("limits", me, ReceiveLimits(audio_only=True))]
    assert (await b.call("leave", {}))["ok"]
    assert me not in hub.app[SIGNALING_KEY].receiving.prefs


async def test_the_relay_s_layers_reach_that_page_only(hub):  # noqa: F811
    a, b = await _publishing(hub, TOWNS[:2])
    server = hub.app[SIGNALING_KEY]
    await server.subscriber_layers(b.me["id"], [
        VideoLayer(publisher_id=a.me["id"], mid="1", layer="paused", reason="network"),
    ])
    event = await b.wait_for("layers")
    assert event == {"layers": [{"participantId": a.me["id"], "mid": "1", "layer": "paused", "reason": "network"}]}
    await asyncio.sleep(0.2)
    assert a.events("layers") == []
    await server.subscriber_layers("p-gone", [])  # a participant that left meanwhile: nothing happens


async def test_the_dispatcher_s_monitor_carries_each_station_s_downlink(hub):  # noqa: F811
    from tests.test_signaling_server import _dispatcher_token

    a, b = await _publishing(hub, TOWNS[:2])
    hub.media.downlinks[b.me["id"]] = (900_000.0, 0.02, 0.05, {a.me["id"]: "small"})
    token, _ = _dispatcher_token(hub)
    console = await hub.station()
    assert (await console.call("join", {"token": token}))["ok"]
    monitor = await console.wait_for("monitor", lambda d: len(d["participants"]) >= 2, timeout=8)
    tile = next(t for t in monitor["participants"] if t["participantId"] == b.me["id"])
    assert tile["downlink"] == {"estimate": 900000, "limited": False, "loss": 0.02, "roundTripTime": 0.05,
                                "layers": {"big": 0, "small": 1, "paused": 0}}
