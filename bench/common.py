"""Pieces every benchmark script shares: the stations, stopping the
load-generator processes and writing the results."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "out"

# The 17 stations of the demo session (configs/matrix.yaml).
CODES = [
    "jiaxing", "haining", "xiashi", "haizhou", "haichang", "maqiao", "xucun", "changan",
    "zhouwangmiao", "yanguan", "xieqiao", "dingqiao", "yuanhua", "huangwan",
    "xucun-rongxing", "changan-xinfeng", "yanguan-guzhen",
]


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
