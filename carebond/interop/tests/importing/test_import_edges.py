"""The importer against what real data and real staff do to it: odd shapes, twins, merges,
rows deleted by hand, references to the wrong kind of thing, older versions, stale runs."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.interop.models import ImportRun, PendingReference, StoredResource
from carebond.interop.scans import scan_interrupted_imports
from carebond.interop.testing import write
from carebond.people.merge_actions import check_merge_people
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.models import Touchpoint


def patient(pid: str, given: str = "Alice", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": "Twin", "given": [given]}],
        "birthDate": "1980-01-01",
        **extra,
    }


def visit(eid: str, subject: str, start: str = "2025-03-01T10:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "subject": {"reference": subject},
        "period": {"start": start},
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (patient("x", name=[{"use": ["official"], "family": "A"}]), "Patient.name[0].use"),
        (patient("x", name="Smith"), "Patient.name"),
        (patient("x", identifier={"system": "a"}), "Patient.identifier"),
        (patient("x", birthDate=19900101), "Patient.birthDate"),
        (patient("x", name=[{"family": "A" * 300}]), "Patient.name[0].family"),
        (patient("x", identifier=[{"system": "urn:a", "value": "9" * 300}]), "identifier[0].value"),
        (patient("x", extension=5), "Patient"),
        (visit("e", "Patient/x", start="2020-01-01T10:00:00"), "Encounter.period.start"),
        (visit("e", "Patient/x", start="9999-12-31T23:59:59-12:00"), "Encounter.period.start"),
        ({"resourceType": ["Patient"], "id": "x"}, "resourceType"),
        (patient("x", meta="x"), None),
        ({"resourceType": "Bundle", "type": "collection", "entry": {"a": 1}}, "Bundle.entry"),
    ],
)
def test_unexpected_shapes_reject_the_unit_and_the_run_finishes(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    tmp_path: Path,
    document: dict[str, Any],
    path: str | None,
) -> None:
    write(tmp_path / "odd.json", document)
    write(tmp_path / "z-fine.json", patient("fine", given="Zed"))

    run = run_import(tmp_path)

    assert run.status == "finished"
    assert Person.objects.filter(organization=org_a, origin_id="Patient/fine").exists()
    if path is None:  # an odd element nobody reads is no reason to refuse the patient
        assert run.bundles_rejected == 0
        return
    assert run.bundles_rejected == 1
    assert path in run.problems[0]["path"]
    assert Person.objects.filter(organization=org_a).count() == 1


def test_an_ndjson_line_that_is_not_an_object_and_a_truncated_gzip_are_named(
    run_import: Callable[..., ImportRun], tmp_path: Path
) -> None:
    (tmp_path / "Patient.ndjson").write_bytes(b'["Patient"]\n')
    packed = gzip.compress(orjson.dumps(patient("g")) + b"\n")
    (tmp_path / "Other.ndjson.gz").write_bytes(packed[: len(packed) // 2])

    run = run_import(tmp_path)

    messages = sorted(p["message"] for p in run.problems)
    assert any("line 1 is not a FHIR resource" in m for m in messages)
    assert any("truncated or unreadable" in m for m in messages)
    assert run.status == "finished"


def test_twins_sharing_an_identifier_and_a_birthday_stay_two_people(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    household = [{"system": "urn:household", "value": "H1"}]
    run_import(write(tmp_path / "a.json", patient("tw1", identifier=household)), source="urn:s1")

    run_import(
        write(tmp_path / "b.json", patient("tw2", given="Bob", identifier=household)),
        source="urn:s2",
    )

    names = set(Person.objects.filter(organization=org_a).values_list("given_name", flat=True))
    assert names == {"Alice", "Bob"}


def test_two_look_alikes_in_one_bundle_are_not_both_matched_to_one_person(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    mrn = [{"system": "urn:mrn", "value": "M-7"}]
    run_import(write(tmp_path / "a.json", patient("a1", identifier=mrn)), source="urn:s1")

    run = run_import(
        write(
            tmp_path / "b.json",
            bundle(patient("x1", identifier=mrn), patient("x2", identifier=mrn)),
        ),
        source="urn:s2",
    )

    assert run.bundles_rejected == 0
    assert Person.objects.filter(organization=org_a).count() == 2


def test_a_visit_whose_subject_is_a_practitioner_is_refused(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    doctor = {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Grant"}]}

    run = run_import(write(tmp_path / "a.json", bundle(doctor, visit("e1", "Practitioner/dr1"))))

    assert run.problems[0]["path"] == "Encounter.subject"
    assert "not a patient" in run.problems[0]["message"]
    assert not Touchpoint.objects.filter(organization=org_a).exists()


def test_rows_deleted_by_hand_come_back_on_the_next_import(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.json", bundle(patient("p1"), visit("e1", "urn:uuid:p1")))
    run_import(path)
    Touchpoint.objects.filter(organization=org_a).delete()

    again = run_import(path)
    Person.objects.filter(organization=org_a).delete()  # the patient too, this time
    write(path, bundle(patient("p1", given="Alicia"), visit("e1", "urn:uuid:p1")))
    third = run_import(path)

    assert again.counts["Encounter"]["imported"] == 1
    assert third.bundles_rejected == 0
    assert Person.objects.get(organization=org_a).given_name == "Alicia"
    assert Touchpoint.objects.filter(organization=org_a).count() == 1


def test_after_a_merge_new_visits_land_on_the_surviving_record(
    run_import: Callable[..., ImportRun], org_a: Organization, admin_a: User, tmp_path: Path
) -> None:
    run_import(write(tmp_path / "a.json", patient("p1")))
    imported = Person.objects.get(origin_id="Patient/p1")
    survivor = make_patient(org_a, "Alice", "Twin")
    check_merge_people(survivor, imported, acting_user=admin_a)

    run_import(write(tmp_path / "b.json", bundle(patient("p1"), visit("e9", "Patient/p1"))))

    assert Touchpoint.objects.get(origin_id="Encounter/e9").person == survivor


def test_another_servers_absolute_reference_is_not_this_sources_resource(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    run_import(write(tmp_path / "a.json", patient("h1")))

    run = run_import(
        write(tmp_path / "b.json", visit("e1", "http://other-hospital.example/fhir/Patient/h1"))
    )

    assert run.problems[0]["path"] == "Encounter.subject"
    assert not Touchpoint.objects.filter(organization=org_a).exists()


def test_problems_name_fields_not_values(
    run_import: Callable[..., ImportRun], tmp_path: Path
) -> None:
    ssn = "999-12-3456"
    reference = f"Patient?identifier=http://hl7.org/fhir/sid/us-ssn|{ssn}"
    write(tmp_path / "a.json", visit("e1", reference))
    write(tmp_path / "b.json", patient("p2", birthDate="1980-02-30"))

    run = run_import(tmp_path)

    stored = orjson.dumps(run.problems).decode()
    assert ssn not in stored
    assert "1980-02-30" not in stored
    assert "us-ssn identifier" in stored


def test_an_older_version_does_not_replace_a_newer_one(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    newer = patient("p1", given="Alicia", meta={"lastUpdated": "2026-05-01T00:00:00Z"})
    older = patient("p1", given="Alice", meta={"lastUpdated": "2025-01-01T00:00:00Z"})
    run_import(write(tmp_path / "a.json", newer))

    run = run_import(write(tmp_path / "a.json", older))

    assert run.counts["Patient"]["unchanged"] == 1
    assert Person.objects.get(organization=org_a).given_name == "Alicia"


def test_an_update_keeps_what_staff_added_when_the_source_is_silent(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.json", patient("p1"))
    run_import(path)
    Person.objects.filter(origin_id="Patient/p1").update(preferred_name="Ally")

    write(path, patient("p1", gender="female"))
    run_import(path)

    person = Person.objects.get(origin_id="Patient/p1")
    assert person.preferred_name == "Ally"
    assert person.administrative_gender == "female"


def test_an_import_that_stopped_moving_is_marked_interrupted_and_its_upload_removed(
    org_a: Organization, tmp_path: Path
) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "a.json").write_text("{}")
    now = clock.now()
    stale = ImportRun.objects.create(
        organization=org_a,
        via="upload",
        source_system="urn:x",
        started_at=now - timedelta(hours=3),
        heartbeat_at=now - timedelta(hours=2),
        upload_dir=str(folder),
    )
    moving = ImportRun.objects.create(
        organization=org_a,
        via="cli",
        source_system="urn:x",
        started_at=now - timedelta(hours=3),
        heartbeat_at=now - timedelta(minutes=1),
    )

    assert scan_interrupted_imports() == 1

    stale.refresh_from_db()
    moving.refresh_from_db()
    assert stale.status == "failed"
    assert "stopped without finishing" in stale.problems[-1]["message"]
    assert not folder.exists()
    assert moving.status == "running"


def test_old_exports_are_deleted_with_their_files_and_stuck_ones_failed(
    org_a: Organization,
    admin_a: User,
    tmp_path: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from carebond.audit.models import AuditEvent
    from carebond.interop.models import BulkExport
    from carebond.interop.scans import scan_bulk_exports

    settings.FHIR_EXPORT_DIR = tmp_path / "exports"
    now = clock.now()
    old = BulkExport.objects.create(
        organization=org_a,
        requested_by=admin_a,
        status="finished",
        requested_at=now - timedelta(days=9),
        finished_at=now - timedelta(days=8),
    )
    folder = settings.FHIR_EXPORT_DIR / str(old.public_id)
    folder.mkdir(parents=True)
    (folder / "Patient.ndjson").write_text("{}\n")
    recent = BulkExport.objects.create(
        organization=org_a,
        requested_by=admin_a,
        status="finished",
        requested_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1),
    )
    stuck = BulkExport.objects.create(
        organization=org_a,
        requested_by=admin_a,
        status="running",
        requested_at=now - timedelta(days=2),
    )

    with django_capture_on_commit_callbacks(execute=True):
        handled = scan_bulk_exports()

    assert handled == 2
    assert not folder.exists()
    assert not BulkExport.objects.filter(pk=old.pk).exists()
    assert BulkExport.objects.filter(pk=recent.pk).exists()
    stuck.refresh_from_db()
    assert stuck.status == "failed"
    assert AuditEvent.objects.filter(action="fhir.export.expired").count() == 1
    # and a second worker that had read the same export a moment before expires nothing more
    from carebond.interop.exporting.actions import do_expire_bulk_export

    assert do_expire_bulk_export(old) is False
    assert AuditEvent.objects.filter(action="fhir.export.expired").count() == 1


def test_a_planned_encounter_that_later_gets_its_start_becomes_a_visit_under_the_same_id(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given an Encounter sent without a start time (planned), kept whole
    planned = visit("e1", "urn:uuid:p1") | {"status": "planned", "period": {}}
    planned["meta"] = {"lastUpdated": "2025-02-20T08:00:00Z"}
    for folder in ("first", "second"):
        (tmp_path / folder).mkdir()
    write(tmp_path / "first" / "a.json", bundle(patient("p1"), planned))
    run_import(tmp_path / "first")
    kept = StoredResource.objects.get(organization=org_a, resource_type="Encounter")
    assert not Touchpoint.objects.filter(organization=org_a).exists()
    # when the EHR sends its newer version, which took place and has a start
    held = visit("e1", "urn:uuid:p1") | {"meta": {"lastUpdated": "2025-03-01T11:00:00Z"}}
    write(tmp_path / "second" / "a.json", bundle(patient("p1"), held))
    run = run_import(tmp_path / "second")
    # then it is a visit on the timeline, counted as updated, under the FHIR id it had
    assert run.counts["Encounter"]["updated"] == 1
    touchpoint = Touchpoint.objects.get(organization=org_a, origin_id="Encounter/e1")
    assert touchpoint.public_id == kept.public_id
    assert touchpoint.occurred_at.isoformat() == "2025-03-01T10:00:00+00:00"
    # and nothing is left of the kept version
    assert not StoredResource.objects.filter(organization=org_a).exists()
    # and importing the same again changes nothing
    again = run_import(tmp_path / "second")
    assert again.counts["Encounter"]["unchanged"] == 1
    assert Touchpoint.objects.filter(organization=org_a).count() == 1


def test_a_practitioner_and_location_sent_in_a_later_run_are_filled_in_on_earlier_visits(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given a visit whose practitioner (by NPI) and location are not imported yet
    npi = "http://hl7.org/fhir/sid/us-npi|9999999991"
    seen = visit("e1", "urn:uuid:p1") | {
        "participant": [{"individual": {"reference": f"Practitioner?identifier={npi}"}}],
        "location": [{"location": {"reference": "Location/clinic-2"}}],
    }
    for folder in ("visits", "providers"):
        (tmp_path / folder).mkdir()
    write(tmp_path / "visits" / "a.json", bundle(patient("p1"), seen))
    run_import(tmp_path / "visits")
    touchpoint = Touchpoint.objects.get(organization=org_a, origin_id="Encounter/e1")
    assert (touchpoint.staff_id, touchpoint.location_id) == (None, None)
    # when a later run brings them
    doctor = {
        "resourceType": "Practitioner",
        "id": "dr1",
        "identifier": [{"system": npi.split("|")[0], "value": npi.split("|")[1]}],
        "name": [{"family": "Okafor", "given": ["Ada"]}],
    }
    place = {"resourceType": "Location", "id": "clinic-2", "name": "North clinic"}
    write(tmp_path / "providers" / "b.json", bundle(doctor, place))
    run_import(tmp_path / "providers")
    # then the visit has them, and the patient's audit trail says so
    touchpoint.refresh_from_db()
    assert touchpoint.staff is not None
    assert touchpoint.staff.origin_id == "Practitioner/dr1"
    assert touchpoint.location is not None
    assert touchpoint.location.name == "North clinic"
    filled = AuditEvent.objects.get(action="interop.references_filled")
    assert filled.patient_id == str(touchpoint.person.public_id)
    assert sorted(filled.changed_fields) == ["visit.location", "visit.staff"]
    assert not PendingReference.objects.exists()
    # and importing the visit again changes nothing
    again = run_import(tmp_path / "visits")
    assert again.counts["Encounter"]["unchanged"] == 1
    touchpoint.refresh_from_db()
    assert touchpoint.staff is not None
