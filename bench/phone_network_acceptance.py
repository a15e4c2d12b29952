# Not collected by the suite yet: the acceptance tests 1 and 2 of issue 9 (phone at 1.5 Mbit/s with
# 3 % loss; at 300 kbit/s), which do not pass yet (see the issue note). Run them with
#   .venv/bin/python -m pytest bench/phone_network_acceptance.py
"""A phone on a thin network (issue 9, tests 1 and 2): a Pixel-7 Chromium page in a
network namespace whose downlink is limited (``tc tbf``) and lossy (nftables), in a
session with 8 stations that publish a big and a small stream each
(``bench/publishers.py``: aiortc, pre-encoded, through the real signaling).
Built and removed by the test (``tests/phone_network.py``); needs root."""

from __future__ import annotations

import json
import time

import pytest

from tests.phone_network import PAUSED_TEXT, PhoneSession

# Setting up a hub, 8 publishers and a phone takes 2-5 min on the loaded shared machine.
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

SETTLE_S = 20  # for the hub's estimate of the phone's downlink to settle
WINDOW_S = 12
SMALL_MAX_WIDTH = 360


def _show(label: str, figures: dict) -> None:
    print(f"{label}: {json.dumps(figures, ensure_ascii=False)}")


async def test_phone_at_1500_kbits_with_3_percent_loss_plays_the_stage_and_small_thumbnails(tmp_path):
    """Test 1: 1.5 Mbit/s down with 3 % loss, 8 publishing stations: over a 12 s window
    the stage plays at ≥ 20 fps, < 5 % of the audio samples are concealed, and every
    thumbnail that plays is a small stream (frame width ≤ 360)."""
    async with PhoneSession(tmp_path, stations=8) as s:
        try:
            s.shape(1500, loss_percent=3)
            await s.open_phone()
            await s.page.wait_for_timeout(SETTLE_S * 1000)
            f = await s.measure(WINDOW_S)
            _show("1.5 Mbit/s, 3 % loss", f)
            _show("publishers", await s.publisher_figures())
            playing = {pid: t for pid, t in f["thumbnails"].items() if t["fps"] > 0}
            assert f["stage_fps"] >= 20, f
            assert f["audio_concealed"] is not None and f["audio_concealed"] < 0.05, f
            assert playing, f"no thumbnail plays: {f}"
            assert all(t["width"] <= SMALL_MAX_WIDTH for t in playing.values()), f
        finally:
            print("---- hub log ----\n" + s.hub_log())


async def test_phone_at_300_kbits_pauses_thumbnails_keeps_audio_and_gets_the_big_stage_back(tmp_path):
    """Test 2: the same phone drops to 300 kbit/s (3 % loss still): the thumbnails stop
    (no frame decoded in the window, the 暂停 placeholder shown) and < 5 % of the audio is
    concealed; the stage is then not the big stream; lifting the limit brings the big
    stage (frame width > 360, playing) back within 10 s."""
    async with PhoneSession(tmp_path, stations=8) as s:
        try:
            s.shape(1500, loss_percent=3)
            await s.open_phone()
            await s.page.wait_for_timeout(10_000)
            s.shape(300, loss_percent=3)
            await s.page.wait_for_timeout(SETTLE_S * 1000)
            f = await s.measure(WINDOW_S)
            _show("300 kbit/s, 3 % loss", f)
            assert f["thumbnails"], f"the page has no thumbnail at all: {f}"
            assert all(t["fps"] == 0 for t in f["thumbnails"].values()), f
            assert f["placeholders"] >= 1, f"no {PAUSED_TEXT} placeholder: {f}"
            assert f["audio_concealed"] is not None and f["audio_concealed"] < 0.05, f
            assert f["stage_width"] <= SMALL_MAX_WIDTH, f"the big stage still plays at 300 kbit/s: {f}"

            s.shape(None)
            lifted = time.monotonic()
            previous = await s.sample()
            back = None
            while time.monotonic() - lifted < 20:
                await s.page.wait_for_timeout(250)
                sample = await s.sample()
                stage = [x for x in sample["streams"] if x["kind"] == "video" and x["participantId"] == sample["stage"]]
                before = {x["mid"]: x["framesDecoded"] for x in previous["streams"]}
                if any(x["frameWidth"] > SMALL_MAX_WIDTH and x["framesDecoded"] > before.get(x["mid"], 0) for x in stage):
                    back = time.monotonic() - lifted
                    break
                previous = sample
            print(f"big stage back {back} s after the limit was lifted")
            assert back is not None and back < 10, f"big stage back after {back} s: {json.dumps(sample)[:3000]}"
        finally:
            print("---- hub log ----\n" + s.hub_log())
