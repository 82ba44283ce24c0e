"""Appointments, schedules and slots in FHIR R4: imported Appointments become appointments
(matched by their identifiers, never overlapping another live one: a conflict is reported and
nothing of its Bundle is written); the facade serves appointments, schedules and free slots,
valid R4, searchable, audited, and never another organisation's."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.interop.exporting.export import iter_export_resources
from carebond.interop.importing.importer import import_files
from carebond.interop.models import ImportRun, SourceRecord, StoredResource
from carebond.interop.testing import EXAMPLES, load, write
from carebond.interop.tests.conftest import validate_fhir
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.import_actions import APPOINTMENT_TYPE_SYSTEM, IMPORTED_TYPE_KEY
from carebond.scheduling.models import Appointment, AppointmentStatus, BookedVia
from carebond.scheduling.tests.conftest import Clinic, at

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4/"
EHR = "https://ehr.example.org/fhir"
TUESDAY = date(2026, 3, 3)


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def ehr_appointment(
    clinic: Clinic,
    fhir_id: str,
    starts: datetime,
    minutes: int = 30,
    *,
    patient: str = "Patient/p1",
    status: str = "booked",
    identifier: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """An Appointment as an EHR sends it: the practice's provider and place by their FHIR ids."""
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": fhir_id,
        "status": status,
        "start": starts.isoformat(),
        "minutesDuration": minutes,
        "participant": [
            {"actor": {"reference": patient}, "status": "accepted"},
            {
                "type": [{"coding": [{"code": "ATND"}]}],
                "actor": {"reference": f"Practitioner/{clinic.doctor.public_id}"},
                "status": "accepted",
            },
            {"actor": {"reference": f"Location/{clinic.location.public_id}"}, "status": "accepted"},
        ],
        **extra,
    }
    if identifier:
        resource["identifier"] = [{"system": "urn:ehr:appointment", "value": identifier}]
    return resource


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [{"system": "urn:ehr:mrn", "value": "E-1"}],
    "name": [{"use": "official", "family": "Alvarez", "given": ["Lucia"]}],
    "birthDate": "1979-05-04",
}


@pytest.fixture
def run_import(clinic: Clinic, tmp_path: Path) -> Callable[..., ImportRun]:
    """Import one Bundle from an EHR connection into the clinic's organisation."""
    written = iter(range(1000))

    def run(*resources: dict[str, Any], source: str = EHR) -> ImportRun:
        path = write(tmp_path / f"{next(written)}-appointments.json", bundle(*resources))
        return import_files(
            [path],
            organization=clinic.organization,
            source_system=source,
            acting_user=None,
            via="cli",
        )

    return run


def problems(run: ImportRun) -> list[dict[str, Any]]:
    return [p for p in run.problems if not p.get("notice")]


def counted(run: ImportRun) -> dict[str, int]:
    """The run's Appointments by outcome (outcomes with none left out)."""
    return {outcome: n for outcome, n in run.counts["Appointment"].items() if n}


# --- import -----------------------------------------------------------------------------------


def test_the_hl7_example_appointment_becomes_an_appointment_with_the_practices_provider(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given HL7's example Appointment naming our provider and place, with HL7's example patient
    example = load(EXAMPLES / "Appointment-example.json")
    example["participant"][1]["actor"]["reference"] = f"Practitioner/{clinic.doctor.public_id}"
    example["participant"][2]["actor"]["reference"] = f"Location/{clinic.location.public_id}"
    patient = load(EXAMPLES / "Patient-example.json")

    # when it is imported
    run = run_import(patient, example)

    # then it is an appointment in the doctor's schedule, as the EHR booked it
    assert problems(run) == []
    appointment = Appointment.objects.get()
    assert appointment.patient == Person.objects.get(origin_id="Patient/example")
    assert (appointment.provider, appointment.location) == (clinic.doctor, clinic.location)
    assert appointment.starts_at == datetime(2013, 12, 10, 9, tzinfo=UTC)
    assert (appointment.duration_minutes, appointment.time_zone) == (120, "America/Chicago")
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.booked_via == BookedVia.IMPORT
    assert appointment.reason == example["description"]
    assert appointment.appointment_type.key == IMPORTED_TYPE_KEY
    assert not appointment.appointment_type.active  # never offered for booking
    assert (appointment.origin_system, appointment.origin_id) == (EHR, "Appointment/example")
    assert counted(run) == {"imported": 1}
    assert AuditEvent.objects.filter(
        action="appointment.imported", target_id=str(appointment.public_id)
    ).exists()


def test_an_appointment_with_an_outside_practitioner_is_skipped_with_a_note(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given HL7's example Appointment as it is: its practitioner (in the Bundle) is not staff
    example = load(EXAMPLES / "Appointment-example.json")
    practitioner = load(EXAMPLES / "Practitioner-example.json")

    # when it is imported
    run = run_import(load(EXAMPLES / "Patient-example.json"), practitioner, example)

    # then the rest goes in; the appointment, not in the practice's schedule, is skipped
    assert problems(run) == []
    assert counted(run) == {"skipped": 1}
    [note] = [p for p in run.problems if p["path"] == "Appointment.participant"]
    assert note["entry"] == 2
    assert "none of the practice's providers" in note["message"]
    assert not Appointment.objects.exists()
    assert Person.objects.filter(origin_id="Patient/example").exists()


def test_without_a_location_the_providers_only_schedule_place_is_taken(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    resource = ehr_appointment(clinic, "a1", at(TUESDAY, 10))
    resource["participant"] = resource["participant"][:2]
    run = run_import(PATIENT, resource)
    assert problems(run) == []
    assert Appointment.objects.get().location == clinic.location


def test_a_requested_appointment_without_a_time_is_skipped_with_a_note(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given HL7's example of a proposed appointment (a request: no start, a requested period)
    request = load(EXAMPLES / "Appointment-examplereq.json")

    # when it is imported
    run = run_import(load(EXAMPLES / "Patient-example.json"), request)

    # then the rest is imported, the request is counted as skipped, and the run says why
    assert problems(run) == []
    assert counted(run) == {"skipped": 1}
    assert any(
        p.get("notice") and p["path"] == "Appointment.start" and "request" in p["message"]
        for p in run.problems
    )
    assert not Appointment.objects.exists()
    assert Person.objects.filter(origin_id="Patient/example").exists()


def test_importing_again_updates_the_same_appointment(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given an appointment imported from the EHR
    first = ehr_appointment(clinic, "a1", at(TUESDAY, 10))
    run_import(PATIENT, first)
    appointment = Appointment.objects.get()

    # when the same content comes again, then nothing changes
    again = run_import(PATIENT, first)
    assert counted(again) == {"unchanged": 1}

    # when the EHR moves it to 11:00 and it is imported again
    moved = ehr_appointment(clinic, "a1", at(TUESDAY, 11), 45)
    run = run_import(PATIENT, moved)

    # then the same appointment moved, with its new length; no second one
    assert counted(run) == {"updated": 1}
    appointment.refresh_from_db()
    assert Appointment.objects.count() == 1
    assert (appointment.starts_at, appointment.duration_minutes) == (at(TUESDAY, 11), 45)
    assert AuditEvent.objects.filter(
        action="appointment.import_updated", target_id=str(appointment.public_id)
    ).exists()


def test_the_same_identifier_from_another_connection_is_the_same_appointment(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given an appointment imported from one connection, with the EHR's appointment number
    run_import(PATIENT, ehr_appointment(clinic, "a1", at(TUESDAY, 10), identifier="APT-7"))
    appointment = Appointment.objects.get()

    # when an interface engine sends it under another id, and since cancelled
    engine = ehr_appointment(
        clinic,
        "x-99",
        at(TUESDAY, 10),
        identifier="APT-7",
        status="cancelled",
        cancelationReason={"text": "Patient is travelling"},
    )
    patient_ref = f"Patient/{appointment.patient.public_id}"
    engine["participant"][0]["actor"]["reference"] = patient_ref
    run = run_import(engine, source="urn:ehr:interface-engine")

    # then it updates the same appointment instead of adding one
    assert problems(run) == []
    appointment.refresh_from_db()
    assert Appointment.objects.count() == 1
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancel_reason == "Patient is travelling"


def test_an_appointment_overlapping_a_booked_one_is_reported_and_nothing_is_written(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given the doctor booked in CareBond on Tuesday at 10:00
    booked = check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 10),
        acting_user=None,
    )

    # when the EHR sends another patient's appointment with the doctor at 10:15
    run = run_import(PATIENT, ehr_appointment(clinic, "a1", at(TUESDAY, 10, 15)))

    # then the run names the entry, the field and the appointment it overlaps
    [problem] = problems(run)
    assert (problem["entry"], problem["resource"], problem["path"]) == (
        1,
        "Appointment/a1",
        "Appointment.start",
    )
    assert "overlaps another live appointment of the same provider" in problem["message"]
    assert str(booked.public_id) in problem["message"]
    # and nothing of the Bundle is written: no appointment, not even its patient
    assert list(Appointment.objects.all()) == [booked]
    assert not Person.objects.filter(origin_id="Patient/p1").exists()


def test_two_appointments_of_one_patient_at_once_in_one_bundle_are_refused(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given one patient with the doctor and, overlapping, with the nurse
    with_nurse = ehr_appointment(clinic, "a2", at(TUESDAY, 10, 30))
    with_nurse["participant"][1]["actor"]["reference"] = f"Practitioner/{clinic.nurse.public_id}"

    # when both come in one Bundle
    run = run_import(PATIENT, ehr_appointment(clinic, "a1", at(TUESDAY, 10), 60), with_nurse)

    # then the second is named as overlapping the patient's appointment; nothing is written
    [problem] = problems(run)
    assert problem["resource"] == "Appointment/a2"
    assert "of the same patient" in problem["message"]
    assert not Appointment.objects.exists()


def test_a_cancelled_appointment_never_conflicts(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given the doctor booked at 10:00
    check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 10),
        acting_user=None,
    )
    # when the EHR sends a cancelled appointment at the same time
    run = run_import(PATIENT, ehr_appointment(clinic, "a1", at(TUESDAY, 10), status="cancelled"))
    # then it is imported beside it: it takes no time
    assert problems(run) == []
    assert Appointment.objects.filter(status=AppointmentStatus.CANCELLED).count() == 1


def test_references_that_do_not_say_their_type_find_what_they_are(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given an Appointment pointing at the patient of its Bundle by urn:uuid
    appointment = ehr_appointment(clinic, "a1", at(TUESDAY, 9), patient="urn:uuid:p1")

    # when it is imported
    run = run_import(PATIENT, appointment)

    # then the urn:uuid reference is the patient
    assert problems(run) == []
    assert Appointment.objects.get().patient.origin_id == "Patient/p1"


def test_the_visit_type_is_matched_by_its_carebond_key_or_its_name(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    by_key = ehr_appointment(
        clinic,
        "a1",
        at(TUESDAY, 9),
        serviceType=[{"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": "diabetes-class"}]}],
    )
    by_name = ehr_appointment(
        clinic,
        "a2",
        at(TUESDAY, 13),
        serviceType=[{"coding": [{"code": "FU", "display": "follow-up"}]}],
    )
    run = run_import(PATIENT, by_key, by_name)
    assert problems(run) == []
    kinds = dict(Appointment.objects.values_list("origin_id", "appointment_type__key"))
    assert kinds == {"Appointment/a1": "diabetes-class", "Appointment/a2": "follow-up"}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": "booked-ish"}, "Appointment.status"),
        ({"start": "2026-03-03T10:00:00"}, "Appointment.start"),
        ({"minutesDuration": None, "end": "2026-03-03T09:00:00Z"}, "Appointment.end"),
        ({"minutesDuration": None}, "Appointment.end"),
        ({"participant": []}, "Appointment.participant"),
        (
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/timezone",
                        "valueCode": "Mars/Olympus",
                    }
                ]
            },
            "Appointment.extension[0].valueCode",
        ),
    ],
)
def test_a_bad_appointment_is_refused_with_its_path(
    clinic: Clinic, run_import: Callable[..., ImportRun], change: dict[str, Any], path: str
) -> None:
    resource = {**ehr_appointment(clinic, "a1", at(TUESDAY, 10)), **change}
    resource = {k: v for k, v in resource.items() if v is not None}
    run = run_import(PATIENT, resource)
    [problem] = problems(run)
    assert problem["path"] == path
    assert "2026" not in problem["message"]  # never a value from the file
    assert not Appointment.objects.exists()


def test_an_appointment_kept_whole_before_becomes_an_appointment_when_imported_again(
    clinic: Clinic, run_import: Callable[..., ImportRun]
) -> None:
    # given an appointment an earlier import kept whole (before scheduling read Appointments)
    resource = ehr_appointment(clinic, "a1", at(TUESDAY, 10), patient="urn:uuid:p1")
    run_import(PATIENT)
    patient = Person.objects.get(origin_id="Patient/p1")
    kept = StoredResource.objects.create(
        organization=clinic.organization,
        resource_type="Appointment",
        person=patient,
        status="booked",
        occurred_at=at(TUESDAY, 10),
        updated_at=at(TUESDAY, 10),
        origin_system=EHR,
        origin_id="Appointment/a1",
        body="{}",
    )
    record = SourceRecord.objects.get(origin_id="Patient/p1")
    SourceRecord.objects.create(
        organization=clinic.organization,
        origin_system=EHR,
        origin_id="Appointment/a1",
        content_hash="0" * 32,
        target=f"stored:{kept.pk}",
        import_run=record.import_run,
        imported_at=record.imported_at,
    )

    # when the EHR's files are imported again
    run = run_import(PATIENT, resource)

    # then it is an appointment under the FHIR id it had, and the kept copy is gone
    assert problems(run) == []
    appointment = Appointment.objects.get()
    assert appointment.public_id == kept.public_id
    assert not StoredResource.objects.filter(resource_type="Appointment").exists()
    assert SourceRecord.objects.get(origin_id="Appointment/a1").target == (
        f"appointment:{appointment.pk}"
    )


# --- the facade -------------------------------------------------------------------------------


@pytest.fixture
def clinician(users_a: dict[str, User], fhir_for: Callable[[User], Client]) -> Client:
    return fhir_for(users_a[Role.CLINICIAN])


def _get(client: Client, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.get(BASE + path, params or {})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _resources(found: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in found.get("entry", [])]


def _book(clinic: Clinic, hour: int, patient: Person | None = None) -> Appointment:
    return check_book_appointment(
        patient or clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, hour),
        acting_user=None,
    )


def test_an_appointment_is_read_as_valid_r4_with_its_people_place_and_time(
    clinic: Clinic, clinician: Client
) -> None:
    # given a follow-up booked in CareBond
    booked = _book(clinic, 10)

    # when a client reads it
    resource = _get(clinician, f"Appointment/{booked.public_id}")

    # then it is valid R4 naming the patient, the provider, the place and the time zone
    validate_fhir(resource)
    assert resource["status"] == "booked"
    assert resource["start"] == "2026-03-03T16:00:00+00:00"
    assert resource["minutesDuration"] == 30
    actors = [p["actor"]["reference"] for p in resource["participant"]]
    assert actors == [
        f"Patient/{clinic.patient.public_id}",
        f"Practitioner/{clinic.doctor.public_id}",
        f"Location/{clinic.location.public_id}",
    ]
    assert resource["serviceType"][0]["coding"][0] == {
        "system": APPOINTMENT_TYPE_SYSTEM,
        "code": "follow-up",
        "display": "Follow-up",
    }
    assert resource["extension"][0]["valueCode"] == "America/Chicago"
    assert AuditEvent.objects.filter(action="fhir.appointment.read").exists()


def test_appointments_are_searched_by_patient_practitioner_day_and_status(
    clinic: Clinic, clinician: Client
) -> None:
    # given two patients' follow-ups, one cancelled
    other = make_patient(clinic.organization, "Ana", "Ruiz")
    first, second = _book(clinic, 10), _book(clinic, 14, other)
    Appointment.objects.filter(pk=second.pk).update(status=AppointmentStatus.CANCELLED)

    def ids(params: dict[str, str]) -> set[str]:
        return {r["id"] for r in _resources(_get(clinician, "Appointment", params))}

    assert ids({"patient": f"Patient/{clinic.patient.public_id}"}) == {str(first.public_id)}
    assert ids({"practitioner": f"Practitioner/{clinic.doctor.public_id}"}) == {
        str(first.public_id),
        str(second.public_id),
    }
    assert ids({"date": "2026-03-03", "status": "booked"}) == {str(first.public_id)}
    assert ids({"date": "ge2026-03-04"}) == set()
    response = clinician.get(BASE + "Appointment", {"status": "maybe"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["status"]


def test_appointments_are_neither_another_organisations_nor_the_analysts(
    clinic: Clinic, users_a: dict[str, User], outsider_b: User, fhir_for: Callable[[User], Client]
) -> None:
    booked = _book(clinic, 10)
    outside = fhir_for(outsider_b).get(f"{BASE}Appointment/{booked.public_id}")
    assert outside.status_code == 404
    assert fhir_for(users_a[Role.ANALYST]).get(f"{BASE}Appointment").status_code == 403
    assert fhir_for(users_a[Role.ANALYST]).get(f"{BASE}Slot").status_code == 403


def test_each_provider_has_one_schedule_per_location(clinic: Clinic, clinician: Client) -> None:
    # when a client searches the schedules of the doctor
    found = _resources(
        _get(clinician, "Schedule", {"actor": f"Practitioner/{clinic.doctor.public_id}"})
    )
    # then there is one, at the clinic, open-ended since January
    [schedule] = found
    validate_fhir(schedule)
    assert schedule["active"] is True
    assert schedule["planningHorizon"] == {"start": "2026-01-01"}
    assert [a["reference"] for a in schedule["actor"]] == [
        f"Practitioner/{clinic.doctor.public_id}",
        f"Location/{clinic.location.public_id}",
    ]
    # and both providers' schedules are found by the place
    by_place = _get(clinician, "Schedule", {"actor": f"Location/{clinic.location.public_id}"})
    assert by_place["total"] == 2
    assert _get(clinician, f"Schedule/{schedule['id']}")["id"] == schedule["id"]


def _doctor_schedule(clinician: Client, clinic: Clinic) -> str:
    found = _get(clinician, "Schedule", {"actor": f"Practitioner/{clinic.doctor.public_id}"})
    schedule_id: str = _resources(found)[0]["id"]
    return schedule_id


def test_free_slots_are_the_open_times_of_a_schedule(clinic: Clinic, clinician: Client) -> None:
    # given the doctor's schedule and a follow-up booked on Tuesday at 09:00
    schedule = _doctor_schedule(clinician, clinic)
    _book(clinic, 9)

    # when a client searches Tuesday's free follow-up slots in it
    found = _get(
        clinician,
        "Slot",
        {
            "schedule": f"Schedule/{schedule}",
            "start": "2026-03-03",
            "status": "free",
            "service-type": f"{APPOINTMENT_TYPE_SYSTEM}|follow-up",
            "_count": "100",
        },
    )
    slots = _resources(found)

    # then they are the open times: from 09:30 (09:00 is taken), none in the lunch break
    for slot in slots:
        validate_fhir(slot)
    starts = [s["start"] for s in slots]
    assert starts[0] == at(TUESDAY, 9, 30).isoformat()
    assert at(TUESDAY, 12).isoformat() not in starts
    assert at(TUESDAY, 16, 30).isoformat() == starts[-1]
    assert found["total"] == len(slots) == 9 + 15  # 09:30-11:30, 13:00-16:30 every 15 min
    assert {s["schedule"]["reference"] for s in slots} == {f"Schedule/{schedule}"}

    # and a slot read by its id is that open time, until it is booked
    first = slots[0]
    assert _get(clinician, f"Slot/{first['id']}") == first
    _book(clinic, 10)  # 09:30-10:00 stays free; 10:00 is taken now
    taken = next(s for s in slots if s["start"] == at(TUESDAY, 10).isoformat())
    assert clinician.get(f"{BASE}Slot/{taken['id']}").status_code == 404


def test_slot_searches_say_what_they_cannot_answer(clinic: Clinic, clinician: Client) -> None:
    assert _get(clinician, "Slot", {"status": "busy"})["total"] == 0
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "open"}, "status"),
        ({"start": "ne2026-03-03"}, "start"),
        ({"start": ["ge2026-03-01", "le2026-06-01"]}, "start"),
        ({"specialty": "x"}, "specialty"),
        # (the calendar's edges: refused, never an overflow)
        ({"start": "gt9999-12-31"}, "start"),
        ({"start": "lt0001-01-01"}, "start"),
        ({"start": "le0001-01-03"}, "start"),
    ]
    for params, field in cases:
        response = clinician.get(BASE + "Slot", params)
        assert response.status_code == 400, params
        assert response.json()["issue"][0]["expression"] == [field]


def test_a_group_class_slot_says_how_many_seats_are_left(clinic: Clinic, clinician: Client) -> None:
    check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.group_class,
        starts_at=at(TUESDAY, 9),
        acting_user=None,
    )
    found = _resources(
        _get(
            clinician,
            "Slot",
            {
                "schedule": _doctor_schedule(clinician, clinic),
                "start": "2026-03-03",
                "service-type": "diabetes-class",
            },
        )
    )
    assert found[0]["start"] == at(TUESDAY, 9).isoformat()
    assert found[0]["comment"] == "2 seats left"


def test_the_capability_statement_lists_appointment_schedule_and_slot(clinician: Client) -> None:
    statement = _get(clinician, "metadata")
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Appointment", "Schedule", "Slot"} <= set(served)
    assert {p["name"] for p in served["Slot"]["searchParam"]} >= {"schedule", "start", "status"}


def test_appointments_are_exported(clinic: Clinic) -> None:
    booked = _book(clinic, 10)
    exported = list(iter_export_resources(clinic.organization.pk, "Appointment"))
    assert [r["id"] for r in exported] == [str(booked.public_id)]
    validate_fhir(copy.deepcopy(exported[0]))
