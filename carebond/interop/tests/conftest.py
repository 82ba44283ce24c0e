"""Fixtures for the FHIR tests: an organisation with a bit of everything, and an R4B validator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from carebond.accounts.actions import do_create_location
from carebond.accounts.models import User
from carebond.core.models import Location, Organization
from carebond.interop.importing.importer import import_files
from carebond.interop.models import ImportRun, StoredResource
from carebond.people.actions import (
    AddressInput,
    ContactInput,
    PersonInput,
    ReferralInput,
    check_add_history_item,
    check_add_related_person,
    check_create_person,
)
from carebond.people.models import Person, PersonKind
from carebond.people.tests.factories import make_patient, make_staff
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import Touchpoint

SOURCE = "https://ehr.example.org/fhir"  # the EHR the import tests' files come from


@pytest.fixture
def run_import(org_a: Organization) -> Callable[..., ImportRun]:
    """Import files as `carebond import-fhir` does, into organisation A, from SOURCE."""

    def run(*paths: Path, source: str = SOURCE) -> ImportRun:
        return import_files(
            list(paths), organization=org_a, source_system=source, acting_user=None, via="cli"
        )

    return run


def validate_fhir(resource: dict[str, Any]) -> Any:
    """Parse with the fhir.resources R4B model of the resource's type (raises if invalid)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


@pytest.fixture
def assert_valid_fhir() -> Callable[[dict[str, Any]], Any]:
    return validate_fhir


@dataclass
class Clinic:
    """Organisation A's records, one of each kind the FHIR facade and export emit."""

    patient: Person
    second_patient: Person
    staff: Person
    practitioner: Person
    referring_org: Person
    relative: Person
    location: Location
    visit: Touchpoint
    telehealth: Touchpoint
    message: Touchpoint
    call: Touchpoint
    service_request: StoredResource  # a resource kept whole


def build_clinic(organization: Organization, acting_user: User) -> Clinic:
    patient = make_patient(
        organization,
        "Maria",
        "Lopez",
        phone="2175550134",
        email="maria@example.org",
        mrn="A-100",
        preferred_name="Mari",
        preferred_language="es-MX",
        addresses=[AddressInput("12 Elm St", city="Springfield", state="IL", postal_code="62701")],
    )
    second = make_patient(organization, "Mark", "Lopez", birth_date=date(1990, 6, 1), mrn="A-101")
    staff = make_staff(organization, "Priya", "Raman")
    practitioner = check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.REFERRAL_SOURCE,
            given_name="Owen",
            family_name="Grant",
            prefix="Dr",
            referral=ReferralInput(npi="1234567893", specialty="Cardiology"),
            contacts=[ContactInput("phone", "2175550199", use="work")],
        ),
        acting_user=None,
    )
    referring_org = check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.REFERRAL_SOURCE,
            organization_name="Lakeview Cardiology",
            referral=ReferralInput(source_type="organization"),
            contacts=[ContactInput("email", "referrals@lakeview.example.org", use="work")],
        ),
        acting_user=None,
    )
    relative = check_add_related_person(
        patient,
        PersonInput(kind=PersonKind.RELATED, given_name="Rosa", family_name="Lopez"),
        relationship="MTH",
        is_emergency_contact=True,
        acting_user=acting_user,
    ).related
    location = do_create_location(
        organization, name="Alder Main", address="1 Alder Way", acting_user=None
    )
    when = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    visit = record_touchpoint(
        patient,
        kind="visit",
        channel="in_person",
        direction="inbound",
        occurred_at=when,
        staff=staff,
        location=location,
    )
    telehealth = record_touchpoint(
        patient, kind="telehealth", channel="video", direction="inbound", occurred_at=when
    )
    Touchpoint.objects.filter(pk=telehealth.pk).update(
        details={
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "VR"},
            "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "185317003"}]}],
            "status": "finished",
            "end": "2026-03-02T16:00:00+00:00",
        }
    )
    telehealth.refresh_from_db()
    message = record_touchpoint(
        patient,
        kind="message",
        channel="sms",
        direction="outbound",
        occurred_at=when,
        staff=staff,
        summary="Directions to the clinic",
    )
    call = record_touchpoint(
        practitioner, kind="call", channel="phone", direction="inbound", occurred_at=when
    )
    for category, display, system, code in [
        ("problem", "Type 2 diabetes", "http://snomed.info/sct", "44054006"),
        ("allergy", "Penicillin", "http://snomed.info/sct", "764146007"),
        ("medication", "Metformin 500 mg", "http://www.nlm.nih.gov/research/umls/rxnorm", "860975"),
        ("immunization", "Influenza vaccine", "http://hl7.org/fhir/sid/cvx", "141"),
    ]:
        check_add_history_item(
            patient,
            category=category,
            display=display,
            code_system=system,
            code=code,
            onset=date(2020, 1, 15),
            acting_user=None,
        )
    service_request = StoredResource.objects.create(
        organization=organization,
        resource_type="ServiceRequest",
        person=patient,
        status="active",
        occurred_at=when,
        updated_at=when,
        origin_system="https://ehr.example.org/fhir",
        origin_id="ServiceRequest/77",
        body=orjson.dumps(
            {
                "resourceType": "ServiceRequest",
                "id": "77",
                "status": "active",
                "intent": "order",
                "authoredOn": "2026-03-02T15:30:00+00:00",
                "subject": {"reference": f"Patient/{patient.public_id}"},
            }
        ).decode(),
    )
    return Clinic(
        patient=patient,
        second_patient=second,
        staff=staff,
        practitioner=practitioner,
        referring_org=referring_org,
        relative=relative,
        location=location,
        visit=visit,
        telehealth=telehealth,
        message=message,
        call=call,
        service_request=service_request,
    )


@pytest.fixture
def clinic_a(org_a: Organization, admin_a: User) -> Clinic:
    return build_clinic(org_a, admin_a)


@pytest.fixture
def export_dir(settings: Any, tmp_path: Path) -> Path:
    """$export files go to a fresh folder per test."""
    settings.FHIR_EXPORT_DIR = tmp_path / "fhir-exports"
    return Path(settings.FHIR_EXPORT_DIR)
