"""What relationship health reads from the registry: patients with how their relationship
ended other than by a lapse (a death, a record made inactive), consent histories, contact
kinds, and staff by department."""

from __future__ import annotations

from datetime import date

import time_machine

from carebond.core.models import Department, Organization
from carebond.people.actions import check_record_consent
from carebond.people.models import Person, PersonStatus, StaffProfile
from carebond.people.relationship_selectors import (
    consent_histories,
    contact_systems,
    get_patient,
    list_patient_basics,
    list_staff_by_department,
)
from carebond.people.tests.factories import make_patient, make_staff


def test_patients_are_read_with_deaths_and_moves(org_a: Organization) -> None:
    # given a patient, one who died, one marked inactive on 10 February, and one merged away
    living = make_patient(org_a, "Rosa", "Diaz", phone="+13125550123", preferred_language="es")
    died = make_patient(org_a, "Ines", "Vega")
    Person.objects.filter(pk=died.pk).update(
        status=PersonStatus.DECEASED, deceased_date=date(2026, 1, 3)
    )
    moved = make_patient(org_a, "Omar", "Haddad", email="omar@example.org")
    with time_machine.travel("2026-02-10 12:00Z", tick=False):
        moved.status = PersonStatus.INACTIVE
        moved.save(update_fields=["status", "updated_at"])
    merged = make_patient(org_a, "Rosa", "Dias")
    Person.objects.filter(pk=merged.pk).update(status=PersonStatus.MERGED)
    make_staff(org_a, "Priya", "Raman")
    # when read
    found = {p.name: p for p in list_patient_basics(org_a.pk)}
    # then the patients, each ended or not, and never the merged record or the staff
    assert set(found) == {"Rosa Diaz", "Ines Vega", "Omar Haddad"}
    assert (found["Rosa Diaz"].language, found["Rosa Diaz"].died_on) == ("es", None)
    assert found["Ines Vega"].died_on == date(2026, 1, 3)
    assert found["Omar Haddad"].transferred_on == date(2026, 2, 10)
    assert contact_systems([living.pk, moved.pk]) == {living.pk: {"phone"}, moved.pk: {"email"}}
    assert get_patient(org_a.pk, str(living.public_id)) == living
    assert get_patient(org_a.pk, "not-an-id") is None


def test_consent_histories_keep_every_decision_in_order(org_a: Organization) -> None:
    patient = make_patient(org_a, "Rosa", "Diaz", phone="+13125550123")
    for status in ("granted", "revoked"):
        check_record_consent(
            patient,
            channel="sms",
            purpose="appointment",
            status=status,
            method="verbal",
            acting_user=None,
        )
    history = consent_histories([patient.pk])[patient.pk]
    assert [(c.channel, c.purpose, c.status) for c in history] == [
        ("sms", "appointment", "granted"),
        ("sms", "appointment", "revoked"),
    ]


def test_staff_are_read_by_department_with_when_they_joined(org_a: Organization) -> None:
    desk = Department.objects.create(organization=org_a, name="Front desk")
    staff = make_staff(org_a, "Dana", "Reyes")
    StaffProfile.objects.filter(person=staff).update(department=desk, start_date=date(2024, 5, 1))
    make_staff(org_a, "No", "Department")
    [row] = list_staff_by_department(org_a.pk)
    assert (row.department, row.active, row.joined_on, row.left_on) == (
        "Front desk",
        True,
        date(2024, 5, 1),
        None,
    )
