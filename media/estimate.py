"""A subscriber's downlink, estimated from the RTCP it sends back: pure, no I/O, no clock.

What a subscriber's browser tells the relay about the packets the relay sends
it (RFC 3550 receiver reports, and REMB when ``goog-remb`` and the
abs-send-time extension are negotiated, which the relay's subscriber offers
do: aiortc offers both for video, and the relay stamps abs-send-time on every
packet at the moment it sends it) is folded here into one number, the bit rate
the relay may send that subscriber:

* a **loss-based bound** in the style of Google Congestion Control
  (draft-ietf-rmcat-gcc §6): more than 10 % of packets lost, the bound falls to
  what was being sent times ``1 - 0.5 × loss``; less than 2 %, it grows a few
  per cent a second (the slow probe that lets a subscriber step back up);
  in between it holds;
* the **delay-based bound** the browser computes itself and sends as REMB:
  taken only when it is clearly below what the relay is sending (the browser
  caps REMB at 1.5 × what it receives, so a REMB at or above the send rate says
  "no congestion", not "no more than this"), and only while it is fresh; it
  also pulls the loss-based bound down to it, so that growing again (probing
  for more) starts from there.

The estimate is the lower of the two.  Times are seconds on any monotonic
clock, passed in by the caller; rates are bit/s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class EstimatorConfig:
    loss_high: float = 0.10  # above: decrease
    loss_low: float = 0.02  # below: increase
    increase_per_second: float = 0.15  # multiplicative growth of the loss bound
    remb_congested: float = 0.9  # a REMB below this share of the send rate bounds the estimate
    remb_max_age: float = 2.0  # seconds a REMB is believed
    loss_window: float = 2.0  # seconds of receiver reports averaged
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
        self._remb: Optional[tuple[float, float]] = None  # (time, bit/s)
        self._reports: dict[object, tuple[float, float, float]] = {}  # stream -> (time, loss, weight)
        self._last_update: Optional[float] = None

    def on_remb(self, now: float, bitrate: float) -> None:
        """A REMB (receiver estimated maximum bitrate) from the subscriber."""
        self._remb = (now, max(0.0, bitrate))

    def on_report(self, now: float, fraction_lost: float, jitter: Optional[float] = None,
                  weight: float = 1.0, stream: object = None) -> None:
        """One receiver report block about a stream the relay sends:
        ``fraction_lost`` in 0..1 (the RTCP byte / 256, the loss since that
        stream's previous report), ``jitter`` in seconds, ``weight`` how much
        this stream counts (e.g. its bit rate); ``stream`` names it (the
        latest report of each stream counts)."""
        if len(self._reports) > 64 and stream not in self._reports:
            self._reports.clear()
        self._reports[stream] = (now, min(1.0, max(0.0, fraction_lost)), max(0.0, weight))
        if jitter is not None:
            self.jitter = jitter

    def on_rtt(self, now: float, rtt: float) -> None:
        self.rtt = rtt

    def loss(self, now: float) -> Optional[float]:
        """The weighted mean loss of each stream's latest report, of those
        reported within the window; None without any."""
        horizon = now - self.config.loss_window
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

    def update(self, now: float, send_rate: float) -> Optional[float]:
        """The estimate at ``now``, given ``send_rate`` (bit/s sent to the
        subscriber over the last interval); None before any feedback."""
        c = self.config
        loss = self.loss(now)
        remb = self.remb(now)
        dt = 0.0 if self._last_update is None else min(2.0, max(0.0, now - self._last_update))
        self._last_update = now
        if self.loss_bound is None:
            if loss is None and remb is None:
                return None
            self.loss_bound = max(c.minimum, 1.5 * send_rate)
        if loss is not None and loss > c.loss_high:
            self.loss_bound = min(self.loss_bound, send_rate * (1 - 0.5 * loss))
        elif loss is None or loss < c.loss_low:
            self.loss_bound *= (1 + c.increase_per_second) ** dt
        self.loss_bound = min(c.maximum, max(c.minimum, self.loss_bound))
        estimate = self.loss_bound
        if remb is not None and remb < c.remb_congested * send_rate:
            estimate = min(estimate, max(c.minimum, remb))
            # Probing up again starts from what the browser found, not from above it.
            self.loss_bound = estimate
        self.estimate = estimate
        return estimate
