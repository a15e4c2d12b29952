"""A subscriber's downlink, estimated from the RTCP it sends back: pure, no I/O, no clock.

What a subscriber's browser tells the relay about the packets the relay sends
it (RFC 3550 receiver reports: loss, jitter and, through the relay's sender
reports, the round-trip time; REMB when ``goog-remb`` and the abs-send-time
extension are negotiated, which the relay's subscriber offers do) is folded
here into one number, the bit rate the relay may send that subscriber.

The difficulty is telling a **constrained link** from a **receiver short of
CPU**.  Recorded on loopback with several Chromium pages on two loaded cores
(``tests/fixtures/rtcp/``): no loss at all, but REMB (the receiver's
delay-based estimate) at a third to a half of what is sent for tens of
seconds, and the round-trip time up from 10 ms to 300-800 ms for 5-10 s at a
time — the receiver reads its packets and answers late.  A link that is too
thin, on the other hand, loses: a 300 kbit/s link sent 1.3 Mbit/s loses most
of it (``tc tbf``: a 300 ms queue, then drops; a mobile network's deeper
queue also ends in drops).  So:

* the evidence of congestion is **heavy loss** (more than ``loss_high``)
  lasting ``sustain`` seconds; the estimate then falls to what was actually
  **delivered** (sent less lost: the capacity of a full link);
* a **low REMB** counts only when the link corroborates it, with loss above
  ``loss_low`` *and* a round-trip time grown by ``rtt_growth`` over its
  recent minimum, all lasting ``remb_sustain`` seconds, and never below half
  of what was delivered;
* after a decrease, the reports of the next ``decrease_settle`` seconds are
  ignored (they describe the rate sent before, and streams paused since),
  and the next decrease needs its own lasting evidence;
* until a decrease, **no limit is known**: :meth:`DownlinkEstimator.update`
  answers ``math.inf`` and nothing is stepped down for want of an estimate
  (a page whose publishers send little, or whose REMB dips, keeps what it
  gets).

Moderate loss (``loss_low`` .. ``loss_high``, e.g. 3 % of random loss on a
mobile link) holds the estimate, as in Google Congestion Control
(draft-ietf-rmcat-gcc §6).  A **clean** link (loss below ``loss_low``, and
not a low REMB with a grown round trip) lets it grow: ``increase_per_second``
at first, then, after ``fast_after`` seconds of clean feedback,
``fast_per_second`` (the state ``growing``).  While no limit is known, growth stops at
``growth_ceiling`` times what is sent (at least ``growth_floor``).  Once a
limit is known it grows only to ``limited_growth`` times what is sent (it
follows the streams' own rates): more must be **proved** by a probe with
padding (:mod:`media.probe`, :meth:`DownlinkEstimator.prove`), and the limit
stays known.  Before probes, growth up to the ceiling was tried out by the
selector's step ups themselves, each a video switched on into a link that
might not carry it, found out by seconds of loss; that is still how a
subscriber that cannot be padded to (no RTX: :attr:`DownlinkEstimator.probed`
False) is served, reaching the ceiling ending the limit.

Times are seconds on any monotonic clock, passed in by the caller; rates are
bit/s.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class EstimatorConfig:
    loss_high: float = 0.10  # above: congestion (a decrease, once sustained)
    loss_low: float = 0.02  # below (and nothing else wrong): growth
    increase_per_second: float = 0.15  # growth of a clean link
    fast_after: float = 1.5  # seconds of clean feedback before growing faster
    fast_per_second: float = 1.0  # growth then (doubling a second; not media.probe's probes)
    remb_congested: float = 0.9  # a REMB below this share of the send rate is low
    remb_max_age: float = 2.0  # seconds a REMB is believed
    loss_window: float = 2.0  # seconds of receiver reports averaged
    calm_window: float = 2.5  # seconds of reports over which a calm link lost less than calm_loss ...
    calm_loss: float = 0.01  # ... (calm: no random loss either; what a lifted limit looks like)
    rtt_window: float = 2.0  # seconds of round-trip times whose median is "now"
    rtt_baseline: float = 30.0  # seconds whose minimum round-trip time is the link's own
    rtt_growth: float = 0.1  # seconds of round-trip growth taken for a queue
    sustain: float = 2.5  # seconds heavy loss must last before the estimate falls
    remb_sustain: float = 4.0  # seconds a corroborated low REMB must last
    decrease_settle: float = 2.5  # seconds after a decrease whose reports describe the old rate
    delivered_share: float = 0.95  # a decrease goes to this share of the rate delivered
    growth_ceiling: float = 3.0  # a clean link's estimate grows to at most this times the send rate ...
    growth_floor: float = 2_500_000.0  # ... or this, whichever is more (the probe's reach)
    # Once a limit is known, a clean link's estimate grows only to this times the send
    # rate (following what is sent); beyond, probes with padding prove it (media.probe),
    # and the limit is not forgotten.  None: it grows to the ceiling above, which ends
    # the limit (growth tried out by the step ups themselves).
    limited_growth: Optional[float] = 1.2
    minimum: float = 50_000.0
    maximum: float = 50_000_000.0


class DownlinkEstimator:
    """One subscriber's downlink estimate (see the module docstring).

    Feed it with :meth:`on_remb`, :meth:`on_report` and :meth:`on_rtt` as
    RTCP arrives, and call :meth:`update` on a timer with the rate the relay
    sent over the last interval."""

    def __init__(self, config: EstimatorConfig = EstimatorConfig()) -> None:
        self.config = config
        self.loss_bound: Optional[float] = None
        self.estimate: Optional[float] = None
        self.rtt: Optional[float] = None
        self.jitter: Optional[float] = None  # seconds, of the last report
        self.state = "none"  # of the last update: clean, growing, hold, congested, decreased
        self._remb: Optional[tuple[float, float]] = None  # (time, bit/s)
        self._reports: dict[object, tuple[float, float, float]] = {}  # stream -> (time, loss, weight)
        # stream -> (time, cumulative lost, extended highest sequence) over the loss window
        self._counters: dict[object, deque[tuple[float, int, int]]] = {}
        self._rtts: deque[tuple[float, float, float]] = deque()  # (time, rtt, its report sent) over rtt_baseline
        self._last_update: Optional[float] = None
        self.limited = False  # a lasting congestion set the bound, and it has not grown past its ceiling
        # Whether probes with padding prove growth once limited (media.probe): the caller
        # says False when it cannot pad (no RTX), and growth is as without limited_growth.
        self.probed = True
        self._heavy_since: Optional[float] = None
        self._remb_since: Optional[float] = None
        self._clean_since: Optional[float] = None
        self._steady_since: Optional[float] = None  # not congested since
        self._decreased_at: Optional[float] = None
        self._evidence_from: Optional[float] = None  # reports before this do not count

    def on_remb(self, now: float, bitrate: float) -> None:
        """A REMB (receiver estimated maximum bitrate) from the subscriber."""
        self._remb = (now, max(0.0, bitrate))

    def on_report(self, now: float, fraction_lost: float, jitter: Optional[float] = None,
                  weight: float = 1.0, stream: object = None,
                  lost: Optional[int] = None, highest: Optional[int] = None) -> None:
        """One receiver report block about a stream the relay sends:
        ``fraction_lost`` in 0..1 (the RTCP byte / 256, the loss since that
        stream's previous report), ``jitter`` in seconds, ``weight`` how much
        this stream counts (e.g. its packet rate); ``stream`` names it (the
        latest report of each stream counts).

        ``lost`` and ``highest``, the block's cumulative number of packets lost
        and extended highest sequence number, when given, are what the loss is
        measured from instead: over the window, lost packets of expected ones.
        A browser sends a report with every NACK it sends, some tens of
        milliseconds apart on a lossy link, each fraction covering one or two
        packets (0 or 50 %): a latest fraction is noise, counters are not."""
        if len(self._reports) > 64 and stream not in self._reports:
            self._reports.clear()
            self._counters.clear()
        self._reports[stream] = (now, min(1.0, max(0.0, fraction_lost)), max(0.0, weight))
        if lost is not None and highest is not None:
            samples = self._counters.setdefault(stream, deque())
            samples.append((now, lost, highest))
            keep = max(self.config.loss_window, self.config.calm_window)
            while len(samples) > 2 and samples[1][0] <= now - keep:
                samples.popleft()  # keeps one sample at or before the window's start
        if jitter is not None:
            self.jitter = jitter

    def forget_evidence(self, now: float) -> None:
        """Start judging the link afresh from ``now``: the reports before it,
        and any congestion or cleanness seen so far, no longer count (the end
        of a subscriber's start, whose keyframes all arrive at once)."""
        self._evidence_from = now
        self._heavy_since = self._remb_since = self._clean_since = self._steady_since = None

    def on_rtt(self, now: float, rtt: float, sent_at: Optional[float] = None) -> None:
        """A round-trip time (seconds) measured with a receiver report;
        ``sent_at``: when the sender report it answers was sent (by default
        a round trip ago)."""
        self.rtt = rtt
        self._rtts.append((now, max(0.0, rtt), now - rtt if sent_at is None else sent_at))
        while self._rtts and self._rtts[0][0] < now - self.config.rtt_baseline:
            self._rtts.popleft()

    def loss(self, now: float, since: Optional[float] = None, window: Optional[float] = None) -> Optional[float]:
        """The share of packets lost over the window (``window`` seconds, the
        loss window by default, and not before ``since``), from the streams'
        cumulative counters, or else the weighted mean loss of each stream's
        latest report; None without any report."""
        horizon = max(now - (self.config.loss_window if window is None else window),
                      since if since is not None else -math.inf)
        lost = expected = 0
        for samples in self._counters.values():
            if samples[-1][0] < horizon:
                continue  # nothing of it reported within the window
            # From the last sample at or before the window's start (the counts since then).
            first = next((x for x in reversed(samples) if x[0] <= horizon), None)
            if first is None:
                first = samples[0]
            last = samples[-1]
            if last[2] > first[2]:
                expected += last[2] - first[2]
                lost += max(0, min(last[1] - first[1], last[2] - first[2]))
        if expected > 0:
            return lost / expected
        reports = [r for r in self._reports.values() if r[0] >= horizon]
        if not reports:
            return None
        total = sum(w for _, _, w in reports)
        if total <= 0:
            return sum(f for _, f, _ in reports) / len(reports)
        return sum(f * w for _, f, w in reports) / total

    def remb(self, now: float) -> Optional[float]:
        """The last REMB if still fresh."""
        if self._remb is None or now - self._remb[0] > self.config.remb_max_age:
            return None
        return self._remb[1]

    def rtt_growth(self, now: float) -> Optional[float]:
        """How much the recent round-trip time (the median of the last
        ``rtt_window`` seconds) exceeds the minimum of the last
        ``rtt_baseline`` seconds; None without recent measurements."""
        recent = self.rtt_since(now, now - self.config.rtt_window)
        baseline = self.rtt_baseline(now)
        return None if recent is None or baseline is None else recent - baseline

    def rtt_baseline(self, now: float) -> Optional[float]:
        """The link's own round-trip time: the minimum of the last ``rtt_baseline`` seconds."""
        times = [r for t, r, _ in self._rtts if t >= now - self.config.rtt_baseline]
        return min(times) if times else None

    def rtt_since(self, now: float, since: float) -> Optional[float]:
        """The median round-trip time measured since ``since``; None without any."""
        recent = sorted(r for t, r, _ in self._rtts if since <= t <= now)
        return recent[len(recent) // 2] if recent else None

    def rtt_of_reports_sent(self, start: float, end: float) -> Optional[float]:
        """The median round trip of the sender reports sent between ``start``
        and ``end`` (what was queued then); None without any."""
        rtts = sorted(r for _, r, sent in self._rtts if start <= sent <= end)
        return rtts[len(rtts) // 2] if rtts else None

    def calm(self, now: float) -> bool:
        """Whether the link lost (almost) nothing over the last ``calm_window``
        seconds: no limit reached, and no random loss either."""
        # (A probe's own losses, forgotten by the estimate, count here: no calm just after one.)
        loss = self.loss(now, None, self.config.calm_window)
        return loss is not None and loss < self.config.calm_loss

    def steady_for(self, now: float) -> float:
        """Seconds the link has not been congested (loss up to ``loss_high``) at the last update."""
        return 0.0 if self._steady_since is None else now - self._steady_since

    def prove(self, now: float, rate: float) -> None:
        """The link carried ``rate`` (a probe, :mod:`media.probe`): the estimate
        is at least that."""
        if self.loss_bound is not None:
            self.loss_bound = min(self.config.maximum, max(self.loss_bound, rate))
            self.estimate = self.loss_bound

    def update(self, now: float, send_rate: float) -> Optional[float]:
        """The bit rate the subscriber's link is known to be limited to, given
        ``send_rate`` (bit/s sent to it over the last interval): ``math.inf``
        while no limit is known (no lasting congestion yet, or the link has
        been clean long enough for the estimate to grow past its ceiling);
        None before any feedback.  :attr:`estimate` holds the number either
        way (what the monitor shows)."""
        c = self.config
        # After a decrease, only reports about what was sent since count: the
        # earlier ones (of streams since paused, too) describe the old rate.
        since = self._evidence_from
        if self._decreased_at is not None:
            since = max(since or -math.inf, self._decreased_at + c.decrease_settle)
        loss = self.loss(now, since)
        remb = self.remb(now)
        growth = self.rtt_growth(now)
        dt = 0.0 if self._last_update is None else min(2.0, max(0.0, now - self._last_update))
        self._last_update = now
        if self.loss_bound is None:
            if (loss is None and remb is None) or send_rate <= 0:
                return None  # nothing to start from yet
            self.loss_bound = max(c.minimum, 1.5 * send_rate)
        queue = growth is not None and growth > c.rtt_growth
        remb_low = remb is not None and remb < c.remb_congested * send_rate
        heavy = loss is not None and loss > c.loss_high
        lossy = loss is not None and loss >= c.loss_low
        corroborated = remb_low and lossy and queue
        # Settling after a decrease (no fresh report yet): neither worse nor better.
        settling = loss is None and self._decreased_at is not None
        clean = not lossy and not (remb_low and queue) and not settling

        self._heavy_since = _since(self._heavy_since, heavy, now)
        self._remb_since = _since(self._remb_since, corroborated, now)
        self._clean_since = _since(self._clean_since, clean, now)
        self._steady_since = _since(self._steady_since, not (heavy or corroborated), now)
        delivered = send_rate * (1 - (loss or 0.0))
        target: Optional[float] = None
        if self._heavy_since is not None and now - self._heavy_since >= c.sustain:
            target = c.delivered_share * delivered
        if self._remb_since is not None and now - self._remb_since >= c.remb_sustain and remb is not None:
            # Never below half of what did arrive: a receiver short of CPU says less than its link carries.
            by_remb = max(remb, 0.5 * delivered)
            target = by_remb if target is None else min(target, by_remb)
        if heavy or corroborated:
            self.state = "congested"
            if target is not None:
                # What the link delivered while congested (an initial guess above or below it says nothing).
                self.loss_bound = target
                self._decreased_at = now
                self._heavy_since = self._remb_since = None  # the next decrease needs fresh evidence
                self.limited = True
                self.state = "decreased"
        elif clean:
            assert self._clean_since is not None
            fast = now - self._clean_since >= c.fast_after
            self.state = "growing" if fast else "clean"
            rate = c.fast_per_second if fast else c.increase_per_second
            capped = c.limited_growth is not None and self.probed
            if self.limited and c.limited_growth is not None and self.probed:
                # Follows what is sent; more is for a probe to prove.
                ceiling = max(self.loss_bound, c.limited_growth * send_rate)
            else:
                ceiling = max(c.growth_ceiling * send_rate, c.growth_floor)
            if self.loss_bound < ceiling:
                self.loss_bound = min(ceiling, self.loss_bound * (1 + rate) ** dt)
            elif self.limited and not capped:
                self.limited = False  # grown past what any probe could tell: no known limit
        else:
            self.state = "hold"
        self.loss_bound = min(c.maximum, max(c.minimum, self.loss_bound))
        self.estimate = self.loss_bound
        return self.loss_bound if self.limited else math.inf


def _since(since: Optional[float], condition: bool, now: float) -> Optional[float]:
    """When ``condition`` started holding (``since`` kept while it holds), None when it does not."""
    if not condition:
        return None
    return now if since is None else since
