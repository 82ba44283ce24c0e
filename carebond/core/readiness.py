"""Is this process ready for traffic? The checks /readyz and `carebond serve --production` share.

A load balancer sends requests only to a ready process: one whose database answers, whose
schema is the code's (every migration applied), and whose static files are collected (the
pages name hashed files from the manifest; without it every page is a 500).
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import storages
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

_migrated = False  # once every migration is applied, it stays so for this process's code


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "the database does not answer"
    return None


def migrations_problem() -> str | None:
    global _migrated
    if _migrated:
        return None
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "the applied migrations cannot be read"
    if pending:
        return f"{len(pending)} migrations are not applied: run `carebond migrate`"
    _migrated = True
    return None


def static_files_problem() -> str | None:
    """Only a manifest storage (production) needs collecting; development serves the apps'
    folders directly."""
    storage: Any = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin):
        return None
    manifest: Any = storage  # a ManifestFilesMixin is always mixed into a file storage
    if not manifest.exists(storage.manifest_name):
        return (
            f"static files are not collected (no {storage.manifest_name} in {manifest.location}): "
            "run `carebond collectstatic --noinput`"
        )
    return None


def readiness_problems() -> dict[str, str]:
    """What is not ready, by check; empty when ready. Migrations are not looked at without a
    database."""
    problems: dict[str, str] = {}
    database = database_problem()
    if database:
        problems["database"] = database
    else:
        migrations = migrations_problem()
        if migrations:
            problems["migrations"] = migrations
    static = static_files_problem()
    if static:
        problems["static_files"] = static
    return problems
