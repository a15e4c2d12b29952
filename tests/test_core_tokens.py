import pytest

from core import tokens
from core.errors import TokenExpired, TokenInvalid

SECRET = b"k" * 64


def test_round_trip():
    token = tokens.sign(SECRET, "demo", "station:xucun", "station", 3600, now=1000)
    grant = tokens.verify(SECRET, token, now=1001)
    assert grant.session_id == "demo"
    assert grant.station_code == "xucun"
    assert grant.expires_at == 4600


def test_expired_token_is_refused():
    token = tokens.sign(SECRET, "demo", "station:xucun", "station", 60, now=1000)
    with pytest.raises(TokenExpired):
        tokens.verify(SECRET, token, now=1060)


def test_other_secret_is_refused():
    token = tokens.sign(SECRET, "demo", "station:xucun", "station", 60)
    with pytest.raises(TokenInvalid):
        tokens.verify(b"o" * 64, token)


@pytest.mark.parametrize("mutate", [
    lambda t: t + "x",
    lambda t: t.replace(".", ""),
    lambda t: "a" + t[1:],
    lambda t: "",
    lambda t: "..",
    lambda t: None,
])
def test_tampered_token_is_refused(mutate):
    token = tokens.sign(SECRET, "demo", "station:xucun", "station", 60)
    with pytest.raises(TokenInvalid):
        tokens.verify(SECRET, mutate(token))


def test_secret_is_created_once(tmp_path):
    path = tmp_path / "var" / "secret.key"
    first = tokens.load_or_create_secret(path)
    assert tokens.load_or_create_secret(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
