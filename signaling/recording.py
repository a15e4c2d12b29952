"""Recording a live session: the control side (issue 12).

A dispatcher starts and stops recording with the control action ``record``
(``docs/protocol.md``); a session scheduled with ``record`` starts its own
when its room opens.  While it runs, the ``control`` state's ``recording``
says so to every page (录制中).  The media plane writes the media
(:meth:`media.interface.MediaPlane.start_recording`); this desk writes the
rest beside it (:mod:`recordings.library`): ``recording.json`` and the
session's timeline (:mod:`recordings.timeline`), fed by the signaling
server with every control state, join, leave and opinion.

A recording that cannot go on (a full disk, a write error, the disk budget
used up) stops cleanly: its files are closed, a log line is written, the
dispatchers get ``recordingStopped`` with the reason, every page loses the
indicator, and the live session goes on undisturbed.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Optional, Protocol

from core.errors import ControlRefused
from media.interface import MediaPlane
from opinions.news import OpinionNews
from recordings import library
from recordings.timeline import control_changes, entry
from scheduler.sessions import SessionInfo

logger = logging.getLogger("signaling.recording")


class RecordingNotices(Protocol):
    """Implemented by the signaling server."""

    async def recording_changed(self, room_id: str) -> None:
        """A room's recording started or stopped: tell every page."""

    async def recording_alert(self, room_id: str, alert: dict[str, Any]) -> None:
        """A room's recording stopped by itself: tell its dispatchers."""


@dataclass
class _Live:
    rec_id: str
    directory: Path
    session: SessionInfo
    started_at: float
    meta: dict[str, Any]
    timeline: Optional[IO[str]]
    last_control: Optional[dict[str, Any]] = None
    names: dict[str, str] = field(default_factory=dict)  # participant id -> display name


class RecordingDesk:
    """The live recordings of one hub process, by room."""

    def __init__(self, media: MediaPlane, root: Path, budget_bytes: int, retention_days: int,
                 notices: RecordingNotices, clock: Callable[[], float] = time.time) -> None:
        self.media = media
        self.root = root
        self.budget_bytes = budget_bytes
        self.retention_days = retention_days
        self.notices = notices
        self.clock = clock
        self._live: dict[str, _Live] = {}
        self._scheduled_started: set[str] = set()  # rooms whose scheduled recording started once

    def public(self, room_id: str) -> Optional[dict[str, Any]]:
        """The ``recording`` of the control state: ``{"id", "startedAt"}`` or ``None``."""
        live = self._live.get(room_id)
        return None if live is None else {"id": live.rec_id, "startedAt": live.started_at}

    def prune(self) -> list[str]:
        """Delete recordings past the retention period (not running ones),
        and close those a hub that died left open (``interrupted``)."""
        keep = frozenset(live.rec_id for live in self._live.values())
        for rec_id in library.close_interrupted(self.root, keep):
            logger.warning("recording %s was left open (the hub stopped while recording): closed as interrupted", rec_id)
        removed = library.prune(self.root, self.retention_days, self.clock(), keep)
        for rec_id in removed:
            logger.info("recording %s deleted (older than %d days)", rec_id, self.retention_days)
        return removed

    async def start(self, room_id: str, session: SessionInfo, by: Optional[str],
                    control: dict[str, Any], participants: list[dict[str, Any]]) -> None:
        """Start recording a room (nothing if it already is)."""
        if room_id in self._live:
            return
        self.prune()
        used = library.used_bytes(self.root)
        if used >= self.budget_bytes:
            logger.error("recording of session %s refused: the recordings' disk budget is used up", session.number)
            raise ControlRefused("recording_budget_used")
        now = self.clock()
        try:
            rec_id, directory = library.new_recording(self.root, session.number, now)
            meta = {
                "sessionId": session.id, "sessionNumber": session.number, "title": session.title,
                "titleEn": session.title_en, "stations": sorted(session.stations), "startedAt": now,
                "endedAt": None, "startedBy": by, "stoppedBy": None, "stoppedReason": None,
            }
            library.write_meta(directory, meta)
            timeline = open(directory / library.TIMELINE, "a", encoding="utf-8")
        except OSError as exc:
            logger.error("recording of session %s cannot start: %s", session.number, exc)
            raise ControlRefused("recording_cannot_start") from None
        live = _Live(rec_id, directory, session, now, meta, timeline)
        self._live[room_id] = live
        try:
            await self.media.start_recording(room_id, str(directory), self, self.budget_bytes - used)
        except Exception as exc:
            self._live.pop(room_id, None)
            timeline.close()
            logger.error("recording of session %s cannot start: %s", session.number, exc)
            raise ControlRefused("recording_cannot_start") from None
        logger.info("recording %s of session %s started by %s", rec_id, session.number, by or "the schedule")
        self._write(live, entry(0.0, now, "recording", on=True, by=by))
        for p in participants:
            live.names[p["id"]] = p.get("displayName") or p["id"]
        self._write(live, entry(0.0, now, "state", control=control, participants=[_who(p) for p in participants]))
        live.last_control = control

    async def stop(self, room_id: str, reason: str = "stopped", by: Optional[str] = None) -> None:
        """Stop recording a room (nothing if it is not); ``reason`` is
        ``stopped`` (a dispatcher), ``ended`` (the room emptied), ``disk``
        or ``budget``."""
        live = self._live.pop(room_id, None)
        if live is None:
            return
        try:
            await self.media.stop_recording(room_id)
        except Exception:
            logger.exception("stopping the media recording of %s failed", room_id)
        self._finish(live, reason, by)

    def _finish(self, live: _Live, reason: str, by: Optional[str]) -> None:
        now = self.clock()
        self._write(live, entry(now - live.started_at, now, "recording", on=False, by=by, reason=reason))
        if live.timeline is not None:
            try:
                live.timeline.close()
            except OSError:
                pass
        live.meta.update(endedAt=now, stoppedBy=by, stoppedReason=reason)
        try:
            library.write_meta(live.directory, live.meta)
        except OSError as exc:
            logger.error("recording %s: recording.json not updated: %s", live.rec_id, exc)
        logger.info("recording %s of session %s stopped (%s)", live.rec_id, live.session.number, reason)

    async def scheduled(self, room_id: str, session: SessionInfo, record: bool,
                        control: dict[str, Any], participants: list[dict[str, Any]]) -> bool:
        """A room opened (its first join): a session scheduled to record
        starts recording, once per opening.  Returns whether it started."""
        if not record or room_id in self._scheduled_started or room_id in self._live:
            return False
        self._scheduled_started.add(room_id)
        try:
            await self.start(room_id, session, None, control, participants)
        except ControlRefused:
            await self.notices.recording_alert(room_id, {"reason": "cannot_start", "id": None})
            return False
        return True

    async def room_closed(self, room_id: str) -> None:
        """Everyone left: the recording ends with the room."""
        self._scheduled_started.discard(room_id)
        await self.stop(room_id, "ended")

    async def close(self) -> None:
        """Hub shutdown: every recording stops, its files closed."""
        for room_id in list(self._live):
            await self.stop(room_id, "shutdown")

    # -- what happens in the room --------------------------------------------

    def control(self, room_id: str, state: dict[str, Any]) -> None:
        live = self._live.get(room_id)
        if live is None:
            return
        now = self.clock()
        for item in control_changes(live.last_control, state, now - live.started_at, now):
            self._write(live, item)
        live.last_control = state

    def joined(self, room_id: str, participant: dict[str, Any]) -> None:
        live = self._live.get(room_id)
        if live is not None:
            live.names[participant["id"]] = participant.get("displayName") or participant["id"]
            now = self.clock()
            self._write(live, entry(now - live.started_at, now, "join", **_who(participant)))

    def media_state(self, room_id: str, participant_id: str, camera: bool, mic: bool) -> None:
        """A station switched its own camera or microphone."""
        live = self._live.get(room_id)
        if live is not None:
            now = self.clock()
            self._write(live, entry(now - live.started_at, now, "media", participantId=participant_id,
                                    camera=camera, mic=mic))

    def left(self, room_id: str, participant_id: str, reason: str) -> None:
        live = self._live.get(room_id)
        if live is not None:
            now = self.clock()
            self._write(live, entry(now - live.started_at, now, "leave", participantId=participant_id, reason=reason))

    def opinion(self, news: OpinionNews) -> None:
        """An opinion captured in a session being recorded: a marker at the
        moment it was captured."""
        if news.kind != "captured" or news.session_number is None:
            return
        for live in self._live.values():
            if live.session.number == news.session_number:
                at = news.opinion.captured_at.timestamp()
                self._write(live, entry(
                    at - live.started_at, at, "opinion", opinionId=news.id, reference=news.opinion.reference,
                    summary=news.opinion.summary, station=news.station, stationName=news.opinion.station_name,
                    raiser=news.opinion.raiser_name, category=news.opinion.category_name,
                ))

    # -- media plane (media.interface.RecordingEvents) ---------------------------

    async def recording_stopped(self, room_id: str, reason: str) -> None:
        live = self._live.pop(room_id, None)
        if live is None:
            return
        logger.error("recording %s of session %s stopped by itself: %s", live.rec_id, live.session.number, reason)
        self._finish(live, reason, None)
        await self.notices.recording_alert(room_id, {"reason": reason, "id": live.rec_id})
        await self.notices.recording_changed(room_id)

    def _write(self, live: _Live, item: dict[str, Any]) -> None:
        if live.timeline is None:
            return
        try:
            live.timeline.write(json.dumps(item, ensure_ascii=False) + "\n")
            live.timeline.flush()
        except OSError as exc:
            # The media side stops on the same disk soon; the timeline stops now.
            logger.error("recording %s: timeline write error: %s", live.rec_id, exc)
            try:
                live.timeline.close()
            except OSError:
                pass
            live.timeline = None


def _who(participant: dict[str, Any]) -> dict[str, Any]:
    station = participant.get("station") or {}
    return {
        "participantId": participant["id"], "displayName": participant.get("displayName"),
        "role": participant.get("role"), "station": station.get("code") if isinstance(station, dict) else None,
    }
