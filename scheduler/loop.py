"""The scheduler inside the hub: moves linked sessions through their life
cycle as the clock goes (scheduled → lobby → live → ended).

It keeps no state of its own: every tick writes the clock-driven state of
every open session (``SessionRepo.refresh_statuses``), so a hub that was
down catches up on its first tick, and a session past its end closes by
itself.  Each change is handed to ``on_change`` (the live core closes the
rooms of sessions that ended or were cancelled).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Awaitable, Callable, Optional

from sqlalchemy.engine import Engine
from sqlmodel import Session

from hub.tasks import cancel_and_wait
from scheduler.sessions import SessionInfo
from store.directory import session_info
from store.sessions import SessionRepo

logger = logging.getLogger("scheduler")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class LifecycleLoop:
    def __init__(
        self,
        engine: Engine,
        repo: SessionRepo,
        on_change: Callable[[SessionInfo], Awaitable[None]],
        tick_seconds: float = 5.0,
        clock: Clock = utc_now,
    ) -> None:
        self.engine = engine
        self.repo = repo
        self.on_change = on_change
        self.tick_seconds = tick_seconds
        self.clock = clock
        self._task: Optional[asyncio.Task[None]] = None

    def _refresh(self) -> list[SessionInfo]:
        with Session(self.engine) as db:
            changed = self.repo.refresh_statuses(db, self.clock())
            infos = [session_info(db, str(number)) for number in changed]
        return [info for info in infos if info is not None]

    async def tick(self) -> list[SessionInfo]:
        changed = await asyncio.to_thread(self._refresh)
        for info in changed:
            logger.info("session %s is now %s", info.id, info.status)
            try:
                await self.on_change(info)
            except Exception:
                logger.exception("handling the change of session %s failed", info.id)
        return changed

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("scheduler tick failed")
            await asyncio.sleep(self.tick_seconds)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
