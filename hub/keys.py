"""The keys under which the wiring (``hub/app.py``) keeps the hub's parts in the aiohttp
application, so that the routes (``hub/routes.py``) and the tests can find them without
importing the wiring.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.engine import Engine

from core.turn import TurnService
from hub.config import Config
from hub.scheduler_loop import LifecycleLoop
from signaling.server import SignalingServer

CONFIG_KEY = web.AppKey("config", Config)
SIGNALING_KEY = web.AppKey("signaling", SignalingServer)
ENGINE_KEY = web.AppKey("engine", Engine)
SCHEDULER_KEY = web.AppKey("scheduler", LifecycleLoop)
TURN_KEY = web.AppKey("turn", TurnService)
