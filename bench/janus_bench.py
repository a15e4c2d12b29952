"""The hub's relay and Janus VideoRoom side by side, in the same windows.

    .venv/bin/python bench/janus_bench.py [--steps 1,4,8,16] [--window 8]

One publisher per system, both fed the same pre-encoded 640x480@30 VP8 loop
(``bench/source.py``, ~850 kbit/s) from one load generator process (P); N
subscribers per system, the hub's in process S and Janus's in process T
(``bench/loadgen.py``); a direct aiortc link P → S (no relay) measured in
every window as the baseline.  Both systems carry their load at the same
time, so whatever else the machine does disturbs both alike.  Per N it
prints, for each: cores, core per forwarded stream, µs of CPU per forwarded
packet, fps (min/avg over subscribers), one-way latency p50/p95 at the last
RTP packet of each frame and what the relay adds over the direct link; then
the hub/Janus ratios.  A window is marked ``*`` when the direct link's p95
is above 20 ms or other processes used more than half a core.

Janus is the Debian package ``janus`` (``apt-get install janus``), started
with a private configuration (:mod:`bench.janus`).  Janus gathers no ICE
candidates on loopback, so both systems run on the machine's first
non-loopback IPv4 address.  Results also go to ``bench/out/janus_bench-latest.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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

from bench.harness import CODES, OUT_DIR, BenchBase, busy_cores, cpu_seconds, fmt, percentile  # noqa: E402
from bench.hubproc import HubProcess, free_port  # noqa: E402
from bench.janus import JanusServer  # noqa: E402
from bench.loadgen import WorkerHandle, worker_main  # noqa: E402
from bench.source import encode_loop  # noqa: E402

HUB_SOURCE, JANUS_SOURCE, DIRECT_SOURCE = 1, 2, 900
ROOM = 4242


def host_address() -> str:
    for name, addresses in psutil.net_if_addrs().items():
        for a in addresses:
            if a.family.name == "AF_INET" and not a.address.startswith("127."):
                return a.address
    raise RuntimeError("no non-loopback IPv4 address: Janus cannot gather candidates")


class SideBySide(BenchBase):
    def __init__(self, steps: list[int], window: float, warmup: float) -> None:
        super().__init__()
        self.steps, self.window, self.warmup = steps, window, warmup
        self.tmp = Path(tempfile.mkdtemp(prefix="janus-bench-"))
        self.workers: dict[str, WorkerHandle] = {}
        self.results: dict[str, Any] = {"steps": [], "notes": []}

    def setup(self) -> None:
        address = host_address()
        os.environ["BENCH_HOST_ADDRESS"] = address  # inherited by the load generators
        loop = encode_loop()
        self.say(f"pre-encoded {len(loop.frames)} frames, {loop.bitrate / 1000:.0f} kbit/s; media on {address}")
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        var_dir = self.tmp / "var"
        var_dir.mkdir()
        from core import tokens

        secret = tokens.load_or_create_secret(var_dir / "secret.key")
        self.tokens = {c: tokens.sign(secret, "demo", f"station:{c}", "station", ttl_seconds=3600) for c in CODES}
        self.hub = HubProcess(var_dir, free_port(), OUT_DIR / "hub-last.log",
                              extra_env={"LIAISON_HUB_MEDIA__LOOPBACK_CANDIDATES": "false"})
        self.hub.start()
        self.janus = JanusServer(free_port(), OUT_DIR / "janus-last.log")
        self.janus.start()
        self.processes = {"hub": self.hub.process, "janus": psutil.Process(self.janus.pid)}
        self.say(f"hub pid {self.hub.popen.pid}, janus pid {self.janus.pid}")
        ctx = multiprocessing.get_context("spawn")
        for name in ("P", "S", "T"):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=worker_main, args=(name, child, "WARNING", True), daemon=True)
            process.start()
            child.close()
            self.workers[name] = WorkerHandle(name, process, parent)
        for w in self.workers.values():
            w.call("setup", loop=loop, timeout=60)
        P, S = self.workers["P"], self.workers["S"]
        answer = S.call("direct_answer", sdp=P.call("direct_offer", source_id=DIRECT_SOURCE))
        P.call("direct_accept", sdp=answer)
        P.call("start_station", name="hub-pub", url=self.hub.url, token=self.tokens[CODES[0]],
               publish=True, source_id=HUB_SOURCE, timeout=30)
        self.feed = P.call("start_janus_station", name="janus-pub", url=self.janus.url, room=ROOM,
                           publish=True, source_id=JANUS_SOURCE, timeout=30)["feed"]

    def add_subscribers(self, current: int, n: int) -> None:
        for i in range(current, n):
            self.workers["S"].call("start_station", name=f"hub-sub-{i:02d}", url=self.hub.url,
                                   token=self.tokens[CODES[1 + i]], publish=False, source_id=1000 + i, timeout=30)
            self.workers["T"].call("start_janus_station", name=f"janus-sub-{i:02d}", url=self.janus.url,
                                   room=ROOM, publish=False, source_id=2000 + i, feed=self.feed, timeout=30)
        for worker, source, prefix in (("S", HUB_SOURCE, "hub"), ("T", JANUS_SOURCE, "janus")):
            names = [f"{prefix}-sub-{i:02d}" for i in range(n)]
            w = self.workers[worker]
            missing = w.wait(w.send("wait_frames", names=names, sources=[source], timeout=25), 40)
            if missing["missing"]:
                self.say(f"  {prefix}: no frames yet at {missing['missing']}")

    def others_cores(self, busy0: float, ours0: float, busy1: float, ours1: float, wall: float) -> float:
        return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / wall)

    def machine(self) -> tuple[float, float]:
        busy = busy_cores(psutil.cpu_times())
        ours = [*self.processes.values(), psutil.Process()] + [psutil.Process(w.pid) for w in self.workers.values()]
        return busy, sum(cpu_seconds(p) for p in ours)

    def measure(self, n: int) -> dict[str, Any]:
        time.sleep(self.warmup)
        P = self.workers["P"]
        cpu0 = {k: cpu_seconds(p) for k, p in self.processes.items()}
        sent0 = P.call("packets_sent", names=["hub-pub", "janus-pub"])
        machine0 = self.machine()
        for w in self.workers.values():
            w.call("window_start")
        t0 = time.monotonic()
        time.sleep(self.window)
        reports = {name: w.call("window_end") for name, w in self.workers.items()}
        wall = time.monotonic() - t0
        machine1 = self.machine()
        cpu1 = {k: cpu_seconds(p) for k, p in self.processes.items()}
        sent1 = P.call("packets_sent", names=["hub-pub", "janus-pub"])
        direct = reports["S"]["received"].get("direct", {}).get(DIRECT_SOURCE, {})
        direct_lat = [x / 1e6 for x in direct.get("rtp_latencies_ns", [])]
        d50, d95 = percentile(direct_lat, 0.5), percentile(direct_lat, 0.95)
        others = self.others_cores(*machine0, *machine1, wall)
        disturbed = []
        if d95 is None or d95 > 20:
            disturbed.append(f"direct p95 {fmt(d95)} ms")
        if others > 0.5:
            disturbed.append(f"other processes {others:.2f} cores")
        row: dict[str, Any] = {"n": n, "window_s": round(wall, 1), "direct_ms": [d50, d95],
                               "others_cores": round(others, 2), "disturbed": "; ".join(disturbed) or None}
        for system, worker, source, pub in (("hub", "S", HUB_SOURCE, "hub-pub"),
                                            ("janus", "T", JANUS_SOURCE, "janus-pub")):
            cpu = cpu1[system] - cpu0[system]
            packets_in = sent1[pub] - sent0[pub]
            fps, lat = [], []
            for name, by_source in reports[worker]["received"].items():
                if name.startswith(f"{system}-sub-"):
                    r = by_source.get(source) or by_source.get(str(source)) or {}
                    fps.append(r.get("rtp_frames", 0) / wall)
                    lat += [x / 1e6 for x in r.get("rtp_latencies_ns", [])]
            p50, p95 = percentile(lat, 0.5), percentile(lat, 0.95)
            row[system] = {
                "cores": cpu / wall,
                "core_per_stream": cpu / wall / n,
                "us_per_packet": cpu * 1e6 / max(1, packets_in * n),
                "packets_in_per_s": packets_in / wall,
                "fps_min": min(fps) if fps else 0.0,
                "fps_avg": sum(fps) / len(fps) if fps else 0.0,
                "latency_ms": [p50, p95],
                "added_ms": [None if p50 is None or d50 is None else p50 - d50,
                             None if p95 is None or d95 is None else p95 - d95],
                "rss_mb": self.processes[system].memory_info().rss / 2**20,
            }
        h, j = row["hub"], row["janus"]
        row["ratio_us_per_packet"] = h["us_per_packet"] / j["us_per_packet"] if j["us_per_packet"] else None
        self.results["steps"].append(row)
        return row

    def run(self) -> None:
        current = 0
        self.say("   N  system  cores  core/strm  us/pkt  fps min/avg   latency p50/p95  added p50/p95   RSS MB")
        for n in self.steps:
            self.add_subscribers(current, n)
            current = n
            row = self.measure(n)
            mark = "*" if row["disturbed"] else " "
            for system in ("hub", "janus"):
                r = row[system]
                self.say(f"{mark}{n:3d}  {system:6s} {r['cores']:6.3f} {r['core_per_stream']:9.4f} "
                         f"{r['us_per_packet']:7.1f} {r['fps_min']:5.1f}/{r['fps_avg']:4.1f}  "
                         f"{fmt(r['latency_ms'][0]):>6}/{fmt(r['latency_ms'][1]):>6}   "
                         f"{fmt(r['added_ms'][0]):>6}/{fmt(r['added_ms'][1]):>6}  {r['rss_mb']:7.1f}")
            self.say(f"      hub/janus per packet {fmt(row['ratio_us_per_packet'], '.2f')}; direct p50/p95 "
                     f"{fmt(row['direct_ms'][0])}/{fmt(row['direct_ms'][1])} ms; others "
                     f"{row['others_cores']:.2f} cores{'; DISTURBED: ' + row['disturbed'] if row['disturbed'] else ''}")

    def close(self) -> None:
        for w in self.workers.values():
            try:
                w.call("shutdown", timeout=30)
            except Exception:
                pass
            w.process.terminate()
        for server in (getattr(self, "janus", None), getattr(self, "hub", None)):
            if server is not None:
                server.stop()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1,4,8,16")
    parser.add_argument("--window", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args(argv)
    if not JanusServer.available():
        print("janus is not installed: apt-get install janus", file=sys.stderr)
        return 2
    bench = SideBySide([int(x) for x in args.steps.split(",")], args.window, args.warmup)
    try:
        bench.setup()
        bench.run()
    finally:
        bench.close()
        path = OUT_DIR / "janus_bench-latest.json"
        path.write_text(json.dumps(bench.results, indent=1, default=str))
        print(f"results: {path.relative_to(PROJECT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
