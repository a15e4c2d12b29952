"""HTTP routes: the station page, its built assets, health, metrics.

``/healthz`` is anonymous and names nobody (rooms and participants are
counted, never listed); ``/metrics`` carries participants' identities, so it
answers only with the configured bearer token, or to anyone when
``metrics.open`` says so, and is absent (404) otherwise.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from aiohttp import web

from hub.config import MetricsSettings


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

    async def healthz(request: web.Request) -> web.Response:
        from hub.app import SIGNALING_KEY

        signaling = request.app[SIGNALING_KEY]
        rooms = list(signaling.presence.rooms.values())
        return web.json_response(
            {
                "status": "ok",
                "rooms": len(rooms),
                "participants": sum(len(room) for room in rooms),
                "media": await signaling.media.metrics(),
            },
            headers={"Cache-Control": "no-store"},
        )

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/console")

    async def metrics(request: web.Request) -> web.Response:
        from hub.app import SIGNALING_KEY
        from hub.metrics import render

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
        text = render(stats, names, await signaling.media.metrics())
        return web.Response(text=text, content_type="text/plain", charset="utf-8",
                            headers={"X-Content-Type-Options": "nosniff"})

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", root)
    app.router.add_get("/console", console)
    app.router.add_get("/join/{session_id}", page)
    app.router.add_get("/healthz", healthz)
    if (web_dist / "assets").is_dir() or web_dist.is_dir():
        app.router.add_static("/static/", web_dist, append_version=False)
