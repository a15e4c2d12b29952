"""TURN credentials that expire (coturn's shared-secret scheme), the settings
that configure them, and what ``join`` and ``/healthz`` say of them."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import shutil
import time

import aiohttp
import pytest
import socketio
from aiohttp import web

from core import tokens
from hub.app import create_app, secret_key
from hub.config import ConfigError, load_config
from core.turn import TurnService, credentials
from tests.fake_media import FakeMedia
from tests.test_hub_config import CONFIGS


def test_credentials_follow_coturns_shared_secret_scheme():
    made = credentials("s3cret", "p-3f9c1a", 3600, now=1_700_000_000.7)
    assert made.username == "1700003600:p-3f9c1a"
    assert made.expires_at == 1_700_003_600
    # coturn: base64(HMAC-SHA1(static-auth-secret, username))
    expected = base64.b64encode(hmac.new(b"s3cret", b"1700003600:p-3f9c1a", hashlib.sha1).digest()).decode()
    assert made.credential == expected
    assert credentials("other", "p-3f9c1a", 3600, now=1_700_000_000).credential != expected


def test_credentials_refuse_an_identity_with_the_separator_and_no_secret():
    with pytest.raises(ValueError):
        credentials("s3cret", "station:xucun", 60, now=0)
    with pytest.raises(ValueError):
        credentials("", "p-1", 60, now=0)


def test_service_without_a_secret_hands_out_nothing_and_says_why():
    service = TurnService(urls=("turn:turn.example:3478",), secret="", ttl_seconds=600)
    assert not service.enabled
    assert service.ice_servers("p-1", now=0) == []
    assert "turn.secret" in service.problem
    assert service.health() == {"configured": True, "enabled": False, "ttlSeconds": None, "problem": service.problem}
    assert TurnService().problem is None and TurnService().health()["configured"] is False


def test_service_hands_each_identity_its_own_credentials():
    service = TurnService(urls=("turn:t:3478", "turns:t:443?transport=tcp"), secret="k", ttl_seconds=600)
    [server] = service.ice_servers("p-1", now=1000)
    assert server["urls"] == ["turn:t:3478", "turns:t:443?transport=tcp"]
    assert server["username"] == "1600:p-1"
    assert service.ice_servers("p-2", now=1000)[0]["credential"] != server["credential"]


# --- settings ----------------------------------------------------------------


def test_turn_settings_from_the_environment(tmp_path):
    config = load_config(environ={
        "LIAISON_HUB_VAR_DIR": str(tmp_path),
        "LIAISON_HUB_TURN__URLS": '["turn:10.20.0.8:3478", "turns:turn.haining.example:443?transport=tcp"]',
        "LIAISON_HUB_TURN__SECRET": "123456",  # read as a YAML number: kept as text
        "LIAISON_HUB_TURN__TTL_SECONDS": "7200",
    })
    turn = config.settings.turn
    assert turn.urls == ["turn:10.20.0.8:3478", "turns:turn.haining.example:443?transport=tcp"]
    assert turn.secret.get_secret_value() == "123456"
    assert turn.ttl_seconds == 7200
    assert "123456" not in repr(config.settings)  # never printed with the settings


def test_turn_settings_are_checked(tmp_path):
    base = {"LIAISON_HUB_VAR_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match=r"turn\.urls: .*not a turn: or turns: URL"):
        load_config(environ={**base, "LIAISON_HUB_TURN__URLS": '["http://turn.example"]'})
    with pytest.raises(ConfigError, match=r"turn\.ttl_seconds"):
        load_config(environ={**base, "LIAISON_HUB_TURN__TTL_SECONDS": "5"})


def test_a_static_turn_password_is_refused(tmp_path):
    """No static TURN password ever reaches a browser: ice_servers with one
    stops start-up, naming the key and pointing to turn."""
    shutil.copytree(CONFIGS, tmp_path / "c")
    hub_yaml = tmp_path / "c" / "hub.yaml"
    hub_yaml.write_text(hub_yaml.read_text().replace(
        "ice_servers: []",
        'ice_servers:\n  - urls: ["turn:turn.example:3478"]\n    username: hub\n    credential: secret',
    ))
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "c", environ={"LIAISON_HUB_VAR_DIR": str(tmp_path)})
    assert "hub.yaml, line" in str(caught.value) and "ice_servers[0]" in str(caught.value)
    assert "static TURN password" in str(caught.value) and "turn" in str(caught.value)


async def test_the_relay_uses_the_turn_server_with_credentials_of_its_own_unless_switched_off(config):
    from hub.app import make_media_plane, make_turn

    on = _with_turn(config, urls=["turn:127.0.0.1:3478"], secret="s3cret")
    relay = make_media_plane(on, make_turn(on))
    [server] = relay._ice_servers()
    assert server.urls == ["turn:127.0.0.1:3478"] and server.username.endswith(":relay")
    off = _with_turn(config, urls=["turn:127.0.0.1:3478"], secret="s3cret", relay=False)
    assert make_media_plane(off, make_turn(off))._ice_servers() == []
    await relay.close()


# --- join and /healthz -----------------------------------------------------------


async def _serve(config):
    app = create_app(config, media=FakeMedia())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def _join(url: str, token: str) -> dict:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, transports=["websocket"])
    try:
        return await client.call("join", {"token": token}, timeout=5)
    finally:
        await client.disconnect()


def _with_turn(config, **turn):
    settings = config.settings.model_copy(
        update={"turn": config.settings.turn.model_validate(turn)}
    )
    return dataclasses.replace(config, settings=settings)


async def test_join_hands_out_turn_credentials_that_expire(config):
    config = _with_turn(config, urls=["turn:127.0.0.1:3478"], secret="s3cret", ttl_seconds=600)
    runner, url = await _serve(config)
    try:
        before = time.time()
        token = tokens.sign(secret_key(config), "demo", "station:xucun", "station", 3600)
        reply = await _join(url, token)
        assert reply["ok"], reply
        [server] = reply["iceServers"]
        assert server["urls"] == ["turn:127.0.0.1:3478"]
        expiry, _, identity = server["username"].partition(":")
        assert identity == reply["self"]["id"]
        assert before + 600 <= int(expiry) + 1 and int(expiry) <= time.time() + 600
        assert server["credential"] == credentials("s3cret", identity, 0, now=int(expiry)).credential
        assert "s3cret" not in str(reply)
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/healthz") as response:
                health = await response.json()
        assert health["turn"] == {"configured": True, "enabled": True, "ttlSeconds": 600, "problem": None}
    finally:
        await runner.cleanup()


async def test_missing_secret_starts_the_hub_without_turn_and_says_so(config, caplog):
    config = _with_turn(config, urls=["turn:127.0.0.1:3478"], ttl_seconds=600)
    with caplog.at_level(logging.WARNING, logger="hub"):
        runner, url = await _serve(config)
    try:
        assert any("turn.secret" in r.getMessage() for r in caplog.records), caplog.records
        token = tokens.sign(secret_key(config), "demo", "station:xucun", "station", 3600)
        reply = await _join(url, token)
        assert reply["ok"] and reply["iceServers"] == []
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/healthz") as response:
                health = await response.json()
        assert health["status"] == "ok"
        assert health["turn"]["enabled"] is False and "turn.secret" in health["turn"]["problem"]
    finally:
        await runner.cleanup()
