"""Recordings of live sessions in the console (issue 12): the list, one
recording with its timeline, and downloads of each track and of the
timeline.

A recording is seen by whoever may see its session (``session.view``, as
``GET /sessions``): a dispatcher with one of its stations in scope, an
administrator.  The recordings themselves are files
(:mod:`recordings.library`); the session is read from the database for the
scope check only.  Media files are served with HTTP ranges, so the player
seeks without downloading everything.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from aiohttp import web
from pydantic import Field
from sqlmodel import Session

from core.errors import NotFound, SessionNotFound
from recordings import export as export_job
from core.scope import Do, can
from recordings import library

from api import schemas as s
from api.framework import Call

_REC_ID = r"^[0-9]{1,12}-[0-9]{8}T[0-9]{6}(-[0-9]{1,3})?$"


class RecordingPath(s.Input):
    id: str = Field(pattern=_REC_ID, max_length=40)


class RecordingFilePath(RecordingPath):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,120}\.(webm|mkv)$")


class RecordingQuery(s.Input):
    station: Optional[s.StationCode] = Field(default=None, description="only recordings of sessions with this station")
    from_: Optional[s.Instant] = Field(default=None, alias="from", description="started at or after")
    to: Optional[s.Instant] = Field(default=None, description="started before")
    q: Optional[str] = Field(default=None, max_length=100, description="words of the title")
    session: Optional[s.Id] = Field(default=None, description="only recordings of this session (its number)")


class MediaQuery(s.Input):
    download: bool = Field(default=False, description="true: served as an attachment (Content-Disposition)")


class RecordingFileOut(s.Model):
    name: str
    participant_id: Optional[str]
    kinds: Optional[list[str]]
    codecs: Optional[list[str]]
    started_at: Optional[float] = Field(description="Unix time of the file's presentation time 0")
    ended_at: Optional[float]
    bytes: int


class RecordingOut(s.Model):
    id: str
    session_id: str
    session_number: int
    title: str
    title_en: str
    stations: list[str]
    started_at: float = Field(description="Unix time; the timeline's t counts from it")
    ended_at: Optional[float] = Field(description="null while recording, or if the hub stopped without closing it")
    started_by: Optional[str] = Field(description="the dispatcher, or null: the session's schedule")
    stopped_by: Optional[str]
    stopped_reason: Optional[str] = Field(description="stopped, ended, disk, budget, shutdown")
    files: list[RecordingFileOut]


class RecordingList(s.Model):
    items: list[RecordingOut]


class TimelineOut(s.Model):
    recording: RecordingOut
    entries: list[dict[str, Any]] = Field(description="timeline.jsonl: see docs/api.md, Recordings")


def _root(call: Call) -> Path:
    if call.services.recordings_dir is None:
        raise NotFound()
    return call.services.recordings_dir


def _out(described: dict[str, Any]) -> RecordingOut:
    return RecordingOut(
        id=described["id"], session_id=str(described.get("sessionId")), session_number=int(described["sessionNumber"]),
        title=described.get("title") or "", title_en=described.get("titleEn") or "",
        stations=list(described.get("stations") or []), started_at=float(described["startedAt"]),
        ended_at=described.get("endedAt"), started_by=described.get("startedBy"),
        stopped_by=described.get("stoppedBy"), stopped_reason=described.get("stoppedReason"),
        files=[RecordingFileOut(
            name=f["name"], participant_id=f.get("participantId"), kinds=f.get("kinds"), codecs=f.get("codecs"),
            started_at=f.get("startedAt"), ended_at=f.get("endedAt"), bytes=f.get("bytes") or 0,
        ) for f in described.get("files") or []],
    )


def _visible(call: Call, numbers: set[int]) -> set[int]:
    """The session numbers among ``numbers`` the caller may see."""
    actor, repo, matrix = call.require_actor(), call.services.repo, call.services.matrix

    def work(db: Session) -> set[int]:
        allowed = set()
        for number in numbers:
            try:
                view = repo.load(db, number)
            except SessionNotFound:
                continue
            if can(actor, Do.VIEW, view.target, matrix):
                allowed.add(number)
        return allowed

    return work  # type: ignore[return-value]


async def _one(call: Call) -> tuple[Path, dict[str, Any]]:
    root = _root(call)
    described = library.describe(root, call.path.id)
    if described is None:
        raise NotFound()
    number = int(described["sessionNumber"])
    if number not in await call.services.db(_visible(call, {number})):  # type: ignore[arg-type]
        raise NotFound()  # not even its existence is told
    return root, described


async def list_recordings(call: Call) -> RecordingList:
    q: RecordingQuery = call.query
    root = _root(call)
    described = [d for d in (library.describe(root, rec_id) for rec_id in library.list_ids(root)) if d is not None]
    numbers = {int(d["sessionNumber"]) for d in described}
    allowed: set[int] = await call.services.db(_visible(call, numbers))  # type: ignore[arg-type]
    start = q.from_.timestamp() if q.from_ else None
    end = q.to.timestamp() if q.to else None
    items = []
    for d in described:
        if int(d["sessionNumber"]) not in allowed:
            continue
        if q.session is not None and int(d["sessionNumber"]) != q.session:
            continue
        if q.station and q.station not in (d.get("stations") or []):
            continue
        if start is not None and d["startedAt"] < start or end is not None and d["startedAt"] >= end:
            continue
        if q.q and q.q.lower() not in f"{d.get('title', '')} {d.get('titleEn', '')}".lower():
            continue
        items.append(_out(d))
    return RecordingList(items=items)


async def get_recording(call: Call) -> TimelineOut:
    root, described = await _one(call)
    entries = library.read_jsonl(root / call.path.id / library.TIMELINE)
    return TimelineOut(recording=_out(described), entries=entries)


async def timeline_download(call: Call) -> web.Response:
    root, described = await _one(call)
    entries = library.read_jsonl(root / call.path.id / library.TIMELINE)
    body = json.dumps({"recording": _out(described).model_dump(by_alias=True), "entries": entries},
                      ensure_ascii=False, indent=1)
    stamp = datetime.fromtimestamp(described["startedAt"], timezone.utc).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=body, content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="timeline-{described["sessionNumber"]}-{stamp}.json"'},
    )


async def media_file(call: Call) -> web.StreamResponse:
    root, _ = await _one(call)
    path = library.media_path(root, call.path.id, call.path.name)
    if path is None:
        raise NotFound()
    content_type = "video/webm" if path.suffix == ".webm" else "video/x-matroska"
    headers = {"Content-Type": content_type, "Cache-Control": "private, max-age=3600"}
    if call.query is not None and call.query.download:
        headers["Content-Disposition"] = f'attachment; filename="{call.path.id}-{path.name}"'
    return web.FileResponse(path, headers=headers)


# --- the MP4 export job -------------------------------------------------------------------------

class ExportOut(s.Model):
    state: str = Field(description="none, running, done, failed")
    progress: float = Field(description="0 to 1")
    url: Optional[str] = Field(default=None, description="the MP4, when done")
    cpu_seconds: Optional[float] = Field(default=None, description="CPU the job took, when done")


#: Export processes started by this hub process, by recording id.
_JOBS: dict[str, asyncio.subprocess.Process] = {}


def _export_out(call: Call, directory: Path) -> ExportOut:
    status = export_job.read_status(directory) or {"state": "none", "progress": 0.0}
    job = _JOBS.get(call.path.id)
    state = status.get("state", "none")
    if state == "running" and (job is None or job.returncode is not None):
        state = "failed"  # the job died (or this hub restarted) before it finished
    done = state == "done" and (directory / export_job.OUTPUT).is_file()
    return ExportOut(
        state=state, progress=float(status.get("progress") or 0.0),
        url=f"{call.services.mount_path}/recordings/{call.path.id}/export.mp4" if done else None,
        cpu_seconds=status.get("cpuSeconds"),
    )


async def export_status(call: Call) -> ExportOut:
    root, _ = await _one(call)
    return _export_out(call, root / call.path.id)


async def start_export(call: Call) -> ExportOut:
    """Start the export job (in its own process, at a lower priority), unless it runs."""
    root, described = await _one(call)
    directory = root / call.path.id
    job = _JOBS.get(call.path.id)
    if job is None or job.returncode is not None:
        export_job.write_status(directory, state="running", progress=0.0)
        _JOBS[call.path.id] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "recordings.export", str(directory),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
    return _export_out(call, directory)


async def export_file(call: Call) -> web.StreamResponse:
    root, described = await _one(call)
    path = root / call.path.id / export_job.OUTPUT
    if not path.is_file():
        raise NotFound()
    return web.FileResponse(path, headers={
        "Content-Type": "video/mp4",
        "Content-Disposition": f'attachment; filename="session-{described["sessionNumber"]}-{call.path.id}.mp4"',
    })
