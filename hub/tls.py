"""HTTPS for phones: the hub's own TLS, and a local CA for a closed network.

Browsers allow the camera and microphone only in a secure context, so a
deputy's phone on the branch's LAN needs the hub on HTTPS.  Where the network
has no certificate authority of its own, ``liaison-hub tls`` makes one: a CA
certificate that the phones trust once (``docs/deployment.md``) and a server
certificate for the hub's LAN names and addresses, signed by it.

:func:`server_context` checks the files the operator named before the hub
answers anything: an unreadable, malformed or mismatched file stops start-up
with an error naming it.  The certificate builders are pure (bytes in, bytes
out, the clock an argument).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.config import ConfigError

#: Apple accepts TLS server certificates valid at most 825 days (iOS 13);
#: a shorter one also suits a closed network's yearly renewal.
SERVER_DAYS = 397
CA_DAYS = 10 * 365


class TlsError(ConfigError):
    """A TLS file of the hub is unreadable, malformed or does not match."""


def server_context(cert_file: Path | str, key_file: Path | str) -> ssl.SSLContext:
    """An ``SSLContext`` serving ``cert_file`` (PEM, the server certificate
    first, then any intermediates) with ``key_file`` (PEM).  Raises
    :class:`TlsError` naming the file at fault."""
    cert_path, key_path = Path(cert_file), Path(key_file)
    cert_data = _read(cert_path, "certificate")
    key_data = _read(key_path, "private key")
    try:
        certificate = x509.load_pem_x509_certificates(cert_data)[0]
    except ValueError:
        raise TlsError(f"{cert_path}: TLS certificate: not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_data, password=None)
    except TypeError:
        raise TlsError(f"{key_path}: TLS private key: encrypted with a password; the hub needs it unencrypted") from None
    except (ValueError, Exception) as exc:
        raise TlsError(f"{key_path}: TLS private key: not a PEM private key ({exc.__class__.__name__})") from None
    if _public_bytes(key.public_key()) != _public_bytes(certificate.public_key()):
        raise TlsError(f"{key_path}: TLS private key does not match the certificate {cert_path}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"{cert_path}: TLS certificate and key {key_path} refused: {exc}") from None
    return context


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TlsError(f"{path}: TLS {what} cannot be read: {exc.strerror or exc}") from None


def _public_bytes(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# --- a local CA and a server certificate -----------------------------------------


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, PEM."""

    cert_pem: bytes
    key_pem: bytes


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_ca(common_name: str, now: datetime.datetime) -> Issued:
    """A CA certificate (ECDSA P-256, ten years) for signing the hub's
    server certificates, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "liaison-hub local CA"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def make_server_certificate(
    ca: Issued, names: Sequence[str], addresses: Sequence[str], now: datetime.datetime
) -> Issued:
    """A server certificate for the hub's DNS ``names`` and IP ``addresses``,
    signed by ``ca``, valid :data:`SERVER_DAYS` days (what phones accept)."""
    if not names and not addresses:
        raise ValueError("a server certificate needs at least one name or address")
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TlsError(f"the local CA's key is not an EC key ({type(ca_key).__name__})")
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    common = names[0] if names else addresses[0]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_cert_sign=False, crl_sign=False,
                content_commitment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def lan_names_and_addresses() -> tuple[list[str], list[str]]:
    """This machine's host name (and ``NAME.local``) and its non-loopback
    interface addresses: the default subjects of the server certificate."""
    import socket

    from aioice.ice import get_host_addresses

    host = socket.gethostname()
    names = [host] if host and host != "localhost" else []
    if names and "." not in host:
        names.append(f"{host}.local")
    addresses = [
        a for a in get_host_addresses(use_ipv4=True, use_ipv6=False)
        if not ipaddress.ip_address(a).is_loopback
    ]
    return names, addresses


def spki_sha256(cert_pem: bytes) -> str:
    """base64 SHA-256 of the certificate's public key (the pin that Chromium's
    ``--ignore-certificate-errors-spki-list`` and HPKP use)."""
    import base64
    import hashlib

    cert = x509.load_pem_x509_certificate(cert_pem)
    return base64.b64encode(hashlib.sha256(_public_bytes(cert.public_key())).digest()).decode("ascii")


def write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)


def read_issued(cert_path: Path, key_path: Path) -> Optional[Issued]:
    if cert_path.exists() and key_path.exists():
        return Issued(cert_path.read_bytes(), key_path.read_bytes())
    return None
