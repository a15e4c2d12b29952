"""The session's own timeline, recorded beside its media (issue 12).

A recording is worth more than a video file because the hub knows what
happened: who joined and left, who had the floor, what was broadcast, the
polling, the layout, mutes, raised hands, the opinions residents raised,
and when the recording itself started and stopped.  This module turns the
live session's facts into timeline entries, one JSON object per line of
``timeline.jsonl``:

``{"t": 12.345, "at": 1764300012.3, "type": "floor", "participantId": "p-3f9c1a"}``

``t`` is seconds from the recording's start (the media files' presentation
times count from their own ``started_at``, in the same Unix time as ``at``).
The control state (``docs/protocol.md``, the ``control`` event) is compared
with the last one written, and only what changed becomes entries
(:func:`control_changes`).  The first entry after ``recording`` is a
``state`` entry with the whole control state and the participants present.

Pure: no files, no clock (callers pass the times).
"""

from __future__ import annotations

from typing import Any, Optional

#: Entry types, in the words of the control state where they come from.
ENTRY_TYPES = (
    "recording", "state", "join", "leave", "stage", "floor", "broadcast", "polling", "layout",
    "muted", "muteAll", "hands", "voiceActivated", "othersMaySpeak", "locked", "opinion", "media",
)

#: Control state keys followed, and how each becomes an entry.
_FOLLOWED = ("stage", "floor", "broadcast", "layout", "voiceActivated", "othersMaySpeak", "muteAll", "locked")


def entry(t: float, at: float, kind: str, **fields: Any) -> dict[str, Any]:
    """One timeline entry (``kind`` one of :data:`ENTRY_TYPES`)."""
    assert kind in ENTRY_TYPES, kind
    return {"t": round(max(0.0, t), 3), "at": round(at, 3), "type": kind, **fields}


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    polling = state.get("polling")
    return {
        **{key: state.get(key) for key in _FOLLOWED},
        "muted": sorted(state.get("muted") or []),
        "hands": [h["participantId"] for h in state.get("hands") or []],
        "polling": None if polling is None else {
            "order": list(polling.get("order") or []), "interval": polling.get("interval"),
            "current": polling.get("current"), "paused": polling.get("paused"),
        },
    }


def control_changes(before: Optional[dict[str, Any]], after: dict[str, Any], t: float, at: float) -> list[dict[str, Any]]:
    """The entries for what changed from control state ``before`` (``None``:
    nothing written yet) to ``after``.  Waiting times of hands and the
    ``heard`` list (derived from the rest) are not followed."""
    new = _comparable(after)
    old = _comparable(before) if before is not None else None
    out: list[dict[str, Any]] = []
    for key in ("stage", "floor", "broadcast"):
        if old is None or old[key] != new[key]:
            if old is not None or new[key] is not None:
                out.append(entry(t, at, key, participantId=new[key]))
    if old is None or old["layout"] != new["layout"]:
        out.append(entry(t, at, "layout", layout=new["layout"]))
    if old is None or old["polling"] != new["polling"]:
        if old is not None or new["polling"] is not None:
            out.append(entry(t, at, "polling", polling=new["polling"]))
    if old is None or old["muted"] != new["muted"]:
        if old is not None or new["muted"]:
            out.append(entry(t, at, "muted", participants=new["muted"]))
    if old is None or old["hands"] != new["hands"]:
        if old is not None or new["hands"]:
            out.append(entry(t, at, "hands", participants=new["hands"]))
    for key in ("voiceActivated", "othersMaySpeak", "muteAll", "locked"):
        if old is None or old[key] != new[key]:
            if old is not None or new[key]:
                out.append(entry(t, at, key, on=bool(new[key])))
    return out


def floor_at(entries: list[dict[str, Any]], t: float) -> Optional[str]:
    """Who was on the stage at ``t`` seconds: the last ``stage`` (or
    ``state``) entry at or before ``t``.  The player follows the same rule."""
    current: Optional[str] = None
    for e in entries:
        if e["t"] > t:
            break
        if e["type"] == "stage":
            current = e.get("participantId")
        elif e["type"] == "state":
            current = (e.get("control") or {}).get("stage")
    return current
