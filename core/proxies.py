"""The client's address behind the network's reverse proxy.

Behind a proxy every request comes from the proxy's address, so login
throttling by address (:mod:`store.accounts`) would count every station as
one.  With ``trusted_proxies`` (addresses or networks) in ``configs/hub.yaml``,
a request that comes from one of them is attributed to the address its
``X-Forwarded-For`` names: the right-most entry that is not itself a trusted
proxy (entries further left are whatever the client chose to send).
Requests from anywhere else keep their own address: a client cannot claim
another by sending the header itself.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Optional, Union

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_networks(values: Iterable[str]) -> list[Network]:
    """``["10.0.0.5", "192.168.1.0/24"]`` → networks; ValueError names a bad one."""
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return out


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def client_address(remote: Optional[str], forwarded_for: Optional[str], trusted: list[Network]) -> str:
    """The address a request is attributed to (see the module's docstring)."""
    peer = _address(remote or "")
    if peer is None or not trusted or not any(peer in net for net in trusted):
        return remote or ""
    for entry in reversed([e for e in (forwarded_for or "").split(",") if e.strip()]):
        address = _address(entry)
        if address is None:
            break  # garbage: stop at the last hop we can vouch for
        if not any(address in net for net in trusted):
            return str(address)
        peer = address
    return str(peer)
