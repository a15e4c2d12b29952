"""A forwarding receiver's REMB (hooks 6 and 10; the list: :mod:`media.aiortc_hooks`).

aiortc's ``RemoteBitrateEstimator`` fed once per video frame (:class:`FrameRembEstimator`), with
a cheaper incoming rate (:class:`WindowRate`), and one estimate per publishing connection over all
its videos (:func:`share_bitrate_estimator`).
"""

from __future__ import annotations

import collections
from typing import Any, Optional

from aiortc.rtcrtpreceiver import RTCRtpReceiver

#: The attribute of an RTCRtpReceiver holding its :class:`FrameRembEstimator` (set by
#: :func:`media.aiortc_hooks.take_rtp`), beside aiortc's own estimator.
_REMB_ATTRIBUTE = "_liaison_remb"


class WindowRate:
    """aiortc's ``RateCounter`` (bits per second over the last ``window_ms``)
    without its Python loop over every elapsed millisecond: the samples of
    the window in a deque.  Same ``add``/``rate``/``reset`` and results."""

    def __init__(self, window_ms: int = 1000, scale: int = 8000) -> None:
        self._window = window_ms
        self._scale = scale
        self.reset()

    def reset(self) -> None:
        self._samples: collections.deque[tuple[int, int]] = collections.deque()
        self._total = 0
        self._origin_ms: Optional[int] = None

    def _erase_old(self, now_ms: int) -> None:
        start = now_ms - self._window + 1
        if self._origin_ms is not None and self._origin_ms < start:
            self._origin_ms = start
        samples = self._samples
        while samples and samples[0][0] < start:
            self._total -= samples.popleft()[1]

    def add(self, value: int, now_ms: int) -> None:
        if self._origin_ms is None:
            self._origin_ms = now_ms
        else:
            self._erase_old(now_ms)
        self._samples.append((now_ms, value))
        self._total += value

    def rate(self, now_ms: int) -> Optional[int]:
        if self._origin_ms is None:
            return None
        self._erase_old(now_ms)
        active = now_ms - self._origin_ms + 1
        if self._samples and active > 1:
            return round(self._scale * self._total / active)
        return None


class FrameRembEstimator:
    """A forwarding receiver's REMB: aiortc's ``RemoteBitrateEstimator`` fed
    once per video frame (on the RTP marker bit, with the frame's bytes)
    instead of once per packet, and with :class:`WindowRate` as its incoming
    rate.  Its inter-arrival groups are 5 ms of send time, so a frame sent in
    one burst was one group already; what it measures (send and arrival
    deltas between frames, the incoming bit rate) is the same, at a third of
    the calls."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        estimator.incoming_bitrate = WindowRate(1000, 8000)
        self._ssrcs: dict = estimator.ssrcs
        # Bytes of the frame in progress, per SSRC: one estimator may serve
        # several videos of a connection (big and small, see
        # :func:`share_bitrate_estimator`), whose packets interleave.
        self._sizes: dict[int, int] = {}

    def add(self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int,
            marker: int) -> Optional[tuple[int, list[int]]]:
        """One packet; a REMB (bitrate, SSRCs) to send, or ``None``."""
        sizes = self._sizes
        if not marker:
            sizes[ssrc] = sizes.get(ssrc, 0) + payload_size
            self._ssrcs[ssrc] = arrival_time_ms  # listed in the REMB, as aiortc does
            return None
        size = sizes.pop(ssrc, 0) + payload_size
        result: Optional[tuple[int, list[int]]] = self.estimator.add(
            arrival_time_ms=arrival_time_ms, abs_send_time=abs_send_time, payload_size=size, ssrc=ssrc
        )
        return result


def share_bitrate_estimator(receivers: list[RTCRtpReceiver]) -> None:
    """One REMB estimate for all the video ``receivers`` of one connection.

    A browser takes each REMB as the estimate of its whole connection
    (whatever SSRCs it lists): receivers that each estimate and report their
    own stream (aiortc's default) make it alternate between one stream's
    estimates, and a publisher sending two videos (big and small) falls to a
    fraction of its rate.  Measured with Chromium: 590 kbit/s for one video,
    about 68 + 67 kbit/s for two.  The first receiver's estimator is given to
    the others (aiortc's estimator keeps its SSRCs and lists them all)."""
    # aiortc's estimator, and whatever wraps it for a forwarding receiver
    # (an attribute of that name, when there is one).
    for attribute in ("_RTCRtpReceiver__remote_bitrate_estimator", _REMB_ATTRIBUTE):
        estimators = [getattr(r, attribute, None) for r in receivers]
        shared = next((e for e in estimators if e is not None), None)
        for receiver, estimator in zip(receivers, estimators):
            if estimator is not None:
                setattr(receiver, attribute, shared)
