"""A real coturn (Debian package ``coturn``) for tests, started with the
shipped ``configs/turnserver.conf`` and test-made ports, secret and
certificate, on 127.0.0.1.  Loopback peers are allowed for the test only
(the shipped configuration refuses them)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Optional

import pytest

from tests.browser import ROOT, free_port

TURNSERVER = "/usr/bin/turnserver"


def free_udp_port() -> int:
    import socket

    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class Coturn:
    def __init__(self, directory: Path, secret: str, address: str = "127.0.0.1") -> None:
        if not Path(TURNSERVER).exists():
            pytest.fail("coturn is not installed: run `make test` (scripts/setup.sh --test installs it)")
        self.directory = directory
        self.secret = secret
        self.address = address
        self.port = free_udp_port()
        self.log_path = directory / "turnserver.log"
        self.proc: Optional[subprocess.Popen] = None

    def url(self, transport: str = "udp") -> str:
        return f"turn:{self.address}:{self.port}?transport={transport}"

    def start(self, netns: Optional[str] = None) -> "Coturn":
        import datetime

        from hub import tls

        self.directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        issued = tls.make_server_certificate(tls.make_ca("test CA", now), [], [self.address], now)
        cert, key = self.directory / "turn.crt", self.directory / "turn.key"
        cert.write_bytes(issued.cert_pem)
        key.write_bytes(issued.key_pem)
        command = [
            TURNSERVER, "-c", str(ROOT / "configs" / "turnserver.conf"),
            "--listening-ip", self.address, "--relay-ip", self.address,
            "--listening-port", str(self.port), "--tls-listening-port", str(free_port()),
            "--min-port", "49160", "--max-port", "49999",
            "--static-auth-secret", self.secret, "--cert", str(cert), "--pkey", str(key),
            "--pidfile", str(self.directory / "turnserver.pid"),
            "--allow-loopback-peers", "--allowed-peer-ip", "127.0.0.1",
            "--verbose",
        ]
        if netns:
            command = ["ip", "netns", "exec", netns, *command]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while "turn server id=0 created" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("coturn did not start:\n" + self.log())
            time.sleep(0.05)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def allocate(address: str, port: int, username: str, password: str) -> Optional[str]:
    """Try a TURN allocation (aioice's client); return the relayed address,
    or ``None`` when the server refuses the credentials."""
    from aioice import stun
    from aioice.turn import create_turn_endpoint

    try:
        transport, _ = await asyncio.wait_for(
            create_turn_endpoint(asyncio.DatagramProtocol, (address, port), username, password, lifetime=60),
            10,
        )
    except stun.TransactionFailed as exc:
        if exc.response.attributes.get("ERROR-CODE", (0,))[0] == 401:
            return None
        raise
    try:
        return "%s:%d" % transport.get_extra_info("sockname")
    finally:
        transport.close()
