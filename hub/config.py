"""The hub's configuration: one typed model, loaded from YAML files in ``configs/``.

Order, as LiveKit's ``pkg/config`` does it: model defaults, then the YAML
file (unknown keys rejected), then ``LIAISON_HUB_*`` environment variables,
then validation.  A broken file stops the hub with a :class:`ConfigError`
naming the file, the line and the key, and what is wrong.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from core.matrix import Matrix, MatrixError, Station
from core.zone import TIME_ZONE
from signaling.limits import SignalingLimits

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PROJECT_DIR / "configs"
ENV_PREFIX = "LIAISON_HUB_"


class ConfigError(Exception):
    """A configuration file is missing or wrong.  ``str()`` is the message for
    the operator: file, line, key, problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- configs/hub.yaml -------------------------------------------------------


class IceServer(_Strict):
    """A STUN server (or a TURN server without credentials) handed to every
    page as it is.  TURN servers with credentials belong in ``turn``: a
    static password here would reach every browser."""

    urls: list[str] = Field(min_length=1)
    username: Optional[str] = None
    credential: Optional[str] = None

    @model_validator(mode="after")
    def _no_static_password(self) -> "IceServer":
        if self.username is not None or self.credential is not None:
            raise ValueError(
                "a static TURN password would reach every browser: configure the TURN server "
                "under turn (urls, secret), which hands out credentials that expire"
            )
        return self


_TURN_URL = r"^turns?:[^\s]+$"


class TurnSettings(_Strict):
    """The TURN server (coturn with ``use-auth-secret``): the hub hands each
    participant credentials made from ``secret`` that expire after
    ``ttl_seconds`` (:mod:`core.turn`)."""

    urls: list[str] = []
    secret: SecretStr = SecretStr("")
    ttl_seconds: int = Field(default=86400, ge=60, le=7 * 86400)
    # The relay's own connections gather TURN candidates too (a hub behind
    # NAT).  While the TURN server does not answer, each new connection of
    # the relay waits 5 s for it: switch off where the hub is reachable.
    relay: bool = True

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        import re

        for url in value:
            if not re.match(_TURN_URL, url):
                raise ValueError(f"{url!r} is not a turn: or turns: URL")
        return value

    @field_validator("secret", mode="before")
    @classmethod
    def _secret_text(cls, value: Any) -> Any:
        # An environment value such as 12345 is read as a YAML number.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value


class TlsSettings(_Strict):
    """The hub's own HTTPS (and WSS): PEM files, relative to the project
    directory.  Both or neither."""

    cert: str = ""
    key: str = ""

    @model_validator(mode="after")
    def _both(self) -> "TlsSettings":
        if bool(self.cert) != bool(self.key):
            raise ValueError("tls.cert and tls.key go together: set both or neither")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.cert)


class MediaSettings(_Strict):
    loopback_candidates: bool = True
    # Adapt what each subscriber is sent (big, small or paused per video) to
    # its network, estimated from its RTCP (media/adapt.py, issue 9).
    adapt: bool = True


class SignalingSettings(_Strict):
    ping_interval: float = Field(default=3, gt=0, le=60)
    ping_timeout: float = Field(default=5, gt=0, le=60)
    max_thumbnails: int = Field(default=8, ge=0, le=64)
    # Pages of other origins that may open Socket.IO connections to the hub
    # (e.g. "https://portal.example.org").  The hub's own origin (the page's
    # Host, and base_url) is always allowed; nothing else is.
    allowed_origins: list[str] = []
    limits: SignalingLimits = SignalingLimits()
    # A participant whose socket or media was lost stays (shown 重连中) this
    # long for its client to resume it; then it is removed.
    resume_seconds: float = Field(default=20, gt=0, le=300)

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        from hub.security import parse_origin

        return [parse_origin(v) for v in value]  # raises with the bad entry named


class MetricsSettings(_Strict):
    """Who may read ``GET /metrics`` (``/healthz`` names nobody and stays open)."""

    # A bearer token that Prometheus sends (Authorization: Bearer <token>);
    # set it through LIAISON_HUB_METRICS__TOKEN rather than in this file.
    token: str = Field(default="", max_length=512)
    # true: anyone who reaches the hub reads /metrics (restrict it at the
    # proxy).  false and no token: /metrics answers 404.
    open: bool = False

    @field_validator("token")
    @classmethod
    def _token(cls, value: str) -> str:
        if value and len(value) < 16:
            raise ValueError("use at least 16 characters")
        return value


class SchedulerSettings(_Strict):
    lobby_minutes: float = Field(default=15, ge=0, le=24 * 60)
    tick_seconds: float = Field(default=5, gt=0, le=300)
    # How often department notices are posted to their webhooks.
    webhook_seconds: float = Field(default=30, gt=0, le=3600)


class OutboundSettings(_Strict):
    """Where reminders go out besides the pages (issue 13, :mod:`hub.outbound`):
    an SMS gateway or an office platform taking JSON over HTTP.  No url: the
    notification centre of the pages only."""

    kind: Literal["http"] = "http"
    url: str = ""
    # Sent as ``Authorization: Bearer <token>`` when set; keep it out of the
    # file: LIAISON_HUB_NOTIFICATIONS__OUTBOUND__TOKEN.
    token: str = ""
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value


class NotificationSettings(_Strict):
    outbound: OutboundSettings = OutboundSettings()
    # How often due reminders are looked for and sent out.
    every_seconds: float = Field(default=60, gt=0, le=3600)


class RecordingSettings(_Strict):
    """Where live sessions are recorded (issue 12) and how much they may keep."""

    # Relative to the project directory; empty: recordings under var_dir.
    directory: str = ""
    # Disk budget of all recordings together, in megabytes: a recording that
    # reaches it stops (with an alert to the dispatchers); none starts beyond it.
    budget_mb: int = Field(default=20_000, ge=10, le=100_000_000)
    # Recordings older than this many days are deleted (0: kept for ever).
    retention_days: int = Field(default=365, ge=0, le=36_500)

    @field_validator("directory")
    @classmethod
    def _directory(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class DemoSession(_Strict):
    enabled: bool = True
    id: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: str = "演示会议"
    title_en: str = "Demo session"


class HubSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: str = ""
    var_dir: str = "var"
    database_url: str = ""
    redis_url: str = ""
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks).
    trusted_proxies: list[str] = []
    link_ttl_hours: float = Field(default=12, gt=0, le=24 * 366)
    default_language: Literal["zh-CN", "en"] = "zh-CN"
    ice_servers: list[IceServer] = []
    turn: TurnSettings = TurnSettings()
    tls: TlsSettings = TlsSettings()
    media: MediaSettings = MediaSettings()
    signaling: SignalingSettings = SignalingSettings()
    metrics: MetricsSettings = MetricsSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    recording: RecordingSettings = RecordingSettings()
    notifications: NotificationSettings = NotificationSettings()
    demo_session: DemoSession = DemoSession()

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: list[str]) -> list[str]:
        from core.proxies import parse_networks

        parse_networks(value)  # raises with the bad entry named
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


# --- configs/categories.yaml -------------------------------------------------


class Category(_Strict):
    """A category or request type: its code, its Chinese name and its English
    name (both shown to people: the pages pick the one of their language)."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)

    @field_validator("name", "name_en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class CategoriesFile(_Strict):
    categories: list[Category] = Field(min_length=1)
    request_types: list[Category] = Field(min_length=1)

    @field_validator("categories", "request_types")
    @classmethod
    def _unique(cls, items: list[Category]) -> list[Category]:
        seen: set[str] = set()
        for item in items:
            if item.code in seen:
                raise ValueError(f"code {item.code!r} appears twice")
            seen.add(item.code)
        return items


# --- configs/departments.yaml (opinion handling) -------------------------------

DEPARTMENT_LEVELS = ("town", "county", "city")


class Liaison(_Strict):
    name: str = Field(min_length=1, max_length=100)
    contact: str = Field(default="", max_length=200)


class Department(_Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    level: Literal["town", "county", "city"]
    #: For town-level departments: the town/street station they serve.
    station: Optional[str] = None
    liaison: Liaison
    webhook: str = ""
    #: The key the hub signs this department's webhook posts with
    #: (HMAC-SHA256, ``api/webhooks.py``); required with ``webhook``.
    webhook_secret: str = Field(default="", max_length=200)
    example: bool = False

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _signed(self) -> "Department":
        if self.webhook and len(self.webhook_secret) < 16:
            raise ValueError("webhook_secret: at least 16 characters, needed to sign the webhook's posts")
        return self


class HandlingDays(_Strict):
    town: int = Field(default=5, ge=1, le=365)
    county: int = Field(default=10, ge=1, le=365)
    city: int = Field(default=15, ge=1, le=365)


class DepartmentsFile(_Strict):
    handling_days: HandlingDays = HandlingDays()
    departments: list[Department] = []

    @field_validator("departments")
    @classmethod
    def _unique(cls, items: list[Department]) -> list[Department]:
        seen: set[str] = set()
        for item in items:
            if item.code in seen:
                raise ValueError(f"department code {item.code!r} appears twice")
            seen.add(item.code)
        return items

    def get(self, code: str) -> Optional[Department]:
        return next((d for d in self.departments if d.code == code), None)


# --- configs/scoring.yaml (duty records, working-day calendar) --------------------


class ScoringRule(_Strict):
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(default="", max_length=100)
    points: float = Field(ge=-100, le=100)
    manual: bool = False
    min_minutes: float = Field(default=0, ge=0, le=24 * 60)


AUTOMATIC_DUTY_KINDS = ("session_joined", "opinion_raised", "opinion_resolved")
_DEFAULT_RULES = {
    "session_joined": ScoringRule(name="参加视频联络活动", name_en="Attended a video liaison session", points=1, min_minutes=10),
    "opinion_raised": ScoringRule(name="反映民情意见", name_en="Raised an opinion", points=1),
    "opinion_resolved": ScoringRule(name="所提民情办结", name_en="An opinion raised was resolved", points=1),
    "station_reception": ScoringRule(name="进站接待选民", name_en="Station reception duty", points=2, manual=True),
}


class CalendarSettings(_Strict):
    """Local days over China's official calendar (:mod:`opinions.official`)."""

    timezone: str = TIME_ZONE
    holidays: list[date] = []
    workdays: list[date] = []
    #: Years whose official days the lists above give in full (when the
    #: installed calendar package does not have them yet).
    years: list[int] = []

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("workdays")
    @classmethod
    def _weekends(cls, items: list[date]) -> list[date]:
        for day in items:
            if day.weekday() < 5:
                raise ValueError(f"{day} is a weekday already: make-up workdays (调休) are Saturdays or Sundays")
        return items

    @model_validator(mode="after")
    def _apart(self) -> "CalendarSettings":
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {', '.join(map(str, both))}")
        return self


class ScoringFile(_Strict):
    rules: dict[str, ScoringRule] = dict(_DEFAULT_RULES)
    calendar: CalendarSettings = CalendarSettings()

    @field_validator("rules")
    @classmethod
    def _rules(cls, rules: dict[str, ScoringRule]) -> dict[str, ScoringRule]:
        import re

        for kind, rule in rules.items():
            if not re.match(r"^[a-z][a-z0-9_]{0,31}$", kind):
                raise ValueError(f"rule name {kind!r}: lowercase letters, digits and _")
            if kind in AUTOMATIC_DUTY_KINDS and rule.manual:
                raise ValueError(f"{kind} is recorded automatically: it cannot be manual")
        missing = [k for k in AUTOMATIC_DUTY_KINDS if k not in rules]
        if missing:
            raise ValueError(f"missing rules: {', '.join(missing)}")
        return rules


# --- the whole configuration -------------------------------------------------


@dataclass(frozen=True)
class Config:
    settings: HubSettings
    matrix: Matrix
    categories: CategoriesFile
    config_dir: Path
    departments: DepartmentsFile = field(default_factory=DepartmentsFile)
    scoring: ScoringFile = field(default_factory=ScoringFile)

    @property
    def var_dir(self) -> Path:
        path = Path(self.settings.var_dir)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def recordings_dir(self) -> Path:
        """Where recordings go: ``recording.directory``, else ``var/recordings``."""
        value = self.settings.recording.directory
        if not value:
            return self.var_dir / "recordings"
        path = Path(value)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def base_url(self) -> str:
        s = self.settings
        scheme = "https" if s.tls.enabled else "http"
        return s.base_url or f"{scheme}://{s.host}:{s.port}"

    def project_path(self, name: str) -> Path:
        """A file named in the settings: relative to the project directory."""
        path = Path(name)
        return path if path.is_absolute() else PROJECT_DIR / path

    @property
    def database_url(self) -> str:
        return self.settings.database_url or f"sqlite:///{self.var_dir / 'hub.db'}"


def load_config(
    config_dir: Optional[Path | str] = None, environ: Optional[dict[str, str]] = None
) -> Config:
    """Load and validate every file of ``config_dir`` (default ``configs/``,
    or ``$LIAISON_HUB_CONFIG_DIR``).  Raises :class:`ConfigError`."""
    env = os.environ if environ is None else environ
    directory = Path(config_dir or env.get(ENV_PREFIX + "CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: configuration directory not found")

    raw_hub = _read_yaml(directory / "hub.yaml", required=False)
    data = dict(raw_hub.value or {}) if raw_hub.value is not None else {}
    if not isinstance(raw_hub.value, (dict, type(None))):
        raise ConfigError(f"{raw_hub.path}: the file must hold a mapping of settings")
    _apply_environment(data, env)
    settings = _validate(HubSettings, data, raw_hub)

    raw_matrix = _read_yaml(directory / "matrix.yaml", required=True)
    matrix = _load_matrix(raw_matrix)

    raw_categories = _read_yaml(directory / "categories.yaml", required=True)
    categories = _validate(CategoriesFile, raw_categories.value, raw_categories)

    raw_departments = _read_yaml(directory / "departments.yaml", required=False)
    departments = _validate(DepartmentsFile, raw_departments.value, raw_departments)
    _check_departments(departments, matrix, raw_departments)

    raw_scoring = _read_yaml(directory / "scoring.yaml", required=False)
    scoring = _validate(ScoringFile, raw_scoring.value, raw_scoring)

    return Config(settings=settings, matrix=matrix, categories=categories, config_dir=directory,
                  departments=departments, scoring=scoring)


def _check_departments(departments: DepartmentsFile, matrix: Matrix, raw: "_RawFile") -> None:
    """Town-level departments serve a town station of the matrix; others none."""
    for index, department in enumerate(departments.departments):
        loc = ("departments", index, "station")
        line = raw.line_of(loc)
        where = f"{raw.path}{', line ' + str(line) if line else ''}: {_format_loc(loc)}"
        if department.level == "town":
            if department.station is None:
                raise ConfigError(f"{where}: a town-level department names the town station it serves")
            station = matrix.get(department.station)
            if station is None:
                raise ConfigError(f"{where}: no station {department.station!r} in matrix.yaml")
            if station.level != "town":
                raise ConfigError(f"{where}: {department.station!r} is a {station.level}, not a town/street station")
        elif department.station is not None:
            raise ConfigError(f"{where}: only town-level departments name a station")


# --- helpers -----------------------------------------------------------------


@dataclass
class _RawFile:
    path: Path
    value: Any
    lines: dict[tuple, int]  # key path -> 1-based line number

    def line_of(self, loc: tuple) -> Optional[int]:
        # The deepest prefix of ``loc`` that has a known line.
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def _read_yaml(path: Path, required: bool) -> _RawFile:
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: file not found")
        return _RawFile(path, None, {})
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        value = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML: {exc.problem}") from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return _RawFile(path, value, lines)


def _index_lines(node: yaml.Node, loc: tuple, lines: dict[tuple, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*loc, key_node.value)
            _index_lines(value_node, key, lines)
            lines[key] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*loc, index), lines)


def _format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validate(model: type[BaseModel], value: Any, raw: _RawFile) -> Any:
    try:
        return model.model_validate(value if value is not None else {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = raw.line_of(loc)
            where = f", line {line}" if line else ""
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"{raw.path}{where}: {_format_loc(loc)}: {message}")
        raise ConfigError("\n".join(problems)) from None


def _apply_environment(data: dict[str, Any], env: dict[str, str] | os._Environ) -> None:
    """``LIAISON_HUB_PORT=9000`` sets ``port``; ``LIAISON_HUB_MEDIA__LOOPBACK_CANDIDATES``
    sets ``media.loopback_candidates``.  Values are parsed as YAML scalars."""
    for name, text in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG_DIR":
            continue
        keys = name[len(ENV_PREFIX):].lower().split("__")
        target = data
        for key in keys[:-1]:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                raise ConfigError(f"environment {name}: {key} is not a section")
        try:
            target[keys[-1]] = yaml.safe_load(text) if text else ""
        except yaml.YAMLError:
            target[keys[-1]] = text


def _load_matrix(raw: _RawFile) -> Matrix:
    value = raw.value
    if not isinstance(value, dict) or set(value) != {"stations"}:
        line = raw.line_of(())
        raise ConfigError(
            f"{raw.path}{', line ' + str(line) if line else ''}: "
            "the file must hold exactly one key, stations"
        )

    seen: dict[str, int] = {}

    def build(items: Any, loc: tuple) -> list[Station]:
        if not isinstance(items, list):
            raise ConfigError(f"{raw.path}, line {raw.line_of(loc)}: {_format_loc(loc)}: must be a list")
        stations = []
        for index, item in enumerate(items):
            item_loc = (*loc, index)
            if not isinstance(item, dict):
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(item_loc)}: {_format_loc(item_loc)}: must be a mapping"
                )
            fields = {k: v for k, v in item.items() if k != "children"}
            code = fields.get("code")
            if isinstance(code, str) and code in seen:
                code_loc = (*item_loc, "code")
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(code_loc)}: {_format_loc(code_loc)}: "
                    f"station code {code!r} is already used on line {seen[code]}"
                )
            if isinstance(code, str):
                seen[code] = raw.line_of((*item_loc, "code")) or 0
            children = build(item.get("children", []), (*item_loc, "children"))
            try:
                stations.append(Station.from_config(fields, children))
            except MatrixError as exc:
                key_loc = (*item_loc, exc.key) if exc.key else item_loc
                raise ConfigError(
                    f"{raw.path}, line {raw.line_of(key_loc)}: {_format_loc(key_loc)}: {exc}"
                ) from None
        return stations

    roots = build(value["stations"], ("stations",))
    try:
        return Matrix(roots)
    except MatrixError as exc:
        raise ConfigError(f"{raw.path}: {exc}") from None
