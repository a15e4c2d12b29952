"""HTTPS for phones: the local CA and server certificate (``liaison-hub tls``),
the checks that stop start-up on a wrong file, and the hub serving HTTPS and
WSS itself."""

from __future__ import annotations

import asyncio
import datetime
import os
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest
import socketio
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from hub import tls
from hub.cli import main
from tests.browser import ROOT, free_port

NOW = datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.timezone.utc)


def test_server_certificate_is_signed_by_the_ca_for_the_lan_names_and_addresses():
    ca = tls.make_ca("Haining hub CA", NOW)
    issued = tls.make_server_certificate(ca, ["hub.lan", "hub.local"], ["10.20.0.8", "fd00::8"], NOW)
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    cert = x509.load_pem_x509_certificate(issued.cert_pem)
    cert.verify_directly_issued_by(ca_cert)
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["hub.lan", "hub.local"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.20.0.8", "fd00::8"]
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    # iOS refuses TLS server certificates valid longer than 825 days
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= datetime.timedelta(days=825)
    with pytest.raises(ValueError):
        tls.make_server_certificate(ca, [], [], NOW)


def _pair(directory, name="hub"):
    ca = tls.make_ca("CA", datetime.datetime.now(datetime.timezone.utc))
    issued = tls.make_server_certificate(ca, ["localhost"], ["127.0.0.1"], datetime.datetime.now(datetime.timezone.utc))
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    cert.write_bytes(issued.cert_pem)
    key.write_bytes(issued.key_pem)
    return ca, cert, key


def test_server_context_names_the_file_at_fault(tmp_path):
    ca, cert, key = _pair(tmp_path)
    assert isinstance(tls.server_context(cert, key), ssl.SSLContext)
    with pytest.raises(tls.TlsError, match=rf"{tmp_path}/absent.crt: TLS certificate cannot be read"):
        tls.server_context(tmp_path / "absent.crt", key)
    with pytest.raises(tls.TlsError, match=rf"{tmp_path}/absent.key: TLS private key cannot be read"):
        tls.server_context(cert, tmp_path / "absent.key")
    (tmp_path / "garbage.crt").write_text("hello")
    with pytest.raises(tls.TlsError, match=rf"{tmp_path}/garbage.crt: TLS certificate: not a PEM certificate"):
        tls.server_context(tmp_path / "garbage.crt", key)
    _, other_cert, other_key = _pair(tmp_path, "other")
    with pytest.raises(tls.TlsError, match=rf"{key}: TLS private key does not match the certificate {other_cert}"):
        tls.server_context(other_cert, key)


def test_serve_stops_on_a_mismatched_key_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    _, cert, _ = _pair(tmp_path)
    _, _, other_key = _pair(tmp_path, "other")
    assert main(["serve", "--tls-cert", str(cert), "--tls-key", str(other_key)]) == 2
    err = capsys.readouterr().err
    assert "TLS error" in err and f"{other_key}: TLS private key does not match the certificate {cert}" in err
    assert main(["serve", "--tls-cert", str(cert)]) == 2
    assert "--tls-cert and --tls-key go together" in capsys.readouterr().err
    assert not (tmp_path / "hub.db").exists()  # stopped before anything else


def test_tls_command_makes_the_ca_once_and_a_server_certificate(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LIAISON_HUB_VAR_DIR", str(tmp_path))
    assert main(["tls", "--name", "hub.lan", "--ip", "10.20.0.8"]) == 0
    out = capsys.readouterr().out
    directory = tmp_path / "tls"
    assert "made the CA" in out and "docs/deployment.md" in out
    for name in ("ca.key", "server.key"):
        assert (directory / name).stat().st_mode & 0o777 == 0o600
    ca_pem = (directory / "ca.crt").read_bytes()
    cert = x509.load_pem_x509_certificate((directory / "server.crt").read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    tls.server_context(directory / "server.crt", directory / "server.key")
    # a second run keeps the CA the phones already trust
    assert main(["tls", "--ip", "10.20.0.9"]) == 0
    assert "kept the CA" in capsys.readouterr().out
    assert (directory / "ca.crt").read_bytes() == ca_pem
    renewed = x509.load_pem_x509_certificate((directory / "server.crt").read_bytes())
    renewed.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    assert main(["tls", "--ip", "not-an-address"]) == 2


async def test_hub_serves_https_and_wss(tmp_path):
    """`serve --tls-cert --tls-key`: the pages, /healthz and the Socket.IO
    join over TLS, verified against the CA; plain HTTP is not answered."""
    env = {**os.environ, "LIAISON_HUB_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "hub.cli", "tls", "--name", "localhost", "--ip", "127.0.0.1"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "serve", "--port", str(port),
         "--tls-cert", str(tmp_path / "tls" / "server.crt"), "--tls-key", str(tmp_path / "tls" / "server.key")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    trust = ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.crt"))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", timeout=1, context=trust) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "hub did not start"
                await asyncio.sleep(0.2)
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/join/demo", timeout=2, context=trust) as r:
            assert b"<html" in r.read().lower()
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        # With TLS in the settings (LIAISON_HUB_TLS__CERT/KEY), join links are https.
        link = subprocess.run(
            [sys.executable, "-m", "hub.cli", "link", "demo", "xucun"], cwd=ROOT, check=True,
            env={**env, "LIAISON_HUB_TLS__CERT": str(tmp_path / "tls" / "server.crt"),
                 "LIAISON_HUB_TLS__KEY": str(tmp_path / "tls" / "server.key")},
            capture_output=True, text=True,
        ).stdout.strip()
        assert link.startswith("https://127.0.0.1:8080/join/demo#token=")
        import aiohttp

        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust))
        client = socketio.AsyncClient(reconnection=False, http_session=http)
        try:
            await client.connect(f"https://127.0.0.1:{port}", transports=["websocket"])
            reply = await client.call("join", {"token": link.split("#token=")[1]}, timeout=5)
            assert reply["ok"], reply
            assert reply["self"]["station"]["code"] == "xucun"
        finally:
            await client.disconnect()
            await http.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_tls_settings_go_together(tmp_path):
    from hub.config import ConfigError, load_config

    base = {"LIAISON_HUB_VAR_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match=r"tls: .*tls.cert and tls.key go together"):
        load_config(environ={**base, "LIAISON_HUB_TLS__CERT": "var/tls/server.crt"})
    config = load_config(environ={**base, "LIAISON_HUB_TLS__CERT": "a.crt", "LIAISON_HUB_TLS__KEY": "/etc/a.key"})
    assert config.base_url == "https://127.0.0.1:8080"
    assert config.project_path(config.settings.tls.cert) == ROOT / "a.crt"
    assert str(config.project_path(config.settings.tls.key)) == "/etc/a.key"
