"""Time-limited TURN credentials: coturn's shared-secret scheme ("TURN REST API").

A static TURN password handed to every page would be a password every browser
keeps; anyone who opened a join link once could relay through our TURN server
for ever.  Instead the hub and coturn share a secret (``turn.secret`` here,
``static-auth-secret`` in ``configs/turnserver.conf``) and the hub hands each
participant its own credentials that expire:

    username   = "<unix expiry time>:<identity>"
    credential = base64(HMAC-SHA1(secret, username))

coturn recomputes the credential from the username and refuses it once the
expiry time has passed.  Pure: no I/O, the clock is an argument.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class TurnCredentials:
    username: str
    credential: str
    expires_at: int  # unix time

    def ice_server(self, urls: list[str]) -> dict[str, Any]:
        """The W3C ``RTCIceServer`` for ``urls`` with these credentials."""
        return {"urls": list(urls), "username": self.username, "credential": self.credential}


def credentials(secret: str, identity: str, ttl_seconds: int, now: float) -> TurnCredentials:
    """Credentials for ``identity`` valid until ``now + ttl_seconds``."""
    if not secret:
        raise ValueError("no TURN secret")
    if ":" in identity:
        raise ValueError("the identity must not contain ':' (coturn's separator)")
    expires_at = int(now) + int(ttl_seconds)
    username = f"{expires_at}:{identity}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return TurnCredentials(username, base64.b64encode(digest).decode("ascii"), expires_at)


@dataclass(frozen=True)
class TurnService:
    """What the hub knows of its TURN server: the URLs, the shared secret and
    the lifetime of the credentials it hands out.  ``problem`` says why no
    TURN server is handed out although one is configured (the secret is
    missing); it is shown in the log and ``/healthz``."""

    urls: tuple[str, ...] = ()
    secret: str = ""
    ttl_seconds: int = 86400

    @property
    def enabled(self) -> bool:
        return bool(self.urls) and bool(self.secret)

    @property
    def problem(self) -> Optional[str]:
        if self.urls and not self.secret:
            return "turn.urls is set but turn.secret is not: no TURN server is handed out"
        return None

    def ice_servers(self, identity: str, now: float) -> list[dict[str, Any]]:
        """The TURN entries of ``iceServers`` for one participant (none when disabled)."""
        if not self.enabled:
            return []
        return [credentials(self.secret, identity, self.ttl_seconds, now).ice_server(list(self.urls))]

    def health(self) -> dict[str, Any]:
        return {
            "configured": bool(self.urls),
            "enabled": self.enabled,
            "ttlSeconds": self.ttl_seconds if self.enabled else None,
            "problem": self.problem,
        }
