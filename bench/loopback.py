"""Keep the bench's media on 127.0.0.1.

* :func:`install` makes aioice gather host candidates on 127.0.0.1 only (no
  other interface, no IPv6) in this process.
* :func:`only_loopback_candidates` drops from a remote SDP every ICE
  candidate that is not on 127.0.0.1, so no connectivity check is ever sent
  to another address.
* :func:`rtc_configuration` has an explicit empty ``iceServers``: aiortc's
  default would contact a public STUN server; and max-bundle, as browsers.
* :func:`install` also gives the load generator's UDP sockets a 2 MiB receive
  buffer (Chromium's size; aioice's default is 256 KiB), so that a station process that is briefly not
  scheduled (the machine is shared) does not drop the hub's packets.
"""

from __future__ import annotations

import os

from aioice import ice
from aiortc import RTCBundlePolicy, RTCConfiguration

#: The one address the bench's media uses: 127.0.0.1, or the machine's own
#: non-loopback address given in ``BENCH_HOST_ADDRESS`` (the side-by-side
#: bench with Janus, which gathers no candidates on loopback interfaces).
LOOPBACK = os.environ.get("BENCH_HOST_ADDRESS", "127.0.0.1")


def _loopback_host_addresses(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
    return [LOOPBACK] if use_ipv4 else []


RECEIVE_BUFFER = 2 * 1024 * 1024


def install() -> None:
    ice.get_host_addresses = _loopback_host_addresses
    _install_receive_buffer()


def _install_receive_buffer() -> None:
    # aioice sets SO_RCVBUF to turn.UDP_SOCKET_BUFFER_SIZE (256 KiB) on every
    # host candidate socket; it reads the module attribute at that moment.
    from aioice import turn

    turn.UDP_SOCKET_BUFFER_SIZE = RECEIVE_BUFFER


def rtc_configuration() -> RTCConfiguration:
    # max-bundle as in browsers: aiortc's default BALANCED policy misroutes the
    # second of two video m-lines added by one offer (see tests/media_utils.py).
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def only_loopback_candidates(sdp: str) -> str:
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            parts = line.split()
            # a=candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ ...
            if len(parts) < 6 or parts[4] != LOOPBACK:
                continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"
