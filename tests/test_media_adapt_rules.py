"""The downlink estimator and the layer selector (media/estimate.py, media/select.py)
over recorded RTCP sequences, built here as data: pure, no clock, no network."""

import math

import pytest

from media.estimate import DownlinkEstimator, EstimatorConfig
from media.interface import ReceiveLimits
from media.select import Choice, Selector, Video, ceilings, ladder

MBIT = 1_000_000


def run_estimator(sequence, send_rate):
    """``sequence``: (time, kind, value) with kind remb / loss / rtt; the estimator
    is updated every 0.5 s; returns {time: estimate}."""
    est = DownlinkEstimator()
    events = sorted(sequence)
    out = {}
    t = 0.0
    end = events[-1][0] if events else 0
    i = 0
    while t <= end + 1e-9:
        while i < len(events) and events[i][0] <= t:
            at, kind, value = events[i]
            if kind == "remb":
                est.on_remb(at, value)
            elif kind == "loss":
                est.on_report(at, value / 256, jitter=0.01)
            else:
                est.on_rtt(at, value)
            i += 1
        out[round(t, 1)] = est.update(t, send_rate(t))
        t += 0.5
    return est, out


def test_no_feedback_no_estimate():
    est = DownlinkEstimator()
    assert est.update(0.0, 1 * MBIT) is None
    assert est.update(1.0, 1 * MBIT) is None


def test_no_limit_is_known_until_lasting_congestion():
    # Receiver reports every second, no loss; REMB at 1.2x what arrives.
    seq = [(t, "loss", 0) for t in range(0, 21)] + [(t + 0.5, "remb", 1.2 * MBIT) for t in range(0, 21)]
    est, out = run_estimator(seq, lambda t: 1 * MBIT)
    assert set(out.values()) == {math.inf}
    assert est.estimate == 3 * MBIT  # what the monitor shows: grown to 3x what is sent, no more


def test_heavy_loss_lasting_falls_to_what_was_delivered():
    seq = [(t, "loss", 0) for t in range(0, 5)] + [(t, "loss", 64) for t in range(5, 15)]  # 25 % lost
    est, out = run_estimator(seq, lambda t: 2 * MBIT)
    assert out[4.0] == math.inf
    assert out[7.0] == math.inf  # not yet: heavy loss must last 2.5 s
    assert out[7.5] == pytest.approx(0.95 * 2 * MBIT * 0.75)  # what arrived, a little less
    assert out[12.5] == out[7.5]  # the next needs 2.5 s of fresh reports (after 2.5 s of settling)
    assert out[13.0] == pytest.approx(0.95 * 0.75 * 2 * MBIT)  # (sent open loop: the same rate again)
    # A single lossy report does not move it.
    seq = [(t, "loss", 0) for t in range(0, 10)] + [(5.2, "loss", 250)]
    _, out = run_estimator(seq, lambda t: 2 * MBIT)
    assert set(out.values()) == {math.inf}


def test_moderate_loss_holds_and_a_clean_link_follows_what_is_sent_until_a_probe_proves_more():
    seq = ([(t, "loss", 0) for t in range(0, 3)] + [(t, "loss", 200) for t in range(3, 8)]  # 78 % lost
           + [(t, "loss", 8) for t in range(8, 20)]  # 3 %: holds
           + [(t, "loss", 0) for t in range(20, 40)])  # clean again
    sent = lambda t: 1.3 * MBIT if t < 8 else (0.2 * MBIT if t < 30 else 0.25 * MBIT)  # noqa: E731
    est, out = run_estimator(seq, sent)
    limit = out[6.0]
    assert limit == pytest.approx(0.95 * 1.3 * MBIT * (1 - 200 / 256))
    assert all(out[t] == limit for t in (10.0, 15.0, 19.5, 29.5))  # held by 3 % loss, then above 1.2x sent
    # Clean, and sending more (a publisher's rate rose): the estimate follows to 1.2x what is sent.
    assert out[39.0] == pytest.approx(1.2 * 0.25 * MBIT)
    assert est.limited and est.state == "growing"
    # More is for a probe to prove (media/probe.py): then the estimate is what it carried.
    est.prove(39.0, 1.1 * MBIT)
    assert est.update(39.5, 0.25 * MBIT) == 1.1 * MBIT
    # Without probes (limited_growth None) growth is tried out by the step ups, and an estimate
    # grown past 2.5 Mbit/s means no known limit.
    est = DownlinkEstimator(EstimatorConfig(limited_growth=None))
    for t in [x / 2 for x in range(0, 81)]:
        for at, kind, value in seq:
            if t - 0.5 < at <= t:
                est.on_report(at, value / 256, jitter=0.01)
        out[t] = est.update(t, sent(t))
    assert 1.2 * MBIT < out[24.0] < math.inf
    assert out[30.0] == math.inf


def test_a_low_remb_alone_is_not_believed_a_corroborated_one_is():
    # A stalled receiver: REMB far below what is sent, the round trip grown, no loss.
    est = DownlinkEstimator()
    for half in range(0, 60):
        t = half / 2
        if half % 2 == 0:
            est.on_report(t, 0.0)
            est.on_rtt(t, 0.01 if t < 5 else 0.6)
            est.on_remb(t, 0.3 * MBIT)
        assert est.update(t, 2 * MBIT) == math.inf
    # The same REMB with 5 % loss too: believed once it lasts 4 s, never below half of what arrived.
    est = DownlinkEstimator()
    values = {}
    for half in range(0, 40):
        t = half / 2
        if half % 2 == 0:
            est.on_report(t, 0.0 if t < 8 else 0.05)
            est.on_rtt(t, 0.03 if t < 8 else 0.25)
            est.on_remb(t, 2.5 * MBIT if t < 8 else 0.6 * MBIT)
        values[t] = est.update(t, 2 * MBIT)
    assert all(values[t] == math.inf for t in values if t < 12.5)  # corroborated from 8.5 s (median RTT)
    assert values[12.5] == 0.5 * 2 * MBIT * 0.95  # half of what arrived, more than the REMB


def test_loss_is_weighted_by_stream():
    est = DownlinkEstimator()
    est.on_report(0.0, 0.5, weight=1, stream="audio")  # a small audio stream loses half
    est.on_report(0.0, 0.0, weight=99, stream="video")
    assert abs(est.loss(0.0) - 0.005) < 1e-9
    est.on_report(1.0, 0.0, weight=1, stream="audio")  # its latest report counts
    assert est.loss(1.0) == 0.0
    assert est.loss(3.5) is None  # nothing reported within two seconds


def videos(stage_small=True):
    return [
        Video("stage", stage=True, big=900_000, small=150_000 if stage_small else None, big_height=720,
              small_height=180),
        Video("t1", stage=False, big=900_000, small=150_000, big_height=720, small_height=180),
        Video("t2", stage=False, big=900_000, small=150_000, big_height=720, small_height=180),
        Video("t3", stage=False, big=800_000, small=None),  # an older client: no small stream
    ]


def test_ceilings_from_limits_and_roles():
    v = videos()
    c = ceilings(v, ReceiveLimits())
    assert c == {"stage": Choice("big", "none"), "t1": Choice("small", "none"),
                 "t2": Choice("small", "none"), "t3": Choice("big", "none")}
    c = ceilings(v, ReceiveLimits(max_height=360, max_videos=3))
    assert c["stage"] == Choice("small", "limits") and c["t3"] == Choice("paused", "limits")
    assert set(ceilings(v, ReceiveLimits(audio_only=True)).values()) == {Choice("paused", "limits")}
    # Thumbnails give way first, the last one first; the stage last.
    assert ladder(v, ceilings(v, ReceiveLimits())) == [
        ("t3", "paused"), ("t2", "paused"), ("t1", "paused"), ("stage", "small"), ("stage", "paused")]


def layers(choice):
    return {k: c.layer for k, c in choice.items()}


def test_selector_steps_down_after_shortfall_thumbnails_first_audio_reserved():
    s = Selector()
    v = videos()
    full = 900_000 + 150_000 * 2 + 800_000  # 2 Mbit/s of video
    audio = 4 * 40_000
    assert layers(s.select(0.0, 3 * MBIT, audio, v, ReceiveLimits())) == {
        "stage": "big", "t1": "small", "t2": "small", "t3": "big"}
    # Exactly enough for all video but not audio too: audio comes first, so t3 must go.
    short = full + audio - 1
    assert layers(s.select(1.0, short, audio, v, ReceiveLimits()))["t3"] == "big"  # not yet (1.5 s)
    assert layers(s.select(2.0, short, audio, v, ReceiveLimits()))["t3"] == "big"
    chosen = s.select(2.6, short, audio, v, ReceiveLimits())
    assert layers(chosen) == {"stage": "big", "t1": "small", "t2": "small", "t3": "paused"}
    assert chosen["t3"] == Choice("paused", "network") and chosen["stage"] == Choice("big", "none")
    # 350 kbit/s: straight down to what fits (one step of hysteresis, not one per step).
    s.select(3.0, 350_000, audio, v, ReceiveLimits())
    chosen = s.select(4.6, 350_000, audio, v, ReceiveLimits())
    assert layers(chosen) == {"stage": "small", "t1": "paused", "t2": "paused", "t3": "paused"}
    assert chosen["stage"] == Choice("small", "network")
    # Below even the small stage with audio: paused, audio keeps its share.
    s.select(5.0, 250_000, audio, v, ReceiveLimits())
    assert layers(s.select(6.6, 250_000, audio, v, ReceiveLimits()))["stage"] == "paused"


def paused(v, audio):
    """A selector that stepped all of ``v`` down to paused (200 kbit/s for 2 s)."""
    s = Selector()
    s.select(0.0, 200_000, audio, v, ReceiveLimits())
    s.select(2.0, 200_000, audio, v, ReceiveLimits())
    assert s.position == 5  # all paused
    return s


def test_selector_steps_up_one_step_at_a_time_with_margin():
    v = videos()
    audio = 100_000
    s = paused(v, audio)
    # Just enough for the small stage, without the margin: stays paused.
    assert layers(s.select(3.0, audio + 150_000, audio, v, ReceiveLimits()))["stage"] == "paused"
    assert layers(s.select(9.0, audio + 150_000, audio, v, ReceiveLimits()))["stage"] == "paused"
    # Plenty: one step per 2 s of surplus.
    history = []
    t = 10.0
    while t < 40:
        history.append((t, s.position))
        s.select(t, 10 * MBIT, audio, v, ReceiveLimits())
        t += 0.5
    positions = [p for _, p in history]
    assert positions[0] == 5 and positions[-1] == 0
    assert all(a - b in (0, 1) for a, b in zip(positions, positions[1:]))  # one step at a time
    changes = [t for (t, p), (_, q) in zip(history, history[1:]) if p != q]
    assert all(b - a >= 2.0 for a, b in zip(changes, changes[1:]))
    # A short dip does not move it.
    s.select(41.0, 100_000, audio, v, ReceiveLimits())
    assert layers(s.select(42.0, 10 * MBIT, audio, v, ReceiveLimits()))["t3"] == "big"


def test_a_step_up_a_probe_proved_is_taken_at_once_without_the_margin():
    v = videos()
    audio = 100_000
    s = paused(v, audio)
    assert s.wanted == 150_000  # what the small stage needs (no margin: probes measure)
    # A probe proved the step's need, not quite its margin (the rates moved): taken at once.
    s.step_up_now()
    assert layers(s.select(2.5, audio + 160_000, audio, v, ReceiveLimits()))["stage"] == "small"
    # Once only: the next step waits for its own surplus (or its own probe).
    s.select(3.0, audio + 10 * MBIT, audio, v, ReceiveLimits())
    assert s.position == 4
    # Proved, but the budget does not even cover the step's need: nothing.
    s = paused(v, audio)
    s.step_up_now()
    s.select(2.5, audio + 140_000, audio, v, ReceiveLimits())
    assert s.position == 5


def test_limits_apply_at_once_and_are_the_reason():
    s = Selector()
    v = videos()
    chosen = s.select(0.0, 10 * MBIT, 0, v, ReceiveLimits(audio_only=True))
    assert set(chosen.values()) == {Choice("paused", "limits")}
    chosen = s.select(0.5, 10 * MBIT, 0, v, ReceiveLimits(max_height=360, max_videos=2))
    assert chosen == {"stage": Choice("small", "limits"), "t1": Choice("small", "none"),
                      "t2": Choice("paused", "limits"), "t3": Choice("paused", "limits")}
    # No estimate yet: the ceilings.
    assert layers(Selector().select(0.0, None, 0, v, ReceiveLimits())) == {
        "stage": "big", "t1": "small", "t2": "small", "t3": "big"}


def test_a_step_up_that_does_not_hold_doubles_the_wait():
    s = Selector()
    v = [Video("stage", stage=True, big=900_000, small=150_000)]
    t = 0.0

    def run(until, estimate):
        nonlocal t
        changes = []
        while t < until:
            before = s.position
            s.select(t, estimate, 0, v, ReceiveLimits())
            if s.position != before:
                changes.append((t, s.position))
            t += 0.5
        return changes

    run(3.0, 500_000)
    assert s.position == 1  # small
    # The estimate rises past the need (probing); the step up fails, so down again.
    for attempt, wait in enumerate((2.0, 4.0, 8.0, 16.0, 32.0, 32.0)):
        start = t
        changes = []
        while s.position == 1:
            changes += run(t + 0.5, 2_000_000)
        assert changes[-1][1] == 0 and changes[-1][0] - start >= wait - 0.5, (attempt, changes, start)
        run(t + 2.0, 500_000)  # it did not hold
        assert s.position == 1
    assert s.up_wait == 32.0
    # A step up that holds resets the wait.
    while s.position == 1:
        run(t + 0.5, 2_000_000)
    run(t + 21, 2_000_000)
    assert s.up_wait == 2.0


def test_a_lifted_limit_resets_the_wait():
    """Step-ups that failed under a limit doubled the wait; once the estimate says no
    limit is known any more (the link clean long enough to outgrow any probe), the
    big stage comes back after ``up_after``, not after the doubled wait."""
    s = Selector()
    v = [Video("stage", stage=True, big=900_000, small=150_000)]
    s.up_wait = 32.0
    s.position = 1
    t = 0.0
    while s.position == 1 and t < 10:
        s.select(t, math.inf, 0, v, ReceiveLimits())
        t += 0.5
    assert s.position == 0 and t <= 3.0, t
    assert s.up_wait == 2.0


def test_loss_is_counted_over_the_window_not_read_from_the_last_report():
    """A browser sends a receiver report with every NACK: on a lossy link some tens of
    milliseconds apart, each fraction covering a packet or two (0, or 50 %).  The loss
    is measured from the blocks' cumulative counters over the window: 3 % of random
    loss reads as 3 %, not as a heavy loss whenever the last report lost its one packet."""
    est = DownlinkEstimator()
    lost = highest = 0
    states = set()
    t = 0.0
    for i in range(1, 400):  # 6 s of reports 15 ms apart, ~100 packets a second
        t = i * 0.015
        highest += 1 if i % 2 else 2
        fraction = 0.0
        if i % 22 == 0:  # every 33rd packet or so: 3 %
            lost += 1
            fraction = 128 / 256  # the last report: one of two packets lost
        est.on_report(t, fraction, stream="video", lost=lost, highest=highest)
        if i % 33 == 0:
            est.update(t, MBIT)
            states.add(est.state)
    assert est.loss(t) == pytest.approx(lost / highest, abs=0.01)
    assert "congested" not in states and "decreased" not in states, states


def test_forgotten_evidence_does_not_count():
    """The start of a subscriber (every stream's keyframe at once) may lose heavily; once
    it is over its evidence is forgotten: no decrease follows from it."""
    est = DownlinkEstimator()
    for i in range(5):  # 2 s of heavy loss: the start
        est.on_report(i * 0.5, 0.4, stream="video", lost=40 * i, highest=100 * i)
        est.update(i * 0.5, MBIT)
    assert est.state == "congested"
    est.forget_evidence(2.0)
    for i in range(5, 12):  # then 3.5 s clean: the heavy loss would have lasted 2.5 s by now
        est.on_report(i * 0.5, 0.0, stream="video", lost=160, highest=100 * i)
        assert est.update(i * 0.5, MBIT) == math.inf
    assert est.state in ("clean", "growing") and not est.limited
