"""In-process probe: does a join/leave cycle leave anything behind in the relay?

    .venv/bin/python bench/leak_probe.py               # 5 cycles, counts live RTCPeerConnections
    .venv/bin/python bench/leak_probe.py --cycles 500  # and the process's RSS over the cycles

Each cycle joins a publisher to a ``media.relay.Relay`` in this process,
publishes one synthetic VP8 track over 127.0.0.1, forwards it for a moment
to a subscriber that stays the whole time, then leaves and closes the
publisher's client.  It prints the number of ``RTCPeerConnection`` objects
still alive after a garbage collection (0 without a leak;
tests/test_media_relay.py::test_a_departed_publisher_is_freed checks it),
and with ``--cycles`` the RSS growth over the last half of the cycles (the
issue's target: under 1 MB over the last 250 of 500).
"""

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402

from bench.loopback import install as loopback_install  # noqa: E402
from bench.loopback import only_loopback_candidates, rtc_configuration  # noqa: E402
from bench.source import StampedSource, encode_loop  # noqa: E402
from media.interface import SessionDescription  # noqa: E402
from media.relay import Relay  # noqa: E402


class Events:
    """Answers the watcher's subscriber offers with an aiortc client."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.watcher = RTCPeerConnection(rtc_configuration())
        self.frames = 0

        @self.watcher.on("track")
        def on_track(track) -> None:
            async def read() -> None:
                while True:
                    try:
                        await track.recv()
                    except Exception:
                        return
                    self.frames += 1

            asyncio.ensure_future(read())

    async def subscriber_offer(self, participant_id, offer, tracks) -> None:
        asyncio.ensure_future(self._answer(participant_id, offer))

    async def _answer(self, participant_id, offer) -> None:
        await self.watcher.setRemoteDescription(RTCSessionDescription(only_loopback_candidates(offer.sdp), "offer"))
        await self.watcher.setLocalDescription(await self.watcher.createAnswer())
        await self.relay.answer(participant_id, SessionDescription(self.watcher.localDescription.sdp, "answer"))

    async def subscriber_tracks(self, *args) -> None: ...
    async def connection_state(self, *args) -> None: ...
    async def publishing(self, *args) -> None: ...


def alive_pcs() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, RTCPeerConnection))


async def main(cycles: int) -> None:
    relay = Relay(loopback_candidates=False)
    loopback_install()
    loop = encode_loop(seconds=2, keyframe_interval=1)
    events = Events(relay)
    await relay.join("demo", "watcher", events)
    await relay.subscribe("watcher", ["pub"])
    process = psutil.Process()
    rss = []
    started = time.monotonic()
    for i in range(cycles):
        await relay.join("demo", "pub", events)
        pc = RTCPeerConnection(rtc_configuration())
        pc.addTransceiver(StampedSource(loop, i), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        answer = await relay.publish("pub", SessionDescription(pc.localDescription.sdp, "offer"))
        await pc.setRemoteDescription(RTCSessionDescription(only_loopback_candidates(answer.sdp), "answer"))
        before = events.frames
        deadline = time.monotonic() + 5
        while events.frames < before + 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await relay.leave("pub")
        await pc.close()
        del pc
        await asyncio.sleep(0.1)
        if cycles <= 10:
            print(f"after leave #{i + 1}: RTCPeerConnection objects alive besides the watcher's two: {alive_pcs() - 2}, watcher frames {events.frames}")
        else:
            gc.collect()
            rss.append(process.memory_info().rss)
            if (i + 1) % 50 == 0:
                print(f"cycle {i + 1}: RSS {rss[-1] / 2**20:.1f} MB, watcher frames {events.frames}, "
                      f"{time.monotonic() - started:.0f} s", flush=True)
    if rss:
        half = len(rss) // 2
        print(f"RSS: {rss[0] / 2**20:.1f} MB after cycle 1, {rss[half - 1] / 2**20:.1f} MB after cycle {half}, "
              f"{rss[-1] / 2**20:.1f} MB after cycle {len(rss)}: "
              f"{(rss[-1] - rss[half - 1]) / 2**20:+.2f} MB over the last {len(rss) - half} cycles; "
              f"RTCPeerConnection objects alive besides the watcher's two: {alive_pcs() - 2}")
    await events.watcher.close()
    await relay.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=5)
    asyncio.run(main(parser.parse_args().cycles))
