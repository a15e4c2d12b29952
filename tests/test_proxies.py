"""The client's address behind a trusted reverse proxy (hub.proxies), its
setting, and login throttling per station behind the proxy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hub.config import ConfigError, load_config
from hub.proxies import client_address, parse_networks
from test_api_support import PASSWORD, cheap_passwords, api_hub  # noqa: F401

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target

TRUSTED = parse_networks(["127.0.0.1", "10.20.0.0/16", "fd00::/8"])


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        ("127.0.0.1", "192.168.7.20", "192.168.7.20"),  # one proxy
        ("127.0.0.1", "192.168.7.20, 10.20.3.4", "192.168.7.20"),  # two proxies, both trusted
        ("127.0.0.1", "6.6.6.6, 192.168.7.20", "192.168.7.20"),  # the client's own claim is ignored
        ("127.0.0.1", "", "127.0.0.1"),  # a trusted peer without the header
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "junk, 192.168.7.20", "192.168.7.20"),
        ("127.0.0.1", "192.168.7.20, junk", "127.0.0.1"),  # garbage from the last hop: stop there
        ("127.0.0.1", "192.168.7.20:51234", "192.168.7.20"),
        ("127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("fd00::2", "2001:db8::7", "2001:db8::7"),
        ("192.168.7.20", "1.2.3.4", "192.168.7.20"),  # not a proxy: the header is not believed
        ("10.20.0.9", "10.20.0.8", "10.20.0.8"),  # only proxies on the way: the farthest
        (None, "1.2.3.4", ""),
    ],
)
def test_client_address(remote, forwarded, expected):
    assert client_address(remote, forwarded, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("127.0.0.1", "192.168.7.20", []) == "127.0.0.1"


def test_a_bad_trusted_proxy_is_a_configuration_error(config_dir: Path):
    path = config_dir / "hub.yaml"
    path.write_text(path.read_text().replace("trusted_proxies: []", 'trusted_proxies: ["10.20.0.0/16", "proxy.internal"]'))
    with pytest.raises(ConfigError) as exc:
        load_config(config_dir, environ={})
    assert "hub.yaml" in str(exc.value) and "trusted_proxies" in str(exc.value) and "proxy.internal" in str(exc.value)
    path.write_text(path.read_text().replace('"proxy.internal"', '"10.30.0.1"'))
    assert load_config(config_dir, environ={}).settings.trusted_proxies == ["10.20.0.0/16", "10.30.0.1"]


async def test_login_throttling_counts_each_station_behind_the_proxy(hub):
    """20 failed logins from one station behind the proxy throttle that
    station's address, not the proxy's: another station still logs in."""
    hub.services.trusted_proxies = parse_networks(["127.0.0.1"])
    try:
        def via(address):
            return {"X-Forwarded-For": address}

        for i in range(20):  # the per-address limit, with a new user name each time
            async with hub.http.post(f"{hub.url}/auth/login", json={"username": f"nobody{i}", "password": "x" * 12},
                                     headers=via("192.168.7.20")) as r:
                assert r.status == 401
        async with hub.http.post(f"{hub.url}/auth/login", json={"username": "hn", "password": PASSWORD},
                                 headers=via("192.168.7.20")) as r:
            assert r.status == 429, await r.text()
        async with hub.http.post(f"{hub.url}/auth/login", json={"username": "hn", "password": PASSWORD},
                                 headers=via("192.168.7.21")) as r:
            assert r.status == 200, await r.text()
    finally:
        hub.services.trusted_proxies = []
