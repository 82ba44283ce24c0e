"""Configuration from environment variables, read in one place."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CAREBOND_VAR_DIR", BASE_DIR / "var"))


class ConfigurationError(RuntimeError):
    """A required setting is missing or malformed; the message names the variable."""


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ConfigurationError(f"Set the environment variable {name}.")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}.") from error


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'carebond.sqlite3'}"


def derived_key(secret: str) -> str:
    """A Fernet key derived from a secret: for development and tests only, never production."""
    digest = hashlib.sha256(("field-key:" + secret).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
