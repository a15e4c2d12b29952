"""Running an aiortc coroutine to its end at once, from a socket callback (hooks 6 and 10)."""

from __future__ import annotations

import asyncio
from typing import Any


def run_now(coroutine: Any) -> None:
    """Run an aiortc coroutine to its end at once.  aiortc's handlers and
    RTCP senders never wait in practice (their sends are synchronous
    underneath); one that does wait is finished by a task."""
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return
    asyncio.ensure_future(_finish(coroutine, waiting))


async def _finish(coroutine: Any, waiting: Any) -> None:
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)  # a bare yield
            else:
                await waiting
        except BaseException as exc:  # the future failed, or this task was cancelled
            try:
                waiting = coroutine.throw(exc)
            except StopIteration:
                return
            continue
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
