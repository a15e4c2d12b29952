"""HTTP routes: the station page, its built assets, health."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web



def setup(app: web.Application, web_dist: Path) -> None:
    index = web_dist / "index.html"

    async def page(request: web.Request) -> web.StreamResponse:
        if not index.exists():
            return web.Response(
                status=503,
                text="The web assets are not built: run `make setup` (npm run build in web/).",
            )
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def healthz(request: web.Request) -> web.Response:
        from hub.app import SIGNALING_KEY

        signaling = request.app[SIGNALING_KEY]
        return web.json_response(
            {
                "status": "ok",
                "rooms": {rid: len(room) for rid, room in signaling.presence.rooms.items()},
                "media": await signaling.media.metrics(),
            }
        )

    app.router.add_get("/", page)
    app.router.add_get("/join/{session_id}", page)
    app.router.add_get("/healthz", healthz)
    if (web_dist / "assets").is_dir() or web_dist.is_dir():
        app.router.add_static("/static/", web_dist, append_version=False)
