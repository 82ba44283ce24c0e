"""Partitioning a table that has rows in it keeps every row (carebond.core.partitions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from carebond.audit.recording import record_audit
from carebond.audit.selectors import verify_chain
from carebond.core.partitions import is_partitioned, monthly_partitions

TOUCHPOINTS_BEFORE = [("touchpoints", "0003_kinds_from_the_registry")]
AUDIT_BEFORE = [("audit", "0002_append_only_trigger")]
MONTHS = ((2017, 2), (2026, 11), (2027, 1))
WHEN = [datetime(year, month, 9, 8, tzinfo=UTC) for year, month in MONTHS]


def migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor


@pytest.fixture
def newest_schema_after() -> Iterator[None]:
    yield
    migrate()  # the schema is back at the newest migrations for the tests that follow


@pytest.mark.django_db(transaction=True)
def test_partitioning_the_timeline_keeps_every_touchpoint(newest_schema_after: None) -> None:
    # given touchpoints of three months written before the timeline was partitioned
    old = migrate(TOUCHPOINTS_BEFORE).loader.project_state(TOUCHPOINTS_BEFORE).apps
    organization = old.get_model("core", "Organization").objects.create(slug="m", name="M")
    person = old.get_model("people", "Person").objects.create(
        organization=organization, kind="patient", given_name="Ada", family_name="Byrne"
    )
    touchpoints = old.get_model("touchpoints", "Touchpoint").objects
    made = {
        touchpoints.create(
            organization=organization,
            person=person,
            kind="call",
            channel="phone",
            direction="inbound",
            occurred_at=when,
            recorded_at=when,
            origin_system="ehr",
            origin_id=f"enc-{when:%Y%m}",
        ).pk: when
        for when in WHEN
    }
    assert not is_partitioned("touchpoints_touchpoint")
    # when the migrations run
    executor = migrate()
    new = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    # then every touchpoint is there with its id and time, in a partitioned table
    kept = new.get_model("touchpoints", "Touchpoint").objects
    assert dict(kept.values_list("pk", "occurred_at")) == made
    assert is_partitioned("touchpoints_touchpoint") is (connection.vendor == "postgresql")
    if connection.vendor == "postgresql":  # a partition for each month with rows, no empty ones
        have = {f"{p.start:%Y-%m}" for p in monthly_partitions("touchpoints_touchpoint")}
        assert {"2017-02", "2026-11", "2027-01"} <= have
        assert "2017-03" not in have
    # and new rows take new ids, and a source's resource is still stored once
    fresh = kept.create(
        organization_id=organization.pk,
        person_id=person.pk,
        kind="call",
        channel="phone",
        direction="inbound",
        occurred_at=WHEN[1],
        recorded_at=WHEN[1],
    )
    assert fresh.pk > max(made)
    with pytest.raises(IntegrityError), transaction.atomic():
        kept.create(
            organization_id=organization.pk,
            person_id=person.pk,
            kind="call",
            channel="phone",
            direction="inbound",
            occurred_at=WHEN[2],
            recorded_at=WHEN[2],
            origin_system="ehr",
            origin_id="enc-201702",
        )


@pytest.mark.django_db(transaction=True)
def test_partitioning_the_audit_trail_keeps_the_chain_and_the_append_only_rule(
    newest_schema_after: None,
) -> None:
    # given audit events of three months written before the trail was partitioned
    migrate(AUDIT_BEFORE)
    for when in WHEN:
        with time_machine.travel(when, tick=False):
            record_audit(actor=None, action="report.sent")
    # when the migrations run
    migrate()
    # then the chain verifies, and a new event links on to it
    with time_machine.travel(WHEN[2], tick=False):
        record_audit(actor=None, action="report.sent")
    report = verify_chain()
    assert report.intact
    assert report.checked == len(WHEN) + 1
    # and the database still refuses to change an event (PostgreSQL's trigger)
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM audit_auditevent WHERE occurred_at < '2018-01-01'")
