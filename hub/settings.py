"""The settings of ``configs/hub.yaml`` (with ``LIAISON_HUB_*`` environment overrides): one
typed model, :class:`HubSettings`, and its sections.  Loaded by :func:`hub.config.load_config`.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from signaling.limits import SignalingLimits


class Strict(BaseModel):
    """Unknown keys are refused (a typo is an error, not a silent default); values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- configs/hub.yaml -------------------------------------------------------


class IceServer(Strict):
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


class TurnSettings(Strict):
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


class TlsSettings(Strict):
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


class MediaSettings(Strict):
    loopback_candidates: bool = True
    # Adapt what each subscriber is sent (big, small or paused per video) to
    # its network, estimated from its RTCP (media/adapt.py, media/estimate.py,
    # issue 9): only lasting loss steps a picture down, so that a receiver
    # short of CPU (its REMB falls, its round trip grows, nothing is lost) is
    # not taken for a thin link (docs/deployment.md).
    adapt: bool = True
    # A file to which every subscriber's RTCP feedback and adaptation steps are
    # appended as JSON lines (for recording the sequences of
    # tests/fixtures/rtcp/; a few kB a second per subscriber): unset in production.
    adapt_trace: Optional[str] = None
    # The event loop of `liaison-hub serve`: uvloop (native code; the relay's
    # packet path costs about 10% less CPU, bench/README.md) or asyncio's own.
    uvloop: bool = True


class SignalingSettings(Strict):
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


class MetricsSettings(Strict):
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


class SchedulerSettings(Strict):
    lobby_minutes: float = Field(default=15, ge=0, le=24 * 60)
    tick_seconds: float = Field(default=5, gt=0, le=300)
    # How often department notices are posted to their webhooks.
    webhook_seconds: float = Field(default=30, gt=0, le=3600)


class OutboundSettings(Strict):
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


class NotificationSettings(Strict):
    outbound: OutboundSettings = OutboundSettings()
    # How often due reminders are looked for and sent out.
    every_seconds: float = Field(default=60, gt=0, le=3600)


class RecordingSettings(Strict):
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


class DemoSession(Strict):
    enabled: bool = True
    id: str = Field(default="demo", pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    title: str = "演示会议"
    title_en: str = "Demo session"


class HubSettings(Strict):
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
