"""Password hashing with argon2id (argon2-cffi).

:data:`HASHER` uses argon2-cffi's defaults (RFC 9106 low-memory profile);
tests swap in cheaper parameters with :func:`use_hasher`.  A stored hash made
with older parameters is upgraded on the next successful login
(:func:`needs_rehash`).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hub.errors import RuleError

HASHER = PasswordHasher()
MIN_LENGTH = 8


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the module's hasher; returns the previous one."""
    global HASHER
    previous, HASHER = HASHER, hasher
    return previous


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise RuleError("password_too_short", minimum=MIN_LENGTH)
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; never raises for a wrong or broken hash."""
    try:
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# Verified against when the user name is unknown, so both cases cost the same.
_DUMMY_PASSWORD = "not-a-password-of-anyone"


_dummy_hashes: dict[int, str] = {}


def dummy_verify(password: str) -> None:
    stored = _dummy_hashes.get(id(HASHER))
    if stored is None:
        stored = _dummy_hashes[id(HASHER)] = HASHER.hash(_DUMMY_PASSWORD)
    verify_password(stored, password)
