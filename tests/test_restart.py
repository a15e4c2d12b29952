"""The hub killed with SIGKILL and started again: every session is still
there, and a session whose lobby opened while the hub was down is open."""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta, timezone

import socketio
from sqlmodel import Session

from core import tokens
from hub.config import load_config
from core.scope import Actor, Role
from store import db as store_db
from store.models import LinkedSession
from store.sessions import SessionPlan, SessionRepo
from tests.browser import HubProcess

LOBBY_MINUTES = 30


async def test_sessions_survive_sigkill_and_the_schedule_catches_up(tmp_path):
    env = {"LIAISON_HUB_SCHEDULER__LOBBY_MINUTES": str(LOBBY_MINUTES), "LIAISON_HUB_SCHEDULER__TICK_SECONDS": "0.5"}
    hub = HubProcess(tmp_path / "var", env=env).start()
    config = load_config(environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var")})
    engine = store_db.make_engine(config.database_url)
    repo = SessionRepo(config.matrix, lobby_minutes=LOBBY_MINUTES)
    now = datetime.now(timezone.utc)
    soon = now + timedelta(minutes=LOBBY_MINUTES, seconds=3)  # its lobby opens in 3 s
    later = now + timedelta(days=1)
    with Session(engine) as db:
        admin = Actor(role=Role.ADMINISTRATOR)
        first = repo.create(db, admin, SessionPlan(title="许村联动", chair="haining", stations=("xucun",), start=soon, end=soon + timedelta(hours=1)), now).id
        second = repo.create(
            db, admin,
            SessionPlan(title="每月例会", chair="haining", stations=("haining/*",), start=later, end=later + timedelta(hours=2), rrule="FREQ=MONTHLY;BYDAY=1TU"),
            now,
        ).id
    try:
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait(5)
        time.sleep(4)  # the first session's lobby opens while the hub is down
        hub.start()
        deadline = time.monotonic() + 10
        while True:
            with Session(engine) as db:
                rows = {row.id: row for row in db.exec(__import__("sqlmodel").select(LinkedSession)).all()}
            if rows[first].status == "lobby" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert rows[first].status == "lobby"
        assert rows[second].status == "scheduled" and rows[second].rrule == "FREQ=MONTHLY;BYDAY=1TU"
        assert rows[first].title == "许村联动"

        client = socketio.AsyncClient(reconnection=False)
        await client.connect(hub.url, transports=["websocket"])
        token = tokens.sign((tmp_path / "var" / "secret.key").read_bytes(), str(first), "station:xucun", "station", 60)
        reply = await client.call("join", {"token": token}, timeout=5)
        await client.disconnect()
        assert reply["ok"], reply
    finally:
        hub.stop()
        engine.dispose()
