"""/readyz: a load balancer sends traffic only to a process whose database answers, whose schema
is migrated and whose static files are collected; otherwise 503 says what is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import OperationalError
from django.test import Client

from carebond.core import readiness

pytestmark = pytest.mark.django_db

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def _forget_migrated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readiness, "_migrated", False)


def test_readyz_is_200_when_migrated_with_the_database(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert "Set-Cookie" not in response


def test_readyz_is_503_naming_an_unapplied_migration(client: Client) -> None:
    # given the newest migration of an app recorded as not applied
    newest = MigrationRecorder.Migration.objects.filter(app="core").order_by("-id").first()
    assert newest is not None
    newest.delete()
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["problems"] == {
        "migrations": "1 migrations are not applied: run `carebond migrate`"
    }


def test_readyz_is_503_without_the_database_and_names_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database that refuses connections
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    # when
    response = client.get("/readyz")
    # then
    assert response.status_code == 503
    assert response.json()["problems"] == {"database": "the database does not answer"}


def test_readyz_is_503_until_static_files_are_collected(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    # given production's manifest storage and an empty static folder
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path
    # when / then: not ready, and told what to run
    response = client.get("/readyz")
    assert response.status_code == 503
    problem = response.json()["problems"]["static_files"]
    assert "staticfiles.json" in problem
    assert "carebond collectstatic --noinput" in problem
    # when the manifest is there / then ready
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert client.get("/readyz").status_code == 200
