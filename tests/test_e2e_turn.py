"""End to end through a real TURN server (issue 9, test 4): a station whose
page may use only relayed candidates (``iceTransportPolicy: "relay"``) sees
and hears the others through coturn, with the credentials its ``join``
handed out; coturn refuses credentials that have expired."""

from __future__ import annotations

import secrets
import time

import pytest

from core.turn import credentials
from tests.browser import HubProcess, autojoin
from tests.test_e2e_live import StationPage, open_station
from tests.turn_server import Coturn, allocate

pytestmark = pytest.mark.browser

SELECTED_CANDIDATE_TYPES = """async () => {
    const out = {};
    for (const [name, pc] of [['publish', window.hubClient.publishPc], ['subscribe', window.hubClient.subscribePc]]) {
        const stats = await pc.getStats();
        let type = null;
        stats.forEach((r) => {
            if (r.type !== 'transport' || !r.selectedCandidatePairId) return;
            const pair = stats.get(r.selectedCandidatePairId);
            const local = stats.get(pair.localCandidateId);
            type = `${local.candidateType}/${local.relayProtocol ?? '-'}`;  // relayProtocol: to the TURN server
        });
        out[name] = type;
    }
    return out;
}"""


@pytest.fixture
def coturn(tmp_path):
    server = Coturn(tmp_path / "turn", secret=secrets.token_urlsafe(24)).start()
    yield server
    server.stop()
    print("---- coturn log ----\n" + server.log()[-8000:])


@pytest.fixture(params=["udp", "tcp"])
def transport(request) -> str:
    """TURN over UDP, and over TCP (a network that lets no UDP out)."""
    return request.param


@pytest.fixture
async def hub(tmp_path, coturn, transport):
    hub = HubProcess(tmp_path / "var", env={
        "LIAISON_HUB_TURN__URLS": f'["{coturn.url(transport)}"]',
        "LIAISON_HUB_TURN__SECRET": coturn.secret,
        "LIAISON_HUB_TURN__TTL_SECONDS": "600",
    }).start()
    yield hub
    hub.stop()
    print("---- hub log ----\n" + hub.log()[-20000:])


async def test_relay_only_station_gets_media_through_coturn_with_join_credentials(hub, coturn, transport, browser):
    assert hub.health()["turn"]["enabled"] is True
    xucun = await open_station(browser, hub, "xucun")
    context = await browser.new_context()
    page = await context.new_page()
    page.on("console", lambda m: m.type == "error" and print(f"[changan] {m.text}"))
    await page.goto(autojoin(hub.link("demo", "changan")).replace("?autojoin=1", "?autojoin=1&ice=relay"))
    changan = StationPage(page, "changan")
    await changan.wait_live()
    xucun_id, changan_id = await xucun.my_id(), await changan.my_id()

    await changan.wait_receiving([xucun_id], timeout=30)
    await xucun.wait_receiving([changan_id], timeout=30)
    relayed = f"relay/{transport}"
    assert await page.evaluate(SELECTED_CANDIDATE_TYPES) == {"publish": relayed, "subscribe": relayed}

    # The page's credentials came from join: "<expiry>:<participant id>", about ttl_seconds ahead.
    [server] = await page.evaluate("window.hubClient.iceServers")
    assert server["urls"] == [coturn.url(transport)]
    expiry, _, identity = server["username"].partition(":")
    assert identity == changan_id and 590 <= int(expiry) - time.time() <= 600
    assert f"user <{server['username']}>" in coturn.log()  # coturn allocated for exactly these
    assert ":relay>" in coturn.log()  # and for the relay's own connections, with credentials of their own

    # coturn accepts them, and refuses the same identity's credentials once expired
    # (or made with another secret).
    assert await allocate("127.0.0.1", coturn.port, server["username"], server["credential"])
    expired = credentials(coturn.secret, changan_id, -1, now=time.time())
    assert await allocate("127.0.0.1", coturn.port, expired.username, expired.credential) is None
    forged = credentials("not-the-secret", changan_id, 600, now=time.time())
    assert await allocate("127.0.0.1", coturn.port, forged.username, forged.credential) is None
