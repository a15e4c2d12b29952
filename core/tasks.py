"""Background tasks of the hub."""

from __future__ import annotations

import asyncio
from typing import Any, Optional


async def cancel_and_wait(task: Optional["asyncio.Task[Any]"]) -> None:
    """Cancel ``task`` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
