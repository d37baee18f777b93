"""Passwords hashed with argon2id (argon2-cffi, the reference implementation's binding,
at its default cost: RFC 9106's second recommended setting), and the random secrets of
sessions, tokens and invite codes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD = 8
# A hash to check a password against when the user does not exist, so a wrong name takes
# as long as a wrong password (no telling which names exist from the time).
_DECOY = _HASHER.hash(secrets.token_urlsafe(16))
INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; False for a missing user (checked against a decoy
    hash, so it takes as long)."""
    try:
        return _HASHER.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A session key or API token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the store keeps of a session key or token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def invite_code() -> str:
    """Eight characters a class can read off a board: about 40 bits."""
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))
