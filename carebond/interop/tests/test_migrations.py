"""Interop's data migrations, run against rows that exist before them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("interop", "0003_pending_reference")]
AFTER = [("interop", "0004_ehr_connections_and_business_identifiers")]


@pytest.mark.django_db(transaction=True)
def test_every_source_earlier_imports_named_becomes_a_connection_with_its_runs() -> None:
    # given runs from two sources (one of them a user-named API source) before connections
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    organization = old.get_model("core", "Organization").objects.create(slug="m", name="M")
    runs = old.get_model("interop", "ImportRun").objects
    for source, when in [
        ("urn:carebond:source:fhir-import", "2026-01-05T10:00:00Z"),
        ("urn:carebond:api-user:avery", "2026-01-06T10:00:00Z"),
        ("urn:carebond:source:fhir-import", "2026-01-07T10:00:00Z"),
    ]:
        runs.create(organization=organization, via="cli", source_system=source, started_at=when)
    # when the migration runs
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    # then each source is a connection of the organisation, and its runs are its own
    new = executor.loader.project_state(AFTER).apps
    connections = new.get_model("interop", "EhrConnection").objects
    assert sorted(connections.values_list("name", "system")) == [
        ("urn:carebond:api-user:avery", "urn:carebond:api-user:avery"),
        ("urn:carebond:source:fhir-import", "urn:carebond:source:fhir-import"),
    ]
    linked = new.get_model("interop", "ImportRun").objects.values_list(
        "source_system", "connection__system"
    )
    assert all(system == via for system, via in linked)
    # and the schema is back at the newest migrations for the tests that follow
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
