"""HTTP routes: the station page, its built assets, health."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web



def setup(app: web.Application, web_dist: Path) -> None:
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
        from hub.app import SIGNALING_KEY, TURN_KEY

        signaling = request.app[SIGNALING_KEY]
        return web.json_response(
            {
                "status": "ok",
                "rooms": {rid: len(room) for rid, room in signaling.presence.rooms.items()},
                "media": await signaling.media.metrics(),
                "turn": request.app[TURN_KEY].health(),
            }
        )

    async def root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/console")

    async def metrics(request: web.Request) -> web.Response:
        from hub.app import SIGNALING_KEY
        from hub.metrics import render

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
