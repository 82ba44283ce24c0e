"""Configuration from environment variables, read in one place."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def database_pooling(database: Mapping[str, Any]) -> dict[str, Any]:
    """The PostgreSQL connection settings for pooling (docs/deployment.md, Connection pooling).

    CAREBOND_DB_POOL_MAX > 0: Django's own pool (psycopg_pool), that many connections at most
    per process; it replaces persistent connections (CONN_MAX_AGE 0). CAREBOND_DB_PGBOUNCER=1:
    the connections go through pgbouncer in transaction mode, where a server connection changes
    between transactions, so no server-side cursor may outlive one and none is kept open here.
    """
    if database.get("ENGINE") != "django.db.backends.postgresql":
        return {}
    changes: dict[str, Any] = {}
    options = dict(database.get("OPTIONS") or {})
    pool_max = env_int("CAREBOND_DB_POOL_MAX", 0)
    if pool_max < 0:
        raise ConfigurationError(
            f"CAREBOND_DB_POOL_MAX must be 0 (no pool) or more, got {pool_max}."
        )
    if pool_max:
        pool_min = env_int("CAREBOND_DB_POOL_MIN", min(2, pool_max))
        if not 0 <= pool_min <= pool_max:
            raise ConfigurationError(
                f"CAREBOND_DB_POOL_MIN must be between 0 and CAREBOND_DB_POOL_MAX ({pool_max}), "
                f"got {pool_min}."
            )
        reconnect = env_int("CAREBOND_DB_POOL_RECONNECT_SECONDS", 5)
        if reconnect < 1:
            raise ConfigurationError(
                f"CAREBOND_DB_POOL_RECONNECT_SECONDS must be 1 or more, got {reconnect}."
            )
        options["pool"] = {
            "min_size": pool_min,
            "max_size": pool_max,
            "timeout": env_int("CAREBOND_DB_POOL_TIMEOUT", 10),
            # After the database went away the pool retries a connection with waits that
            # double (1, 2, 4... s): left alone, a 20 s outage keeps pages failing for as long
            # again after the database is back. Giving up after a few seconds starts over at
            # the next request, so the pool is back within seconds of the database.
            "reconnect_timeout": reconnect,
        }
        changes["CONN_MAX_AGE"] = 0
    if env_bool("CAREBOND_DB_PGBOUNCER"):
        changes["DISABLE_SERVER_SIDE_CURSORS"] = True
        changes["CONN_MAX_AGE"] = 0
    if options:
        changes["OPTIONS"] = options
    return changes
