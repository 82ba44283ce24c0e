"""Tables of history: monthly partitions on PostgreSQL made ahead by a scan, and retention that
removes old rows, is audited, and leaves an audit chain that still verifies."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from carebond.audit.checkpoints import first_missed_checkpoint, read_checkpoints, take_checkpoint
from carebond.audit.history_actions import scan_history_partitions, scan_retention
from carebond.audit.models import RETENTION_APPLIED, AuditEvent, RetentionCut
from carebond.audit.recording import record_audit
from carebond.audit.selectors import verify_chain
from carebond.core.models import Organization
from carebond.core.partitions import create_month, monthly_partitions
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="only PostgreSQL partitions tables"
)
TABLES = ("audit_auditevent", "touchpoints_touchpoint", "messaging_message")


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def months(table: str) -> list[str]:
    return [f"{partition.start:%Y-%m}" for partition in monthly_partitions(table)]


def partition_of(table: str, row_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])  # noqa: S608
        return str(cursor.fetchone()[0])


def touchpoint(organization: Organization, when: datetime) -> Touchpoint:
    person = make_patient(organization)
    return Touchpoint.objects.create(
        organization=organization,
        person=person,
        kind="call",
        channel="phone",
        direction="inbound",
        occurred_at=when,
        recorded_at=when,
    )


def event_at(organization: Organization, when: datetime) -> AuditEvent:
    """An event of the worker's (no user, so that no other event comes before it)."""
    with time_machine.travel(when, tick=False):
        return record_audit(actor=None, action="report.sent", organization=organization)


@on_postgresql
def test_history_tables_are_partitioned_with_a_default_and_the_trigger_on_every_partition() -> None:
    with connection.cursor() as cursor:
        # given the migrated database
        # then each history table is partitioned by range, with a default partition
        for table in TABLES:
            cursor.execute(
                "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = %s::regclass",
                [table],
            )
            assert cursor.fetchone() == ("r",), table
            cursor.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = %s::regclass "
                "AND inhrelid = %s::regclass",
                [table, f"{table}_default"],
            )
            assert cursor.fetchone() == (1,), table
        # and every audit partition refuses updates and deletes
        cursor.execute(
            "SELECT count(*) FROM pg_inherits i WHERE inhparent = 'audit_auditevent'::regclass "
            "AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = i.inhrelid "
            "AND t.tgname = 'audit_event_no_update_delete')"
        )
        assert cursor.fetchone() == (0,)


@on_postgresql
def test_rows_land_in_their_months_partition(
    org_a: Organization,
) -> None:
    # given partitions for the months ahead (made by the migration) and the scan
    with time_machine.travel(at(2027, 1, 3), tick=False):
        scan_history_partitions()
    # when an event and a touchpoint are written in January 2027, and a touchpoint of 2014
    # (an imported visit) for which no month exists
    event = event_at(org_a, at(2027, 1, 20))
    january = touchpoint(org_a, at(2027, 1, 20))
    old = touchpoint(org_a, at(2014, 6, 1))
    # then each is in its month's partition, the old one waits in the default partition
    assert partition_of("audit_auditevent", event.id) == "audit_auditevent_p202701"
    assert partition_of("touchpoints_touchpoint", january.id) == "touchpoints_touchpoint_p202701"
    assert partition_of("touchpoints_touchpoint", old.id) == "touchpoints_touchpoint_default"
    # and reading them is unchanged
    assert Touchpoint.objects.filter(person__organization=org_a).count() == 2
    assert AuditEvent.objects.get(public_id=event.public_id).hash == event.hash


@on_postgresql
def test_the_scan_makes_partitions_ahead_once_and_moves_parked_rows(org_a: Organization) -> None:
    # given a touchpoint of 2014 waiting in the default partition
    old = touchpoint(org_a, at(2014, 6, 1))
    # when the scan runs in June 2027
    with time_machine.travel(at(2027, 6, 2), tick=False):
        made = scan_history_partitions()
        again = scan_history_partitions()
    # then every table has June and the three months after it, the touchpoint its own month
    for table in TABLES:
        assert {"2027-06", "2027-07", "2027-08", "2027-09"} <= set(months(table)), table
    assert "2014-06" in months("touchpoints_touchpoint")
    assert partition_of("touchpoints_touchpoint", old.id) == "touchpoints_touchpoint_p201406"
    assert made >= 3 * 4 + 1
    # and running it again makes none
    assert again == 0


@on_postgresql
def test_retention_drops_exactly_the_old_months_audits_it_and_the_chain_verifies(
    org_a: Organization, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    # given audit events and touchpoints in 2019 and in 2026, with months for 2019
    for month in (1, 2, 3):
        create_month("audit_auditevent", "occurred_at", at(2019, month, 1), move_parked=False)
        create_month("touchpoints_touchpoint", "occurred_at", at(2019, month, 1))
    old_events = [event_at(org_a, at(2019, month)) for month in (1, 2, 3)]
    old_touchpoints = [touchpoint(org_a, at(2019, month)) for month in (1, 2, 3)]
    with time_machine.travel(at(2026, 12, 5), tick=False):
        take_checkpoint()  # of an event retention is about to remove
        kept = touchpoint(org_a, at(2026, 12, 1))
        settings.RETENTION_YEARS = {"audit": 6, "touchpoints": 2, "messages": None}
        # when retention runs
        removed = scan_retention()
    # then the 2019 months are gone from both tables, the rest is kept
    assert not {"2019-01", "2019-02", "2019-03"} & set(months("audit_auditevent"))
    assert not {"2019-01", "2019-02", "2019-03"} & set(months("touchpoints_touchpoint"))
    assert not AuditEvent.objects.filter(id__in=[e.id for e in old_events]).exists()
    assert not Touchpoint.objects.filter(id__in=[t.id for t in old_touchpoints]).exists()
    assert Touchpoint.objects.filter(id=kept.id).exists()
    # and each cut is written down and audited: which table, which span, how many rows
    cuts = {cut.table: cut for cut in RetentionCut.objects.all()}
    assert cuts["touchpoints_touchpoint"].rows == 3
    assert cuts["touchpoints_touchpoint"].removed_from == at(2019, 1)
    audit_cut = cuts["audit_auditevent"]
    assert audit_cut.removed_before == at(2020, 12, 1).replace(hour=0)
    assert audit_cut.rows == 3
    assert removed == audit_cut.rows + 3
    recorded = AuditEvent.objects.filter(action=RETENTION_APPLIED).values_list(
        "target_id", flat=True
    )
    assert set(recorded) == {str(cut.public_id) for cut in cuts.values()}
    # and the chain verifies from the cut, the checkpoint of a removed event is history
    report = verify_chain()
    assert report.intact, report.first_break
    assert first_missed_checkpoint(read_checkpoints()) is None


def test_audit_retention_removes_the_oldest_run_and_the_chain_still_verifies(
    org_a: Organization, settings: Any, tmp_path: Path
) -> None:
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    # given events written eight years ago and today (on PostgreSQL: with their months)
    if connection.vendor == "postgresql":
        create_month("audit_auditevent", "occurred_at", at(2018, 3, 1), move_parked=False)
    old = [event_at(org_a, at(2018, 3, day)) for day in (2, 3)]
    recent = event_at(org_a, at(2026, 12, 4))
    # when the audit trail's retention (six years) runs
    with time_machine.travel(at(2026, 12, 5), tick=False):
        scan_retention()
    # then the old events are gone, the recent one and the record of the cut are kept
    assert not AuditEvent.objects.filter(id__in=[e.id for e in old]).exists()
    assert AuditEvent.objects.filter(id=recent.id).exists()
    cut = RetentionCut.objects.get(table="audit_auditevent")
    assert cut.first_kept_id == old[-1].id + 1
    assert cut.first_kept_prev_hash == old[-1].hash
    # and the chain verifies, new events included, and says where it starts
    event_at(org_a, at(2026, 12, 6))
    assert verify_chain().intact
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"Starts at event {cut.first_kept_id}: retention removed the events before" in (
        out.getvalue()
    )


def test_a_cut_the_trail_does_not_record_breaks_verification(org_a: Organization) -> None:
    # given an intact chain
    events = [event_at(org_a, at(2026, 11, day)) for day in (1, 2, 3)]
    # when someone writes a retention cut of their own (to hide removed events)
    RetentionCut.objects.create(
        applied_at=at(2026, 11, 4),
        table="audit_auditevent",
        removed_before=at(2026, 11, 2),
        rows=1,
        first_kept_id=events[1].id,
        first_kept_prev_hash=events[0].hash,
    )
    # then verification fails: an event before the cut is still there, and no event records it
    report = verify_chain()
    assert not report.intact


def test_audit_events_are_kept_six_years_at_least(settings: Any) -> None:
    settings.RETENTION_YEARS = {"audit": 5, "touchpoints": None, "messages": None}
    with pytest.raises(ImproperlyConfigured, match="6 years at least"):
        scan_retention()


def test_tables_without_a_policy_keep_their_rows(org_a: Organization, settings: Any) -> None:
    # given an old touchpoint and no retention set for touchpoints
    old = touchpoint(org_a, at(2001, 1))
    settings.RETENTION_YEARS = {"audit": 6, "touchpoints": None, "messages": None}
    # when retention runs, then the touchpoint stays
    scan_retention()
    assert Touchpoint.objects.filter(id=old.id).exists()


def test_sqlite_retention_deletes_old_touchpoints_in_batches(
    org_a: Organization, settings: Any
) -> None:
    # given touchpoints of 2015 and of this year
    old = [touchpoint(org_a, at(2015, month)) for month in (1, 5, 9)]
    kept = touchpoint(org_a, at(2026, 12, 1))
    settings.RETENTION_YEARS = {"audit": 6, "touchpoints": 3, "messages": None}
    # when retention runs (on PostgreSQL the 2015 rows wait in the default partition: same)
    with time_machine.travel(at(2026, 12, 5), tick=False):
        assert scan_retention() >= 3
    # then only the old ones are gone
    assert not Touchpoint.objects.filter(id__in=[t.id for t in old]).exists()
    assert Touchpoint.objects.filter(id=kept.id).exists()
