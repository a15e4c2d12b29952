"""Probing a limited downlink with padding before a step up (media/probe.py): pure, no clock."""

import math

import pytest

from media.estimate import DownlinkEstimator
from media.probe import Prober

KBIT = 1000


class Link:
    """A limited estimator fed like the relay feeds it: a receiver report (one stream,
    100 packets a second, cumulative counters) and a round trip every 0.1 s."""

    def __init__(self, bound=275 * KBIT, loss=0.0):
        self.est = DownlinkEstimator()
        self.est.loss_bound, self.est.limited, self.est.estimate = bound, True, bound
        self.loss, self.rtt = loss, 0.04
        self.t, self.lost, self.highest = 0.0, 0.0, 0

    def until(self, end):
        while self.t < end - 1e-9:
            self.t = round(self.t + 0.1, 3)
            self.highest += 10
            self.lost += 10 * self.loss
            self.est.on_report(self.t, self.loss, lost=int(self.lost), highest=self.highest)
            self.est.on_rtt(self.t, self.rtt, sent_at=self.t - 0.05)  # a sender report just before


def run(prober, link, t, wanted=1_100 * KBIT, send=165 * KBIT, steady_for=5.0, calm=False):
    link.until(t)
    estimate = link.est.loss_bound if link.est.limited else math.inf
    return prober.step(t, link.est, estimate, wanted, send, steady_for, calm)


def test_nothing_is_probed_without_a_known_limit_a_want_a_steady_link_or_before_the_first_wait():
    link = Link()
    prober = Prober()
    assert run(prober, link, 0.5) is None and prober.padding == 0  # the first wait
    assert run(prober, link, 2.0, steady_for=0.5) is None and prober.padding == 0  # congested just now
    assert run(prober, link, 2.0, wanted=None) is None and prober.padding == 0  # at the ceilings
    assert run(prober, link, 2.0, wanted=200 * KBIT) is None and prober.padding == 0  # the estimate covers it
    link.est.limited = False
    assert run(prober, link, 2.0) is None and prober.padding == 0  # no limit known: the selector steps up alone
    link.est.limited = True
    link.loss = 0.08
    assert run(prober, link, 5.0) is None and prober.padding == 0  # a lossy link is not probed
    assert prober.probes == 0


def test_a_probe_pads_to_three_times_what_is_sent_and_a_link_that_carried_it_proves_it():
    link = Link()
    prober = Prober()
    run(prober, link, 0.5)
    assert run(prober, link, 2.0) is None
    assert prober.active and prober.padding == 3 * 165 * KBIT - 165 * KBIT  # 3x what is sent, less it
    # Its time is over, and the round trips of the sender reports sent during it are known
    # (the relay sends one 0.3 s into the padding): no loss, no queue.
    outcome = run(prober, link, 2.5, send=170 * KBIT)
    assert outcome is not None and outcome.carried and outcome.rate == 495 * KBIT and prober.padding == 0
    assert outcome.loss == 0 and outcome.rtt_growth == pytest.approx(0)
    # Short of the step up (1.1 Mbit/s): the next probe follows at once, from what was proven.
    link.est.prove(2.5, outcome.rate)
    run(prober, link, 3.0)
    assert prober.padding == 1_100 * KBIT - 165 * KBIT
    # After a decrease of the estimate (lasting congestion) the next probe waits 4 s, and
    # starts from what is sent again.
    prober = Prober()
    run(prober, link, 3.5)
    prober.decreased(3.5)
    assert run(prober, link, 7.0) is None and not prober.active
    run(prober, link, 7.5)
    assert prober.active and prober.padding == 3 * 165 * KBIT - 165 * KBIT


def test_a_probe_without_a_round_trip_of_a_report_sent_during_it_proved_nothing():
    link = Link()
    prober = Prober()
    run(prober, link, 0.5)
    run(prober, link, 2.0)
    assert prober.active
    prober.step(2.5, link.est, 275 * KBIT, 1_100 * KBIT, 165 * KBIT, 5.0)  # the receiver reports nothing
    assert prober.step(4.0, link.est, 275 * KBIT, 1_100 * KBIT, 165 * KBIT, 5.0) is None  # still waiting
    outcome = prober.step(4.5, link.est, 275 * KBIT, 1_100 * KBIT, 165 * KBIT, 5.0)
    assert outcome is not None and not outcome.carried
    # Not a failure either (a receiver answers only the last sender report it got): the
    # next probe follows after the first wait, and the wait does not grow.
    assert prober.failures == 0 and prober.wait == 1.0 and prober.next_at == 5.5


def test_a_probe_that_fills_a_queue_stops_at_once_and_the_next_waits_longer_each_time():
    link = Link()
    prober = Prober()
    run(prober, link, 0.5)
    t, waits = 1.0, []
    for _ in range(6):
        while not prober.active:
            t += 0.5
            run(prober, link, t)
        started = t
        link.rtt = 0.35  # the link's queue grows: 300 ms
        link.until(t + 0.3)
        outcome = run(prober, link, t + 0.3)  # the padding's time is not over: found out
        link.rtt = 0.04
        assert outcome is not None and not outcome.carried and outcome.rtt_growth == pytest.approx(0.31)
        assert prober.padding == 0 and not prober.active
        waits.append(round(prober.next_at - (started + 0.3), 3))
        t += 0.3
    assert waits == [2.0, 4.0, 8.0, 16.0, 16.0, 16.0]  # doubled, up to max_wait
    assert prober.failures == 6


def test_a_link_that_turns_calm_after_losses_of_its_own_is_probed_again_soon():
    link = Link()
    prober = Prober()
    run(prober, link, 0.5)
    t = 1.0
    for _ in range(4):  # four failures: the next would wait 16 s
        while not prober.active:
            t += 0.5
            run(prober, link, t)
        link.rtt = 0.35
        assert not run(prober, link, t + 0.3).carried
        link.rtt = 0.04
        t += 0.3
    failed = t
    assert prober.next_at == failed + 16
    # Calm, but it lost nothing of its own before (a link limited without random loss
    # loses only in its probes): the wait stands.
    run(prober, link, failed + 1, calm=True)
    assert prober.next_at == failed + 16
    # Losses of its own (3 %, well after the probe), then calm: the link changed, maybe
    # lifted.  Probed again at once, at the soonest 1.5 s after the failure.
    link.loss = 0.03
    run(prober, link, failed + 5)
    link.loss = 0.0
    run(prober, link, failed + 8, calm=True)
    assert not prober.active  # calm for a moment: a lossy link reads so now and then by chance
    run(prober, link, failed + 9, calm=True)
    assert prober.active and prober.wait == 1.0


def test_a_probe_whose_loss_rose_failed_and_loss_the_link_had_before_does_not_fail_it():
    link = Link(loss=0.03)
    prober = Prober()
    run(prober, link, 0.5)
    run(prober, link, 3.0)
    assert prober.active  # 3 % lost: the link's own, below the start's bound
    link.loss = 0.05  # a little more during it: carried
    outcome = run(prober, link, 3.5)
    assert outcome.carried and outcome.loss == pytest.approx(0.05, abs=0.015)
    link.est.prove(3.5, outcome.rate)
    link.loss = 0.03
    run(prober, link, 6.0)
    assert prober.active
    link.loss = 0.3  # 30 % during it: failed at once
    outcome = run(prober, link, 6.2)
    assert not outcome.carried and outcome.loss == pytest.approx(0.3, abs=0.02)


def test_a_step_too_small_to_pad_for_is_taken_as_it_is():
    link = Link(bound=180 * KBIT)
    prober = Prober()
    run(prober, link, 0.5)
    outcome = run(prober, link, 1.5, wanted=190 * KBIT, send=170 * KBIT)
    assert outcome.carried and prober.padding == 0 and not prober.active
