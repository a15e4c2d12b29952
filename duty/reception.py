"""Station reception duty (进站接待) and a session's 签到 by QR code: pure, no I/O.

Two signed codes, each an HMAC with the hub's key (as the invitations' short
links, ``api/invite_links.py``), so no database row is needed to make one and
nobody can forge one:

* **the station's code of the day** ``r.{station}.{yyyymmdd}.{check}``: HMAC of
  the station and the China-time date.  The station shows it (console
  ``#reception``); it changes at midnight Asia/Shanghai, so a photo of
  yesterday's code signs nobody in today.
* **a session's sign-in code** ``s.{session}.{occurrence start}.{station}.{check}``:
  HMAC of the occurrence (session id and start, UTC ``yyyymmddThhmmssZ``) and
  the station whose screen shows it.  Valid while the occurrence is live, plus
  :data:`SESSION_GRACE` after its end (checked by the caller, which knows the
  occurrence's state).

The deputy's phone opens ``{base}/deputy#signin={code}``; the page posts the code
(``POST /api/me/signin``) with the deputy's login.

Reception records: one per deputy, station and China-time day
(:func:`reception_record`, key ``station_reception|reception:{station}:{date}|{deputy}``,
the occasion form ``POST /duty/records`` already documents).  A deputy on the
day's roster gets an approved record; one not on it may still sign in at a
station of its own town (:func:`walk_in_allowed`), marked 临时 and pending
review by staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional, Union

from core.zone import ZONE
from duty.scoring import (
    SESSION_JOINED, DutyEntry, ScoringRules, attendance_day, record_key, session_occasion,
)

RECEPTION = "station_reception"
#: After an occurrence's end, its sign-in code still works this long.
SESSION_GRACE = timedelta(minutes=5)

_STATION = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_RECEPTION_CODE = re.compile(rf"^r\.({_STATION})\.(\d{{8}})\.([a-z2-7]{{10}})$")
_SESSION_CODE = re.compile(rf"^s\.([1-9]\d{{0,9}})\.(\d{{8}}T\d{{6}}Z)\.({_STATION})\.([a-z2-7]{{10}})$")


def _check(secret: bytes, text: str) -> str:
    mac = hmac.new(secret, text.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()[:10]


def china_day(at: datetime) -> date:
    """The China-time date of an instant."""
    return at.astimezone(ZONE).date()


# --- the station's code of the day --------------------------------------------------------


def reception_code(secret: bytes, station: str, day: date) -> str:
    stamp = day.strftime("%Y%m%d")
    return f"r.{station}.{stamp}.{_check(secret, f'reception:{station}:{stamp}')}"


@dataclass(frozen=True)
class ReceptionCode:
    station: str
    day: date


@dataclass(frozen=True)
class SessionCode:
    session_id: int
    occurrence_start: datetime
    station: str


class CodeRefused(ValueError):
    """Why a code does not sign anyone in: ``reason`` is a catalogue key
    (``core/reasons.py``): ``signin_code_invalid``, ``signin_code_other_day``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_code(secret: bytes, code: str) -> Union[ReceptionCode, SessionCode]:
    """The station and day, or the occurrence and station, of a code the hub
    made; :class:`CodeRefused` (``signin_code_invalid``) for anything else
    (tampered, made with another key, malformed)."""
    code = (code or "").strip()
    m = _RECEPTION_CODE.match(code)
    if m:
        station, stamp, check = m.groups()
        if not hmac.compare_digest(_check(secret, f"reception:{station}:{stamp}"), check):
            raise CodeRefused("signin_code_invalid")
        try:
            day = datetime.strptime(stamp, "%Y%m%d").date()
        except ValueError:
            raise CodeRefused("signin_code_invalid") from None
        return ReceptionCode(station, day)
    m = _SESSION_CODE.match(code)
    if m:
        session, stamp, station, check = m.groups()
        if not hmac.compare_digest(_check(secret, f"session:{session}:{stamp}:{station}"), check):
            raise CodeRefused("signin_code_invalid")
        try:
            start = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise CodeRefused("signin_code_invalid") from None
        return SessionCode(int(session), start, station)
    raise CodeRefused("signin_code_invalid")


def reception_of(secret: bytes, code: str, now: datetime) -> ReceptionCode:
    """A station's code, valid only on its own China-time day."""
    parsed = parse_code(secret, code)
    if not isinstance(parsed, ReceptionCode):
        raise CodeRefused("signin_code_invalid")
    if parsed.day != china_day(now):
        raise CodeRefused("signin_code_other_day")
    return parsed


# --- a session's sign-in code -----------------------------------------------------------------


def _stamp(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def session_code(secret: bytes, session_id: int, occurrence_start: datetime, station: str) -> str:
    stamp = _stamp(occurrence_start)
    return f"s.{session_id}.{stamp}.{station}.{_check(secret, f'session:{session_id}:{stamp}:{station}')}"


def session_code_open(live: bool, ends: datetime, now: datetime) -> bool:
    """Whether a session code signs in now: while its occurrence is live, and
    for :data:`SESSION_GRACE` after the end."""
    return live or ends <= now <= ends + SESSION_GRACE


def signin_url(base_url: str, code: str) -> str:
    """What the QR code carries: the deputy's phone page, the code in the
    fragment (never in a server log; the page continues after a login)."""
    return f"{base_url}/deputy#signin={code}"


# --- records -------------------------------------------------------------------------------------


def reception_occasion(station: str, day: date) -> str:
    return f"reception:{station}:{day.isoformat()}"


def reception_key(station: str, day: date, deputy_id: int) -> str:
    """One person, one station, one day: the key of its reception record."""
    return record_key(RECEPTION, reception_occasion(station, day), deputy_id)


def walk_in_allowed(deputy_town: Optional[str], station_town: Optional[str]) -> bool:
    """A deputy not on the day's roster signs in (临时) only at a station of its
    own town or street (its station's town station is the scanned station's)."""
    return deputy_town is not None and deputy_town == station_town


def reception_record(
    rules: ScoringRules, station: str, day: date, deputy_id: int, at: datetime, rostered: bool,
) -> DutyEntry:
    """The reception record of a sign-in: the rule's points; a deputy not on
    the roster is marked 临时 (the store keeps it pending review)."""
    rule = rules.rule(RECEPTION)
    occasion = reception_occasion(station, day)
    note = "扫码签到" if rostered else "临时（未排班）扫码签到"
    return DutyEntry(reception_key(station, day, deputy_id), deputy_id, RECEPTION, occasion, at, rule.points,
                     manual=not rostered, note=note)


def session_signin_record(
    rules: ScoringRules, session_id: int, occurrence_start: datetime, deputy_id: int, station: str, at: datetime,
) -> DutyEntry:
    """A session's attendance by QR: the same key as the live layer's record
    and as attendance entered by hand (one per deputy, session and China-time
    day of the occurrence), so none doubles another."""
    occasion = session_occasion(session_id, attendance_day(occurrence_start))
    return DutyEntry(record_key(SESSION_JOINED, occasion, deputy_id), deputy_id, SESSION_JOINED, occasion, at,
                     rules.rule(SESSION_JOINED).points, note=f"扫码签到 {station}")
