"""End to end (issue 12): three Chromium stations recorded by the hub's relay
for 20 s with a floor change and an opinion in between; the files play
(duration, frames, no decode errors), the timeline holds the floor change
and the opinion at their moments, and the console's player, sent to the
opinion's marker, shows the station that had the floor then (by the colour
of its picture: each station's camera is a canvas of its own colour)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.request
import uuid
from pathlib import Path

import av
import pytest
import socketio

from core import tokens
from recordings import library
from tests.browser import HubProcess, autojoin
from tests.test_e2e_live import StationPage

pytestmark = pytest.mark.browser

PASSWORD = "recording-e2e-password"
#: Each station's camera: a canvas of its colour with a moving white square.
COLOURS = {"xucun": (208, 0, 0), "changan": (0, 176, 0), "yanguan": (0, 0, 208)}

FAKE_CAMERA = """
(() => {
  const [r, g, b] = %s;
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const out = new MediaStream();
    if (constraints && constraints.video) {
      const canvas = document.createElement("canvas");
      canvas.width = 320; canvas.height = 240;
      const ctx = canvas.getContext("2d");
      let n = 0;
      const draw = () => {
        ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fillRect(0, 0, 320, 240);
        ctx.fillStyle = "#fff"; ctx.fillRect((n * 4) %% 300, 110, 20, 20); n++;
      };
      draw();
      setInterval(draw, 33);
      out.addTrack(canvas.captureStream(30).getVideoTracks()[0]);
    }
    if (constraints && constraints.audio) {
      const ac = new AudioContext();
      const osc = ac.createOscillator();
      osc.frequency.value = 300 + r + g;
      const dest = ac.createMediaStreamDestination();
      osc.connect(dest); osc.start();
      out.addTrack(dest.stream.getAudioTracks()[0]);
    }
    return out;
  };
})();
"""

FRAMES_SENT = """async () => {
  const pc = window.hubClient.publishPc;
  // The camera's big stream only: the small one (大小流) is not recorded.
  let n = 0, width = -1;
  (await pc.getStats()).forEach(r => {
    if (r.type === 'outbound-rtp' && r.kind === 'video' && (r.frameWidth || 0) > width) {
      width = r.frameWidth || 0; n = r.framesSent || 0;
    }
  });
  return n;
}"""

STAGE_COLOUR = """() => {
  const v = document.querySelector('[data-testid=player-stage] video');
  if (!v || v.readyState < 2 || v.seeking) return null;
  const c = document.createElement('canvas'); c.width = 32; c.height = 24;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 32, 24);
  const d = g.getImageData(0, 0, 32, 24).data;
  let r = 0, gr = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  return [r / n, gr / n, b / n, v.currentTime];
}"""


def decode(path: Path) -> dict[str, tuple[int, float]]:
    """Frames decoded per kind and the span of their timestamps; raises on a decode error."""
    out = {}
    for kind in ("video", "audio"):
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.type == kind)
            if kind == "video":
                stream.codec_context.options = {"err_detect": "explode"}
            times, n = [], 0
            for packet in container.demux(stream):
                if packet.size:
                    times.append(float(packet.pts * packet.time_base))
                    n += len(packet.decode())
            out[kind] = (n, max(times) - min(times))
    return out


def close_to(colour, expected) -> bool:
    return all(abs(a - b) < 60 for a, b in zip(colour[:3], expected))


async def test_three_stations_recorded_and_replayed_at_the_opinion(tmp_path, browser):
    var = tmp_path / "var"
    hub = HubProcess(var).start()
    dispatcher = socketio.AsyncClient(reconnection=False)
    try:
        hub.create_account("rec-admin", PASSWORD, "administrator")
        with sqlite3.connect(var / "hub.db") as db:
            account_id = db.execute("SELECT id FROM account WHERE username = 'rec-admin'").fetchone()[0]
        secret = tokens.load_or_create_secret(var / "secret.key")

        stations: dict[str, StationPage] = {}
        links = {}
        for code, colour in COLOURS.items():
            context = await browser.new_context()
            await context.add_init_script(FAKE_CAMERA % json.dumps(list(colour)))
            page = await context.new_page()
            page.on("console", lambda m, code=code: m.type == "error" and print(f"[{code}] {m.text}"))
            links[code] = hub.link("demo", code)
            await page.goto(autojoin(links[code]))
            stations[code] = StationPage(page, code)
            await stations[code].wait_live(30)
        ids = {code: await s.my_id() for code, s in stations.items()}
        for code, s in stations.items():
            await s.wait_receiving([ids[o] for o in stations if o != code], timeout=40)

        await dispatcher.connect(hub.url, transports=["websocket"])
        token = tokens.sign(secret, "demo", f"account:{account_id}", "dispatcher", 3600)
        joined = await dispatcher.call("join", {"token": token}, timeout=10)
        assert joined["ok"], joined
        number = joined["session"]["number"]

        sent0 = {code: await s.page.evaluate(FRAMES_SENT) for code, s in stations.items()}
        reply = await dispatcher.call("control", {"action": "record", "on": True}, timeout=10)
        assert reply["ok"] and reply["control"]["recording"], reply
        rec_id = reply["control"]["recording"]["id"]
        await stations["yanguan"].page.get_by_test_id("recording-badge").wait_for(state="visible", timeout=5000)

        await asyncio.sleep(8)
        floor_at = time.time()
        assert (await dispatcher.call("control", {"action": "rollCall", "participantId": ids["changan"]}, timeout=10))["ok"]
        await asyncio.sleep(4)
        opinion_at = time.time()
        station_token = links["xucun"].partition("#token=")[2]
        body = {"clientKey": str(uuid.uuid4()), "station": "xucun", "category": "11", "requestType": "complaint",
                "summary": "夜间工地噪声", "residentName": "李先生", "residentContact": "139", "sessionId": number}
        request = urllib.request.Request(hub.url + "/api/opinions", data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {station_token}",
                                                  "Content-Type": "application/json"})
        made = json.loads(urllib.request.urlopen(request, timeout=10).read())
        await asyncio.sleep(8)
        sent1 = {code: await s.page.evaluate(FRAMES_SENT) for code, s in stations.items()}
        reply = await dispatcher.call("control", {"action": "record", "on": False}, timeout=20)
        assert reply["ok"] and reply["control"]["recording"] is None
        await stations["yanguan"].page.get_by_test_id("recording-badge").wait_for(state="hidden", timeout=5000)

        # --- the files and the timeline
        directory = var / "recordings" / rec_id
        meta = json.loads((directory / library.META).read_text())
        length = meta["endedAt"] - meta["startedAt"]
        assert 19 < length < 24
        files = {f["participant"]: f for f in library.read_jsonl(directory / library.MEDIA) if f["event"] == "close"}
        assert set(files) == set(ids.values()), files
        for code, pid in ids.items():
            record = files[pid]
            decoded = decode(directory / record["path"])
            frames, span = decoded["video"]
            sent = sent1[code] - sent0[code]
            print(f"{code}: {frames} frames recorded of {sent} sent; video {span:.2f} s, audio {decoded['audio'][1]:.2f} s "
                  f"of {length:.2f} s")
            # What was heard is recorded: once changan has the floor, the others' audio is
            # not forwarded, and not recorded either.
            heard = length if code == "changan" else floor_at - meta["startedAt"]
            # The picture starts at the keyframe the relay kept (GOP cache, at most a couple of
            # seconds old), so the file may begin before the recording did; it runs to its end.
            began = record["started_at"]
            assert meta["startedAt"] - 3.0 < began < meta["startedAt"] + 1.0, (code, began, meta)
            assert abs(began + span - meta["endedAt"]) < 1.0, (code, decoded, began, meta)
            assert abs(decoded["audio"][1] - heard) < 1.0, (code, decoded, length, heard)
            assert frames >= 0.95 * sent, (code, frames, sent)
        entries = library.read_jsonl(directory / library.TIMELINE)
        floor = [e for e in entries if e["type"] == "floor" and e["participantId"] == ids["changan"]]
        assert len(floor) == 1 and abs(floor[0]["t"] - (floor_at - meta["startedAt"])) < 1.0, floor
        opinion = [e for e in entries if e["type"] == "opinion"]
        assert len(opinion) == 1 and opinion[0]["opinionId"] == made["id"]
        assert abs(opinion[0]["t"] - (opinion_at - meta["startedAt"])) < 1.0, opinion

        for s in stations.values():
            await s.page.context.close()

        # --- the player, at the opinion's marker, shows the floor: changan (green)
        context = await browser.new_context()
        page = await context.new_page()
        page.on("console", lambda m: m.type == "error" and print(f"[console] {m.text}"))
        await page.goto(hub.url + "/console")
        await page.get_by_test_id("login-username").fill("rec-admin")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await page.get_by_test_id("nav-recordings").click()
        await page.get_by_test_id("rec-open").first.click()
        marker = page.get_by_test_id("marker-opinion")
        await marker.wait_for(timeout=10000)
        assert "夜间工地噪声" in (await marker.get_attribute("title"))
        await marker.click()
        await page.wait_for_function(f"document.querySelector('[data-testid=player]').dataset.stage === '{ids['changan']}'",
                                     timeout=5000)
        t = float(await page.get_by_test_id("player").get_attribute("data-t"))
        assert abs(t - opinion[0]["t"]) < 0.5
        colour = None
        for _ in range(50):
            colour = await page.evaluate(STAGE_COLOUR)
            if colour and close_to(colour, COLOURS["changan"]):
                break
            await page.wait_for_timeout(200)
        assert colour and close_to(colour, COLOURS["changan"]), colour
        # before the floor moved, the stage was the first to arrive: xucun (red)
        await page.evaluate("location.hash = location.hash.replace(/@.*$/, '') + '@3'")
        for _ in range(50):
            colour = await page.evaluate(STAGE_COLOUR)
            if colour and close_to(colour, COLOURS["xucun"]):
                break
            await page.wait_for_timeout(200)
        assert colour and close_to(colour, COLOURS["xucun"]), colour
        await context.close()
    finally:
        if dispatcher.connected:
            await dispatcher.disconnect()
        hub.stop()
        print("---- hub log ----\n" + hub.log()[-20000:])
