"""Signed, expiring join tokens.

``base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload)))``
with a JSON payload ``{"v", "sid", "sub", "role", "iat", "exp"}`` (Unix
seconds).  Small enough to read in full; no third-party JWT library needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hub.errors import TokenExpired, TokenInvalid

VERSION = 1
ROLES = ("station", "deputy", "dispatcher")


@dataclass(frozen=True)
class JoinGrant:
    """What a valid token allows: ``subject`` (``station:xucun``) joins
    session ``session_id`` in ``role`` until ``expires_at``."""

    session_id: str
    subject: str
    role: str
    issued_at: int
    expires_at: int

    @property
    def station_code(self) -> Optional[str]:
        kind, _, value = self.subject.partition(":")
        return value if kind == "station" else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    secret: bytes,
    session_id: str,
    subject: str,
    role: str,
    ttl_seconds: float,
    now: Optional[float] = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    issued = int(now if now is not None else time.time())
    payload = {
        "v": VERSION,
        "sid": session_id,
        "sub": subject,
        "role": role,
        "iat": issued,
        "exp": issued + int(ttl_seconds),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def join_link(
    base_url: str,
    secret: bytes,
    session_key: str,
    subject: str,
    role: str,
    ttl_seconds: float,
    now: Optional[float] = None,
) -> str:
    """The one-click join URL of the station page: the token rides in the
    fragment, so it never reaches a server log."""
    token = sign(secret, session_key, subject, role, ttl_seconds, now=now)
    return f"{base_url}/join/{session_key}#token={token}"


def verify(secret: bytes, token: str, now: Optional[float] = None) -> JoinGrant:
    """Return the grant of a valid token; raise :class:`TokenInvalid` or
    :class:`TokenExpired`."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
        raise TokenInvalid()
    body, mac = token.split(".")
    try:
        expected = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise TokenInvalid()
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeError):
        raise TokenInvalid() from None
    try:
        if payload["v"] != VERSION or payload["role"] not in ROLES:
            raise TokenInvalid()
        grant = JoinGrant(
            session_id=str(payload["sid"]),
            subject=str(payload["sub"]),
            role=payload["role"],
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
        )
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid() from None
    if (now if now is not None else time.time()) >= grant.expires_at:
        raise TokenExpired()
    return grant


def load_or_create_secret(path: Path) -> bytes:
    """The hub's signing key, made on first start and kept in ``var/``."""
    from hub.files import private_dir, private_file, write_private

    if path.exists():
        private_file(path)  # an older hub may have left it readable by others
        secret = path.read_bytes().strip()
        if len(secret) < 32:
            raise ValueError(f"{path}: the secret key is too short (at least 32 bytes)")
        return secret
    private_dir(path.parent)
    secret = secrets.token_hex(32).encode("ascii")
    write_private(path, secret)
    return secret
