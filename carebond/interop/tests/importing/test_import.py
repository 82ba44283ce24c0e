"""Importing FHIR R4: real Synthea and HL7 files, idempotency, matching, rejection, bad input."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from carebond.audit.models import AuditEvent
from carebond.audit.selectors import verify_chain
from carebond.core.models import Location, Organization
from carebond.interop.importing import reading
from carebond.interop.models import ImportRun, SourceRecord, StoredResource
from carebond.interop.testing import EXAMPLES, load, synthea_subset, write
from carebond.interop.tests.conftest import SOURCE
from carebond.people.models import HistoryItem, Identifier, Person
from carebond.people.search import search_person_ids
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.models import Touchpoint


def table_counts(organization: Organization) -> dict[str, int]:
    return {
        "people": Person.objects.filter(organization=organization).count(),
        "visits": Touchpoint.objects.filter(organization=organization).count(),
        "history": HistoryItem.objects.filter(organization=organization).count(),
        "locations": Location.objects.filter(organization=organization).count(),
        "identifiers": Identifier.objects.filter(organization=organization).count(),
        "kept": StoredResource.objects.filter(organization=organization).count(),
    }


def resources_in(path: Path, resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in load(path)["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [{"system": "urn:mrn", "value": "M-1"}],
    "name": [
        {"use": "official", "family": "Okafor", "given": ["Adaeze", "Ngozi"]},
        {"use": "nickname", "given": ["Ada"]},
        {"use": "maiden", "family": "Eze"},
    ],
    "gender": "female",
    "birthDate": "1984-02-29",
    "multipleBirthInteger": 2,
    "communication": [{"language": {"coding": [{"code": "ig"}]}, "preferred": True}],
    "telecom": [{"system": "phone", "value": "(217) 555-0101", "use": "mobile"}],
}


def encounter(eid: str, patient_ref: str, start: str = "2025-05-01T10:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": patient_ref},
        "period": {"start": start},
    }


# --- the shared Synthea data -----------------------------------------------------------------


def test_synthea_patients_arrive_with_their_visits_history_and_providers(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    files = synthea_subset(tmp_path / "set", patients=2)
    patient_files = [f for f in files if not f.name.startswith(("hospital", "practitioner"))]
    encounters = sum(len(resources_in(f, "Encounter")) for f in patient_files)
    history = sum(
        len(resources_in(f, t)) for f in patient_files for t in ("Immunization", "Condition")
    )

    run = run_import(tmp_path / "set")

    assert run.status == "finished"
    assert run.bundles_rejected == 0
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 2
    visits = Touchpoint.objects.filter(organization=org_a, kind="visit")
    assert visits.count() == encounters
    # Every conditional reference (Practitioner?identifier=npi|..) found the provider bundle's row.
    assert not visits.filter(staff__isnull=True).exists()
    assert not visits.filter(location__isnull=True).exists()
    assert HistoryItem.objects.filter(organization=org_a).count() == history
    assert run.counts["Observation"]["skipped"] > 0
    assert run.counts["Observation"]["rejected"] == 0
    visit = visits.first()
    assert visit is not None
    assert visit.origin_system == SOURCE
    assert visit.origin_id.startswith("Encounter/")
    assert visit.import_run == run.public_id
    assert visit.imported_at is not None
    assert visit.details
    assert visit.details["class"]["code"] in {"AMB", "IMP"}
    first = load(patient_files[0])["entry"][0]["resource"]
    patient = Person.objects.get(organization=org_a, origin_id=f"Patient/{first['id']}")
    assert patient.family_name == first["name"][0]["family"]
    assert patient.preferred_language.startswith("en")
    assert patient.identifiers.filter(type_code="MR").exists()
    assert patient.id in search_person_ids(org_a.id, first["name"][0]["family"][:5], limit=20)


def test_reimporting_the_same_files_changes_nothing(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    synthea_subset(tmp_path / "set", patients=2)
    first = run_import(tmp_path / "set")
    before = table_counts(org_a)
    ids_before = set(Person.objects.values_list("public_id", flat=True))
    audit_before = AuditEvent.objects.count()

    second = run_import(tmp_path / "set")

    assert table_counts(org_a) == before
    assert set(Person.objects.values_list("public_id", flat=True)) == ids_before
    assert all(c["imported"] == 0 and c["updated"] == 0 for c in second.counts.values())
    assert sum(c["unchanged"] for c in second.counts.values()) == sum(
        c["imported"] for c in first.counts.values()
    )
    # Nothing changed, so nothing but the run itself is audited.
    assert AuditEvent.objects.count() - audit_before == 2


def test_a_newer_version_updates_the_same_rows(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.json", bundle(PATIENT, encounter("e1", "urn:uuid:p1")))
    run_import(path)
    person = Person.objects.get(origin_id="Patient/p1")
    changed = dict(
        PATIENT, name=[{"use": "official", "family": "Okafor-Bello", "given": ["Adaeze"]}]
    )
    later = encounter("e1", "urn:uuid:p1", start="2025-05-02T09:00:00+02:00")
    write(path, bundle(changed, later))

    run = run_import(path)

    assert run.counts["Patient"]["updated"] == 1
    assert run.counts["Encounter"]["updated"] == 1
    updated = Person.objects.get(origin_id="Patient/p1")
    assert updated.public_id == person.public_id
    assert updated.family_name == "Okafor-Bello"
    visit = Touchpoint.objects.get(origin_id="Encounter/e1")
    assert visit.occurred_at.isoformat() == "2025-05-02T07:00:00+00:00"
    assert Person.objects.filter(organization=org_a).count() == 1


def test_providers_in_every_patients_bundle_are_not_duplicated(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    files = synthea_subset(tmp_path / "set", patients=3)
    providers = [f for f in files if f.name.startswith(("hospital", "practitioner"))]
    patients = [f for f in files if f not in providers]
    run_import(*providers)
    sources = Person.objects.filter(organization=org_a, kind="referral_source").count()

    for path in patients:  # one run per patient, as an EHR feed would send them
        run_import(path)

    assert Person.objects.filter(organization=org_a, kind="referral_source").count() == sources
    # every visit found its practitioner (billing statements on the timeline name nobody)
    visits = Touchpoint.objects.filter(organization=org_a, kind="visit")
    assert visits.exists()
    assert not visits.filter(staff__isnull=True).exists()


def test_hl7_examples_of_every_bundle_type_import_or_say_why_not(
    run_import: Callable[..., ImportRun], org_a: Organization
) -> None:
    run = run_import(EXAMPLES)

    assert run.files_done == len(list(EXAMPLES.glob("*.json")))
    # The searchset example points at Patient/347, which is in no file: that bundle alone is
    # rejected, with the reference named.
    rejected = [p for p in run.problems if not p.get("notice")]
    assert [(p["file"], p["path"]) for p in rejected] == [
        ("Bundle-bundle-example.json", "MedicationRequest.subject")
    ]
    assert "Patient/347" in rejected[0]["message"]
    assert Person.objects.filter(organization=org_a, kind="patient").count() >= 18
    peter = Person.objects.get(organization=org_a, origin_id="RelatedPerson/peter")
    assert peter.kind == "related"
    assert peter.family_name == "Chalmers"
    kept = set(StoredResource.objects.values_list("resource_type", flat=True))
    assert {"ServiceRequest", "Task", "QuestionnaireResponse", "Consent"} <= kept
    assert run.counts["Slot"]["skipped"] == 1


# --- mapping ------------------------------------------------------------------------------


def test_patient_names_language_and_multiple_birth_are_kept(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    run_import(write(tmp_path / "p.json", PATIENT))

    person = Person.objects.get(organization=org_a, origin_id="Patient/p1")
    assert (person.given_name, person.middle_name, person.family_name) == (
        "Adaeze",
        "Ngozi",
        "Okafor",
    )
    assert person.preferred_name == "Ada"
    assert person.maiden_name == "Eze"
    assert person.multiple_birth == "2"
    assert person.preferred_language == "ig"
    assert person.contact_points.get().value == "+12175550101"
    assert person.id in search_person_ids(org_a.id, "Eze", limit=20)


def test_every_reference_form_resolves(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    practitioner = {
        "resourceType": "Practitioner",
        "id": "dr1",
        "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
        "name": [{"family": "Grant", "given": ["Owen"]}],
    }
    document = bundle(PATIENT, practitioner)
    document["entry"][0]["fullUrl"] = "https://ehr.example.org/fhir/Patient/p1"
    run_import(write(tmp_path / "people.json", document))
    visits = [
        dict(
            encounter("e-rel", "Patient/p1"),
            participant=[{"individual": {"reference": "Practitioner/dr1"}}],
        ),
        dict(
            encounter("e-abs", "https://ehr.example.org/fhir/Patient/p1/_history/3"),
            participant=[
                {
                    "individual": {
                        "reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567893"
                    }
                }
            ],
        ),
        dict(
            encounter("e-id", "Patient/p1"),
            participant=[
                {
                    "individual": {
                        "type": "Practitioner",
                        "identifier": {
                            "system": "http://hl7.org/fhir/sid/us-npi",
                            "value": "1234567893",
                        },
                    }
                }
            ],
        ),
    ]
    run = run_import(write(tmp_path / "visits.json", bundle(*visits, kind="batch")))

    assert run.bundles_rejected == 0
    staff = set(
        Touchpoint.objects.filter(organization=org_a).values_list("staff__origin_id", flat=True)
    )
    assert staff == {"Practitioner/dr1"}
    assert Touchpoint.objects.filter(person__origin_id="Patient/p1").count() == 3


def test_an_npi_shared_by_two_sources_is_two_people(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    npi = {"system": "http://hl7.org/fhir/sid/us-npi", "value": "9999999999"}
    first = {
        "resourceType": "Practitioner",
        "id": "a",
        "identifier": [npi],
        "name": [{"family": "Bruen", "given": ["Rosette"]}],
    }
    second = {
        "resourceType": "Practitioner",
        "id": "b",
        "identifier": [npi],
        "name": [{"family": "Block", "given": ["Ronny"]}],
    }
    run_import(write(tmp_path / "one.json", first), source="urn:source:one")
    visit = dict(
        encounter("e1", "urn:uuid:p1"),
        participant=[
            {
                "individual": {
                    "reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999999"
                }
            }
        ],
    )

    run = run_import(
        write(tmp_path / "two.json", bundle(second, PATIENT, visit)), source="urn:source:two"
    )

    names = set(
        Person.objects.filter(organization=org_a, kind="referral_source").values_list(
            "family_name", flat=True
        )
    )
    assert names == {"Bruen", "Block"}
    assert Touchpoint.objects.get(origin_id="Encounter/e1").staff.family_name == "Block"  # type: ignore[union-attr]
    # The identifier row stays with the first holder; the second keeps it for its references.
    assert Identifier.objects.get(value="9999999999").person.family_name == "Bruen"
    assert [p["message"] for p in run.problems if p["path"] == "Practitioner.identifier"] == [
        "1 identifier(s) already belonged to another person; kept for this source's references only"
    ]


def test_identifier_match_needs_the_name_and_birth_date_too(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    known = make_patient(org_a, "Adaeze", "Okafor", mrn="M-1")
    Person.objects.filter(pk=known.pk).update(birth_date="1984-02-29")
    Identifier.objects.filter(person=known).update(system="urn:mrn")
    stranger = dict(
        PATIENT, id="p2", name=[{"family": "Okafor", "given": ["Adaeze"]}], birthDate="1990-01-01"
    )

    run_import(write(tmp_path / "same.json", PATIENT))
    run_import(write(tmp_path / "other.json", stranger))

    known.refresh_from_db()
    assert known.origin_id == "Patient/p1"
    assert known.maiden_name == "Eze"
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 2
    assert Identifier.objects.filter(value="M-1").count() == 1


def test_import_is_audited_per_person_and_the_chain_holds(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    run_import(write(tmp_path / "a.json", bundle(PATIENT, encounter("e1", "urn:uuid:p1"))))

    person = Person.objects.get(origin_id="Patient/p1")
    actions = list(
        AuditEvent.objects.filter(patient_id=str(person.public_id)).values_list("action", flat=True)
    )
    assert actions == ["person.imported", "interop.patient_data_imported"]
    assert verify_chain().intact


# --- rejection and bad input -----------------------------------------------------------------


def test_a_bad_entry_rejects_its_bundle_whole_and_the_import_goes_on(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    bad = bundle(PATIENT, encounter("e1", "urn:uuid:p1", start="2025-13-45T10:00:00Z"))
    good = bundle(dict(PATIENT, id="p9", identifier=[]), encounter("e9", "urn:uuid:p9"))
    write(tmp_path / "1-bad.json", bad)
    write(tmp_path / "2-good.json", good)

    run = run_import(tmp_path)

    assert not Person.objects.filter(origin_id="Patient/p1").exists()
    assert Person.objects.filter(origin_id="Patient/p9").exists()
    assert run.problems == [
        {
            "file": "1-bad.json",
            "entry": 1,
            "resource": "Encounter/e1",
            "path": "Encounter.period.start",
            "message": "is not a valid FHIR dateTime",
        }
    ]
    assert run.counts["Patient"] == {
        "imported": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 1,
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"this is not json", "not valid JSON"),
        (b'{"resourceType": "Bundle", "type": "collection", "entry": [{"resou', "looks truncated"),
        (b"", "the file is empty"),
        (b'{"resourceType": "Patinet", "id": "x"}', "'Patinet' is not a FHIR R4 resource type"),
        (b'{"id": "x"}', "no resourceType"),
        (b'{"resourceType": "Patient", "id": "x", "birthDate": "1990-02-30"}', "Patient.birthDate"),
        (
            b'{"resourceType": "Bundle", "type": "transaction", "entry": '
            b'[{"resource": {"resourceType": "ReferralRequest", "id": "r"}}]}',
            "FHIR STU3",
        ),
        (
            b'{"resourceType": "Encounter", "id": "e", '
            b'"patient": {"reference": "Patient/1"}, "class": "inpatient"}',
            "FHIR DSTU2",
        ),
        (b'{"resourceType": "CapabilityStatement", "fhirVersion": "3.0.2"}', "FHIR STU3 (3.0.2)"),
        (b'{"resourceType": "Bundle", "type": "weird"}', "Bundle.type 'weird'"),
        (b'{"resourceType": "Patient", "id": "not valid!"}', "is not a FHIR id"),
        (
            b'{"resourceType": "Encounter", "id": "e", '
            b'"subject": {"reference": "Patient/nobody"}, "period": {"start": "2020-01-01"}}',
            "'Patient/nobody' matches nothing",
        ),
    ],
)
def test_bad_files_are_rejected_with_a_clear_reason_and_nothing_written(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    tmp_path: Path,
    content: bytes,
    expected: str,
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content)

    run = run_import(path)

    assert run.bundles_rejected == 1
    problem = run.problems[0]
    text = " ".join(str(v) for v in problem.values())
    assert expected in text
    assert problem["file"] == "input.json"
    assert table_counts(org_a) == dict.fromkeys(table_counts(org_a), 0)


def test_ndjson_gzip_is_read_line_by_line_in_units(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reading, "NDJSON_UNIT", 2)
    lines = [dict(PATIENT, id=f"n{i}", identifier=[]) for i in range(5)]
    path = tmp_path / "Patient.ndjson.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(b"\n".join(orjson.dumps(r) for r in lines) + b"\n")

    run = run_import(path)

    assert run.bundles_committed == 3
    assert run.counts["Patient"]["imported"] == 5
    assert Person.objects.filter(organization=org_a).count() == 5


def test_a_truncated_ndjson_keeps_the_units_before_the_break(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reading, "NDJSON_UNIT", 2)
    lines = [orjson.dumps(dict(PATIENT, id=f"n{i}", identifier=[])) for i in range(3)]
    path = tmp_path / "Patient.ndjson"
    path.write_bytes(b"\n".join(lines) + b'\n{"resourceType": "Pat')

    run = run_import(path)

    assert Person.objects.filter(organization=org_a).count() == 2
    assert run.problems[0]["message"].startswith("line 4 is not valid JSON")


def test_a_bundle_over_the_size_limit_is_refused_before_parsing(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reading, "MAX_BUNDLE_BYTES", 1000)
    path = write(
        tmp_path / "big.json",
        bundle(*[dict(PATIENT, id=f"b{i}", identifier=[]) for i in range(20)]),
    )

    run = run_import(path)

    assert "NDJSON" in run.problems[0]["message"]
    assert not Person.objects.exists()


def test_source_records_make_each_resource_one_row(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    run_import(write(tmp_path / "a.json", bundle(PATIENT, encounter("e1", "urn:uuid:p1"))))

    records = dict(SourceRecord.objects.values_list("origin_id", "target"))
    person = Person.objects.get(origin_id="Patient/p1")
    assert records["Patient/p1"] == f"person:{person.pk}"
    assert records["Encounter/e1"].startswith("touchpoint:")


def test_kept_resources_find_their_patient_through_any_reference_form(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    request = {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "active",
        "intent": "order",
        "requester": {"reference": "Practitioner?identifier=urn:npi|1"},
        "subject": {"reference": "urn:uuid:p1"},
    }

    run_import(write(tmp_path / "a.json", bundle(PATIENT, request)))

    kept = StoredResource.objects.get(origin_id="ServiceRequest/sr1")
    person = Person.objects.get(origin_id="Patient/p1")
    assert kept.person == person
    assert f"Patient/{person.public_id}" in kept.body  # resolved references point at CareBond
