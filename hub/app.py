"""Wiring: the one place where backends are chosen (LiveKit's ``wire.go``).

Configuration decides between the embedded defaults (in-process signaling)
and production (python-socketio's Redis manager); nothing else decides.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Optional

import socketio
from aiohttp import web

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import tokens
from core.tasks import cancel_and_wait
from hub.config import PROJECT_DIR, Config
from core.turn import TurnService
from hub.keys import CONFIG_KEY, ENGINE_KEY, SCHEDULER_KEY, SIGNALING_KEY, TURN_KEY
from media.interface import MediaPlane
from opinions.bus import OpinionBus
from hub.scheduler_loop import LifecycleLoop
from signaling.recording import RecordingDesk
from signaling.server import SignalingServer
from store import db as store_db
from store.live_sessions import SessionDirectory, ensure_demo_session
from opinions.rules import OpinionRules
from store.sessions import SessionRepo

if TYPE_CHECKING:
    from api import ApiServices

logger = logging.getLogger("hub")

WEB_DIST = PROJECT_DIR / "web" / "dist"

def secret_key(config: Config) -> bytes:
    return tokens.load_or_create_secret(config.var_dir / "secret.key")


class Periodic:
    """Runs ``work()`` every ``interval`` seconds in the background (a failed
    round is logged and the next one comes anyway)."""

    def __init__(self, name: str, work, interval: float) -> None:
        self.name, self.work, self.interval = name, work, interval
        self._task: Optional[asyncio.Task] = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.work()
            except Exception:
                logger.exception("%s failed", self.name)


#: How often old login tries and spent login tokens are dropped.
PURGE_SECONDS = 3600.0


async def purge_login_records(services: ApiServices) -> tuple[int, int]:
    """Drop old login tries and spent tokens (``store.accounts.purge_login_data``)."""
    from store.accounts import purge_login_data

    now = services.now()
    tries, tokens = await services.db(lambda db: purge_login_data(db, now))
    if tries or tokens:
        logger.info("purged %d old login tries and %d spent login tokens", tries, tokens)
    return tries, tokens


#: How often recordings past their retention period are deleted.
RETENTION_SECONDS = 3600.0


async def _prune_recordings(signaling: SignalingServer) -> None:
    if signaling.recordings is not None:
        await asyncio.get_running_loop().run_in_executor(None, signaling.recordings.prune)


def make_engine(config: Config) -> Engine:
    from core.files import private_dir

    if config.database_url.startswith("sqlite:///"):
        private_dir(config.var_dir)  # store_db makes the database file 0600
    return store_db.make_engine(config.database_url)


def prepare_database(config: Config, engine: Engine) -> None:
    """Bring the schema to the newest release (``alembic upgrade head``),
    mirror the configured matrix into it, and keep the demo session."""
    store_db.upgrade(engine)
    with Session(engine) as db:
        store_db.sync_stations(db, config.matrix)
        demo = config.settings.demo_session
        if demo.enabled:
            ensure_demo_session(db, config.matrix, demo.id, demo.title, demo.title_en)


def make_repo(config: Config) -> SessionRepo:
    return SessionRepo(config.matrix, lobby_minutes=config.settings.scheduler.lobby_minutes)


def make_turn(config: Config) -> TurnService:
    """The TURN server of ``turn`` settings; a missing secret is logged (the
    hub starts, handing out no TURN server)."""
    settings = config.settings.turn
    turn = TurnService(
        urls=tuple(settings.urls), secret=settings.secret.get_secret_value(), ttl_seconds=settings.ttl_seconds
    )
    if turn.problem:
        logger.warning("TURN: %s", turn.problem)
    elif turn.enabled:
        logger.info("TURN: %s, credentials valid %d s", " ".join(turn.urls), turn.ttl_seconds)
    return turn


def static_ice_servers(config: Config) -> list[dict[str, Any]]:
    return [i.model_dump(exclude_none=True) for i in config.settings.ice_servers]


def make_media_plane(config: Config, turn: Optional[TurnService] = None) -> MediaPlane:
    from media.adapt import INTERVAL as ADAPT_INTERVAL
    from media.relay import Relay

    static = static_ice_servers(config)
    turn = turn or make_turn(config)
    use_turn = config.settings.turn.relay
    # The relay's own connections use the TURN server too (turn.relay), with
    # fresh credentials for every connection (identity "relay").
    return Relay(
        ice_servers=lambda: static + (turn.ice_servers("relay", time.time()) if use_turn else []),
        loopback_candidates=config.settings.media.loopback_candidates,
        max_media_lines=config.settings.signaling.limits.max_media_lines,
        adapt_interval=ADAPT_INTERVAL if config.settings.media.adapt else None,
        adapt_trace=_adapt_trace(config.settings.media.adapt_trace),
    )


def socketio_channel_for(database_url: str) -> str:
    """python-socketio's Redis channel for the processes of one deployment."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return f"liaison-hub:socketio:{digest}"


def _adapt_trace(path: Optional[str]) -> Optional[Callable[[dict[str, Any]], None]]:
    """Appends each adaptation record to ``path`` as a JSON line (media.adapt_trace)."""
    if not path:
        return None
    out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - open as long as the hub
    logger.warning("media.adapt_trace: every subscriber's RTCP feedback goes to %s", path)

    def write(record: dict[str, Any]) -> None:
        out.write(json.dumps(record, separators=(",", ":")) + "\n")

    return write


def make_socketio(config: Config) -> socketio.AsyncServer:
    from hub.security import socketio_origin_check

    s = config.settings
    manager: Optional[socketio.AsyncManager] = None
    if s.redis_url:
        # One channel per deployment (its database), as for the opinion news: two hubs that
        # share a Redis but not a database never hear each other's rooms.
        manager = socketio.AsyncRedisManager(s.redis_url, channel=socketio_channel_for(config.database_url))
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        ping_interval=s.signaling.ping_interval,
        ping_timeout=s.signaling.ping_timeout,
        # Same origin and signaling.allowed_origins only (an empty list would
        # switch python-engineio's Origin check off altogether).
        cors_allowed_origins=socketio_origin_check(config.base_url, s.signaling.allowed_origins),
        max_http_buffer_size=256 * 1024,
    )


def opinion_bus(config: Config) -> OpinionBus:
    """The one bus of opinion news (``opinions.bus``): in memory for one hub
    process, through Redis when several share a database (``redis_url``)."""
    if not config.settings.redis_url:
        return OpinionBus()
    from api.stream_bus import RedisOpinionBus, channel_for

    return RedisOpinionBus(config.settings.redis_url, channel_for(config.database_url))


def join_url(config: Config, session_id: str, station_code: str, secret: bytes) -> str:
    return tokens.join_link(
        config.base_url, secret, session_id, f"station:{station_code}", "station",
        ttl_seconds=config.settings.link_ttl_hours * 3600,
    )


def warn_of_calendar_gaps(rules: OpinionRules, now: Optional[datetime] = None) -> list[int]:
    """Log the years of the working-day calendar that are missing (the
    console shows them too: ``GET /api/opinion-options``); returns them."""
    calendar = rules.calendar
    missing = calendar.missing_years(calendar.local_date(now or datetime.now(calendar.zone)))
    if missing:
        logger.warning(
            "the working-day calendar has no official holidays for %s: deadlines across them come out too "
            "early; upgrade the chinesecalendar package or list the days in configs/scoring.yaml (calendar)",
            ", ".join(map(str, missing)),
        )
    return missing


def _announce(app: web.Application, config: Config, services: ApiServices) -> None:
    """Reminders out through the configured adapter (hub/outbound.py); none
    configured: the pages' bell only, nothing runs."""
    from hub.outbound import Announcer, make_outbound

    outbound = make_outbound(config.settings.notifications.outbound)
    if outbound is None:
        return
    announcer = Announcer(services, outbound)
    loop = Periodic("outbound reminders", announcer.tick, config.settings.notifications.every_seconds)
    app.on_startup.append(lambda app: loop.start())
    app.on_shutdown.append(lambda app: loop.stop())


def create_app(config: Config, media: Optional[MediaPlane] = None) -> web.Application:
    """The whole hub.  The database is prepared before the app is returned,
    so a hub that answers is a hub whose schema is current."""
    from core.proxies import parse_networks
    from hub.security import install_headers

    app = web.Application()
    install_headers(app, config.base_url)
    sio = make_socketio(config)
    sio.attach(app)
    turn = make_turn(config)
    media = media or make_media_plane(config, turn)
    engine = make_engine(config)
    prepare_database(config, engine)
    repo = make_repo(config)
    opinion_rules = OpinionRules.from_config(config)
    warn_of_calendar_gaps(opinion_rules)
    signaling = SignalingServer(
        sio, media, SessionDirectory(engine, config.matrix, opinion_rules.scoring, repo), config.matrix, secret_key(config),
        static_ice_servers(config), turn=turn, max_thumbnails=config.settings.signaling.max_thumbnails,
        resume_seconds=config.settings.signaling.resume_seconds,
        limits=config.settings.signaling.limits,
        trusted_proxies=parse_networks(config.settings.trusted_proxies),
    )
    recording = config.settings.recording
    signaling.recordings = RecordingDesk(
        media, config.recordings_dir, recording.budget_mb * 1_000_000, recording.retention_days, signaling
    )
    scheduler = LifecycleLoop(
        engine, repo, signaling.session_changed, tick_seconds=config.settings.scheduler.tick_seconds
    )
    app[CONFIG_KEY] = config
    app[SIGNALING_KEY] = signaling
    app[ENGINE_KEY] = engine
    app[SCHEDULER_KEY] = scheduler
    app[TURN_KEY] = turn

    async def on_startup(app: web.Application) -> None:
        await signaling.start()
        scheduler.start()

    async def on_shutdown(app: web.Application) -> None:
        await scheduler.stop()
        if signaling.recordings is not None:
            await signaling.recordings.close()
        await signaling.stop()
        await media.close()

    async def on_cleanup(app: web.Application) -> None:
        engine.dispose()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)

    from api import ApiServices, create_api
    from api.webhooks import deliver as deliver_webhooks

    api_services = ApiServices(
        engine=engine,
        matrix=config.matrix,
        repo=repo,
        secret=signaling.secret,
        base_url=config.base_url,
        link_ttl_hours=config.settings.link_ttl_hours,
        secure_cookie=config.base_url.startswith("https://"),
        default_language=config.settings.default_language,
        trusted_proxies=parse_networks(config.settings.trusted_proxies),
        live=signaling,
        opinion_rules=opinion_rules,
        opinion_events=opinion_bus(config),
        recordings_dir=config.recordings_dir,
    )
    # The one fan-out of opinion news: the console's event stream listens
    # (ApiServices), and so do the dispatchers of the opinion's live session.
    api_services.opinion_events.listen(signaling)

    async def start_bus(app: web.Application) -> None:
        await api_services.opinion_events.start()

    async def stop_bus(app: web.Application) -> None:
        await api_services.opinion_events.stop()

    app.on_startup.append(start_bus)
    app.on_shutdown.append(stop_bus)
    app.add_subapp("/api", create_api(api_services))
    from api.invite_links import redirect_handler

    app.router.add_get("/i/{code}", redirect_handler(api_services))  # an invitation's short link (QR codes)
    webhooks = Periodic(
        "webhooks", lambda: deliver_webhooks(api_services), config.settings.scheduler.webhook_seconds
    )
    app.on_startup.append(lambda app: webhooks.start())
    app.on_shutdown.append(lambda app: webhooks.stop())
    _announce(app, config, api_services)
    purge = Periodic("login purge", lambda: purge_login_records(api_services), PURGE_SECONDS)
    app.on_startup.append(lambda app: purge.start())
    retention = Periodic("recordings retention", lambda: _prune_recordings(signaling), RETENTION_SECONDS)
    app.on_startup.append(lambda app: _prune_recordings(signaling))  # at once: close what a crash left open
    app.on_startup.append(lambda app: retention.start())
    app.on_shutdown.append(lambda app: retention.stop())
    app.on_shutdown.append(lambda app: purge.stop())

    from hub import routes

    routes.setup(app, WEB_DIST, config.settings.metrics)
    return app
