"""`carebond serve --production` as an operator starts it: it refuses what would make every
request fail, with a message saying what to do; and the database pool comes from settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ConfigurationError, database_pooling

ROOT = Path(__file__).resolve().parents[3]
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "carebond", "OPTIONS": {}}


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carebond.cli", "serve", "--production", *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


def production_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CAREBOND_ENV": "production",
        "CAREBOND_VAR_DIR": str(var_dir),
        "CAREBOND_DATABASE_URL": f"sqlite:///{var_dir / 'serve.sqlite3'}",
        "CAREBOND_SECRET_KEY": "k" * 20 + "-production-secret-key-for-the-check-0123456789",
        "CAREBOND_ALLOWED_HOSTS": "carebond.example.org",
        "CAREBOND_FIELD_KEYS": "iIa2qTK7mI6r9Qd8C6u3D1zJ1Zk9bQyQ2q1qkR4sE0c=",
        **overrides,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def test_production_server_refuses_development_settings(tmp_path: Path) -> None:
    # given development settings / when
    result = serve(production_env(tmp_path, CAREBOND_ENV="dev"))
    # then it does not start, and says how to
    assert result.returncode == 1
    assert "--production needs the production settings" in result.stderr
    assert "config.settings.dev" in result.stderr
    assert "CAREBOND_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_server_refuses_to_start_before_collectstatic(tmp_path: Path) -> None:
    # given production settings and no collected static files / when
    result = serve(production_env(tmp_path), "--port", "8999")
    # then
    assert result.returncode == 1
    assert "static files are not collected" in result.stderr
    assert "carebond collectstatic --noinput" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_server_refuses_zero_workers(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    result = serve(production_env(tmp_path), "--workers", "0")
    assert result.returncode == 1
    assert "--workers must be at least 1, got 0" in result.stderr


def test_no_pool_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREBOND_DB_POOL_MAX", raising=False)
    monkeypatch.delenv("CAREBOND_DB_PGBOUNCER", raising=False)
    assert database_pooling(POSTGRES) == {}


def test_pool_size_from_the_environment_replaces_persistent_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAREBOND_DB_POOL_MAX", "6")
    monkeypatch.delenv("CAREBOND_DB_POOL_MIN", raising=False)
    changes = database_pooling(POSTGRES)
    assert changes["OPTIONS"]["pool"] == {
        "min_size": 2,
        "max_size": 6,
        "timeout": 10,
        "reconnect_timeout": 5,
    }
    assert changes["CONN_MAX_AGE"] == 0
    # SQLite has no pool: the setting is left alone there
    assert database_pooling({"ENGINE": "django.db.backends.sqlite3"}) == {}


def test_pgbouncer_turns_off_server_side_cursors_and_persistent_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CAREBOND_DB_POOL_MAX", raising=False)
    monkeypatch.setenv("CAREBOND_DB_PGBOUNCER", "1")
    assert database_pooling(POSTGRES) == {"DISABLE_SERVER_SIDE_CURSORS": True, "CONN_MAX_AGE": 0}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"CAREBOND_DB_POOL_MAX": "-1"}, "CAREBOND_DB_POOL_MAX must be 0 (no pool) or more"),
        ({"CAREBOND_DB_POOL_MAX": "four"}, "CAREBOND_DB_POOL_MAX must be a whole number"),
        (
            {"CAREBOND_DB_POOL_MAX": "4", "CAREBOND_DB_POOL_MIN": "5"},
            "CAREBOND_DB_POOL_MIN must be between 0 and CAREBOND_DB_POOL_MAX (4), got 5",
        ),
        (
            {"CAREBOND_DB_POOL_MAX": "4", "CAREBOND_DB_POOL_RECONNECT_SECONDS": "0"},
            "CAREBOND_DB_POOL_RECONNECT_SECONDS must be 1 or more, got 0",
        ),
    ],
)
def test_a_bad_pool_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        database_pooling(POSTGRES)
