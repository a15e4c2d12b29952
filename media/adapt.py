"""Adaptation per subscriber: which stream of each video it is sent, on a timer.

One :class:`SubscriberAdaptation` per subscriber joins the pure rules
(:mod:`media.estimate`, :mod:`media.select`) to the forwarding streams
(:class:`media.fanout.ForwardedTrack`):

* its :meth:`~SubscriberAdaptation.observer` receives, for each stream sent
  to the subscriber, the subscriber's RTCP about it (receiver report loss,
  jitter and RTT, REMB: :func:`media.aiortc_hooks.observe_sender_rtcp`);
* :meth:`~SubscriberAdaptation.step`, called by the relay every
  :data:`INTERVAL` seconds and whenever the subscription or the limits
  change, updates the estimate from that feedback and the rate actually sent,
  lets the selector choose per video big, small or paused, and sets each
  stream's layer (a switch happens at the target's next keyframe).

A video's rates are measured per source at the relay (what each publisher
sends); until measured, :data:`DEFAULT_BIG` and :data:`DEFAULT_SMALL` stand
in.  A publisher's shared screen (``a=content:slides``) counts as a stage
video without a small stream: never made small, paused last.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .estimate import DownlinkEstimator, EstimatorConfig
from .fanout import ForwardedTrack
from .interface import ReceiveLimits, VideoLayer
from .aiortc_hooks import SenderFeedback
from .probe import Outcome, ProbeConfig, Prober
from .select import Choice, Selector, SelectorConfig, Video

#: Seconds between two adaptation steps of every subscriber.
INTERVAL = 0.5
#: Seconds after a subscriber's first video during which its estimate is not
#: acted on, and whose evidence is then forgotten (connection start: keyframes
#: of every publisher at once, the receiver's estimator still starting).
STARTUP = 3.0
#: Bit rates assumed for a stream not measured yet.
DEFAULT_BIG = 800_000.0
DEFAULT_SMALL = 150_000.0
DEFAULT_AUDIO = 40_000.0
#: What a trace receives: one JSON-able dict per RTCP item and per step.
Trace = Callable[[dict[str, Any]], None]
#: Bytes per packet on the wire besides the payload (RTP header and
#: extensions, SRTP tag, UDP/IP), for the rate compared with REMB.
PACKET_OVERHEAD = 50
#: A probe tries this much more than the step up needs, without the selector's
#: margin (that is for estimates; a probe measures), the audio besides: the
#: streams' rates move a little between the probe and the step.
PROBE_HEADROOM = 1.15


@dataclass(frozen=True)
class SentVideo:
    """One video transceiver of the subscriber, as the relay sees it."""

    publisher_id: str
    mid: str  # of the subscriber's transceiver
    stream: ForwardedTrack
    content: bool = False  # a shared screen, not a camera


class SubscriberAdaptation:
    """One subscriber's limits, stage, estimate and choices."""

    def __init__(self, estimator: EstimatorConfig = EstimatorConfig(),
                 selector: SelectorConfig = SelectorConfig(), trace: Optional[Trace] = None,
                 name: str = "", probe: ProbeConfig = ProbeConfig()) -> None:
        self.limits = ReceiveLimits()
        self.trace = trace  # records the feedback and each step (media.adapt_trace: fixtures of tests)
        self.name = name
        self.big: Optional[frozenset[str]] = None  # publishers on the stage; None: all
        self.estimator = DownlinkEstimator(estimator)
        self.selector = Selector(selector)
        self.prober = Prober(probe)
        self.choices: dict[str, Choice] = {}  # subscriber mid -> choice
        self._chosen_for: dict[str, str] = {}  # subscriber mid -> the publisher it was chosen for
        self.reported: list[VideoLayer] = []
        self.send_rate = 0.0
        self._sent_mark: Optional[tuple[float, int]] = None
        self._started: Optional[float] = None
        self._judging = False  # the start is over: the estimate is acted on
        self._labels = itertools.count()

    @property
    def padding(self) -> float:
        """Bit/s of probe padding the relay sends now (:attr:`media.probe.Prober.padding`)."""
        return self.prober.padding

    def on_stage(self, publisher_id: str) -> bool:
        return self.big is None or publisher_id in self.big

    def initial_layer(self, publisher_id: str, mid: str) -> str:
        """The layer of a stream just bound, until the next step."""
        choice = self.choices.get(mid)
        if choice is not None and self._chosen_for.get(mid) == publisher_id:
            return choice.layer
        if self.limits.audio_only:
            return "paused"
        return "big" if self.on_stage(publisher_id) else "small"

    def observer(self, stream: ForwardedTrack, clock: Callable[[], float]) -> Callable[[SenderFeedback], None]:
        """What hook 9 calls with the subscriber's feedback on ``stream``."""
        estimator = self.estimator
        label = f"{stream.kind}{next(self._labels)}"

        def observe(feedback: SenderFeedback) -> None:
            now = clock()
            packets = _packet_rate(stream)
            if self.trace is not None:
                self.trace({"t": round(now, 3), "sub": self.name, "stream": label,
                            "weight": round(stream.rate.bitrate), "packets": round(packets, 1),
                            **{k: v for k, v in vars(feedback).items() if v is not None}})
            if feedback.remb is not None:
                estimator.on_remb(now, float(feedback.remb))
            if feedback.fraction_lost is not None:
                jitter = None if feedback.jitter is None else feedback.jitter / stream.clock_rate
                # A loss fraction counts packets: each stream weighs by its packet rate (audio,
                # never retransmitted, shows a full queue's drops that NACK hides on video).
                estimator.on_report(now, feedback.fraction_lost, jitter, max(1.0, packets), stream=id(stream),
                                    lost=feedback.packets_lost, highest=feedback.highest_sequence)
            if feedback.round_trip_time is not None:
                sent_at = None if feedback.report_age is None else now - feedback.report_age
                estimator.on_rtt(now, feedback.round_trip_time, sent_at)

        return observe

    def step(self, now: float, videos: Sequence[SentVideo], audio: Sequence[ForwardedTrack],
             sent_octets: int, network: bool = True) -> Optional[list[VideoLayer]]:
        """Choose and apply every video's layer; returns the new list of
        layers when it changed (for :meth:`MediaEvents.subscriber_layers`).
        ``network`` False: the estimate is not acted on (the stage, thumbnails
        and limits alone decide)."""
        mark = self._sent_mark
        if mark is None or now < mark[0]:
            self._sent_mark = (now, sent_octets)
        elif now - mark[0] >= 1.0:
            self.send_rate = 8 * (sent_octets - mark[1]) / (now - mark[0])
            self._sent_mark = (now, sent_octets)
        # Probes need padding (RTX): without, the step ups are the probes.
        self.estimator.probed = any(v.stream.can_pad for v in videos) or not videos
        estimate = self.estimator.update(now, self.send_rate)
        if videos and self._started is None:
            self._started = now
        if self._started is not None and not self._judging and now - self._started >= STARTUP:
            # The start's evidence is its own: every stream began with a keyframe at once.
            self.estimator.forget_evidence(now)
            self._judging = True
        if not network or not self._judging:
            estimate = None  # the selector keeps its position
        audio_rate = sum(_rate(a.source, DEFAULT_AUDIO) for a in audio)
        options = [self._option(v) for v in videos]
        outcome = None
        if estimate is not None:
            outcome = probe_step(self.prober, self.estimator, self.selector, now, estimate, audio_rate,
                                 self.send_rate)
            if outcome is not None and outcome.carried and self.estimator.limited:
                estimate = self.estimator.loss_bound
        else:
            self.prober.padding = 0.0
        self.choices = self.selector.select(now, estimate, audio_rate, options, self.limits)
        self._chosen_for = {v.mid: v.publisher_id for v in videos}
        if self.trace is not None and (videos or audio):
            self.trace({"t": round(now, 3), "sub": self.name, "step": {
                "send": round(self.send_rate), "acted": estimate is not None,
                "estimate": None if self.estimator.estimate is None else round(self.estimator.estimate),
                "audio": round(audio_rate), "state": self.estimator.state, "position": self.selector.position,
                "padding": round(self.padding), "probe": None if outcome is None else [
                    round(outcome.rate), outcome.carried, outcome.loss, outcome.rtt_growth],
                "limits": [self.limits.audio_only, self.limits.max_height, self.limits.max_videos],
                "videos": [[o.key, o.stage, round(o.big), None if o.small is None else round(o.small),
                            self.choices[o.key].layer] for o in options]}})
        layers = []
        for video in videos:
            choice = self.choices[video.mid]
            video.stream.set_layer(choice.layer)
            layers.append(VideoLayer(video.publisher_id, video.mid, choice.layer, choice.reason))
        if layers != self.reported:
            self.reported = layers
            return layers
        return None

    def _option(self, video: SentVideo) -> Video:
        source, alternate = video.stream.source, video.stream.alternate
        small = None if alternate is None or not alternate.active else _rate(alternate, DEFAULT_SMALL)
        return Video(
            key=video.mid,
            stage=video.content or self.on_stage(video.publisher_id),
            big=_rate(source, DEFAULT_BIG),
            small=small,
            big_height=source.frame_size[1] if source is not None and source.frame_size else None,
            small_height=alternate.frame_size[1] if alternate is not None and alternate.frame_size else None,
        )


def probe_step(prober: Prober, estimator: DownlinkEstimator, selector: Selector, now: float,
               estimate: float, audio_rate: float, send_rate: float) -> Optional[Outcome]:
    """The prober's step (:mod:`media.probe`) between the estimate and the
    selector: it probes for the selector's next step up (with its audio, and
    :data:`PROBE_HEADROOM`) while the link is clean; a probe the link carried
    raises the estimate and lets the selector step up at once, one it did not
    leaves the estimate, and the overload it caused out of the evidence.
    Sets ``prober.padding``; returns a probe judged now."""
    wanted = selector.wanted
    target = None if wanted is None else wanted * PROBE_HEADROOM + audio_rate
    if not estimator.probed:
        prober.padding = 0.0
        return None  # nothing to pad with: the step ups are the probes
    if estimator.state == "decreased":
        prober.decreased(now)
    outcome = prober.step(now, estimator, estimate, target, send_rate, estimator.steady_for(now), estimator.calm(now))
    if outcome is not None:
        if outcome.carried:
            estimator.prove(now, outcome.rate)
            selector.step_up_now()
        else:
            estimator.forget_evidence(now)
    return outcome


def _packet_rate(stream: ForwardedTrack) -> float:
    """Packets a second sent on ``stream``: its bit rate over its mean packet size."""
    if stream.packets_sent <= 0 or stream.octets_sent <= 0:
        return 0.0
    return stream.rate.bitrate / 8 / (stream.octets_sent / stream.packets_sent)


def _rate(track: object, default: float) -> float:
    """What forwarding ``track`` costs a link, headers included (the unit of the
    send rate the estimate is made of), ``default`` before it is measured."""
    meter = getattr(track, "wire_rate", None) or getattr(track, "rate", None)
    rate = getattr(meter, "bitrate", 0.0)
    return float(rate) if rate else default
