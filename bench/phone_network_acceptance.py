# Not collected by the suite: issue 9's acceptance tests 1 and 2 do not pass every run yet
# (2026-11-30, probes with padding, media/probe.py; the last 5 runs on an idle machine: test 1
# passed 5 of 5, big stage 27-30 fps, speaker's audio 2.1-3.7 % concealed; test 2 passed 3 of 5,
# stage small at 27-30 fps, thumbnails paused, speaker's audio 2.1-2.7 % concealed, the big stage
# back 4.4-12.7 s after the limit is lifted: the two failures).  A test that fails CI runs would
# make main red, so they stay out until they pass every time.  Run them, as root, with
#   .venv/bin/python -m pytest bench/phone_network_acceptance.py
"""A phone on a thin network (issue 9, acceptance tests 1 and 2): a Pixel-7
Chromium page in a network namespace whose downlink is limited (``tc tbf``)
and lossy (nftables), in a session with 8 stations that publish a big and a
small stream each (``bench/publishers.py``: aiortc, pre-encoded, through the
real signaling), the hub adapting per subscriber (``media.adapt`` on: the
estimate, the selector and the probes with padding, ``media/probe.py``).
Built and removed by the tests (``tests/phone_network.py``); needs root.

Both tests share one session (a module fixture: starting a hub, 8 publishers
and Chromium is the slow part): test 1 measures at 1.5 Mbit/s with 3 % loss,
test 2 goes on from there to 300 kbit/s and back.  Each starts by setting its
own network, so either can run alone.
"""

from __future__ import annotations

import json
import time

import pytest
import pytest_asyncio

from tests.phone_network import PAUSED_TEXT, PhoneSession

# The module's session starts in the first test's time: ~30 s on an idle machine, minutes on a loaded one.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(600), pytest.mark.asyncio(loop_scope="module")]

SETTLE_S = 15  # for the hub's estimate of the phone's downlink to settle after a change
WINDOW_S = 10
SMALL_MAX_WIDTH = 360  # a small stream is 320x180; the big one 640x480
STATIONS = 8


def _show(label: str, figures: dict) -> None:
    print(f"{label}: {json.dumps(figures, ensure_ascii=False)}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def session(tmp_path_factory):
    async with PhoneSession(tmp_path_factory.mktemp("phone"), stations=STATIONS) as s:
        print(f"hub, {STATIONS} publishers and Chromium live after {s.started_in:.1f} s")
        s.shape(1500, loss_percent=3)
        await s.open_phone()
        yield s
        print("---- hub log (end) ----\n" + s.hub_log()[-6000:])


async def _layers(s: PhoneSession) -> str:
    """What the hub said the phone receives, over time (its ``layers`` events)."""
    log = await s.page.evaluate(
        "() => window.hubClient.log.filter(e => e.event === 'layers').slice(-12)"
        ".map(e => [e.t, JSON.stringify(e.detail)])")
    return "\n".join(f"  {t} {detail[:300]}" for t, detail in log)


async def _measure_at(s: PhoneSession, rate_kbit: int, label: str) -> tuple[dict, str]:
    """The phone's downlink limited to ``rate_kbit`` with 3 % loss, SETTLE_S for the
    hub's estimate to settle, then a WINDOW_S window: its figures, and what to say
    when an assertion on them fails (the figures and the hub's recent layers)."""
    s.shape(rate_kbit, loss_percent=3)
    await s.page.wait_for_timeout(SETTLE_S * 1000)
    f = await s.measure(WINDOW_S)
    _show(label, f)
    return f, f"{json.dumps(f)}\nlayers:\n{await _layers(s)}"


async def test_phone_at_1500_kbits_with_3_percent_loss_plays_the_stage_and_small_thumbnails(session):
    """Test 1: 1.5 Mbit/s down with 3 % loss, 8 publishing stations: over a 10 s
    window the stage plays at >= 20 fps, < 5 % of the speaker's audio samples
    are concealed (the silent stations' DTX pauses are concealment too, of
    nothing), and the thumbnails play small streams (frame width <= 360)."""
    s = session
    f, why = await _measure_at(s, 1500, "1.5 Mbit/s, 3 % loss")
    assert len(s.publisher_ids) == STATIONS
    assert f["stage"] == s.publisher_ids[PhoneSession.PUBLISHER_CODES[0]], why
    assert f["stage_fps"] >= 20, why
    assert f["stage_width"] > SMALL_MAX_WIDTH, f"the stage is not the big stream: {why}"
    assert f["speech_concealed"] is not None and f["speech_concealed"] < 0.05, why
    playing = {pid: t for pid, t in f["thumbnails"].items() if t["fps"] > 0}
    assert playing, f"no thumbnail plays: {why}"
    assert all(t["width"] <= SMALL_MAX_WIDTH for t in playing.values()), why


async def test_phone_at_300_kbits_pauses_thumbnails_keeps_audio_and_gets_the_big_stage_back(session):
    """Test 2: the phone drops to 300 kbit/s (3 % loss still): the thumbnails
    stop (no frame decoded in the window, the 暂停 placeholder shown), < 5 % of
    the speaker's audio is concealed, the stage is not the big stream; lifting the limit
    brings the big stage (frame width > 360, playing) back within 10 s."""
    s = session
    f, why = await _measure_at(s, 300, "300 kbit/s, 3 % loss")
    assert f["thumbnails"], f"the page has no thumbnail at all: {why}"
    assert all(t["fps"] == 0 for t in f["thumbnails"].values()), why
    assert f["placeholders"] >= 1, f"no {PAUSED_TEXT} placeholder: {why}"
    assert f["speech_concealed"] is not None and f["speech_concealed"] < 0.05, why
    assert f["stage_width"] <= SMALL_MAX_WIDTH, f"the big stage still plays at 300 kbit/s: {why}"

    s.shape(None)
    lifted = time.monotonic()
    previous = await s.sample()
    back = None
    sample = previous
    while time.monotonic() - lifted < 15:
        await s.page.wait_for_timeout(250)
        sample = await s.sample()
        before = {x["mid"]: x["framesDecoded"] for x in previous["streams"]}
        if any(x["kind"] == "video" and x["participantId"] == sample["stage"] and x["frameWidth"] > SMALL_MAX_WIDTH
               and x["framesDecoded"] > before.get(x["mid"], 0) for x in sample["streams"]):
            back = time.monotonic() - lifted
            break
        previous = sample
    print(f"big stage back {back} s after the limit was lifted")
    assert back is not None and back < 10, (
        f"big stage back after {back} s: {json.dumps(sample)[:3000]}\nlayers:\n{await _layers(s)}")
