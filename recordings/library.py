"""The recordings on disk: one directory per recording under the configured root.

``{root}/{id}/`` holds ``recording.json`` (which session, who started it,
when it started and ended, why it stopped), ``timeline.jsonl``
(:mod:`recordings.timeline`), ``media.jsonl`` and one WebM/Matroska file
per participant (:mod:`media.recorder`).  The id is
``{session number}-{UTC start, YYYYmmddTHHMMSS}``, so a directory listing is
already in order and an id names nothing outside the root
(:func:`recording_path` refuses anything else).

The disk budget counts every file under the root; retention deletes whole
recordings by their start.  Used by the live side
(:mod:`signaling.recording`) and the console API (:mod:`api.recordings`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

META = "recording.json"
TIMELINE = "timeline.jsonl"
MEDIA = "media.jsonl"

_ID = re.compile(r"^[0-9]{1,12}-[0-9]{8}T[0-9]{6}(-[0-9]{1,3})?$")
_FILE = re.compile(r"^[A-Za-z0-9_.-]{1,120}\.(webm|mkv)$")


def new_recording(root: Path, session_number: int, now: float) -> tuple[str, Path]:
    """Create the directory of a new recording; returns its id and path."""
    stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y%m%dT%H%M%S")
    root.mkdir(parents=True, exist_ok=True)
    base = f"{session_number}-{stamp}"
    for n in range(0, 1000):
        rec_id = base if n == 0 else f"{base}-{n}"
        path = root / rec_id
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return rec_id, path
    raise FileExistsError(base)


def recording_path(root: Path, rec_id: str) -> Optional[Path]:
    """The directory of recording ``rec_id``, or ``None`` for an id that is
    not one (or names no recording)."""
    if not _ID.match(rec_id):
        return None
    path = root / rec_id
    return path if (path / META).is_file() else None


def media_path(root: Path, rec_id: str, name: str) -> Optional[Path]:
    """A media file of a recording by its name, or ``None``."""
    directory = recording_path(root, rec_id)
    if directory is None or not _FILE.match(name):
        return None
    path = directory / name
    return path if path.is_file() else None


def write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Replace ``recording.json`` at once (never half written)."""
    temporary = directory / (META + ".tmp")
    temporary.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, directory / META)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The entries of a JSON-lines file; a last line cut short by a crash is skipped."""
    out = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def describe(root: Path, rec_id: str) -> Optional[dict[str, Any]]:
    """What the console shows of one recording: its ``recording.json`` and
    its files (name, participant, kinds, start, end, size)."""
    directory = recording_path(root, rec_id)
    if directory is None:
        return None
    meta = json.loads((directory / META).read_text(encoding="utf-8"))
    files: dict[str, dict[str, Any]] = {}
    for item in read_jsonl(directory / MEDIA):
        name = item.get("path")
        if not isinstance(name, str) or not _FILE.match(name):
            continue
        files[name] = {
            "name": name, "participantId": item.get("participant"), "kinds": item.get("kinds"),
            "codecs": item.get("codecs"), "startedAt": item.get("started_at"),
            "endedAt": item.get("ended_at"),
        }
    for info in files.values():
        path = directory / info["name"]
        info["bytes"] = path.stat().st_size if path.is_file() else 0
    return {**meta, "id": rec_id, "files": list(files.values())}


def list_ids(root: Path) -> list[str]:
    """Every recording's id, newest first."""
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    return sorted((n for n in names if _ID.match(n) and (root / n / META).is_file()), reverse=True)


def used_bytes(root: Path) -> int:
    """Bytes taken by every file under ``root`` (the disk budget's measure)."""
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                pass
    return total


def close_interrupted(root: Path, running: frozenset[str] = frozenset()) -> list[str]:
    """Recordings left open by a hub that died (``endedAt`` null, not
    ``running``) get the time of their last file write or timeline entry
    as their end and ``stoppedReason`` ``interrupted``; returns their ids."""
    closed = []
    for rec_id in list_ids(root):
        if rec_id in running:
            continue
        directory = root / rec_id
        try:
            meta = json.loads((directory / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if meta.get("endedAt") is not None:
            continue
        last = max([p.stat().st_mtime for p in directory.iterdir() if p.is_file() and p.name != META]
                   + [float(meta.get("startedAt") or 0)])
        meta.update(endedAt=last, stoppedReason="interrupted")
        write_meta(directory, meta)
        closed.append(rec_id)
    return closed


def prune(root: Path, retention_days: int, now: float, keep: frozenset[str] = frozenset()) -> list[str]:
    """Delete the recordings that started more than ``retention_days`` ago
    (none when it is 0), except ``keep`` (recordings running); returns their ids."""
    if retention_days <= 0:
        return []
    removed = []
    for rec_id in list_ids(root):
        if rec_id in keep:
            continue
        try:
            meta = json.loads((root / rec_id / META).read_text(encoding="utf-8"))
            started = float(meta["startedAt"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if now - started > retention_days * 86400:
            shutil.rmtree(root / rec_id, ignore_errors=True)
            removed.append(rec_id)
    return removed
