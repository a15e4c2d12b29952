"""Host candidate gathering (what aiortc's ``RTCIceGatherer`` delegates to aioice).

aioice's ``get_host_addresses`` leaves out 127.0.0.1 and ::1, so on a host
whose only interface is loopback (a sandbox, a CI container) no candidate is
gathered and no connection can be made.  :func:`use_loopback_addresses`
puts them back, process-wide; the relay enables it with
``Relay(loopback_candidates=True)``.
"""

from __future__ import annotations

from aioice import ice

_original_get_host_addresses = ice.get_host_addresses
_loopback = False


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    addresses = _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    if _loopback:
        if use_ipv4 and "127.0.0.1" not in addresses:
            addresses.append("127.0.0.1")
        if use_ipv6 and "::1" not in addresses:
            addresses.append("::1")
    return addresses


def use_loopback_addresses(enabled: bool) -> None:
    """Gather host candidates on loopback addresses too (or stop doing so)."""
    global _loopback
    _loopback = enabled
    ice.get_host_addresses = _get_host_addresses


def loopback_addresses_used() -> bool:
    return _loopback
