"""``create_api``: the REST API as an aiohttp sub-application."""

from __future__ import annotations

from aiohttp import web

from api.framework import SERVICES_KEY, error_middleware, handler_for
from api.services import ApiServices

MAX_BODY = 256 * 1024


def create_api(services: ApiServices) -> web.Application:
    """The sub-application; mount it with ``app.add_subapp("/api", create_api(services))``."""
    from api.routes import OPERATIONS

    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_BODY)
    app[SERVICES_KEY] = services
    for op in OPERATIONS:
        app.router.add_route(op.method, op.path, handler_for(op), name=op.operation_id)

    async def end_streams(app: web.Application) -> None:
        await services.opinion_stream.close()

    app.on_shutdown.append(end_streams)
    return app
