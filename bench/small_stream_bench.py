"""What the camera's small stream (大小流, issue 9) costs a publishing station, in Chromium.

    .venv/bin/python bench/small_stream_bench.py [--window 10]

Starts a hub and, for each mode (the big stream alone: ``?small=off``; big + small), a headless
Chromium of its own (Debian's, with the fake camera at 960×540) whose one page publishes as
Xucun, while another Chromium receives as Chang'an. Over ``--window`` seconds it reads the
publisher's outbound video streams from ``getStats`` (resolution, frames a second, bit/s) and
the CPU time of the publisher's browser (all its processes: a rough figure that includes the
encoders, in % of one core). Results are printed and written to ``bench/out/small_stream-*.json``.
On a loaded machine the browser lowers the camera's resolution for both streams alike.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import write_results  # noqa: E402
from tests.browser import CHROMIUM_ARGS, HubProcess, autojoin, require_chromium  # noqa: E402

OUTBOUND = """async () => (await window.hubClient.outboundVideo()).map(s => ({...s}))"""


def _cpu(pids: set[int]) -> float:
    """CPU seconds so far of these processes (those gone count nothing)."""
    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _new_browser_processes(before: set[int]) -> set[int]:
    """The Chromium processes started since ``before`` was taken: the publisher's browser."""
    return {p.info["pid"] for p in psutil.process_iter(["pid", "name"])
            if p.info["pid"] not in before and "chrom" in (p.info["name"] or "")}


async def measure(p, hub: HubProcess, small: bool, window: float) -> dict:
    before = {pr.pid for pr in psutil.process_iter()}
    browser = await p.chromium.launch(executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS)
    try:
        page = await browser.new_page(viewport={"width": 1280, "height": 760}, bypass_csp=True)
        url = autojoin(hub.link("demo", "xucun"))
        if not small:
            url = url.replace("autojoin=1", "autojoin=1&small=off")
        await page.goto(url)
        await page.wait_for_function("window.hubClient && window.hubClient.state === 'live'", timeout=60_000)
        await asyncio.sleep(6)  # the encoders ramp up
        pids = _new_browser_processes(before)
        first, cpu0, t0 = await page.evaluate(OUTBOUND), _cpu(pids), time.monotonic()
        await asyncio.sleep(window)
        last, cpu1, t1 = await page.evaluate(OUTBOUND), _cpu(pids), time.monotonic()
        streams = []
        for s in last:
            s0 = next((x for x in first if x["mid"] == s["mid"]), None)
            rate = (s["bytesSent"] - s0["bytesSent"]) * 8 / (t1 - t0) if s0 else None
            streams.append({"small": s["small"], "resolution": [s["frameWidth"], s["frameHeight"]],
                            "fps": s["framesPerSecond"], "kbps": None if rate is None else round(rate / 1000)})
        return {"small": small, "streams": streams, "browser_cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1)}
    finally:
        await browser.close()


async def main(window: float) -> dict:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        hub = HubProcess(Path(tmp) / "var")
        hub.start()
        try:
            async with async_playwright() as p:
                viewer = await p.chromium.launch(executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS)
                page = await viewer.new_page(bypass_csp=True)
                await page.goto(autojoin(hub.link("demo", "changan")).replace("autojoin=1", "autojoin=1&camera=0"))
                runs = [await measure(p, hub, small, window) for small in (False, True)]
                await viewer.close()
        finally:
            hub.stop()
    return {"window_s": window, "load_average": list(psutil.getloadavg()), "runs": runs}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=10.0)
    results = asyncio.run(main(parser.parse_args().window))
    for run in results["runs"]:
        print(("big + small" if run["small"] else "big alone  "), f"browser CPU {run['browser_cpu_percent']} %",
              *(f"{'small' if s['small'] else 'big'} {s['resolution'][0]}x{s['resolution'][1]} "
                f"{s['fps']} fps {s['kbps']} kbit/s" for s in run["streams"]), sep=" | ")
    print("load average", results["load_average"])
    print("written to", write_results("small_stream", results))
