"""Emulated networks for end-to-end tests (``shared notes: network-emulation``):
two network namespaces made by the test, a hub side and a phone side, joined
by a veth pair; a hub process and headless Chromium running inside them.

Traffic stays inside the namespaces.  Everything is removed when the
``with`` block ends, also when the test fails; names carry the test process
id so that parallel runs do not meet.  Needs root.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pytest

from tests.browser import ROOT, free_port

_counter = itertools.count()


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True)


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("network-namespace tests need root (`ip netns`): run `make test` as root or with sudo")
    for tool, package in (("ip", "iproute2"), ("tc", "iproute2"), ("nft", "nftables")):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            pytest.fail(f"{tool} is missing: run `make test` (scripts/setup.sh --test installs {package})")


class Network:
    """``hub`` and ``phone`` namespaces, ``HUB_ADDRESS`` and ``phone_address``
    on a /24 between them."""

    HUB_ADDRESS = "10.203.0.1"

    def __init__(self) -> None:
        tag = f"{os.getpid() % 100000}x{next(_counter)}"
        self.hub = f"lhh{tag}"
        self.phone = f"lhp{tag}"
        self.hub_if, self.phone_if = f"vh{tag}", f"vp{tag}"
        self.phone_address = "10.203.0.2"

    def __enter__(self) -> "Network":
        require_root()
        try:
            _run("ip", "netns", "add", self.hub)
            _run("ip", "netns", "add", self.phone)
            _run("ip", "link", "add", self.hub_if, "type", "veth", "peer", "name", self.phone_if)
            _run("ip", "link", "set", self.hub_if, "netns", self.hub)
            _run("ip", "link", "set", self.phone_if, "netns", self.phone)
            _run("ip", "-n", self.hub, "addr", "add", f"{self.HUB_ADDRESS}/24", "dev", self.hub_if)
            _run("ip", "-n", self.phone, "addr", "add", f"{self.phone_address}/24", "dev", self.phone_if)
            # Deleting an interface's first address deletes the others of its subnet too,
            # unless they are promoted: a phone's new address must survive its old one.
            _run("ip", "netns", "exec", self.phone, "sysctl", "-qw", f"net.ipv4.conf.{self.phone_if}.promote_secondaries=1")
            for ns, interface in ((self.hub, self.hub_if), (self.phone, self.phone_if)):
                _run("ip", "-n", ns, "link", "set", "lo", "up")
                _run("ip", "-n", ns, "link", "set", interface, "up")
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def remove(self) -> None:
        for ns in (self.hub, self.phone):
            # Processes still inside would keep the namespace's interfaces alive.
            pids = _run("ip", "netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
            _run("ip", "netns", "del", ns, check=False)
        _run("ip", "link", "del", self.hub_if, check=False)  # if it never left the root namespace

    def change_phone_address(self, new: str) -> None:
        """The phone moves to another network: new address first, then the
        old one goes (what a phone switching from Wi-Fi to 4G looks like to
        its own sockets: the old address disappears)."""
        _run("ip", "-n", self.phone, "addr", "add", f"{new}/24", "dev", self.phone_if)
        _run("ip", "-n", self.phone, "addr", "del", f"{self.phone_address}/24", "dev", self.phone_if)
        self.phone_address = new

    def block_phone_udp(self, blocked: bool) -> None:
        """Drop every UDP packet in and out of the phone (media dies, the TCP
        socket lives: a firewall or captive network that stops UDP)."""
        if blocked:
            _run("ip", "netns", "exec", self.phone, "nft", "add", "table", "inet", "lhblock")
            for hook in ("input", "output"):
                _run("ip", "netns", "exec", self.phone, "nft", "add", "chain", "inet", "lhblock", hook,
                     f"{{ type filter hook {hook} priority 0; }}")
                _run("ip", "netns", "exec", self.phone, "nft", "add", "rule", "inet", "lhblock", hook,
                     "meta", "l4proto", "udp", "drop")
        else:
            _run("ip", "netns", "exec", self.phone, "nft", "delete", "table", "inet", "lhblock")

    def chromium_in(self, ns: str, directory: Path) -> str:
        """An executable that starts Debian's Chromium inside ``ns`` (for
        Playwright's ``executable_path``: its pipes pass through)."""
        from tests.browser import require_chromium

        chromium = require_chromium()
        path = directory / f"chromium-{ns}"
        path.write_text(f"#!/bin/sh\nexec ip netns exec {ns} {chromium} \"$@\"\n")
        path.chmod(0o755)
        return str(path)


class NetnsHub:
    """``liaison-hub serve`` inside a namespace, listening on ``host``."""

    def __init__(self, ns: str, host: str, var_dir: Path, env: Optional[dict] = None,
                 serve_args: tuple[str, ...] = (), scheme: str = "http") -> None:
        self.ns, self.host = ns, host
        self.port = free_port()
        self.url = f"{scheme}://{host}:{self.port}"
        self.env = {
            **os.environ,
            "LIAISON_HUB_VAR_DIR": str(var_dir),
            "LIAISON_HUB_MEDIA__LOOPBACK_CANDIDATES": "false",
            **(env or {}),
        }
        self.serve_args = serve_args
        self.log_path = var_dir / "hub.log"
        self.proc: Optional[subprocess.Popen] = None

    def start(self, timeout: float = 90) -> "NetnsHub":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "NetnsHub":
        """Start the process; :meth:`wait_ready` waits for it to answer."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable, "-m", "hub.cli", "serve",
             "--host", self.host, "--port", str(self.port), *self.serve_args],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()  # the child holds its own descriptor
        return self

    def wait_ready(self, timeout: float = 30) -> "NetnsHub":
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.health()
                return self
            except subprocess.CalledProcessError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("hub did not start:\n" + self.log())
                time.sleep(0.3)

    def health(self) -> dict:
        """``/healthz``, asked from inside the namespace (certificate not checked)."""
        code = (
            "import json, ssl, sys, urllib.request\n"
            f"r = urllib.request.urlopen({self.url + '/healthz'!r}, timeout=2, context=ssl._create_unverified_context())\n"
            "sys.stdout.write(r.read().decode())\n"
        )
        out = subprocess.run(["ip", "netns", "exec", self.ns, sys.executable, "-c", code],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def link(self, session: str, station: str) -> str:
        out = subprocess.run([sys.executable, "-m", "hub.cli", "link", session, station],
                             cwd=ROOT, env={**self.env, "LIAISON_HUB_BASE_URL": self.url},
                             capture_output=True, text=True, check=True).stdout
        return out.strip()

    def create_account(self, username: str, password: str, role: str) -> None:
        """``liaison-hub account create`` against this hub's database."""
        subprocess.run(
            [sys.executable, "-m", "hub.cli", "account", "create", username, "--role", role, "--password-stdin"],
            cwd=ROOT, env=self.env, input=password + "\n", text=True, check=True, capture_output=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def shape_downlink(network: Network, rate_kbit: Optional[int], loss_percent: float = 0) -> None:
    """What the phone receives: at most ``rate_kbit`` (``tc tbf`` on the hub
    side's veth egress, a 300 ms queue; ``None``: no limit) and
    ``loss_percent`` of its UDP packets dropped at random (nftables
    ``numgen random`` on the phone's input; this kernel has no netem).
    Replaces any shaping set before."""
    _run("tc", "-n", network.hub, "qdisc", "del", "dev", network.hub_if, "root", check=False)
    if rate_kbit is not None:
        burst = max(16, rate_kbit // 48)  # 32 kbit at 1.5 Mbit/s, as shared/notes/network-emulation.md
        _run("tc", "-n", network.hub, "qdisc", "add", "dev", network.hub_if, "root", "tbf",
             "rate", f"{rate_kbit}kbit", "burst", f"{burst}kbit", "latency", "300ms")
    _run("ip", "netns", "exec", network.phone, "nft", "delete", "table", "inet", "lhloss", check=False)
    if loss_percent > 0:
        per_mille = round(loss_percent * 10)
        _run("ip", "netns", "exec", network.phone, "nft", "add", "table", "inet", "lhloss")
        _run("ip", "netns", "exec", network.phone, "nft", "add", "chain", "inet", "lhloss", "input",
             "{ type filter hook input priority 0; }")
        _run("ip", "netns", "exec", network.phone, "nft", "add", "rule", "inet", "lhloss", "input",
             "meta", "l4proto", "udp", "numgen", "random", "mod", "1000", "<", str(per_mille), "drop")
