"""Encrypted free text: personal notes, touchpoint summaries and other PHI prose.

AES (Fernet) with keys from CAREBOND_FIELD_KEYS, newest first. MultiFernet decrypts with any key
and encrypts with the first, so rotation is: prepend a new key, run `carebond rotate-field-keys`,
then drop the old key. Encrypted values cannot be searched or sorted in SQL, by design.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "Set CAREBOND_FIELD_KEYS to one or more Fernet keys (comma-separated, newest first); "
            "create one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            f"A key in CAREBOND_FIELD_KEYS is not a Fernet key: {error}"
        ) from error


def field_keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_KEYS)


def encrypt(plaintext: str) -> str:
    return _PREFIX + _cipher(field_keys()).encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(_PREFIX):
        raise ValueError("This value was not written by EncryptedTextField.")
    try:
        return _cipher(field_keys()).decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "An encrypted field could not be decrypted: the key that wrote it is not in "
            "CAREBOND_FIELD_KEYS."
        ) from error


def rotate(stored: str) -> str:
    """Re-encrypt with the newest key (decrypting with whichever key wrote it)."""
    token = stored[len(_PREFIX) :].encode()
    return _PREFIX + _cipher(field_keys()).rotate(token).decode()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted; reads return plain text. Empty text stays empty (not encrypted)."""

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str:
        if value is None or value == "":
            return value or ""
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
