"""Two hubs carrying the same load in the same windows: the hub's CPU before and after a change.

    .venv/bin/python bench/ab_bench.py --a-ref main [--steps 0,1,4,8,16] [--window 4] [--repeat 4]
    .venv/bin/python bench/ab_bench.py --env-b LIAISON_HUB_MEDIA__UVLOOP=false   # one checkout, two settings

Hub A runs the code of git ref ``--a-ref`` (exported to a temporary directory; default: this
checkout), hub B this checkout; ``--env-a``/``--env-b`` add settings to either.  One load
generator process (P) publishes the same pre-encoded stream to both, another (S) runs N
subscribers of each.  Both hubs live through the same disturbances of a shared machine, so
their ratio B/A (per window, median over ``--repeat`` windows) is steadier than either figure.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

import psutil  # noqa: E402

from bench.harness import CODES, OUT_DIR, BenchBase, cpu_seconds, stop_workers, write_results  # noqa: E402
from bench.hubproc import HubProcess, free_port  # noqa: E402
from bench.loadgen import WorkerHandle, worker_main  # noqa: E402
from bench.source import encode_loop  # noqa: E402


class CodeHub(HubProcess):
    """A hub subprocess running the code of ``code_dir``."""

    def __init__(self, code_dir: Path, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_dir = code_dir
        self.extra_env["PYTHONPATH"] = str(code_dir)

    def start(self, timeout: float = 60.0) -> None:
        import bench.hubproc as hubproc

        saved = hubproc.PROJECT_DIR
        hubproc.PROJECT_DIR = self.code_dir  # cwd of the subprocess
        try:
            super().start(timeout)
        finally:
            hubproc.PROJECT_DIR = saved


class AB(BenchBase):
    def __init__(self, a_dir: Path, env_a: dict[str, str], env_b: dict[str, str]) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ab-bench-"))
        self.sides = {"A": (a_dir, env_a), "B": (PROJECT_DIR, env_b)}
        self.hubs: dict[str, CodeHub] = {}
        self.tokens: dict[str, dict[str, str]] = {}
        self.results: dict[str, Any] = {"steps": []}

    def setup(self) -> None:
        from core import tokens

        OUT_DIR.mkdir(parents=True, exist_ok=True)
        for side, (code_dir, env) in self.sides.items():
            var = self.tmp / side
            var.mkdir()
            secret = tokens.load_or_create_secret(var / "secret.key")
            self.tokens[side] = {c: tokens.sign(secret, "demo", f"station:{c}", "station", ttl_seconds=3600)
                                 for c in CODES}
            hub = CodeHub(code_dir, var, free_port(), OUT_DIR / f"ab-hub-{side}.log", extra_env=env)
            hub.start()
            self.hubs[side] = hub
            self.say(f"hub {side}: pid {hub.popen.pid}, code {code_dir}, {env or ''}")
        loop = encode_loop()
        ctx = multiprocessing.get_context("spawn")
        for name in ("P", "S"):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=worker_main, args=(name, child, "WARNING", True), daemon=True)
            process.start()
            child.close()
            self.workers[name] = WorkerHandle(name, process, parent)
        for w in self.workers.values():
            w.call("setup", loop=loop, timeout=60)
        for i, (side, hub) in enumerate(self.hubs.items()):
            self.workers["P"].call("start_station", name=f"pub-{side}", url=hub.url, token=self.tokens[side][CODES[0]],
                                   publish=True, source_id=1 + i, timeout=60)

    def measure(self, n: int, window: float, repeat: int) -> None:
        procs = {side: psutil.Process(hub.popen.pid) for side, hub in self.hubs.items()}
        cores: dict[str, list[float]] = {"A": [], "B": []}
        ratios = []
        for _ in range(repeat):
            c0, t0 = {s: cpu_seconds(p) for s, p in procs.items()}, time.monotonic()
            time.sleep(window)
            c1, t1 = {s: cpu_seconds(p) for s, p in procs.items()}, time.monotonic()
            a, b = ((c1[s] - c0[s]) / (t1 - t0) for s in ("A", "B"))
            cores["A"].append(a)
            cores["B"].append(b)
            if a > 0:
                ratios.append(b / a)
        row = {"n": n, "cores": cores, "ratio_median": statistics.median(ratios) if ratios else None,
               "ratio_of_sums": sum(cores["B"]) / sum(cores["A"]) if sum(cores["A"]) else None,
               "others_cores": round(self.others_load(1.0), 2)}
        self.results["steps"].append(row)
        self.say(f"N={n:2d}  A {statistics.median(cores['A']):.4f}  B {statistics.median(cores['B']):.4f} cores "
                 f"(medians)  B/A {row['ratio_median']:.3f} (of sums {row['ratio_of_sums']:.3f}); "
                 f"others {row['others_cores']} cores")

    def run(self, steps: list[int], window: float, repeat: int) -> None:
        current = 0
        for n in steps:
            for i in range(current, n):
                for j, (side, hub) in enumerate(self.hubs.items()):
                    self.workers["S"].call("start_station", name=f"sub-{side}-{i:02d}", url=hub.url,
                                           token=self.tokens[side][CODES[1 + i]], publish=False,
                                           source_id=100 * (j + 1) + i, timeout=60)
            if n > current:
                for j, side in enumerate(self.hubs):
                    w = self.workers["S"]
                    names = [f"sub-{side}-{i:02d}" for i in range(n)]
                    missing = w.wait(w.send("wait_frames", names=names, sources=[1 + j], timeout=30), 45)["missing"]
                    if missing:
                        self.say(f"  hub {side}: no frames yet at {sorted(missing)}")
            current = n
            time.sleep(1.5)
            self.measure(n, window, repeat)

    def report(self) -> None:
        pass

    def write_json(self) -> Path:
        return write_results("ab_bench", self.results)

    def close(self) -> None:
        stop_workers(self.workers)
        for hub in self.hubs.values():
            hub.stop()


def export_ref(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="ab-bench-code-"))
    archive = subprocess.run(["git", "archive", ref], cwd=PROJECT_DIR, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main(argv: Optional[list[str]] = None) -> int:
    from bench.harness import run_bench

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a-ref", help="git ref whose code hub A runs (default: this checkout)")
    parser.add_argument("--env-a", action="append", default=[], help="KEY=VALUE for hub A (repeatable)")
    parser.add_argument("--env-b", action="append", default=[], help="KEY=VALUE for hub B (repeatable)")
    parser.add_argument("--steps", default="0,1,4,8,16")
    parser.add_argument("--window", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    a_dir = export_ref(args.a_ref) if args.a_ref else PROJECT_DIR
    if a_dir != PROJECT_DIR and (PROJECT_DIR / "web" / "dist").exists():
        (a_dir / "web" / "dist").symlink_to(PROJECT_DIR / "web" / "dist")
    bench = AB(a_dir, dict(e.split("=", 1) for e in args.env_a), dict(e.split("=", 1) for e in args.env_b))
    bench.results.update({"a": str(args.a_ref or "this checkout"), "env_a": args.env_a, "env_b": args.env_b})

    def body() -> None:
        bench.setup()
        bench.run([int(x) for x in args.steps.split(",")], args.window, args.repeat)

    return run_bench(bench, 600, body)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
