"""Wiring: the one place where backends are chosen (LiveKit's ``wire.go``).

Configuration decides between the embedded defaults (in-process signaling)
and production (python-socketio's Redis manager); nothing else decides.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

import socketio
from aiohttp import web

from hub import tokens
from hub.config import PROJECT_DIR, Config
from media.interface import MediaPlane
from scheduler.sessions import LinkedSession, SessionDirectory
from signaling.server import SignalingServer

logger = logging.getLogger("hub")

WEB_DIST = PROJECT_DIR / "web" / "dist"

CONFIG_KEY = web.AppKey("config", Config)
SIGNALING_KEY = web.AppKey("signaling", SignalingServer)
SESSIONS_KEY = web.AppKey("sessions", SessionDirectory)


def secret_key(config: Config) -> bytes:
    return tokens.load_or_create_secret(config.var_dir / "secret.key")


def make_sessions(config: Config) -> SessionDirectory:
    directory = SessionDirectory()
    demo = config.settings.demo_session
    if demo.enabled:
        directory.add(
            LinkedSession(
                id=demo.id,
                title=demo.title,
                title_en=demo.title_en,
                stations=frozenset(s.code for s in config.matrix.stations()),
                status="live",
            )
        )
    return directory


def make_media_plane(config: Config) -> MediaPlane:
    from media.relay import Relay

    return Relay(
        ice_servers=[i.model_dump(exclude_none=True) for i in config.settings.ice_servers],
        loopback_candidates=config.settings.media.loopback_candidates,
    )


def make_socketio(config: Config) -> socketio.AsyncServer:
    s = config.settings
    manager: Optional[socketio.AsyncManager] = None
    if s.redis_url:
        manager = socketio.AsyncRedisManager(s.redis_url)
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        ping_interval=s.signaling.ping_interval,
        ping_timeout=s.signaling.ping_timeout,
        cors_allowed_origins=[],  # same origin only
        max_http_buffer_size=256 * 1024,
    )


def join_url(config: Config, session_id: str, station_code: str, secret: bytes) -> str:
    token = tokens.sign(
        secret,
        session_id,
        f"station:{station_code}",
        "station",
        ttl_seconds=config.settings.link_ttl_hours * 3600,
    )
    return f"{config.base_url}/join/{session_id}#token={token}"


def create_app(config: Config, media: Optional[MediaPlane] = None) -> web.Application:
    app = web.Application()
    sio = make_socketio(config)
    sio.attach(app)
    media = media or make_media_plane(config)
    sessions = make_sessions(config)
    ice_servers: list[dict[str, Any]] = [
        i.model_dump(exclude_none=True) for i in config.settings.ice_servers
    ]
    signaling = SignalingServer(
        sio, media, sessions, config.matrix, secret_key(config), ice_servers
    )
    app[CONFIG_KEY] = config
    app[SIGNALING_KEY] = signaling
    app[SESSIONS_KEY] = sessions

    async def on_startup(app: web.Application) -> None:
        await signaling.start()

    async def on_shutdown(app: web.Application) -> None:
        await signaling.stop()
        await media.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)

    from hub import routes

    routes.setup(app, WEB_DIST)
    return app
