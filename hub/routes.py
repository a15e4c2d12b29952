"""HTTP routes: the station page, its built assets, health, metrics.

``/healthz`` is anonymous and names nobody (rooms and participants are
counted, never listed); ``/metrics`` carries participants' identities, so it
answers only with the configured bearer token, or to anyone when
``metrics.open`` says so, and is absent (404) otherwise.
"""

from __future__ import annotations

import asyncio
import hmac
from pathlib import Path

from aiohttp import web

from hub.settings import MetricsSettings
from hub.keys import SIGNALING_KEY, TURN_KEY


def metrics_access(settings: MetricsSettings, authorization: str) -> int:
    """200 when a request with this ``Authorization`` header may read the
    metrics, else the status to answer: 404 when metrics are off, 401."""
    if settings.open:
        return 200
    if not settings.token:
        return 404
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(credential.strip().encode(), settings.token.encode()):
        return 200
    return 401


def setup(app: web.Application, web_dist: Path, metrics_settings: MetricsSettings = MetricsSettings()) -> None:
    def serve(name: str):
        path = web_dist / name

        async def page(request: web.Request) -> web.StreamResponse:
            if not path.exists():
                return web.Response(
                    status=503,
                    text="The web assets are not built: run `make setup` (npm run build in web/).",
                )
            return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

        return page

    page = serve("index.html")
    console = serve("console.html")
    deputy = serve("deputy.html")  # the deputy's phone page (issue 13)
    department = serve("department.html")  # the department's page (issue 13)
    liaison = serve("resident.html")  # the residents' online liaison station, no login (issue 13)

    async def healthz(request: web.Request) -> web.Response:
        signaling = request.app[SIGNALING_KEY]
        rooms = list(signaling.presence.rooms.values())
        return web.json_response(
            {
                "status": "ok",
                "rooms": len(rooms),
                "participants": sum(len(room) for room in rooms),
                "media": await signaling.media.metrics(),
                "turn": request.app[TURN_KEY].health(),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/console")

    from hub.metrics import HubMetrics

    hub_metrics = HubMetrics()
    app.middlewares.append(hub_metrics.middleware())

    async def metrics(request: web.Request) -> web.Response:
        from hub.keys import ENGINE_KEY
        from hub.metrics import Snapshot, count_by_status

        status = metrics_access(metrics_settings, request.headers.get("Authorization", ""))
        if status == 404:
            raise web.HTTPNotFound()
        if status == 401:
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="metrics"'})

        signaling = request.app[SIGNALING_KEY]
        stats = await signaling.media.stats()
        names = {}
        for s in stats:
            p = signaling.presence.by_id(s.participant_id)
            if p is not None:
                names[s.participant_id] = p.station.code if p.station else p.identity
        sessions, opinions = await asyncio.to_thread(count_by_status, request.app[ENGINE_KEY])
        rooms = {room_id: len(room) for room_id, room in signaling.presence.rooms.items()}
        snapshot = Snapshot(stats=stats, names=names, media=await signaling.media.metrics(), rooms=rooms,
                            sessions=sessions, opinions=opinions)
        text = hub_metrics.render(snapshot)
        return web.Response(text=text, content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", root)
    app.router.add_get("/console", console)
    app.router.add_get("/deputy", deputy)
    app.router.add_get("/department", department)
    app.router.add_get("/liaison", liaison)
    app.router.add_get("/join/{session_id}", page)
    app.router.add_get("/healthz", healthz)
    if (web_dist / "assets").is_dir() or web_dist.is_dir():
        app.router.add_static("/static/", web_dist, append_version=False)
