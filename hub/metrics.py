"""Prometheus metrics of the hub (``GET /metrics``), through prometheus-client.

One registry per application (tests run several hubs in one process), with
these families:

* process: ``process_*`` (CPU seconds, resident memory, open files, start time);
* HTTP: ``liaison_http_requests_total{method,route,status}`` and
  ``liaison_http_request_duration_seconds{method,route}`` (a histogram), by
  the route's pattern (``/api/opinions/{id}``), never by the concrete path, so
  the number of series stays bounded;
* sessions: ``liaison_rooms``, ``liaison_room_participants{room}`` (live
  rooms now) and ``liaison_sessions{status}`` (linked sessions by state);
* opinions: ``liaison_opinions{status}``;
* media: the relay's own figures per participant
  (``liaison_participant_*{room,participant,name,kind}``) and the hub-wide
  media counters ``liaison_media{name}``.

The participant, session and opinion figures are read when Prometheus
scrapes (:class:`Snapshot`, gathered by the route in ``hub/routes.py``), the
HTTP ones are counted by :meth:`HubMetrics.middleware` as requests finish.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, Iterator, Mapping, Optional

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from media.interface import ParticipantStats

PREFIX = "liaison_"
#: The exposition format prometheus-client writes (text 0.0.4).
CONTENT_TYPE = "text/plain"

_PARTICIPANT = ["room", "participant", "name"]


@dataclass
class Snapshot:
    """The figures of one scrape."""

    stats: list[ParticipantStats] = field(default_factory=list)
    #: participant id → display label (station code)
    names: Mapping[str, str] = field(default_factory=dict)
    media: Mapping[str, float] = field(default_factory=dict)
    #: live room id → participants in it
    rooms: Mapping[str, int] = field(default_factory=dict)
    #: linked sessions and opinions, by status
    sessions: Mapping[str, int] = field(default_factory=dict)
    opinions: Mapping[str, int] = field(default_factory=dict)


def participant_families(stats: Iterable[ParticipantStats], names: Mapping[str, str]) -> list[Metric]:
    def gauge(name: str, doc: str, kind: bool = False) -> GaugeMetricFamily:
        return GaugeMetricFamily(PREFIX + name, doc, labels=_PARTICIPANT + (["kind"] if kind else []))

    def counter(name: str, doc: str, kind: bool = False) -> CounterMetricFamily:
        return CounterMetricFamily(PREFIX + name, doc, labels=_PARTICIPANT + (["kind"] if kind else []))

    bitrate = gauge("participant_inbound_bitrate_bits", "Bitrate the relay receives from a participant, bit/s", True)
    received = counter("participant_packets_received", "RTP packets received from a participant", True)
    lost = counter("participant_packets_lost", "RTP packets lost from a participant", True)
    rtt = gauge("participant_round_trip_seconds", "Round-trip time to a participant's subscribe connection")
    forwarded = counter("participant_frames_forwarded", "Frames the relay forwarded to a participant")
    dropped = counter("participant_frames_dropped", "Frames dropped by a participant's bounded queues")
    level = gauge("participant_audio_level_dbov", "Last RFC 6464 audio level, -dBov (127 is silence)")
    width = gauge("participant_video_width_pixels", "Width of a participant's video")
    for s in stats:
        base = [s.room_id, s.participant_id, names.get(s.participant_id, "")]
        for kind, value in s.inbound_bitrate.items():
            bitrate.add_metric(base + [kind], value)
        for kind, value in s.packets_received.items():
            received.add_metric(base + [kind], value)
        for kind, value in s.packets_lost.items():
            lost.add_metric(base + [kind], value)
        singles: list[tuple[GaugeMetricFamily | CounterMetricFamily, Optional[float]]] = [
            (rtt, s.round_trip_time), (forwarded, s.frames_forwarded), (dropped, s.frames_dropped),
            (level, s.audio_level), (width, s.frame_width)]
        for family, figure in singles:
            if figure is not None:
                family.add_metric(base, figure)
    return [bitrate, received, lost, rtt, forwarded, dropped, level, width]


def _by(name: str, doc: str, label: str, values: Mapping[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(PREFIX + name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


class _ScrapeCollector(Collector):
    """The families read at scrape time, from the last :class:`Snapshot`."""

    def __init__(self) -> None:
        self.snapshot = Snapshot()

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        yield from participant_families(s.stats, s.names)
        yield _by("media", "Hub-wide media counters, by name", "name", s.media)
        yield GaugeMetricFamily(PREFIX + "rooms", "Live rooms (sessions with someone in them)", value=len(s.rooms))
        yield _by("room_participants", "Participants in a live room", "room", s.rooms)
        yield _by("sessions", "Linked sessions, by status", "status", s.sessions)
        yield _by("opinions", "Opinions 民情, by status", "status", s.opinions)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HubMetrics:
    """The registry of one hub and the collectors in it."""

    def __init__(self, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process:
            ProcessCollector(registry=self.registry)
        self.requests = Counter(PREFIX + "http_requests", "HTTP requests answered, by route pattern and status",
                                ["method", "route", "status"], registry=self.registry)
        self.duration = Histogram(PREFIX + "http_request_duration_seconds", "Time to answer an HTTP request",
                                  ["method", "route"], registry=self.registry,
                                  buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self._scrape = _ScrapeCollector()
        self.registry.register(self._scrape)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    def middleware(self) -> Any:
        @web.middleware
        async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                self.observe(request.method, route_of(request), status, time.perf_counter() - started)

        return count

    def render(self, snapshot: Snapshot) -> str:
        self._scrape.snapshot = snapshot
        return generate_latest(self.registry).decode()


def route_of(request: web.Request) -> str:
    """The pattern of the route that answered (``/api/opinions/{id}``; a
    sub-application's routes carry its prefix), or ``unmatched``."""
    route = request.match_info.route if request.match_info is not None else None
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else "unmatched"


def render(
    stats: Iterable[ParticipantStats],
    names: Mapping[str, str],
    hub_metrics: Mapping[str, float],
) -> str:
    """The participant and media families alone (no process or HTTP figures)."""
    metrics = HubMetrics(process=False)
    return metrics.render(Snapshot(stats=list(stats), names=names, media=hub_metrics))


def count_by_status(engine: Any) -> tuple[dict[str, int], dict[str, int]]:
    """Linked sessions and opinions by status (a blocking database read)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from store.models import LinkedSession
    from store.opinion_models import Opinion

    with Session(engine) as db:
        sessions = db.exec(select(LinkedSession.status, func.count()).group_by(LinkedSession.status)).all()
        opinions = db.exec(select(Opinion.status, func.count()).group_by(Opinion.status)).all()
    return {k: int(n) for k, n in sessions}, {k: int(n) for k, n in opinions}
