"""Figures for phones on real networks (issue 9), short windows:

    .venv/bin/python bench/network_bench.py [--only phone|publisher|relay] [--window S]

Run as root (it makes network namespaces, ``tests/netns.py``; all traffic stays
in them and on 127.0.0.1).

1. **phone**: a Pixel-7 Chromium page in a namespace, 8 publishing stations
   (``bench/publishers.py``: big + small + Opus, pre-encoded) beside the hub
   (``tests/phone_network.py``).  Unconstrained, then its downlink limited to
   1.5 Mbit/s with 3 % loss, then 300 kbit/s, then no limit.  For each
   change, the time from the limit applied to the page decoding the switched
   streams (thumbnails on small streams; thumbnails paused; the big stage
   back), sampled every 250 ms from ``getStats``; and over a window at
   1.5 Mbit/s / 3 % the stage's frame rate and the share of audio samples
   concealed.
2. **publisher**: what the small stream costs a Chromium publisher: a page
   (fake camera 640x480@30 and microphone) sending to a second connection in
   the same page, with and without a second video sender from a clone of the
   camera track scaled to 320x180 (``maxBitrate`` 150 kbit/s; the big one
   1 Mbit/s as ``web/src/live/peer.ts``): each sender's outbound bit rate and
   the CPU of all of Chromium's processes, alternating windows.
3. **relay**: the hub's CPU for 14 publishing stations that each receive the
   stage and 8 thumbnails (the default ``max_thumbnails``), every station
   publishing big + small, against every station publishing big only; what
   each station receives per video (big / small / paused by bit rate).

A window is marked ``*`` (disturbed) when other processes on the machine used
more than half a core during it (the machine is shared).  Results are also
written to ``bench/out/network_bench-latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import psutil  # noqa: E402

from bench.common import CODES, write_results  # noqa: E402

SMALL_MAX_WIDTH = 360
DISTURBED_CORES = 0.5


def busy_cores() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
    return total


class CpuWindow:
    """CPU of ``ours()`` (a function: the pids, which may change) and of the
    rest of the machine between ``start`` and ``stop``."""

    def __init__(self, ours: Any) -> None:
        self.ours = ours

    def start(self) -> "CpuWindow":
        self.pids = list(self.ours())
        self.t0, self.m0, self.o0 = time.monotonic(), busy_cores(), cpu_seconds(self.pids)
        return self

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self.t0
        ours = (cpu_seconds(self.pids) - self.o0) / wall
        machine = (busy_cores() - self.m0) / wall
        return {"cores": round(ours, 3), "machine": round(machine, 2), "others": round(machine - ours, 2),
                "disturbed": machine - ours > DISTURBED_CORES}


def mark(window: dict) -> str:
    return "*" if window.get("disturbed") else " "


# ---------------------------------------------------------------------------
# 1. phone
# ---------------------------------------------------------------------------


async def _time_until(session: Any, predicate: Any, timeout: float) -> Optional[float]:
    """Seconds until ``predicate(previous, sample)`` holds (samples 250 ms apart)."""
    started = time.monotonic()
    previous = await session.sample()
    while time.monotonic() - started < timeout:
        await asyncio.sleep(0.25)
        sample = await session.sample()
        if predicate(previous, sample):
            return round(time.monotonic() - started, 2)
        previous = sample
    return None


def _video(sample: dict) -> dict[str, dict]:
    return {s["mid"]: s for s in sample["streams"] if s["kind"] == "video"}


def _playing(previous: dict, sample: dict) -> list[dict]:
    before = _video(previous)
    return [s for mid, s in _video(sample).items() if s["framesDecoded"] > before.get(mid, {}).get("framesDecoded", 0)]


def thumbnails_small(previous: dict, sample: dict) -> bool:
    thumbs = [s for s in _playing(previous, sample) if s["participantId"] != sample["stage"]]
    return bool(thumbs) and all(s["frameWidth"] <= SMALL_MAX_WIDTH for s in thumbs)


def thumbnails_paused(previous: dict, sample: dict) -> bool:
    return not [s for s in _playing(previous, sample) if s["participantId"] != sample["stage"]]


def stage_big(previous: dict, sample: dict) -> bool:
    return any(s["participantId"] == sample["stage"] and s["frameWidth"] > SMALL_MAX_WIDTH
               for s in _playing(previous, sample))


async def phone(window: float, out: dict, say: Any) -> None:
    from tests.phone_network import PhoneSession

    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp:
        async with PhoneSession(Path(tmp), stations=8) as s:
            ns_pids = lambda: [int(p) for p in os.popen(f"ip netns pids {s.network.hub}").read().split()]  # noqa: E731
            say(f"phone: 8 publishers ready ({s.publisher_info.get('bigKbps')} + {s.publisher_info.get('smallKbps')}"
                f" kbit/s video, {s.publisher_info.get('speechKbps')} kbit/s speech)")
            await s.open_phone()
            await asyncio.sleep(8)
            rows = []

            async def measure(label: str) -> dict:
                cpu = CpuWindow(ns_pids).start()
                f = await s.measure(window)
                f["cpu"] = cpu.stop()
                f["label"] = label
                rows.append(f)
                say(f"  {label}: {json.dumps(f, ensure_ascii=False)[:400]}")
                return f

            await measure("unconstrained")
            switches = {}
            s.shape(1500, 3)
            switches["1.5 Mbit/s, 3 %: thumbnails on small"] = await _time_until(s, thumbnails_small, 30)
            await asyncio.sleep(5)
            await measure("1.5 Mbit/s, 3 % loss")
            s.shape(300, 3)
            switches["300 kbit/s: thumbnails paused"] = await _time_until(s, thumbnails_paused, 30)
            await asyncio.sleep(5)
            await measure("300 kbit/s, 3 % loss")
            s.shape(None)
            switches["limit lifted: big stage back"] = await _time_until(s, stage_big, 30)
            await asyncio.sleep(5)
            await measure("limit lifted")
            out["phone"] = {"windows": rows, "switch_seconds": switches, "publishers": s.publisher_info}


# ---------------------------------------------------------------------------
# 2. publisher (Chromium)
# ---------------------------------------------------------------------------

PUBLISHER_PAGE = """async ([small, seconds]) => {
    if (!window.__pub) {
        const stream = await navigator.mediaDevices.getUserMedia(
            {audio: true, video: {width: 640, height: 480, frameRate: 30}});
        const a = new RTCPeerConnection(), b = new RTCPeerConnection();
        a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
        b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
        const [audio] = stream.getAudioTracks(), [video] = stream.getVideoTracks();
        a.addTransceiver(audio, {direction: 'sendonly'});
        const big = a.addTransceiver(video, {direction: 'sendonly', sendEncodings: [{maxBitrate: 1000000}]});
        const clone = video.clone();
        await clone.applyConstraints({width: 320, height: 180, frameRate: 30});
        const smallTx = a.addTransceiver(clone, {direction: 'sendonly', sendEncodings: [{maxBitrate: 150000}]});
        await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
        await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
        window.__pub = {a, b, big, smallTx, clone};
    }
    const p = window.__pub;
    await p.smallTx.sender.replaceTrack(small ? p.clone : null);
    const read = async () => {
        const r = {};
        (await p.a.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp') r[s.mid] = {bytes: s.bytesSent + (s.headerBytesSent || 0),
                                                     width: s.frameWidth || 0, kind: s.kind};
        });
        return r;
    };
    await new Promise((r) => setTimeout(r, 3000));  // the encoder settles
    const t0 = performance.now(), r0 = await read();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const t1 = performance.now(), r1 = await read();
    const out = {};
    for (const mid of Object.keys(r1)) {
        const name = mid === p.big.mid ? 'big' : mid === p.smallTx.mid ? 'small' : 'audio';
        out[name] = {kbps: 8 * (r1[mid].bytes - (r0[mid] ? r0[mid].bytes : 0)) / (t1 - t0), width: r1[mid].width};
    }
    return out;
}"""


async def publisher(window: float, out: dict, say: Any) -> None:
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM_ARGS
    from tests.netns import Network

    rows = []
    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp, Network() as network:
        pids = lambda: [int(p) for p in os.popen(f"ip netns pids {network.phone}").read().split()]  # noqa: E731
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=network.chromium_in(network.phone, Path(tmp)),
                                              headless=True, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                # A secure context for getUserMedia (about:blank is not one any more), served
                # by Playwright itself: nothing crosses a network.
                await page.route("http://localhost/bench", lambda route: route.fulfill(
                    body="<!doctype html><title>bench</title>", content_type="text/html"))
                await page.goto("http://localhost/bench")
                for small in (False, True, False, True):
                    cpu = CpuWindow(pids)
                    # The CPU window is the page's measuring window (after its 3 s settling).
                    task = asyncio.ensure_future(page.evaluate(PUBLISHER_PAGE, [small, window]))
                    await asyncio.sleep(3)
                    cpu.start()
                    rates = await task
                    row = {"small": small, "rates": rates, "cpu": cpu.stop()}
                    rows.append(row)
                    say(f"  publisher {'big + small' if small else 'big only   '}: {json.dumps(row)}")
            finally:
                await browser.close()
    out["publisher"] = rows


# ---------------------------------------------------------------------------
# 3. relay CPU
# ---------------------------------------------------------------------------


def relay(window: float, small: bool, out: dict, say: Any) -> None:
    from bench.hubproc import HubProcess, free_port
    from bench.publishers import PublisherProcess, station_media
    from core import tokens

    station_media()
    key = "relay_big_small" if small else "relay_big_only"
    with tempfile.TemporaryDirectory(prefix="network-bench-") as tmp:
        var = Path(tmp) / "var"
        var.mkdir()
        secret = tokens.load_or_create_secret(var / "secret.key")
        hub = HubProcess(var, free_port(), PROJECT_DIR / "bench" / "out" / f"network-hub-{key}.log")
        (PROJECT_DIR / "bench" / "out").mkdir(exist_ok=True)
        hub.start(timeout=120)
        procs: list[Any] = []
        try:
            codes = CODES[:14]
            # Two stations a process (each receives 9 videos and 13 audio streams): one
            # process for all would be the bottleneck, and miss its Socket.IO pings.
            for first in range(1, 15, 2):
                group = codes[first - 1:first + 1]
                toks = {c: tokens.sign(secret, "demo", f"station:{c}", "station", ttl_seconds=3600) for c in group}
                procs.append(PublisherProcess(hub.url, toks, small=small, receive=True, first_source=first,
                                              log_path=PROJECT_DIR / "bench" / "out" / f"network-publishers-{first}.log"))
                if first == 1:
                    procs[0].ready()  # the first station takes the stage
            for p in procs[1:]:
                p.ready()
            time.sleep(10)  # every subscribe connection negotiated, the estimates settled
            before = [p.figures() for p in procs]
            cpu_hub = CpuWindow(lambda: [hub.popen.pid]).start()
            cpu_gen = CpuWindow(lambda: [p.popen.pid for p in procs]).start()
            t0 = time.monotonic()
            time.sleep(window)
            hub_cpu, gen_cpu = cpu_hub.stop(), cpu_gen.stop()
            seconds = time.monotonic() - t0
            after = [p.figures() for p in procs]
        finally:
            for p in procs:
                p.stop()
            hub.stop()
    kinds = {"big": 0, "small": 0, "paused": 0}
    received_kbps = []
    for b, a in zip(before, after):
        for name, station in a.items():
            total = 0.0
            for mid, r in station["received"].items():
                old = b.get(name, {}).get("received", {}).get(mid, {"bytes": 0})
                kbps = 8 * (r["bytes"] - old["bytes"]) / seconds / 1000
                total += kbps
                if r["kind"] == "video":
                    kinds["big" if kbps > 400 else "small" if kbps > 20 else "paused"] += 1
            received_kbps.append(total)
    gen_cpu["others"] = round(gen_cpu["others"] - hub_cpu["cores"], 2)  # the hub is not "other" load
    gen_cpu["disturbed"] = gen_cpu["others"] > DISTURBED_CORES
    row = {"small": small, "hub": hub_cpu, "loadgen": gen_cpu, "videos_received": kinds,
           "station_kbps_avg": round(sum(received_kbps) / max(1, len(received_kbps)))}
    say(f"  relay {'big + small' if small else 'big only'}: {json.dumps(row)}")
    out[key] = row


# ---------------------------------------------------------------------------


def report(out: dict) -> None:
    print("\n== Phone on an emulated network (8 publishing stations, Pixel-7 Chromium) ==")
    phone_out = out.get("phone")
    if phone_out:
        print(f"{'window':24} {'stage fps':>9} {'stage w':>7} {'thumbs fps (w)':32} {'audio conc.':>11} "
              f"{'video kbit/s':>12} {'audio kbit/s':>12}")
        for f in phone_out["windows"]:
            thumbs = " ".join(f"{t['fps']:.0f}({t['width']})" for t in f["thumbnails"].values())
            conc = f"{100 * f['speech_concealed']:.1f} %" if f['speech_concealed'] is not None else "-"
            print(f"{mark(f['cpu'])}{f['label']:23} {f['stage_fps']:9.1f} {f['stage_width']:7} {thumbs[:32]:32} "
                  f"{conc:>11} {f['video_kbps']:12.0f} {f['audio_kbps']:12.0f}")
        for what, seconds in phone_out["switch_seconds"].items():
            print(f"  switch  {what}: {'%.2f s' % seconds if seconds is not None else 'not within 30 s'}")
    pub = out.get("publisher")
    if pub:
        print("\n== Chromium publisher: the small stream's cost (640x480 camera, clone at 320x180) ==")
        print(f"{'senders':14} {'big kbit/s':>10} {'small kbit/s':>12} {'small w':>7} {'Chromium cores':>14}")
        for r in pub:
            rates = r["rates"]
            print(f"{mark(r['cpu'])}{'big + small' if r['small'] else 'big only':13} "
                  f"{rates.get('big', {}).get('kbps', 0):10.0f} {rates.get('small', {}).get('kbps', 0):12.0f} "
                  f"{rates.get('small', {}).get('width', 0):7} {r['cpu']['cores']:14.3f}")
        with_small = [r["cpu"]["cores"] for r in pub if r["small"]]
        without = [r["cpu"]["cores"] for r in pub if not r["small"]]
        if with_small and without:
            print(f"  extra CPU for the small sender: {sum(with_small) / len(with_small) - sum(without) / len(without):+.3f}"
                  " cores (mean of the windows)")
    for key, label in (("relay_big_only", "big only"), ("relay_big_small", "big + small")):
        r = out.get(key)
        if r:
            if key == "relay_big_only" or "relay_big_only" not in out:
                print("\n== Relay CPU: 14 publishing stations, each receiving the stage + 8 thumbnails ==")
                print(f"{'publishing':14} {'hub cores':>9} {'loadgen cores':>13} {'videos big/small/paused':>24} "
                      f"{'kbit/s per station':>18}")
            v = r["videos_received"]
            print(f"{mark(r['loadgen'])}{label:13} {r['hub']['cores']:9.3f} {r['loadgen']['cores']:13.3f} "
                  f"{v['big']:>10}/{v['small']}/{v['paused']:<8} {r['station_kbps_avg']:18}")
    print("\n* = disturbed: other processes used more than 0.5 core in that window")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["phone", "publisher", "relay"])
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("network_bench: run as root (it makes network namespaces)", file=sys.stderr)
        return 2
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)

    out: dict[str, Any] = {"window_seconds": args.window, "loadavg_start": os.getloadavg()}
    try:
        if args.only in (None, "phone"):
            asyncio.run(phone(args.window, out, say))
        if args.only in (None, "publisher"):
            asyncio.run(publisher(args.window, out, say))
        if args.only in (None, "relay"):
            relay(args.window, False, out, say)
            relay(args.window, True, out, say)
    finally:
        path = write_results("network_bench", out)
        report(out)
        print(f"\nJSON: {path.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
