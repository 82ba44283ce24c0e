"""Business rules of the people registry: validation, normal forms, audit, encryption."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.people.actions import (
    MRN_SYSTEM,
    ContactInput,
    IdentifierInput,
    PersonInput,
    ReferralInput,
    check_add_personal_note,
    check_create_person,
    check_record_consent,
    check_update_person,
)
from carebond.people.models import ConsentRecord, Person, PersonalNote, PersonKind
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def test_a_patient_is_stored_with_normal_forms_and_audited(org_a: Organization) -> None:
    # when
    person = make_patient(
        org_a,
        phone="(217) 555-0134",
        email="Maria.Lopez@Example.ORG",
        mrn="A-1001",
        preferred_language="es-mx",
        preferred_name="Mari",
    )
    # then
    values = set(person.contact_points.values_list("value", flat=True))
    assert values == {"+12175550134", "Maria.Lopez@example.org"}
    assert person.preferred_language == "es-MX"
    assert person.display_name == "Mari Lopez"
    event = AuditEvent.objects.get(action="person.created", target_id=str(person.public_id))
    assert event.patient_id == str(person.public_id)
    assert "Maria" not in event.canonical()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": date(2999, 1, 1)}, "birth_date", "in the future"),
        ({"birth_date": date(1700, 1, 1)}, "birth_date", "before 1890"),
        ({"preferred_language": "zzqx"}, "preferred_language", "neither a language we know"),
        ({"administrative_gender": "robot"}, "administrative_gender", "Unknown sex"),
        ({"given_name": "", "family_name": ""}, "family_name", "name is required"),
        ({"contacts": [ContactInput("phone", "12")]}, "phone", "phone number"),
        ({"contacts": [ContactInput("phone", "call me maybe")]}, "phone", "not a phone number"),
        ({"contacts": [ContactInput("email", "maria@@example")]}, "email", "not an email"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    org_a: Organization, changes: dict[str, object], field: str, message: str
) -> None:
    values: dict[str, object] = {"given_name": "Ana", "family_name": "Silva", **changes}
    data = PersonInput(kind=PersonKind.PATIENT, **values)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message) as raised:
        check_create_person(org_a, data, acting_user=None)
    assert raised.value.field == field
    assert not Person.objects.filter(organization=org_a).exists()


def test_a_duplicate_identifier_is_refused_within_the_organisation_only(
    org_a: Organization, org_b: Organization
) -> None:
    make_patient(org_a, mrn="A-1001")
    with pytest.raises(RuleViolation, match="already belongs to another person"):
        make_patient(org_a, "Other", "Person", mrn="A-1001")
    # the same MRN in another organisation is another hospital's number
    assert make_patient(org_b, mrn="A-1001").organization_id == org_b.pk


def test_a_referring_practitioner_needs_a_valid_npi(org_a: Organization) -> None:
    with pytest.raises(InvalidInput, match="check digit"):
        check_create_person(
            org_a,
            PersonInput(
                kind=PersonKind.REFERRAL_SOURCE,
                given_name="Ada",
                family_name="Byrne",
                referral=ReferralInput(npi="1234567890"),
            ),
            acting_user=None,
        )
    source = check_create_person(
        org_a,
        PersonInput(
            kind=PersonKind.REFERRAL_SOURCE,
            given_name="Ada",
            family_name="Byrne",
            referral=ReferralInput(npi="1234567893", specialty="Cardiology"),
        ),
        acting_user=None,
    )
    assert source.referral_profile.specialty == "Cardiology"


def test_update_audits_field_names_and_refuses_unknown_fields(
    org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    check_update_person(
        person, {"preferred_name": "Mari", "pronouns": "she/her"}, acting_user=admin_a
    )
    event = AuditEvent.objects.get(action="person.updated")
    assert event.changed_fields == ["preferred_name", "pronouns"]
    with pytest.raises(InvalidInput, match="Unknown field 'ssn'"):
        check_update_person(person, {"ssn": "123"}, acting_user=admin_a)


def test_consent_history_keeps_every_decision(org_a: Organization, admin_a: User) -> None:
    person = make_patient(org_a)
    for status in ("granted", "revoked"):
        check_record_consent(
            person,
            channel="sms",
            purpose="appointment",
            status=status,
            method="verbal",
            acting_user=admin_a,
        )
    assert list(ConsentRecord.objects.filter(person=person).values_list("status", flat=True)) == [
        "revoked",
        "granted",
    ]
    with pytest.raises(InvalidInput, match="Unknown channel 'fax'"):
        check_record_consent(
            person,
            channel="fax",
            purpose="care",
            status="granted",
            method="verbal",
            acting_user=admin_a,
        )


def test_personal_notes_are_encrypted_at_rest(org_a: Organization, admin_a: User) -> None:
    person = make_patient(org_a)
    note = check_add_personal_note(person, text="Daughter's wedding in June", acting_user=admin_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM people_personalnote WHERE id = %s", [note.pk])
        stored = cursor.fetchone()[0]
    assert "wedding" not in stored
    assert stored.startswith("fernet:")
    assert PersonalNote.objects.get(pk=note.pk).text == "Daughter's wedding in June"


def test_identifiers_are_trimmed(org_a: Organization) -> None:
    person = check_create_person(
        org_a,
        PersonInput(
            kind=PersonKind.PATIENT,
            given_name="Ana",
            family_name="Silva",
            identifiers=[IdentifierInput(f" {MRN_SYSTEM} ", " A-77 ")],
        ),
        acting_user=None,
    )
    assert person.identifiers.get().value == "A-77"
