"""Probing a limited downlink with padding before a step up: pure, no I/O, no clock.

Once a subscriber's link is known to be limited (:mod:`media.estimate` saw
lasting congestion), its estimate no longer grows past what is sent by
itself.  Before probes every growth was tried out with media, a thumbnail or
the big stage switched on; on a link that could not carry it, the overload
cost seconds of lost audio and video before the estimate fell again.  Now,
when the selector (:mod:`media.select`) would step up but the estimate does
not cover the step, a :class:`Prober` asks the relay to send **padding**
(copies of packets already sent, on the RTX stream:
:meth:`media.fanout.ForwardedTrack.pad`) for ``duration`` seconds, as
libwebrtc's probe clusters and LiveKit's or mediasoup's probation do:

* A probe tries the rate the step needs (with a little headroom: the
  selector's margin is for estimates, not for what a probe measured), at most
  ``growth`` times what is sent (or what the last probe proved, within
  ``proof_lasts``; ``growth_lossy`` on a link that loses packets of its own,
  whose audio has no margin left): a lifted limit is found in two or three
  probes, a thin link is not flooded.
* The relay sends sender reports into the padding and at its end; the
  round trip of the reports sent then tells whether it queued.  The probe
  **fails** when that round trip exceeds the one before the probe by
  ``rtt_growth`` or the loss since it began rose by ``loss_rise``, at once
  when seen while padding; it **carried** when the round trip is known and
  neither happened; without a round trip ``judge_within`` after the padding
  it proved nothing (no failure: the next probe follows after ``first_wait``).
* A success raises the estimate to the probed rate (the selector steps up at
  once when that covers the step; otherwise the next probe follows, from
  there).  A failure leaves the estimate; the wait before the next probe
  doubles up to ``max_wait``.  A probe that failed cost the link half a
  second of padding, not a video switched on and found out seconds later.
* No probe while the link is congested (``steady_after``), lossy
  (``loss_start``: its own random loss is fine), or within ``after_decrease``
  of a fall of the estimate.  A link that turns **calm** (it lost almost
  nothing for a while: :meth:`media.estimate.DownlinkEstimator.calm`) after
  losses of its own (``lossy``, not a probe's) may have had its limit lifted:
  it is probed again ``calm_wait`` after the last failure at the soonest,
  whatever the wait had grown to.  (A link limited without random loss loses
  only in its probes: its waits grow.)

Without RTX nothing can be padded: then there are no probes, and the
estimator grows as it did before them (``DownlinkEstimator.probed`` False):
the step ups are the probes.

Times are seconds on any monotonic clock, passed in by the caller; rates are
bit/s, in the estimate's unit (packets with their headers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Protocol


class Evidence(Protocol):
    """What the prober reads of the link (a :class:`media.estimate.DownlinkEstimator`)."""

    def loss(self, now: float, since: Optional[float] = None, window: Optional[float] = None) -> Optional[float]: ...

    def rtt_since(self, now: float, since: float) -> Optional[float]: ...

    def rtt_baseline(self, now: float) -> Optional[float]: ...

    def rtt_of_reports_sent(self, start: float, end: float) -> Optional[float]: ...


@dataclass(frozen=True)
class ProbeConfig:
    duration: float = 0.5  # seconds of padding
    report_after: float = 0.15  # the round trips of sender reports sent this long into the padding ...
    # ... and up to its end describe it (the relay sends one 0.3 s into it); without any
    # this long after the padding, the probe proved nothing
    judge_within: float = 2.0
    drain_after: float = 0.3
    growth: float = 3.0  # a probe tries at most this times what is sent (or was proved just before) ...
    growth_lossy: float = 2.0  # ... on a link losing packets of its own, this (its audio has no margin left)
    proof_lasts: float = 10.0  # seconds a probe's proof is a base for the next one
    after_decrease: float = 4.0  # seconds at least from a decrease of the estimate to the next probe
    steady_after: float = 1.0  # seconds without congestion before a probe ...
    loss_start: float = 0.06  # ... and a loss below this over the estimator's window
    first_wait: float = 1.0  # seconds from the start (or a step up that followed a probe) to the next probe
    max_wait: float = 16.0  # the wait after failed probes, doubled each time up to this
    calm_wait: float = 1.5  # a link turned calm is probed again this long after a failure at the soonest
    calm_for: float = 1.0  # seconds a link must stay calm to count as turned calm
    lossy: float = 0.02  # a loss that makes a later calm a change of the link ...
    probe_tail: float = 2.5  # ... unless measured this soon after a probe (the probe's own)
    loss_rise: float = 0.05  # a rise of the loss (over the loss before) that fails a probe
    rtt_growth: float = 0.05  # seconds of round-trip growth (a queue) that fail a probe
    rtt_before: float = 2.0  # seconds of round trips before a probe: what it is compared with
    minimum: float = 30_000.0  # padding below this rate is not worth a probe: the step is taken


@dataclass(frozen=True)
class Outcome:
    """A judged probe: the rate tried, and whether the link carried it."""

    rate: float
    carried: bool
    loss: Optional[float]
    rtt_growth: Optional[float]


class Prober:
    """One subscriber's probes over time (see the module docstring)."""

    def __init__(self, config: ProbeConfig = ProbeConfig()) -> None:
        self.config = config
        self.wait = config.first_wait
        self.next_at: Optional[float] = None  # no probe before this
        self.target: Optional[float] = None  # the estimate being probed for
        self.padding = 0.0  # bit/s of padding to send now (0: none)
        self.started: Optional[float] = None
        self._wanted = 0.0  # what the probe under way was for
        self._loss_before: Optional[float] = None
        self._rtt_before: Optional[float] = None
        self._lost_own = False  # the link lost packets of its own since it was last calm
        self._calm_since: Optional[float] = None
        self._judged: Optional[float] = None  # when the last probe was judged
        self._failed_at: Optional[float] = None
        self._proved: Optional[tuple[float, float]] = None  # (when, rate) of the last probe carried
        self.last: Optional[Outcome] = None
        self.probes = self.failures = 0

    @property
    def active(self) -> bool:
        """Padding, or waiting for the reports about it."""
        return self.started is not None

    def step(self, now: float, evidence: Evidence, estimate: float, wanted: Optional[float],
             send_rate: float, steady_for: float, calm: bool = False) -> Optional[Outcome]:
        """Called on the adaptation's timer.  ``estimate`` is the subscriber's
        (``math.inf``: no limit known, nothing to probe), ``wanted`` the
        estimate the selector's next step up needs (None: nothing to step up
        to), ``send_rate`` what is sent without padding, ``steady_for`` how
        long the link has not been congested, ``calm`` whether it has lost
        (almost) nothing for a while: a link that turns calm is probed again
        at once, whatever failed before (a limit lifted).  Sets
        :attr:`padding`; returns the outcome of a probe judged now."""
        c = self.config
        if self.started is None and (self._judged is None or now - self._judged >= c.probe_tail):
            before = evidence.loss(now)
            if before is not None and before >= c.lossy:
                self._lost_own = True  # lost packets of its own, not a probe's
        if not calm:
            self._calm_since = None
        elif self._calm_since is None:
            self._calm_since = now
        calm_since = self._calm_since
        if calm and self._lost_own and calm_since is not None and now - calm_since >= c.calm_for:
            # Calm (for a while: a lossy link reads calm now and then by chance) after
            # losses of its own (not a probe's): the link changed, maybe lifted.
            self._lost_own = False
            self.wait = c.first_wait
            if self.next_at is not None and self.started is None:
                after_failure = -math.inf if self._failed_at is None else self._failed_at + c.calm_wait
                self.next_at = min(self.next_at, max(now, after_failure))
        if self.started is not None:
            assert self.target is not None
            elapsed = now - self.started
            if self._found_out(now, evidence):
                return self._judge(now, evidence)  # a queue or losses: stop at once
            if elapsed < c.duration:
                self.padding = max(0.0, self.target - send_rate)
                return None
            self.padding = 0.0
            if self._during(evidence) is not None or elapsed >= c.duration + c.judge_within:
                return self._judge(now, evidence)
            return None
        self.padding = 0.0
        if self.next_at is None:
            self.next_at = now + c.first_wait
        if estimate == math.inf or wanted is None or wanted <= estimate or steady_for < c.steady_after \
                or now < self.next_at:
            return None
        before = evidence.loss(now)
        if before is not None and before > c.loss_start:
            return None  # (the reports of a congestion just stepped down from, or a lossy link)
        self.probes += 1
        base = send_rate
        if self._proved is not None and now - self._proved[0] < c.proof_lasts:
            base = max(base, self._proved[1])
        # (Not from the estimate: after a fall it may still be far above what the link
        # carries, and a probe from it flooded a 300 kbit/s link at three times its rate.)
        self.target = min(wanted, (c.growth_lossy if self._lost_own else c.growth) * base)
        self._wanted = wanted
        if self.target - send_rate < c.minimum:
            # A step so small that trying it is the probe.
            self.target = wanted
            return self._carried(now, None, None)
        self.started = now
        self._loss_before = before
        self._rtt_before = evidence.rtt_since(now, now - c.rtt_before)
        self.padding = max(0.0, self.target - send_rate)
        return None

    def decreased(self, now: float) -> None:
        """The estimate has just fallen (lasting congestion): the link showed
        its limit, the next probe waits at least ``after_decrease``."""
        c = self.config
        self.wait = max(self.wait, c.after_decrease)
        self.next_at = now + self.wait
        self._proved = None

    def _during(self, evidence: Evidence) -> Optional[float]:
        """The round trip of what was queued by the padding: of the sender
        reports sent from ``report_after`` into it to ``drain_after`` its end
        (a queue the link could not carry is still draining then)."""
        assert self.started is not None
        c = self.config
        return evidence.rtt_of_reports_sent(self.started + c.report_after, self.started + c.duration + c.drain_after)

    def _growth(self, now: float, evidence: Evidence) -> Optional[float]:
        """How much the round trip of what was queued during the padding exceeds those before it."""
        before = self._rtt_before if self._rtt_before is not None else evidence.rtt_baseline(now)
        during = self._during(evidence)
        return None if before is None or during is None else during - before

    def _lossy(self, loss: Optional[float]) -> bool:
        return loss is not None and loss > (self._loss_before or 0.0) + self.config.loss_rise

    def _found_out(self, now: float, evidence: Evidence) -> bool:
        growth = self._growth(now, evidence)
        assert self.started is not None
        return (growth is not None and growth > self.config.rtt_growth) \
            or self._lossy(evidence.loss(now, since=self.started))

    def _judge(self, now: float, evidence: Evidence) -> Outcome:
        c = self.config
        assert self.started is not None and self.target is not None
        self._judged = now
        loss = evidence.loss(now, since=self.started)
        growth = self._growth(now, evidence)
        described = growth is not None
        queued = growth is not None and growth > c.rtt_growth
        self.padding = 0.0
        if described and not self._lossy(loss) and not queued:
            return self._carried(now, loss, growth)
        if not described and not self._lossy(loss):
            # No round trip of a report sent into it came back (each receiver report
            # answers only the last sender report it got): it proved nothing either way.
            self.last = Outcome(self.target, False, loss, growth)
            self.next_at = now + c.first_wait
            self.started = self.target = self._loss_before = self._rtt_before = None
            return self.last
        self.failures += 1
        self._failed_at = now
        self.wait = min(c.max_wait, 2 * self.wait)
        self.last = Outcome(self.target, False, loss, growth)
        self.next_at = now + self.wait
        self.started = self.target = self._loss_before = self._rtt_before = None
        return self.last

    def _carried(self, now: float, loss: Optional[float], growth: Optional[float]) -> Outcome:
        assert self.target is not None
        self.last = Outcome(self.target, True, loss, growth)
        self._proved = (now, self.target)
        self.wait = self.config.first_wait
        # Short of the step: the next probe at once; else after the step up it made room for.
        self.next_at = now if self.target < self._wanted else now + self.wait
        self.started = self.target = self._loss_before = self._rtt_before = None
        return self.last
