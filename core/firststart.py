"""First start: from ``make run`` to a live page and a console without reading further.

When the hub starts it prints the addresses a newcomer needs (the console,
the API), a join link of the demo session, and, while no account exists, a
one-time link that creates the administrator (``/console#setup=…``; the
console shows it too, to a browser on the hub's own machine).

The link's token is derived from the hub's signing key (``var/secret.key``),
so nothing new is stored: whoever can read the hub's output or sits at its
machine may create the first administrator, and once an account exists the
link creates nothing (``api/setup.py`` refuses it).  ``liaison-hub account
create`` remains the way to do it from a shell.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Optional

#: What the token signs: a purpose of its own, so no other token of the key matches it.
_PURPOSE = b"liaison-hub first administrator"


def setup_token(secret: bytes) -> str:
    """The one-time token that creates the first administrator."""
    digest = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def setup_token_matches(secret: bytes, token: str) -> bool:
    return hmac.compare_digest(setup_token(secret).encode(), token.encode())


def setup_url(base_url: str, secret: bytes) -> str:
    return f"{base_url}/console#setup={setup_token(secret)}"


def start_lines(
    base_url: str, secret: bytes, has_accounts: bool, demo_link: Optional[str], demo_station: str = ""
) -> list[str]:
    """The lines ``liaison-hub serve`` prints below "listening on": each an
    address and what it is for."""
    rows: list[tuple[str, str]] = []
    if not has_accounts:
        rows.append(("create the administrator (one-time link)", setup_url(base_url, secret)))
    rows.append(("console (sessions, opinions)", f"{base_url}/console"))
    if demo_link:
        rows.append((f"demo session, as station {demo_station}".rstrip(), demo_link))
    rows.append(("REST API", f"{base_url}/api/docs"))
    width = max(len(label) for label, _ in rows) + 1
    return [f"  {(label + ':').ljust(width)} {url}" for label, url in rows]
