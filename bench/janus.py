"""Janus VideoRoom for the side-by-side bench (``bench/janus_bench.py``).

* :class:`JanusServer` starts the Debian package's ``janus`` with a private
  configuration written here (the VideoRoom plugin and the HTTP transport on
  127.0.0.1 only; nothing else loaded), in a temporary directory.
* :class:`JanusStation` is a synthetic participant of a Janus room for the
  load generator (``bench/loadgen.py``): the same :class:`bench.source.StampedSource`
  as the hub's stations when it publishes, and the same frame and latency
  counting (:class:`bench.loadgen.Receiver`) when it subscribes.  It speaks
  the Janus HTTP API (sessions, handles, long-poll events).

Janus gathers no ICE candidates on loopback interfaces, so the bench runs
both systems on the machine's first non-loopback address
(``BENCH_HOST_ADDRESS``, see :mod:`bench.loopback`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Optional

from bench.loadgen import Receiver

PLUGINS = "/usr/lib/x86_64-linux-gnu/janus"


class JanusServer:
    """``janus`` with a private configuration, VideoRoom + HTTP only."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.dir = Path(tempfile.mkdtemp(prefix="janus-bench-"))
        self.popen: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    @staticmethod
    def available() -> bool:
        return shutil.which("janus") is not None

    def _write_config(self) -> None:
        (self.dir / "janus.jcfg").write_text(f"""
general: {{
    configs_folder = "{self.dir}"
    plugins_folder = "{PLUGINS}/plugins"
    transports_folder = "{PLUGINS}/transports"
    events_folder = "{PLUGINS}/events"
    loggers_folder = "{PLUGINS}/loggers"
    debug_level = 3
    session_timeout = 120
}}
media: {{
    rtp_port_range = "30000-39999"
}}
nat: {{
    nice_debug = false
    ignore_mdns = true
}}
plugins: {{
    disable = "libjanus_audiobridge.so,libjanus_echotest.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so,libjanus_duktape.so,libjanus_lua.so"
}}
transports: {{
    disable = "libjanus_websockets.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}}
events: {{
    broadcast = false
    disable = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,libjanus_rabbitmqevh.so,libjanus_sampleevh.so,libjanus_wsevh.so"
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
""")
        (self.dir / "janus.transport.http.jcfg").write_text(f"""
general: {{
    json = "compact"
    base_path = "/janus"
    http = true
    port = {self.port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
}}
""")
        (self.dir / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")

    def start(self, timeout: float = 20.0) -> None:
        self._write_config()
        log = open(self.log_path, "w")
        self.popen = subprocess.Popen(
            ["janus", "-F", str(self.dir), "-C", str(self.dir / "janus.jcfg"), "-o"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"janus exited ({self.popen.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/info", timeout=1) as response:
                    if json.load(response).get("janus") == "server_info":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"janus did not answer on {self.url} within {timeout} s")

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class JanusSession:
    """One Janus session over the HTTP API, with a long-poll event loop."""

    _transactions = itertools.count(1)

    def __init__(self, base_url: str) -> None:
        import aiohttp

        self.base_url = base_url
        self.http = aiohttp.ClientSession()
        self.session_id: Optional[int] = None
        self.events: dict[int, asyncio.Queue] = {}
        self._poller: Optional[asyncio.Task] = None

    async def _post(self, path: str, body: dict) -> dict:
        body = {**body, "transaction": str(next(self._transactions))}
        async with self.http.post(self.base_url + path, json=body) as response:
            return await response.json(content_type=None)

    async def create(self) -> None:
        reply = await self._post("", {"janus": "create"})
        self.session_id = reply["data"]["id"]
        self._poller = asyncio.ensure_future(self._poll())

    async def attach(self) -> int:
        reply = await self._post(f"/{self.session_id}", {"janus": "attach", "plugin": "janus.plugin.videoroom"})
        handle = reply["data"]["id"]
        self.events[handle] = asyncio.Queue()
        return handle

    async def message(self, handle: int, body: dict, jsep: Optional[dict] = None) -> dict:
        request: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        return await self._post(f"/{self.session_id}/{handle}", request)

    async def event(self, handle: int, timeout: float = 15.0) -> dict:
        return await asyncio.wait_for(self.events[handle].get(), timeout)

    async def _poll(self) -> None:
        import aiohttp

        while True:
            try:
                async with self.http.get(f"{self.base_url}/{self.session_id}?maxev=10",
                                         timeout=aiohttp.ClientTimeout(total=40)) as response:
                    data = await response.json(content_type=None)
            except asyncio.CancelledError:
                raise
            except Exception:
                await asyncio.sleep(0.2)
                continue
            for event in data if isinstance(data, list) else [data]:
                queue = self.events.get(event.get("sender"))
                if queue is not None and event.get("janus") == "event":
                    queue.put_nowait(event)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        try:
            if self.session_id is not None:
                await self._post(f"/{self.session_id}", {"janus": "destroy"})
        except Exception:
            pass
        await self.http.close()


class JanusStation(Receiver):
    """A publisher or a subscriber of one Janus VideoRoom room."""

    def __init__(self, name: str, url: str, room: int, publish: bool, loop: Any, source_id: int,
                 feed: Optional[int]) -> None:
        super().__init__(name)
        self.url = url
        self.room = room
        self.publish = publish
        self.loop = loop
        self.source_id = source_id
        self.feed = feed
        self.source: Any = None
        self.pc: Any = None
        self.janus: Optional[JanusSession] = None
        self.feed_id: Optional[int] = None
        self.connect_started_ns: Optional[int] = None
        self.joined_ns: Optional[int] = None

    def _pc(self) -> Any:
        return None if self.publish else self.pc

    async def start(self) -> dict[str, Any]:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from bench.loadgen import _vp8_only
        from bench.loopback import only_loopback_candidates, rtc_configuration
        from bench.source import StampedSource

        self.connect_started_ns = time.time_ns()
        janus = self.janus = JanusSession(self.url)
        await janus.create()
        handle = await janus.attach()
        self.pc = RTCPeerConnection(rtc_configuration())
        if self.publish:
            await janus.message(handle, {"request": "create", "room": self.room, "publishers": 64,
                                         "bitrate": 0, "videocodec": "vp8", "audiocodec": "opus",
                                         "notify_joining": False})
            self.source = StampedSource(self.loop, self.source_id, start_index=0)
            _vp8_only(self.pc.addTransceiver(self.source, direction="sendonly"))
            await self.pc.setLocalDescription(await self.pc.createOffer())
            await janus.message(
                handle,
                {"request": "joinandconfigure", "room": self.room, "ptype": "publisher",
                 "display": self.name, "audio": False, "video": True},
                {"type": "offer", "sdp": self.pc.localDescription.sdp},
            )
            while True:
                event = await janus.event(handle)
                data = event.get("plugindata", {}).get("data", {})
                if data.get("videoroom") == "joined":
                    self.feed_id = data["id"]
                if "jsep" in event:
                    break
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=only_loopback_candidates(event["jsep"]["sdp"]), type="answer"))
        else:
            self.pc.on("track", self.on_track)
            await janus.message(handle, {"request": "join", "room": self.room, "ptype": "subscriber",
                                         "streams": [{"feed": self.feed}]})
            while True:
                event = await janus.event(handle)
                if "jsep" in event:
                    break
            await self.pc.setRemoteDescription(
                RTCSessionDescription(sdp=only_loopback_candidates(event["jsep"]["sdp"]), type="offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await janus.message(handle, {"request": "start", "room": self.room},
                                {"type": "answer", "sdp": self.pc.localDescription.sdp})
        self.joined_ns = time.time_ns()
        return {"feed": self.feed_id}

    def packets_sent(self) -> int:
        if self.pc is None:
            return 0
        return sum(getattr(t.sender, "_RTCRtpSender__packet_count", 0) for t in self.pc.getTransceivers())

    async def stop(self) -> None:
        await self.stop_readers()
        if self.pc is not None:
            await self.pc.close()
        if self.janus is not None:
            await self.janus.close()

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "janus": True,
            "state": self.pc.connectionState if self.pc is not None else None,
            "framesBySource": {k: v.frames for k, v in self.tracks.items()},
            "sent": self.source.frames_sent if self.source else None,
            "keyframeRequests": self.source.keyframe_requests if self.source else None,
        }
