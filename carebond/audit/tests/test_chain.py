"""The audit trail is append-only and hash-chained; verification names the first broken event."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from fhir.resources.R4B.auditevent import AuditEvent as FhirAuditEvent

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.audit.recording import record_access, record_audit
from carebond.audit.selectors import verify_chain
from carebond.core.models import Location

pytestmark = pytest.mark.django_db


def tamper(sql: str, params: list[Any]) -> None:
    """Edit audit rows behind the application's back, as an attacker with database access would.

    On PostgreSQL the append-only trigger must be bypassed first, which takes a superuser.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def some_events(admin_a: User, location_a: Location, count: int = 5) -> list[AuditEvent]:
    return [
        record_access(actor=admin_a, target=location_a, action="location.read")
        for _ in range(count)
    ]


def run_verify() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_intact_chain_verifies(admin_a: User, location_a: Location) -> None:
    some_events(admin_a, location_a)
    code, output = run_verify()
    assert code == 0
    assert f"{AuditEvent.objects.count()} events verified" in output


def test_edited_row_is_named(admin_a: User, location_a: Location) -> None:
    events = some_events(admin_a, location_a)
    victim = events[2]
    tamper(
        "UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["someone-else", victim.pk]
    )
    code, output = run_verify()
    assert code == 1
    assert f"event {victim.pk} ({victim.public_id})" in output
    assert "edited" in output


def test_deleted_row_is_detected(admin_a: User, location_a: Location) -> None:
    events = some_events(admin_a, location_a)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert not report.intact
    assert report.first_break is not None
    assert report.first_break.event_id == events[2].pk


def test_swapped_rows_are_detected(admin_a: User, location_a: Location) -> None:
    # given two different events next to each other
    read = record_access(actor=admin_a, target=location_a, action="location.read")
    change = record_audit(actor=admin_a, action="location.updated", target=location_a)
    record_access(actor=admin_a, target=location_a, action="location.read")
    # when their contents are swapped in place
    tamper(
        "UPDATE audit_auditevent SET action = CASE id WHEN %s THEN %s ELSE %s END "
        "WHERE id IN (%s, %s)",
        [read.pk, change.action, read.action, read.pk, change.pk],
    )
    # then the first of them is named
    report = verify_chain()
    assert report.first_break is not None
    assert report.first_break.event_id == read.pk


def test_verify_prints_the_head_hash_for_external_anchoring(
    admin_a: User, location_a: Location
) -> None:
    last = some_events(admin_a, location_a, 2)[-1]
    code, output = run_verify()
    assert code == 0
    assert last.hash in output


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger exists on PostgreSQL")
def test_postgresql_refuses_update_and_delete(admin_a: User, location_a: Location) -> None:
    event = some_events(admin_a, location_a, 1)[0]
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert verify_chain().intact


def test_audit_rows_carry_request_context_and_field_names_only(
    admin_a: User, location_a: Location
) -> None:
    event = record_audit(
        actor=admin_a,
        action="location.updated",
        target=location_a,
        changed_fields=["phone", "address", "phone"],
    )
    assert event.changed_fields == ["address", "phone"]
    assert event.target_type == "core.location"
    assert event.target_id == str(location_a.public_id)
    assert event.organization_id == location_a.organization_id
    assert location_a.address not in event.canonical()


def test_a_rolled_back_change_leaves_no_audit_row(admin_a: User, location_a: Location) -> None:
    before = AuditEvent.objects.count()

    def failing_change() -> None:
        with transaction.atomic():
            record_audit(actor=admin_a, action="location.updated", target=location_a)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert AuditEvent.objects.count() == before
    assert verify_chain().intact


def test_export_is_valid_fhir_audit_event_ndjson(
    admin_a: User, location_a: Location, tmp_path: object
) -> None:
    some_events(admin_a, location_a, 3)
    record_audit(actor=None, action="auth.login_failed", outcome="failure", actor_label="nobody")
    out = StringIO()
    call_command("audit", "export", stdout=out)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) == AuditEvent.objects.count()
    for line in lines:
        resource = FhirAuditEvent.model_validate(json.loads(line))
        assert resource.source.observer.display == "CareBond"
    assert AuditEvent.objects.filter(action="audit.export").exists()


def test_audit_page_filters_and_stays_in_the_organisation(
    client_for: Callable[[User], Client], admin_a: User, outsider_b: User, location_a: Location
) -> None:
    some_events(admin_a, location_a, 3)
    own = client_for(admin_a).get("/audit/", {"action": "location.read"})
    assert own.status_code == 200
    assert own.content.decode().count("location.read") >= 3
    foreign = client_for(outsider_b).get("/audit/", {"action": "location.read"})
    assert "location.read</code>" not in foreign.content.decode()


def test_audit_page_rejects_a_backwards_date_range(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    response = client_for(admin_a).get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "must be on or after" in response.content.decode()


def test_audit_download_is_fhir_ndjson(
    client_for: Callable[[User], Client], admin_a: User, location_a: Location
) -> None:
    some_events(admin_a, location_a, 2)
    response = client_for(admin_a).get("/audit/export.ndjson")
    assert response["Content-Type"] == "application/fhir+ndjson"
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert all(json.loads(line)["resourceType"] == "AuditEvent" for line in lines)


def test_audit_page_shows_times_in_the_organisation_time_zone(
    client_for: Callable[[User], Client], admin_a: User, location_a: Location
) -> None:
    # given an event stored in UTC, in an organisation on Chicago time
    event = record_access(actor=admin_a, target=location_a, action="location.read")
    local = event.occurred_at.astimezone(ZoneInfo("America/Chicago"))
    # when / then the page shows Chicago time
    body = client_for(admin_a).get("/audit/").content.decode()
    assert "When (America/Chicago)" in body
    assert local.strftime("%Y-%m-%d %H:%M:%S") in body


def test_cutting_events_off_the_end_is_caught_by_a_checkpoint(
    admin_a: User, location_a: Location, settings: Any, tmp_path: Any
) -> None:
    # given a checkpoint kept outside the database after five events
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    events = some_events(admin_a, location_a, 5)
    call_command("audit", "checkpoint", stdout=StringIO())
    # when the newest two are deleted and one new event is appended, leaving a valid chain
    tamper("DELETE FROM audit_auditevent WHERE id >= %s", [events[3].pk])
    record_access(actor=admin_a, target=location_a, action="location.read")
    assert verify_chain().intact
    # then verification fails on the checkpoint
    code, output = run_verify()
    assert code == 1
    assert f"checkpointed event {events[4].pk}" in output
    assert "rewritten" in output or "cut from the end" in output


def test_the_daily_scan_checkpoints_an_intact_chain(
    admin_a: User, location_a: Location, settings: Any, tmp_path: Any
) -> None:
    from carebond.audit.checkpoints import read_checkpoints
    from carebond.audit.scans import scan_audit_chain

    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    last = some_events(admin_a, location_a, 2)[-1]
    assert scan_audit_chain() == 1
    assert [c.event_id for c in read_checkpoints()] == [last.pk]


# Every stored field of an audit row, and an edit of it an attacker could make in SQL. The hash
# itself is left out: rewriting it is what the chain and the checkpoints catch next.
EDITS: dict[str, str] = {
    "id": "id + 100000",
    "public_id": "'00000000-0000-4000-8000-000000000001'",
    "occurred_at": "occurred_at - interval '1 day'",
    "organization_id": "%(other_organization)s",
    "actor_id": "NULL",
    "actor_label": "'someone-else'",
    "action": "'location.updated'",
    "target_type": "'people.person'",
    "target_id": "'00000000-0000-4000-8000-000000000002'",
    "patient_id": "'00000000-0000-4000-8000-000000000003'",
    "request_id": "'forged-request'",
    "client_ip": "'203.0.113.9'",
    "outcome": "'denied'",
    "changed_fields": "'[\"status\"]'",
    "prev_hash": "'" + "f" * 64 + "'",
}


def test_every_stored_field_is_covered_by_the_tamper_test() -> None:
    stored = {f.column for f in AuditEvent._meta.concrete_fields} - {"hash"}
    assert stored == set(EDITS)


@pytest.mark.parametrize("column", sorted(EDITS))
def test_an_edit_of_any_hashed_field_is_named(
    column: str, admin_a: User, location_a: Location, outsider_b: User
) -> None:
    # given an intact chain
    events = some_events(admin_a, location_a)
    victim = events[2]
    edit = EDITS[column] % {"other_organization": outsider_b.organization_id}
    if connection.vendor == "sqlite" and column == "occurred_at":
        edit = "datetime(occurred_at, '-1 day')"
    # when one field of one row is changed behind the application's back
    tamper(f"UPDATE audit_auditevent SET {column} = {edit} WHERE id = %s", [victim.pk])  # noqa: S608
    # then verification fails, naming that row
    code, output = run_verify()
    assert code == 1
    named = f"event id {victim.pk} is missing" if column == "id" else f"at event {victim.pk} ("
    assert named in output
