"""A patient with a bit of every kind of record, and another patient with records of their own:
what the right-of-access tests give out and must keep apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.interop.models import StoredResource
from carebond.people.actions import check_add_history_item, check_record_consent
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import Appointment
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.touchpoints.actions import record_touchpoint

NEXT_MONDAY = date(2026, 3, 9)


@dataclass
class Record:
    patient: Person
    other: Person
    appointment: Appointment
    other_appointment: Appointment


def _answers(patient: Person) -> StoredResource:
    """A health questionnaire's answers an EHR sent, kept whole."""
    when = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
    return StoredResource.objects.create(
        organization_id=patient.organization_id,
        resource_type="QuestionnaireResponse",
        person=patient,
        status="completed",
        occurred_at=when,
        updated_at=when,
        origin_system="https://ehr.example.org/fhir",
        origin_id="QuestionnaireResponse/9",
        body=orjson.dumps(
            {
                "resourceType": "QuestionnaireResponse",
                "id": "9",
                "status": "completed",
                "authored": "2026-02-20T09:00:00+00:00",
                "subject": {"reference": f"Patient/{patient.public_id}"},
                "item": [
                    {
                        "linkId": "sleep",
                        "text": "Hours of sleep",
                        "answer": [{"valueInteger": 7}],
                    }
                ],
            }
        ).decode(),
    )


def build_record(clinic: Clinic, users: dict[str, User]) -> Record:
    manager = users[Role.MANAGER]
    patient = clinic.patient
    other = make_patient(clinic.organization, "Mark", "Quinn", mrn="Q-7")

    def book(person: Person, provider: Person, hour: int) -> Appointment:
        return check_book_appointment(
            person,
            provider=provider,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(NEXT_MONDAY, hour),
            acting_user=users[Role.FRONT_DESK],
        )

    appointment = book(patient, clinic.doctor, 10)
    other_appointment = book(other, clinic.nurse, 11)
    record_touchpoint(
        patient,
        kind="message",
        channel="sms",
        direction="outbound",
        staff=clinic.doctor,
        summary="Directions to the clinic",
    )
    record_touchpoint(other, kind="call", channel="phone", direction="inbound", summary="Quinn")
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="granted",
        method="verbal",
        acting_user=manager,
    )
    check_add_history_item(
        patient, category="allergy", display="Penicillin", acting_user=users[Role.CLINICIAN]
    )
    check_add_history_item(
        other, category="problem", display="Asthma", acting_user=users[Role.CLINICIAN]
    )
    _answers(patient)
    return Record(patient, other, appointment, other_appointment)
