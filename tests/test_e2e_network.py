"""End to end on emulated networks (issue 9): the hub in one network namespace
on a non-loopback address, Chromium phones in another, joined by a veth pair
(``tests/netns.py``).  Needs root."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright

from hub import tls
from tests.browser import CHROMIUM_ARGS, DEVICES, autojoin
from tests.netns import Network, NetnsHub
from tests.test_e2e_live import StationPage

pytestmark = pytest.mark.browser


@pytest.fixture
def network():
    with Network() as network:
        yield network


async def _launch(playwright, executable: str, extra: list[str] = ()):
    DEVICES.update(playwright.devices)
    return await playwright.chromium.launch(
        executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *extra])


async def _phone(browser, url: str, code: str) -> StationPage:
    context = await browser.new_context(**DEVICES["Pixel 7"])
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[{code}] {m.text}"))
    await page.goto(url)
    station = StationPage(page, code)
    await station.wait_live(timeout=30)
    return station


async def test_phone_joins_and_publishes_over_the_hubs_own_tls_on_a_lan_address(network, tmp_path):
    """Test 5: `liaison-hub tls` certificate for the hub's LAN address, `serve
    --tls-cert --tls-key` on it, a Pixel-7 page over HTTPS/WSS from the other
    namespace joins, publishes, and a second page there receives it."""
    import datetime
    ca = tls.make_ca("test CA", datetime.datetime.now(datetime.timezone.utc))
    issued = tls.make_server_certificate(ca, ["hub.lan"], [Network.HUB_ADDRESS],
                                         datetime.datetime.now(datetime.timezone.utc))
    (tmp_path / "server.crt").write_bytes(issued.cert_pem)
    (tmp_path / "server.key").write_bytes(issued.key_pem)
    hub = NetnsHub(network.hub, Network.HUB_ADDRESS, tmp_path / "var", scheme="https",
                   serve_args=("--tls-cert", str(tmp_path / "server.crt"), "--tls-key", str(tmp_path / "server.key")))
    try:
        hub.start()
        # The browser trusts exactly this server key (as a phone trusts the CA it installed).
        trust = f"--ignore-certificate-errors-spki-list={tls.spki_sha256(issued.cert_pem)}"
        async with async_playwright() as p:
            browser = await _launch(p, network.chromium_in(network.phone, tmp_path), [trust])
            try:
                phone = await _phone(browser, autojoin(hub.link("demo", "xucun")), "xucun")
                state = await phone.page.evaluate("""() => ({
                    secure: window.isSecureContext, origin: location.origin,
                    transport: window.hubClient.signaling?.socket?.io?.engine?.transport?.name ?? null,
                })""")
                assert state == {"secure": True, "origin": hub.url, "transport": "websocket"}, state  # WSS
                viewer = await _phone(browser, autojoin(hub.link("demo", "changan")), "changan")
                stats = await viewer.wait_receiving([await phone.my_id()], timeout=30)
                assert stats[await phone.my_id()]["frameWidth"] > 0
                health = hub.health()
                assert health["rooms"] == {"demo": 2}
            finally:
                await browser.close()
    finally:
        hub.stop()
        print("---- hub log ----\n" + hub.log()[-20000:])


async def test_phone_changing_address_keeps_its_participant_and_media_is_back_within_3_s(network, tmp_path):
    """Test 3: mid-session the phone's address changes (Wi-Fi → 4G, emulated): its page
    restarts both connections and resumes its participant; the other station sees the same
    participant (重连中, then back), no leave and no new join, and media again within 3 s;
    the dispatcher's console shows the phone 重连中 meanwhile."""
    import time

    from tests.test_e2e_control import dispatcher_link

    hub = NetnsHub(network.hub, Network.HUB_ADDRESS, tmp_path / "var")
    secure = f"--unsafely-treat-insecure-origin-as-secure={hub.url}"
    try:
        hub.create_account("admin", "Admin-password-1", "administrator")
        hub.start()
        async with async_playwright() as p:
            phone_browser = await _launch(p, network.chromium_in(network.phone, tmp_path), [secure])
            other_browser = await _launch(p, network.chromium_in(network.hub, tmp_path), [secure])
            try:
                other = await _phone(other_browser, autojoin(hub.link("demo", "xucun")), "xucun")
                phone = await _phone(phone_browser, autojoin(hub.link("demo", "changan")), "changan")
                phone_id, other_id = await phone.my_id(), await other.my_id()
                await other.wait_receiving([phone_id], timeout=30)
                await phone.wait_receiving([other_id], timeout=30)
                assert (await phone.page.evaluate("window.hubClient.raiseHand()"))["ok"]
                # An opinion half taken in the 民情 drawer.
                await phone.page.get_by_test_id("opinion-button").click()
                await phone.page.get_by_test_id("capture-summary").fill("村口路灯不亮")
                await other.page.wait_for_function(
                    f"window.hubClient.controlState.hands.some(h => h.participantId === '{phone_id}')")
                console = await other_browser.new_page()
                await console.goto(dispatcher_link(hub))
                row = f"[data-testid=cp-row][data-participant-id='{phone_id}']"
                await console.wait_for_selector(row, timeout=30_000)
                await console.evaluate("""(row) => {
                    window.__sawReconnecting = false;
                    new MutationObserver(() => {
                        if ((document.querySelector(row)?.textContent || '').includes('重连中')) window.__sawReconnecting = true;
                    }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
                }""", row)
                # What the other station hears of the phone from now on.
                await other.page.evaluate("""(id) => {
                    const c = window.hubClient; window.__seen = [];
                    c.on('participants', () => window.__seen.push(c.participants[id]?.connection ?? 'gone'));
                    window.__logFrom = c.log.length;
                }""", phone_id)

                changed_ms = await phone.page.evaluate("Date.now()")
                changed = time.monotonic()
                network.change_phone_address("10.203.0.3")
                back = await _media_back(phone, other, phone_id, other_id, changed)
                steps = await phone.page.evaluate(
                    "(t0) => window.hubClient.log.filter(e => e.t >= t0 && e.dir !== 'in' && e.event !== 'publishIce')"
                    " .map(e => `${e.t - t0} ${e.event}${e.event === 'peers' ? ' ' + e.detail : ''}`)",
                    changed_ms)
                print(f"media back {back:.2f} s after the address change; the page: {', '.join(steps[:16])}")
                assert back < 3, f"media back after {back:.2f} s\n{await phone.debug()}"

                assert await phone.my_id() == phone_id
                events = await other.page.evaluate(
                    "window.hubClient.log.slice(window.__logFrom).map(e => e.event)")
                assert "participantJoined" not in events and "participantLeft" not in events, events
                seen = await other.page.evaluate("window.__seen")
                assert "reconnecting" in seen and "gone" not in seen, seen
                assert await console.evaluate("window.__sawReconnecting") is True
                # The drawer is still open with what was typed.
                assert await phone.page.get_by_test_id("capture-summary").input_value() == "村口路灯不亮"
                assert await phone.page.get_by_test_id("capture-summary").is_visible()
                # Its hand is still up.
                assert await other.page.evaluate(
                    f"window.hubClient.controlState.hands.some(h => h.participantId === '{phone_id}')")
            finally:
                await phone_browser.close()
                await other_browser.close()
    finally:
        hub.stop()
        print("---- hub log ----\n" + hub.log()[-20000:])


async def test_phone_whose_udp_stops_restarts_its_media_over_the_live_socket(network, tmp_path):
    """UDP stops for 8 s while the socket (TCP) lives: the page's ping shows the socket is
    fine, ICE turns disconnected, and the page rebuilds both connections with `restartMedia`
    (no new socket, no resume); the same participant has media again once UDP is back."""
    import time

    hub = NetnsHub(network.hub, Network.HUB_ADDRESS, tmp_path / "var")
    secure = f"--unsafely-treat-insecure-origin-as-secure={hub.url}"
    try:
        hub.start()
        async with async_playwright() as p:
            phone_browser = await _launch(p, network.chromium_in(network.phone, tmp_path), [secure])
            other_browser = await _launch(p, network.chromium_in(network.hub, tmp_path), [secure])
            try:
                other = await _phone(other_browser, autojoin(hub.link("demo", "xucun")), "xucun")
                phone = await _phone(phone_browser, autojoin(hub.link("demo", "changan")), "changan")
                phone_id, other_id = await phone.my_id(), await other.my_id()
                await other.wait_receiving([phone_id], timeout=30)
                await phone.wait_receiving([other_id], timeout=30)
                await other.page.evaluate("window.__logFrom = window.hubClient.log.length")

                blocked = time.monotonic()
                network.block_phone_udp(True)
                try:
                    await phone.page.wait_for_function("window.hubClient.mediaRestarts > 0", timeout=12_000)
                finally:
                    await asyncio.sleep(max(0.0, 8 - (time.monotonic() - blocked)))
                    network.block_phone_udp(False)
                back = await _media_back(phone, other, phone_id, other_id, blocked, restarted=True)
                print(f"media back {back:.2f} s after UDP stopped (for 8 s)")
                assert back < 15

                log = await phone.page.evaluate("window.hubClient.log.map(e => e.event)")
                assert "stallWithSocket" in log and "recoverMedia" in log, log
                assert "resume" not in log and await phone.page.evaluate("window.hubClient.resumes") == 0
                assert await phone.my_id() == phone_id
                events = await other.page.evaluate(
                    "window.hubClient.log.slice(window.__logFrom).map(e => e.event)")
                assert "participantJoined" not in events and "participantLeft" not in events, events
            finally:
                await phone_browser.close()
                await other_browser.close()
    finally:
        hub.stop()
        print("---- hub log ----\n" + hub.log()[-20000:])


async def _media_back(phone: StationPage, other: StationPage, phone_id: str, other_id: str, since: float,
                      restarted: bool = False) -> float:
    """Seconds from ``since`` until, after the phone's page restarted its media, video
    frames are decoded again both ways."""
    import time

    def frames(stats: dict, pid: str) -> int:
        return stats.get(pid, {}).get("videoFramesDecoded", 0)

    deadline = since + 20
    last = None
    while time.monotonic() < deadline:
        if not restarted:
            restarted = await phone.page.evaluate("window.hubClient.mediaRestarts + window.hubClient.resumes > 0")
            if restarted:
                last = None
        if restarted:
            now = (frames(await other.stats(), phone_id), frames(await phone.stats(), other_id))
            if last is not None and now[0] > last[0] and now[1] > last[1] and min(now) > 0:
                return time.monotonic() - since
            last = now
        await asyncio.sleep(0.1)
    log = await phone.page.evaluate("JSON.stringify(window.hubClient.log.slice(-40))")
    raise AssertionError(f"media not back within 20 s (restarted: {restarted})\n{log}")
