"""Keyframe requests from subscribers, merged per publisher.

Every subscriber of a video track may ask for a keyframe (its PLI/FIR, a new
subscriber being attached, a congested queue that dropped frames).  Asking
the publisher each time would make a browser publisher send a keyframe per
request, and keyframes are large.  :class:`KeyframeRequestMerger` lets at most
one request through per ``interval`` and never forgets one: a request that
arrives too early is sent when the interval has elapsed (trailing edge), so a
burst of joins costs one request now and at most one more later.
"""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, Optional

#: Minimum time between two keyframe requests sent to one publisher track.
#: Above 300 ms on purpose: libwebrtc (Chromium) ignores a request that
#: arrives within 300 ms of the last keyframe it sent, so a trailing request
#: sent exactly 300 ms after the first one is often lost.
DEFAULT_INTERVAL = 0.35


class KeyframeRequestMerger:
    """Pure decision logic (no I/O, explicit time) so it can be tested with a fake clock.

    ``request(now)`` returns True if a request should go out immediately;
    otherwise it records a pending request, and ``due(now)`` returns True
    (once) when that pending request should go out.  ``deadline`` says when
    to call ``due`` next.
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL) -> None:
        self.interval = interval
        self.last_sent: Optional[float] = None
        self.pending = False

    def request(self, now: float) -> bool:
        if self.last_sent is None or now - self.last_sent >= self.interval:
            self.last_sent = now
            self.pending = False
            return True
        self.pending = True
        return False

    @property
    def deadline(self) -> Optional[float]:
        if not self.pending or self.last_sent is None:
            return None
        return self.last_sent + self.interval

    def due(self, now: float) -> bool:
        deadline = self.deadline
        if deadline is None or now < deadline:
            return False
        self.pending = False
        self.last_sent = now
        return True


class KeyframeRequester:
    """Sends merged keyframe requests for one published track.

    ``send`` is the coroutine that actually asks the publisher (a PLI from the
    relay's receiver); ``request()`` may be called from anywhere, any number of
    times, without awaiting.
    """

    def __init__(
        self,
        send: Callable[[], Awaitable[bool]],
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._clock = clock
        self._merger = KeyframeRequestMerger(interval)
        self._timer: Optional[asyncio.TimerHandle] = None
        self._closed = False
        self.sent = 0  # requests that actually went out

    def request(self) -> None:
        if self._closed:
            return
        if self._merger.request(self._clock()):
            self._fire()
        else:
            self._arm()

    def _arm(self) -> None:
        deadline = self._merger.deadline
        if deadline is None or self._timer is not None:
            return
        loop = asyncio.get_event_loop()
        self._timer = loop.call_later(max(0.0, deadline - self._clock()), self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._closed:
            return
        if self._merger.due(self._clock()):
            self._fire()
        else:
            self._arm()

    def _fire(self) -> None:
        task = asyncio.ensure_future(self._send_counted())
        # Keep a reference until done so the task is not garbage collected.
        _pending_tasks.add(task)
        task.add_done_callback(_pending_tasks.discard)

    async def _send_counted(self) -> None:
        try:
            if await self._send():
                self.sent += 1
        except ConnectionError:
            pass

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


_pending_tasks: set[asyncio.Future[None]] = set()
