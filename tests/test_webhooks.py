"""Assigning an opinion @-notifies the department: in the hub, and on the
department's webhook, posted by the hub's own delivery loop, signed
(HMAC-SHA256 over the timestamp and the body), retried with backoff after a
failure, every try in the delivery log administrators read (issue 13)."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from aiohttp import web
from sqlmodel import Session

import hashlib
import hmac
import json

import pytest

from hub.app import create_app
from hub.keys import ENGINE_KEY
from core.errors import Forbidden
from hub.config import load_config
from core.scope import Actor, Role
from store import opinions as store
from store import webhooks as webhook_store
from tests.fake_media import FakeMedia

ROOT = Path(__file__).resolve().parent.parent
SECRET = "department-shared-secret-1"


async def test_an_assignment_is_posted_to_the_department_webhook(tmp_path, monkeypatch):
    from datetime import timedelta

    monkeypatch.setattr(webhook_store, "FIRST_DELAY", timedelta(seconds=0.5))  # the backoff, shortened
    received: list[dict] = []
    headers: list[dict] = []
    refusals = [503]  # the first try fails: retried after the backoff

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = int(request.headers["X-Hub-Timestamp"])
        expected = "sha256=" + hmac.new(SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
        assert request.headers["X-Hub-Signature-256"] == expected and abs(time.time() - stamp) < 60
        headers.append(dict(request.headers))
        if refusals:
            return web.Response(status=refusals.pop())
        received.append(json.loads(raw))
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
    departments.write_text(head + marker + f"    webhook: http://127.0.0.1:{port}/hook\n"
                           + f"    webhook_secret: {SECRET}\n" + tail)
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
        assert [h["X-Hub-Delivery"] for h in headers] == [f"{received[0]['noticeId']}-1", f"{received[0]['noticeId']}-2"]
        with Session(app[ENGINE_KEY]) as db:
            log = webhook_store.deliveries(db, admin)
            with pytest.raises(Forbidden):
                webhook_store.deliveries(db, Actor(role=Role.DISPATCHER, station="haining", name="hn"))
        assert [(d.attempt, d.ok, d.status_code, d.outcome) for d in reversed(log)] == [
            (1, False, 503, "pending"), (2, True, 204, "sent")]
        first, second = log[1], log[0]
        assert (first.next_at - first.at).total_seconds() == 0.5 and second.at >= first.next_at  # waited
    finally:
        await runner.cleanup()
        await receiver_runner.cleanup()


def test_backoff_doubles_up_to_an_hour():
    from datetime import timedelta

    assert [webhook_store.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhook_store.backoff(20) == timedelta(hours=1)


def test_a_webhook_needs_a_secret_to_sign_with(tmp_path):
    from hub.config import ConfigError

    configs = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", configs)
    departments = configs / "departments.yaml"
    text = departments.read_text()
    head, tail = text.split("code: xucun-office\n", 1)
    departments.write_text(head + "code: xucun-office\n    webhook: https://example.org/hook\n" + tail)
    with pytest.raises(ConfigError, match="webhook_secret"):
        load_config(configs, environ={"LIAISON_HUB_VAR_DIR": str(tmp_path / "var")})
