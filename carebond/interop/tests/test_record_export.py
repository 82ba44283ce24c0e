"""A patient's copy of their record as FHIR: everything of theirs (and who and where it points
at), nothing of anyone else's, valid R4, and each copy recorded once as a disclosure."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.permissions import Role
from carebond.interop.record_export import get_record_bundle
from carebond.interop.tests.record_world import build_record
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.tests.conftest import Clinic, clinic, monday  # noqa: F401
from carebond.testing.fixtures import make_organization, make_user

pytestmark = pytest.mark.django_db


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_the_copy_holds_the_whole_record_and_nobody_elses(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
) -> None:
    # given a patient with an appointment, a message, a consent, an allergy and questionnaire
    # answers, and another patient with records of their own
    record = build_record(clinic, users_a)

    # when the manager makes the patient's copy
    bundle = get_record_bundle(user=users_a[Role.MANAGER], person_id=record.patient.public_id)

    # then it is a valid R4 collection Bundle
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    found = _by_type(bundle)
    # holding the patient first, and each kind of record of theirs
    assert bundle["entry"][0]["resource"]["id"] == str(record.patient.public_id)
    assert [a["id"] for a in found["Appointment"]] == [str(record.appointment.public_id)]
    assert [c["payload"][0]["contentString"] for c in found["Communication"]] == [
        "Directions to the clinic"
    ]
    assert {c["provision"]["type"] for c in found["Consent"]} == {"permit"}
    assert [a["code"]["text"] for a in found["AllergyIntolerance"]] == ["Penicillin"]
    assert found["QuestionnaireResponse"][0]["item"][0]["answer"] == [{"valueInteger": 7}]
    # and the doctor and the place the appointment names, so the copy says who and where
    assert str(clinic.doctor.public_id) in {p["id"] for p in found["Practitioner"]}
    assert [loc["name"] for loc in found["Location"]] == ["Main clinic"]
    # and nothing about the other patient, nor the nurse who sees only them, nor the audit trail
    text = json.dumps(bundle)
    assert str(record.other.public_id) not in text
    assert str(record.other_appointment.public_id) not in text
    assert str(clinic.nurse.public_id) not in text
    assert "Asthma" not in text
    assert "Quinn" not in text
    assert "AuditEvent" not in found


def test_each_copy_is_one_disclosure_to_the_patient(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
) -> None:
    # given the patient's record
    record = build_record(clinic, users_a)
    before = AuditEvent.objects.count()
    # when an administrator makes their copy
    get_record_bundle(user=users_a[Role.ADMIN], person_id=record.patient.public_id)
    # then exactly one event records it, naming the patient and who gave it
    event = AuditEvent.objects.order_by("-id").first()
    assert event is not None
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "right_of_access.fhir_disclosed"
    assert event.patient_id == str(record.patient.public_id)
    assert event.actor == users_a[Role.ADMIN]


def test_only_a_patient_of_ones_own_organisation_has_a_copy(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
) -> None:
    # given a staff member, and a patient of another organisation
    staff = make_staff(clinic.organization, "Ana", "Ruiz")
    elsewhere = make_patient(make_organization("org-z", "Zed Clinic"), "Zoe", "Zed")
    manager = users_a[Role.MANAGER]
    # when the manager asks for their copies, then neither exists for them
    for person in (staff, elsewhere):
        with pytest.raises(NotFound):
            get_record_bundle(user=manager, person_id=person.public_id)
    # and an analyst (no identifiable data) finds no patient at all
    analyst = make_user(clinic.organization, Role.ANALYST, "analyst-2")
    with pytest.raises(NotFound):
        get_record_bundle(user=analyst, person_id=clinic.patient.public_id)
    # and nothing was disclosed
    assert not AuditEvent.objects.filter(action__startswith="right_of_access").exists()
