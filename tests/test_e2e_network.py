"""End to end on emulated networks (issue 9): the hub in one network namespace
on a non-loopback address, Chromium phones in another, joined by a veth pair
(``tests/netns.py``).  Needs root."""

from __future__ import annotations

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
