"""Assigning an opinion @-notifies the department: in the hub, and on the
department's webhook, posted by the hub's own delivery loop."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from aiohttp import web
from sqlmodel import Session

from hub.app import create_app
from hub.keys import ENGINE_KEY
from hub.config import load_config
from core.scope import Actor, Role
from store import opinions as store
from tests.fake_media import FakeMedia

ROOT = Path(__file__).resolve().parent.parent


async def test_an_assignment_is_posted_to_the_department_webhook(tmp_path):
    received: list[dict] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    receiver = web.Application()
    receiver.router.add_post("/hook", hook)
    receiver_runner = web.AppRunner(receiver)
    await receiver_runner.setup()
    site = web.TCPSite(receiver_runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]

    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    departments = configs / "departments.yaml"
    text = departments.read_text()
    marker = "code: xucun-office\n"
    assert marker in text
    head, tail = text.split(marker, 1)
    departments.write_text(head + marker + f"    webhook: http://127.0.0.1:{port}/hook\n" + tail)
    config = load_config(configs, environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var"),
                                            "LIAISON_HUB_SCHEDULER__WEBHOOK_SECONDS": "0.2"})
    app = create_app(config, media=FakeMedia())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        rules = store.OpinionRules.from_config(config)
        admin = Actor(role=Role.ADMINISTRATOR, name="admin")
        now = datetime.now(timezone.utc)
        with Session(app[ENGINE_KEY]) as db:
            view = store.create_opinion(db, admin, config.matrix, rules, store.Capture(
                station="xucun", category="11", request_type="complaint", summary="夜间工地噪声",
                resident_name="李先生", resident_contact="139"), now)
            oid = view.opinion.id
            store.act(db, admin, config.matrix, rules, oid, "accept", {}, now)
            store.act(db, admin, config.matrix, rules, oid, "assign", {"level": "town", "department": "xucun-office"}, now)
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert len(received) == 1
        assert received[0]["type"] == "opinion.assigned" and received[0]["opinionId"] == oid
        assert received[0]["department"] == "xucun-office"
        await asyncio.sleep(0.5)
        assert len(received) == 1  # posted once
    finally:
        await runner.cleanup()
        await receiver_runner.cleanup()
