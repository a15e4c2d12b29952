"""The hub's scheduler drives stored sessions through their life cycle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from hub.app import make_engine, make_repo, prepare_database
from core.scope import Actor, Role
from hub.scheduler_loop import LifecycleLoop
from store.sessions import SessionPlan

START = datetime(2026, 12, 1, 6, 0, tzinfo=timezone.utc)  # 14:00 in Haining


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def engine(config):
    engine = make_engine(config)
    prepare_database(config, engine)
    yield engine
    engine.dispose()


async def test_a_session_opens_its_lobby_goes_live_and_closes_by_itself(config, engine):
    repo = make_repo(config)
    with Session(engine) as db:
        row = repo.create(
            db, Actor(role=Role.DISPATCHER, station="haining"),
            SessionPlan(title="全市12镇联动", chair="haining", stations=("haining/*",), start=START, end=START + timedelta(hours=2)),
            now=START - timedelta(days=1),
        )
    seen = []

    async def on_change(info):
        seen.append((info.id, info.status, info.joinable))

    clock = Clock(START - timedelta(minutes=30))
    loop = LifecycleLoop(engine, repo, on_change, clock=clock)
    assert await loop.tick() == []
    clock.now = START - timedelta(minutes=10)  # lobby opens 15 minutes before
    await loop.tick()
    clock.now = START + timedelta(minutes=1)
    await loop.tick()
    clock.now = START + timedelta(hours=2, seconds=1)
    await loop.tick()
    key = str(row.id)
    assert seen == [(key, "lobby", True), (key, "live", True), (key, "ended", False)]


async def test_the_demo_session_stays_open_and_books_no_station(config, engine):
    repo = make_repo(config)
    seen = []

    async def on_change(info):
        seen.append(info)

    loop = LifecycleLoop(engine, repo, on_change, clock=Clock(START + timedelta(days=400)))
    await loop.tick()
    assert seen == []
    with Session(engine) as db:
        # a scheduled session with every town does not conflict with the demo
        repo.create(
            db, Actor(role=Role.ADMINISTRATOR),
            SessionPlan(title="t", chair="haining", stations=("haining/*",), start=START, end=START + timedelta(hours=1)),
            now=START - timedelta(days=1),
        )
