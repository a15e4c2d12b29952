"""The harness every benchmark script shares (issue 11): the stations'
tokens, where results go, figures (percentiles, formatting, machine load),
the hub and load generator processes' bookkeeping, and the time-limited run
of a bench with its report and JSON written whatever happens.

A bench script holds its scenarios only: it subclasses :class:`BenchBase`
(``say``, ``check_hub``, ``others_load``, ``close``) and ends with
:func:`run_bench`.
"""

from __future__ import annotations

import json
import signal
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

import psutil

PROJECT_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = Path(__file__).resolve().parent / "out"

# The 17 stations of the demo session (configs/matrix.yaml).
CODES = [
    "jiaxing", "haining", "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan",
    "zhouwangmiao", "yanguan", "xieqiao", "dingqiao", "yuanhua", "huangwan",
    "xucun-rongxing", "changan-xinfeng", "yanguan-guzhen",
]


class BenchTimeout(Exception):
    """The bench's time limit was reached (:func:`run_bench`)."""


def percentile(values: list[float], q: float) -> Optional[float]:
    """Linear-interpolated percentile ``q`` (0..1), ``None`` for no values."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def fmt(value: Optional[float], spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def summary(values: list[Optional[float]]) -> dict[str, Any]:
    got = [v for v in values if v is not None]
    return {
        "n": len(values), "missing": len(values) - len(got),
        "p50": percentile(got, 0.5), "p95": percentile(got, 0.95), "max": max(got) if got else None,
    }


def busy_cores(t: Any) -> float:
    """Busy CPU seconds of a ``psutil.cpu_times()`` sample (machine-wide)."""
    return t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)


def cpu_seconds(process: psutil.Process) -> float:
    t = process.cpu_times()
    return t.user + t.system


def stop_workers(workers: dict[str, Any]) -> None:
    """Ask each load-generator process to shut down, then make sure it did."""
    for w in workers.values():
        try:
            if w.process.is_alive():
                w.call("shutdown", timeout=20)
        except Exception:
            pass
    for w in workers.values():
        w.process.join(5)
        if w.process.is_alive():
            w.process.terminate()
            w.process.join(3)
        if w.process.is_alive():
            w.process.kill()
            w.process.join(3)


def write_results(name: str, results: dict[str, Any]) -> Path:
    """``bench/out/{name}-{stamp}.json`` and ``{name}-latest.json``."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    text = json.dumps(results, indent=1, default=str)
    path.write_text(text)
    (OUT_DIR / f"{name}-latest.json").write_text(text)
    return path


class BenchBase:
    """What every bench object has: a clock for its log lines, its hub and
    load generator processes, and the machine's other load."""

    hub: Any = None
    workers: dict[str, Any]
    t0: float

    def __init__(self) -> None:
        self.workers = {}
        self.t0 = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {text}", flush=True)

    def check_hub(self) -> None:
        if not self.hub.alive():
            raise RuntimeError(f"the hub exited ({self.hub.popen.returncode}):\n{self.hub.log_tail()}")

    def our_processes(self) -> list[psutil.Process]:
        ours = [psutil.Process()] + [psutil.Process(w.pid) for w in self.workers.values()]
        if self.hub is not None and self.hub.process is not None:
            ours.append(self.hub.process)
        return ours

    def others_load(self, seconds: float = 1.0) -> float:
        """Cores used over ``seconds`` by processes that are neither the hub,
        the load generators nor the bench."""
        ours = self.our_processes()

        def sample() -> tuple[float, float]:
            return busy_cores(psutil.cpu_times()), sum(cpu_seconds(p) for p in ours)

        b0, m0 = sample()
        t0 = time.monotonic()
        time.sleep(seconds)
        b1, m1 = sample()
        return max(0.0, ((b1 - b0) - (m1 - m0)) / (time.monotonic() - t0))


def run_bench(bench: Any, time_limit: float, body: Callable[[], None],
              on_error: Optional[Callable[[], None]] = None) -> int:
    """Run ``body`` under a time limit (SIGALRM); whatever happens, then
    ``bench.report()``, ``bench.write_json()`` and ``bench.close()``.  Exit
    status 1 if the run was aborted."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise BenchTimeout(f"time limit of {time_limit:g} s reached")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(time_limit))
    status = 0
    try:
        body()
    except (Exception, KeyboardInterrupt, BenchTimeout) as exc:
        status = 1
        bench.say(f"ABORTED: {type(exc).__name__}: {exc}")
        bench.results["error"] = f"{type(exc).__name__}: {exc}"
        bench.results["traceback"] = traceback.format_exc()
        signal.alarm(0)
        if on_error is not None:
            try:
                on_error()
            except Exception:
                pass
        if bench.hub is not None:
            print("--- hub log tail ---\n" + bench.hub.log_tail(30))
    finally:
        signal.alarm(0)
        bench.results["elapsed_s"] = round(time.monotonic() - bench.t0, 1)
        try:
            bench.report()
        except Exception:
            traceback.print_exc()
        path = bench.write_json()
        bench.close()
        print(f"\nresults: {path.relative_to(PROJECT_DIR)} (elapsed {bench.results['elapsed_s']} s)")
    return status
