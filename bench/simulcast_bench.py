"""What a real Chromium publisher's big and small streams cost (issue 9).

A headless Chromium page (Debian's, fake camera) publishes to an in-process
Relay the way the station page does: the camera once as it is, and again as a
second transceiver of the same track with ``scaleResolutionDownBy`` (to about
180 lines), ``maxBitrate`` 150 kbit/s and ``maxFramerate`` 15, its media section
marked ``a=content:alt``.  Prints, every second, the bit rate the relay receives
on each stream and the frame sizes of their keyframes; at the end the means
over the last ``--seconds`` / 2.

    PYTHONPATH=. .venv/bin/python bench/simulcast_bench.py --seconds 20 [--y4m]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from media.interface import SessionDescription  # noqa: E402
from media.relay import Relay  # noqa: E402

PAGE_SCRIPT = """
async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: true});
  const [video] = stream.getVideoTracks();
  const pc = new RTCPeerConnection({bundlePolicy: "max-bundle"});
  pc.addTransceiver(stream.getAudioTracks()[0], {direction: "sendonly"});
  pc.addTransceiver(video, {direction: "sendonly"});
  const height = video.getSettings().height || 480;
  const small = pc.addTransceiver(video, {direction: "sendonly", sendEncodings: [
    {scaleResolutionDownBy: Math.max(1, height / 180), maxBitrate: 150000, maxFramerate: 15}]});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
  });
  window.pc = pc;
  const sdp = pc.localDescription.sdp;
  const lines = sdp.split("\\r\\n");
  lines.splice(lines.indexOf("a=mid:" + small.mid) + 1, 0, "a=content:alt");
  return lines.join("\\r\\n");
}
"""


def write_y4m(path: str, frames: int = 150) -> None:
    """A 640x480 30 fps Y4M of a panning blocky texture with a moving box
    (Chromium's own fake camera is too easy to compress to be measured)."""
    import random

    rng = random.Random(1)
    width = 2560  # the texture pans across it, wrapping
    blocks = [[rng.randint(16, 235) for _ in range(width // 16)] for _ in range(480 // 16)]
    rows = [bytes(v for v in block_row for _ in range(16)) * 2 for block_row in blocks]
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for i in range(frames):
            shift, x = (4 * i) % width, (i * 7) % 560
            luma = bytearray()
            for y in range(480):
                row = rows[y // 16][shift:shift + 640]
                if 180 <= y < 300:
                    row = row[:x] + bytes([235]) * 80 + row[x + 80:]
                luma += row
            out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)


async def main(seconds: float, y4m: bool, small: bool = True) -> None:
    from playwright.async_api import async_playwright

    from aiohttp import web

    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="<!doctype html><title>pub</title>",
                                                         content_type="text/html"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    relay = Relay(loopback_candidates=True)
    await relay.join("room", "pub", _NoEvents())
    async with async_playwright() as pw:
        args = list(CHROMIUM_ARGS)
        if y4m:
            write_y4m("/tmp/simulcast_bench.y4m")
            args.append("--use-file-for-fake-video-capture=/tmp/simulcast_bench.y4m")
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        page = await browser.new_page()
        await page.goto(f"http://localhost:{port}/")  # a secure context: getUserMedia
        script = PAGE_SCRIPT if small else PAGE_SCRIPT.replace("const small = pc.addTransceiver", "const small = {mid: 'none'} || pc.addTransceiver").replace("lines.splice(", "if (small.mid !== 'none') lines.splice(")
        offer = await page.evaluate(script)
        answer = await relay.publish("pub", SessionDescription(sdp=offer, type="offer"))
        await page.evaluate("(sdp) => window.pc.setRemoteDescription({type: 'answer', sdp})", answer.sdp)
        p = relay._participants["pub"]
        samples: dict[str, list[float]] = {"big": [], "small": []}
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            row = []
            for name, track in (("big", p.camera()), ("small", p.small())):
                if track is None:
                    row.append(f"{name}: -")
                    continue
                rate = track.rate.sample(now, track.octets_received)
                if now - start > seconds / 2:
                    samples[name].append(rate)
                row.append(f"{name}: {rate / 1000:7.0f} kbit/s {track.frame_size}")
            print(f"{now - start:5.1f} s  " + "   ".join(row), flush=True)
        for name, values in samples.items():
            if values:
                print(f"{name}: mean {statistics.mean(values) / 1000:.0f} kbit/s over the last {len(values)} s")
        await browser.close()
    await relay.close()
    await runner.cleanup()


class _NoEvents:
    async def subscriber_offer(self, *args: object) -> None: ...
    async def subscriber_tracks(self, *args: object) -> None: ...
    async def connection_state(self, *args: object) -> None: ...
    async def publishing(self, *args: object) -> None: ...


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--y4m", action="store_true", help="a moving texture instead of Chromium's fake camera")
    parser.add_argument("--no-small", action="store_true", help="the big stream only (for comparison)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.y4m, not arguments.no_small))
