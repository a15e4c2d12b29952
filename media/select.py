"""Which stream of each video a subscriber gets: pure, no I/O, no clock.

Given the subscriber's downlink estimate (:mod:`media.estimate`), the bit
rates of what it could receive, which publishers it shows large (the stage)
and its own :class:`~media.interface.ReceiveLimits`, :class:`Selector` picks
per video ``big``, ``small`` or ``paused``:

1. The **ceiling** of each video comes from the limits alone: audio only
   pauses all; beyond ``max_videos`` (stage first, then thumbnails in order)
   paused; a thumbnail is small when its publisher sends a small stream; a
   stage video is big unless taller than ``max_height`` (small then).
2. Audio is reserved first: the budget for video is the estimate minus the
   audio rate.  An estimate of ``math.inf`` (no limit known: the estimator
   has seen no lasting congestion) leaves every step affordable.
3. Below the ceilings, a **ladder** of steps in the order they are given up:
   thumbnails big → small (the last one first), thumbnails → paused (the last
   one first), then the stage big → small, and → paused.  The position on the
   ladder is the number of steps taken.
4. **Hysteresis**: the selector steps down (at once to the first position
   that fits) only after the budget has been short for ``down_after`` seconds;
   it steps up one step at a time, each after the budget has exceeded that
   step's need by ``margin`` for ``up_after`` seconds.  A step up that is
   soon undone (the link could not carry it) doubles that wait, up to
   ``max_up_after``, so a subscriber at its limit is not made to stall
   every few seconds; once a step up has held for ``settled`` seconds, or
   the estimate says no limit is known any more (a limit lifted), the wait
   is ``up_after`` again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from .interface import Layer, LayerReason, ReceiveLimits

_RANK: dict[str, int] = {"paused": 0, "small": 1, "big": 2}


@dataclass(frozen=True)
class Video:
    """One publisher's camera as the subscriber could receive it."""

    key: str
    stage: bool
    big: float  # bit/s of the big stream
    small: Optional[float] = None  # bit/s of the small stream, None: none is sent
    big_height: Optional[int] = None
    small_height: Optional[int] = None

    def rate(self, layer: Layer) -> float:
        if layer == "big":
            return self.big
        if layer == "small":
            return self.small or 0.0
        return 0.0


@dataclass(frozen=True)
class Choice:
    layer: Layer
    reason: LayerReason


@dataclass(frozen=True)
class SelectorConfig:
    down_after: float = 1.5  # seconds of shortfall before stepping down
    up_after: float = 2.0  # seconds of surplus before each step up (the estimate's own growth waits too)
    margin: float = 0.2  # the surplus needed: the step's need × (1 + margin)
    max_up_after: float = 32.0  # the wait after step-ups that failed, doubled each time
    settled: float = 20.0  # a step up that held this long resets the wait


def ordered(videos: Sequence[Video]) -> list[Video]:
    """Stage first, then thumbnails, each in the given order."""
    return [v for v in videos if v.stage] + [v for v in videos if not v.stage]


def ceilings(videos: Sequence[Video], limits: ReceiveLimits) -> dict[str, Choice]:
    """The best each video may get under ``limits`` (and its role)."""
    result: dict[str, Choice] = {}
    for index, video in enumerate(ordered(videos)):
        if limits.audio_only or (limits.max_videos is not None and index >= limits.max_videos):
            result[video.key] = Choice("paused", "limits")
        elif video.small is None:
            result[video.key] = Choice("big", "none")  # nothing smaller to send
        elif not video.stage:
            result[video.key] = Choice("small", "none")
        elif limits.max_height is not None and video.big_height is not None \
                and video.big_height > limits.max_height:
            result[video.key] = Choice("small", "limits")
        else:
            result[video.key] = Choice("big", "none")
    return result


def ladder(videos: Sequence[Video], ceiling: dict[str, Choice]) -> list[tuple[str, Layer]]:
    """The steps down from the ceilings, in the order they are taken."""
    thumbs = [v for v in reversed(ordered(videos)) if not v.stage]
    stage = [v for v in reversed(ordered(videos)) if v.stage]
    steps: list[tuple[str, Layer]] = []
    for group in (thumbs, stage):
        for video in group:
            if ceiling[video.key].layer == "big" and video.small is not None:
                steps.append((video.key, "small"))
        for video in group:
            if ceiling[video.key].layer != "paused":
                steps.append((video.key, "paused"))
    return steps


def assignment(ceiling: dict[str, Choice], steps: Sequence[tuple[str, Layer]], position: int) -> dict[str, Layer]:
    layers: dict[str, Layer] = {key: choice.layer for key, choice in ceiling.items()}
    for key, layer in steps[:position]:
        layers[key] = layer
    return layers


def need(videos: Sequence[Video], layers: dict[str, Layer]) -> float:
    return sum(v.rate(layers[v.key]) for v in videos)


class Selector:
    """One subscriber's choice over time (see the module docstring)."""

    def __init__(self, config: SelectorConfig = SelectorConfig()) -> None:
        self.config = config
        self.position = 0
        self._short_since: Optional[float] = None
        self._surplus_since: Optional[float] = None
        self._last_up: Optional[float] = None
        self.up_wait = config.up_after
        self.wanted: Optional[float] = None  # what the next step up needs, no margin (None: at the ceilings)
        self._proven_up = False  # step_up_now: the next select steps up if the budget covers the step

    def select(self, now: float, estimate: Optional[float], audio: float,
               videos: Sequence[Video], limits: ReceiveLimits) -> dict[str, Choice]:
        """The layer of every video at ``now``; ``estimate`` None (no
        feedback yet) keeps the position."""
        ceiling = ceilings(videos, limits)
        steps = ladder(videos, ceiling)
        self.position = min(self.position, len(steps))
        if estimate is not None:
            self._move(now, estimate - audio, videos, ceiling, steps)
        layers = assignment(ceiling, steps, self.position)
        self.wanted = None
        if self.position > 0:
            self.wanted = need(videos, assignment(ceiling, steps, self.position - 1))
        result: dict[str, Choice] = {}
        for key, layer in layers.items():
            top = ceiling[key]
            if _RANK[layer] < _RANK[top.layer]:
                result[key] = Choice(layer, "network")
            else:
                result[key] = top
        return result

    def step_up_now(self) -> None:
        """A probe proved that the link carries the next step up: it is taken
        at the next :meth:`select` if the budget covers the step's need (without
        the margin: the probe tried it with its own headroom, and the streams'
        rates may have moved a little since), without waiting for a surplus to last."""
        self._proven_up = True

    def _move(self, now: float, budget: float, videos: Sequence[Video], ceiling: dict[str, Choice],
              steps: Sequence[tuple[str, Layer]]) -> None:
        fit = next(
            (k for k in range(len(steps) + 1) if need(videos, assignment(ceiling, steps, k)) <= budget),
            len(steps),
        )
        c = self.config
        proven, self._proven_up = self._proven_up, False
        if proven and self.position > 0 and fit < self.position \
                and budget >= need(videos, assignment(ceiling, steps, self.position - 1)):
            self.position -= 1
            self._short_since = None
            self._surplus_since = self._last_up = now
            return
        if self._last_up is not None and now - self._last_up >= c.settled:
            self._last_up, self.up_wait = None, c.up_after
        if budget == math.inf and self.up_wait > c.up_after:
            # No limit is known any more: the link has been clean long enough for the
            # estimate to outgrow any probe (a limit lifted).  The step-ups that failed
            # under the old limit say nothing of it.
            self._last_up, self.up_wait = None, c.up_after
        if fit > self.position:
            self._surplus_since = None
            if self._short_since is None:
                self._short_since = now
            if now - self._short_since >= c.down_after:
                self.position = fit
                self._short_since = None
                if self._last_up is not None:  # the last step up did not hold
                    self.up_wait = min(c.max_up_after, 2 * self.up_wait)
                    self._last_up = None
        elif fit < self.position:
            self._short_since = None
            up = need(videos, assignment(ceiling, steps, self.position - 1))
            if budget >= up * (1 + c.margin):
                if self._surplus_since is None:
                    self._surplus_since = now
                elif now - self._surplus_since >= self.up_wait:
                    self.position -= 1
                    self._surplus_since = now
                    self._last_up = now
            else:
                self._surplus_since = None
        else:
            self._short_since = self._surplus_since = None
