"""Each role's home shows the panels apps registered for it, each with real work, and no
panel at all where there is nothing to show."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.interop.models import ImportRun
from carebond.people.actions import PersonInput, ReferralInput, StaffInput, check_create_person
from carebond.people.models import PersonKind
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import TEST_PASSWORD
from carebond.touchpoints.actions import record_touchpoint
from carebond.value_maps.tests.stored import make_study, worked_example

pytestmark = pytest.mark.django_db


def home(client_for: Callable[[User], Client], user: User) -> str:
    response = client_for(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_liaison_sees_the_referral_sources_they_look_after(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    liaison = users_a[Role.LIAISON]
    # given a liaison with no referral sources yet: no panel
    assert "Your referral sources" not in home(client_for, liaison)
    # when a referral source is put in their care
    check_create_person(
        org_a,
        PersonInput(
            kind=PersonKind.REFERRAL_SOURCE,
            given_name="Omar",
            family_name="Haddad",
            referral=ReferralInput(specialty="Cardiology", liaison=liaison),
        ),
        acting_user=None,
    )
    # then their home lists it
    page = home(client_for, liaison)
    assert "Your referral sources" in page
    assert "Omar Haddad" in page
    assert "Cardiology" in page


def test_a_clinician_finds_the_patients_they_saw_lately(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    clinician = users_a[Role.CLINICIAN]
    staff = check_create_person(
        org_a,
        PersonInput(
            kind=PersonKind.STAFF,
            given_name="Priya",
            family_name="Raman",
            staff=StaffInput(job_title="Physician", is_clinical=True, user=clinician),
        ),
        acting_user=None,
    )
    seen = make_patient(org_a, "Lena", "Okafor")
    other = make_patient(org_a, "Tom", "Brandt")
    assert "Patients you worked with lately" not in home(client_for, clinician)
    # when the clinician sees one patient (and someone else sees another)
    record_touchpoint(seen, kind="visit", channel="in_person", direction="inbound", staff=staff)
    record_touchpoint(other, kind="call", channel="phone", direction="outbound")
    # then their home leads back to that one patient only, and the list is an audited read
    page = home(client_for, clinician)
    assert "Patients you worked with lately" in page
    assert "Lena Okafor" in page
    assert "Tom Brandt" not in page
    assert AuditEvent.objects.filter(
        actor=clinician, action="touchpoints.recent_people_read"
    ).exists()
    # and the analyst never has such a panel
    assert "Patients you worked with lately" not in home(client_for, users_a[Role.ANALYST])


def test_an_administrator_sees_who_is_locked_out_and_who_has_no_mfa(
    client_for: Callable[[User], Client], client: Client, users_a: dict[str, User]
) -> None:
    admin = users_a[Role.ADMIN]
    # given a user who failed to sign in too often
    for _ in range(5):
        client.post(
            "/accounts/login/", {"username": "clinician-org-a", "password": "wrong" + TEST_PASSWORD}
        )
    # then the administrator's home names them as locked out, and lists who has no MFA yet
    page = home(client_for, admin)
    assert "Users and security" in page
    assert "Locked out now:</strong> clinician-org-a" in page
    assert "Not yet enrolled in two-step sign-in" in page


def test_imports_and_studies_appear_once_there_are_some(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    manager, analyst = users_a[Role.MANAGER], users_a[Role.ANALYST]
    assert "FHIR imports" not in home(client_for, manager)
    assert "Value maps</h2>" not in home(client_for, analyst)
    # when a study is made and an import has run
    make_study(org_a, manager, title="Why patients stay")
    ImportRun.objects.create(
        organization=org_a,
        via="cli",
        source_system="urn:ehr:test",
        started_at=clock.now(),
        status="finished",
        resources_read=42,
    )
    # then the manager sees both, the analyst the study (aggregates) but not the import
    page = home(client_for, manager)
    assert "FHIR imports" in page
    assert "42 resources read" in page
    assert "Why patients stay" in page
    analyst_page = home(client_for, analyst)
    assert "Why patients stay" in analyst_page
    assert "FHIR imports" not in analyst_page


def test_the_person_page_shows_the_interviews_a_patient_gave_to_editors_only(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    # given a patient who was interviewed for a laddering study
    patient = make_patient(org_a, "Rosa", "Marin")
    worked_example(org_a, users_a[Role.MANAGER], person=patient)
    url = f"/people/{patient.public_id}/panels/"
    # then the manager's person page lists the interview; the clinician's does not
    manager_panels = client_for(users_a[Role.MANAGER]).get(url).content.decode()
    assert "Laddering interviews" in manager_panels
    assert "respondent R1" in manager_panels
    clinician_panels = client_for(users_a[Role.CLINICIAN]).get(url).content.decode()
    assert "Laddering interviews" not in clinician_panels
