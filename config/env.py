"""Configuration from environment variables, read in one place."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url

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


def replica_database(url: str, primary: dj_database_url.DBConfig) -> dj_database_url.DBConfig:
    """The "replica" database of CAREBOND_REPLICA_URL: a PostgreSQL streaming standby of the
    primary (docs/deployment.md, "Read replica")."""
    if primary.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigurationError(
            "CAREBOND_REPLICA_URL needs a PostgreSQL primary: CAREBOND_DATABASE_URL is not one."
        )
    replica = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if replica.get("ENGINE") != "django.db.backends.postgresql":
        raise ConfigurationError(
            "CAREBOND_REPLICA_URL must be a postgres:// URL of a standby, "
            f"not a {url.split(':')[0]}: URL."
        )
    # A replica that does not answer costs a page two seconds, then it reads the primary.
    replica["OPTIONS"] = {**replica.get("OPTIONS", {}), "connect_timeout": 2}
    # The suite has one database: under test, the replica alias is the same connection.
    replica["TEST"] = {"MIRROR": "default"}
    return replica
