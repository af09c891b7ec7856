"""Encryption at rest for vendor API keys and webhook secrets.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with a MultiFernet over settings.STUDIO_ENCRYPTION_KEYS,
newest first: the newest key encrypts, every listed key decrypts, and `rotate()` re-encrypts under the newest.
We use the well-reviewed library rather than hand-rolled crypto.
"""
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with any configured key (a key was dropped too early)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.STUDIO_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode() if plaintext else ""


def decrypt(ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("stored secret cannot be decrypted with the configured keys") from exc


def rotate(ciphertext: str) -> str:
    return fernet().rotate(ciphertext.encode()).decode() if ciphertext else ""


def mask(plaintext: str) -> str:
    """What people may see of a secret: that it exists and its last two characters."""
    if not plaintext:
        return "— not set —"
    return "•" * 8 + plaintext[-2:] if len(plaintext) > 8 else "•" * 8
