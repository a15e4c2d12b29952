"""The estimator and the selector (media/estimate.py, media/select.py) over RTCP sequences
recorded from real Chromium pages (tests/fixtures/rtcp/, recorded with ``media.adapt_trace``:
bench/adapt_record.py).  Pure: the recorded feedback and send rates are replayed, no clock,
no network.

Each fixture is one subscriber's JSON lines: its RTCP feedback per stream the relay sent it
(``fraction_lost``, ``round_trip_time``, ``remb``), and every 0.5 s an adaptation step with
the rate sent to it, its audio, its limits and its videos (key, stage, big and small rates);
``{"phase": [rate_kbit, loss_percent, seconds]}`` marks where the emulated link changed.
The replay is open loop (the rates sent are those of the recording, whatever the rules
replayed choose), so each test asserts what the rules do while the recorded conditions
last.

* ``loopback-loaded-*``: two Chromium subscribers of tests/test_e2e_layers.py on loopback,
  machine load average 12-15 on 2 cores: no loss, REMB at a third of what is sent, the
  round trip from 10 to 800 ms.  Nothing may be stepped down.
* ``phone-*``: a Pixel-7 page in a network namespace (tests/phone_network.py, 4 publishing
  stations), its downlink shaped by ``tc tbf`` and nftables loss.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

from media.adapt import STARTUP
from media.estimate import DownlinkEstimator
from media.interface import ReceiveLimits
from media.select import Selector, Video

FIXTURES = Path(__file__).parent / "fixtures" / "rtcp"


@dataclass
class Step:
    t: float
    phase: Optional[list]
    estimate: Optional[float]
    state: str
    layers: dict[str, str]  # key -> layer
    stage: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)


def replay(name: str) -> list[Step]:
    records = [json.loads(line) for line in (FIXTURES / name).read_text().splitlines()]
    estimator, selector = DownlinkEstimator(), Selector()
    phase: Optional[list] = None
    started: Optional[float] = None
    steps = []
    for r in records:
        if "phase" in r:
            phase = r["phase"]
            continue
        t = r["t"]
        if "step" not in r:
            if "remb" in r:
                estimator.on_remb(t, float(r["remb"]))
            if "fraction_lost" in r:
                estimator.on_report(t, r["fraction_lost"], None, max(1.0, r.get("weight", 1)), stream=r["stream"])
            if "round_trip_time" in r:
                estimator.on_rtt(t, r["round_trip_time"])
            continue
        s: dict[str, Any] = r["step"]
        estimate = estimator.update(t, s["send"])
        started = t if started is None else started
        videos = [Video(key, stage, big, small) for key, stage, big, small, _ in s["videos"]]
        choice = selector.select(t, estimate if t - started >= STARTUP else None, s["audio"], videos,
                                 ReceiveLimits(*s["limits"]))
        steps.append(Step(t, phase, estimate, estimator.state, {k: c.layer for k, c in choice.items()},
                          {v.key for v in videos if v.stage}, {k: c.reason for k, c in choice.items()}))
    assert steps, f"{name}: no adaptation step recorded"
    return steps


@pytest.mark.parametrize("name", ["loopback-loaded-a.jsonl", "loopback-loaded-b.jsonl"])
def test_a_loaded_machine_on_loopback_pauses_nothing(name):
    steps = replay(name)
    assert steps[-1].t > 50  # most of the test's life
    stepped = [(s.t, s.layers, s.state) for s in steps if "network" in s.reasons.values()]
    assert not stepped, stepped[:5]
    assert all(s.estimate == math.inf for s in steps if s.estimate is not None)  # no limit known


def test_a_phone_at_1500_kbits_with_3_percent_loss_keeps_the_stage_big_and_thumbnails_small():
    # Unlimited 20 s, unlimited with 3 % loss 25 s, then 1.5 Mbit/s with 3 % loss: per-stream
    # reports of up to 95 % loss now and then (a thumbnail's few packets), audio reports of
    # 20-50 %, REMB 350-1600 kbit/s, RTT 40-770 ms (the phone's Chromium on the loaded machine).
    steps = replay("phone-1500k-3pct.jsonl")
    assert {tuple(s.phase) for s in steps if s.phase} >= {(None, 0.0, 20.0), (None, 3.0, 25.0), (1500, 3.0, 40.0)}
    for s in steps:
        for key, layer in s.layers.items():
            assert layer == ("big" if key in s.stage else "small"), (s.t, s.phase, s.layers, s.state)
    assert any(s.state == "congested" for s in steps)  # lossy reports were seen, and did not last
