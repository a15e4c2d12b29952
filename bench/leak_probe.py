"""In-process probe: is a departed publisher's RTCPeerConnection freed by the relay?

    .venv/bin/python bench/leak_probe.py

Joins, publishes (one synthetic VP8 track over 127.0.0.1) and leaves five
publishers on a ``media.relay.Relay`` in this process, then counts the
``RTCPeerConnection`` objects still alive after a garbage collection.  It
prints the count after each leave.  With no leak, the count stays at 0
(tests/test_media_relay.py::test_a_departed_publisher_is_freed checks it).
"""

import asyncio
import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402

from bench.loopback import install as loopback_install  # noqa: E402
from bench.loopback import only_loopback_candidates, rtc_configuration  # noqa: E402
from bench.source import StampedSource, encode_loop  # noqa: E402
from media.interface import SessionDescription  # noqa: E402
from media.relay import Relay  # noqa: E402


class Events:
    async def subscriber_offer(self, *args): ...
    async def subscriber_tracks(self, *args): ...
    async def connection_state(self, *args): ...
    async def publishing(self, *args): ...


def alive_pcs() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, RTCPeerConnection))


async def main() -> None:
    relay = Relay(loopback_candidates=False)
    loopback_install()
    loop = encode_loop(seconds=2, keyframe_interval=1)
    for i in range(5):
        pid = f"p{i}"
        await relay.join("demo", pid, Events())
        pc = RTCPeerConnection(rtc_configuration())
        pc.addTransceiver(StampedSource(loop, i), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        answer = await relay.publish(pid, SessionDescription(pc.localDescription.sdp, "offer"))
        await pc.setRemoteDescription(RTCSessionDescription(only_loopback_candidates(answer.sdp), "answer"))
        await asyncio.sleep(1.0)
        await relay.leave(pid)
        await pc.close()
        del pc
        await asyncio.sleep(0.2)
        print(f"after leave #{i + 1}: RTCPeerConnection objects alive: {alive_pcs()}")
    await relay.close()


if __name__ == "__main__":
    asyncio.run(main())
