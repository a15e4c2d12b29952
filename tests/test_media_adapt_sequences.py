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
* ``phone-*``: a Pixel-7 page in a network namespace (tests/phone_network.py, 2-4 publishing
  stations), its downlink shaped by ``tc tbf`` and nftables loss, on the same loaded machine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest

from media.adapt import STARTUP, probe_step
from media.estimate import DownlinkEstimator
from media.interface import ReceiveLimits
from media.probe import Prober
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


def packets(record: dict[str, Any]) -> float:
    """A report's weight, packets a second (media/adapt.py weighs each stream's loss by its
    packet rate); recorded as such (``packets``), or from the stream's bit rate at ~100
    bytes an audio packet and ~1000 a video packet (the first recordings)."""
    if "packets" in record:
        return max(1.0, record["packets"])
    size = 100 if record["stream"].startswith("audio") else 1000
    return max(1.0, record.get("weight", 0) / 8 / size)


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
                estimator.on_report(t, r["fraction_lost"], None, packets(r), stream=r["stream"])
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


# ---------------------------------------------------------------------------
# Closed loop over a modelled link (not a recording): what the selector chooses is what is
# sent, the link delivers at most its rate (a tbf queue: the excess is dropped, the round
# trip grows by the queue), and random loss on top; receiver reports every second per
# stream, as Chromium sends them.  The acceptance figures, checked on the rules alone.

def phone_videos(thumbnails=7):
    # The phone profile: the stage and 3 thumbnails (bench/publishers.py's rates).
    return [Video("stage", True, 850_000, 125_000)] + [
        Video(f"t{i}", False, 850_000, 125_000) for i in range(1, thumbnails + 1)]


def run_link(phases, videos, limits=ReceiveLimits(max_videos=4), audio=40_000, seed=1, probe=True):
    """``phases``: (seconds, rate bit/s or None, loss 0..1); returns the steps, each
    (t, phase index, layers, estimate, padding).  The link carries what is sent and the
    probes' padding (media/adapt.py's ``probe_step``, as the relay runs it; ``probe``
    False: no padding can be sent, the step up is the probe)."""
    import random

    rng = random.Random(seed)
    estimator, selector, prober = DownlinkEstimator(), Selector(), Prober()
    estimator.probed = probe
    t, steps, sent_rate = 0.0, [], None
    choice = {v.key: ("big" if v.stage else "small") for v in videos}
    padding = 0.0
    counters: dict[str, tuple[int, int]] = {}  # per stream: cumulative lost, highest sequence number
    for index, (seconds, rate, loss) in enumerate(phases):
        end = t + seconds
        while t < end - 1e-9:
            send = audio + sum(v.rate(choice[v.key]) for v in videos)
            sent_rate = send if sent_rate is None else 0.5 * sent_rate + 0.5 * send  # measured over ~1 s
            total = send + padding
            carried = min(total, rate) if rate else total
            lost = 1 - carried * (1 - loss) / total
            if abs(t - round(t)) < 1e-9 or padding:  # a report a second per stream, noisy like Chromium's
                for key in ["audio"] + [k for k, layer in choice.items() if layer != "paused"]:
                    fraction = min(1.0, max(0.0, lost + rng.uniform(-0.02, 0.02)))
                    total_lost, highest = counters.get(key, (0, 0))
                    counters[key] = (total_lost + round(50 * fraction), highest + 50)  # 50 packets a report
                    estimator.on_report(t, fraction, None, 1.0, stream=key, lost=counters[key][0],
                                        highest=counters[key][1])
                queue = 0.3 if rate and total > rate else 0.0
                estimator.on_rtt(t, 0.04 + queue)
                estimator.on_remb(t, 1.5 * carried * (1 - loss) if not queue else 0.8 * carried)
            estimate = estimator.update(t, sent_rate)
            if t >= STARTUP and estimate is not None:
                probe_step(prober, estimator, selector, t, estimate, audio, sent_rate)
                estimate = estimator.update(t, sent_rate)  # dt 0: what a proven probe made it
            padding = prober.padding
            chosen = selector.select(t, estimate if t >= STARTUP else None, audio, videos, limits)
            choice = {k: c.layer for k, c in chosen.items()}
            steps.append((t, index, dict(choice), estimate, padding))
            t = round(t + 0.5, 3)
    return steps


def test_modelled_300_kbits_pauses_thumbnails_and_lifting_it_brings_the_big_stage_back_within_10_s():
    steps = run_link([(10, 1_500_000, 0.03), (30, 300_000, 0.03), (20, None, 0.0)], phone_videos())
    at_300 = [s for s in steps if s[1] == 1]
    paused_at = next(t for t, _, layers, *_ in at_300 if all(
        layers[k] == "paused" for k in layers if k.startswith("t")))
    assert paused_at - 10 <= 8, paused_at  # the thumbnails paused within 8 s
    settled = [s for s in at_300 if s[0] >= paused_at]
    assert all(layers["stage"] == "small" for _, _, layers, *_ in settled[4:]), settled  # audio and a small stage fit
    lifted = [s for s in steps if s[1] == 2]
    back = next(t for t, _, layers, *_ in lifted if layers["stage"] == "big") - 40
    assert back <= 8, back  # the relay switches at the next keyframe: within 10 s on the page
    assert all(layers["t1"] == "small" for t, _, layers, *_ in lifted if t >= 55)  # thumbnails back too


def test_modelled_clean_300_kbits_is_probed_with_padding_never_with_a_video():
    # A link limited without random loss is clean: every few seconds the next step up (the
    # big stage) is probed with padding, which the link does not carry; no video is switched
    # on to find that out (it had been, every 2-32 s: seconds of overload each time).
    steps = run_link([(10, 1_500_000, 0.0), (40, 300_000, 0.0), (20, None, 0.0)], phone_videos())
    settled = [s for s in steps if s[1] == 1 and s[0] >= 16]
    assert all(layers["stage"] == "small" and layers["t1"] == "paused" for _, _, layers, *_ in settled), settled
    probing = [t for t, *_, padding in settled if padding]
    # Tried again, at most a step in six: after a failure the link is not calm for 4 s (its
    # losses), then it is probed again (a link that turns calm may have been lifted).
    assert 3 <= len(probing) <= len(settled) // 6, probing
    assert all(b - a >= 2 for a, b in zip(probing, probing[1:])), probing
    lifted = [s for s in steps if s[1] == 2]
    back = next(t for t, _, layers, *_ in lifted if layers["stage"] == "big") - 50
    assert back <= 8, back  # two probes (2x, then the step's rate): the big stage
    assert lifted[-1][2]["t3"] == "small"


def test_modelled_without_padding_the_step_ups_are_the_probes():
    # No RTX, nothing to pad with: the estimate grows on a clean link and the step ups find
    # out what it carries (the wait after each failed one doubling), as before probes.
    steps = run_link([(10, 1_500_000, 0.0), (40, 300_000, 0.0), (20, None, 0.0)], phone_videos(), probe=False)
    assert not any(padding for *_, padding in steps)
    at_300 = [s for s in steps if s[1] == 1 and s[0] >= 16]
    big = [t for t, _, layers, *_ in at_300 if layers["stage"] == "big"]
    assert big and len(big) < len(at_300) / 2, big  # tried, and stepped down again
    lifted = [s for s in steps if s[1] == 2]
    back = next(t for t, _, layers, *_ in lifted if layers["stage"] == "big") - 50
    assert back <= 8, back


def test_modelled_1500_kbits_with_3_percent_loss_keeps_the_big_stage_and_small_thumbnails():
    steps = run_link([(60, 1_500_000, 0.03)], phone_videos())
    for t, _, layers, *_ in steps:
        assert layers["stage"] == "big", (t, layers)
        assert [layers[f"t{i}"] for i in (1, 2, 3)] == ["small"] * 3, (t, layers)


def test_a_phone_through_1500_then_300_kbits_then_lifted_on_the_loaded_machine():
    # 2 publishing stations (load average 15-20 on 2 cores): the publishers sent 0-1.8 Mbit/s
    # unevenly, a thumbnail left during the 300 kbit/s phase and the stage changed.  Measured
    # (packet-weighted loss over 4 s): 1.5 Mbit/s median 9.6 %, 300 kbit/s median 11.4 %,
    # lifted up to 43 % (the phone's own Chromium dropping what it could not read); REMB
    # 146-215 kbit/s and RTT 0.3-1.3 s at 300 kbit/s, but also 400-600 kbit/s and 0.1-0.6 s at
    # 1.5 Mbit/s.  Nothing here is lasting evidence: nothing may be paused, in any phase.  (That
    # 300 kbit/s pauses thumbnails is checked on the modelled link below: this recording does
    # not separate the two links.)
    steps = replay("phone-1500k-300k-lifted.jsonl")
    assert {tuple(s.phase) for s in steps if s.phase} == {(1500, 3.0, 25.0), (300, 3.0, 35.0), (None, 0.0, 25.0)}
    for s in steps:
        assert "paused" not in s.layers.values(), (s.t, s.phase, s.layers, s.state)
