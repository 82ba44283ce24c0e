"""The people pages: register, the person page, quick logging, panels, tenancy."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.actions import (
    PersonInput,
    ReferralInput,
    check_add_history_item,
    check_create_person,
)
from carebond.people.models import ConsentRecord, Person, PersonalNote
from carebond.people.tests.factories import make_patient, make_staff
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_registering_a_patient_opens_their_page(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    client = client_for(users_a[Role.FRONT_DESK])
    response = client.post(
        "/people/new/",
        {
            "given_name": "Maria",
            "family_name": "Lopez",
            "preferred_name": "Mari",
            "birth_date": "1984-03-07",
            "phone": "217 555 0134",
            "preferred_language": "es",
            "interpreter_needed": "on",
            "mrn": "A-1001",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert 'data-testid="person-name">Mari Lopez<' in body
    assert "Interpreter needed (Spanish)" in body
    assert "+1 217-555-0134" in body


def test_a_bad_phone_is_shown_beside_the_field(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    response = client_for(admin_a).post(
        "/people/new/",
        {
            "given_name": "Ana",
            "family_name": "Silva",
            "phone": "12",
        },
    )
    assert response.status_code == 422
    assert "wrong number of digits" in response.content.decode()
    assert not Person.objects.exists()


def test_person_page_is_an_audited_read(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    response = client_for(users_a[Role.CLINICIAN]).get(f"/people/{person.public_id}/")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="person.read")
    assert event.patient_id == str(person.public_id)
    assert event.actor == users_a[Role.CLINICIAN]


def test_outsiders_and_analysts_get_404(
    client_for: Callable[[User], Client], org_a: Organization, outsider_b: User, analyst_a: User
) -> None:
    person = make_patient(org_a)
    missing = client_for(outsider_b).get("/people/00000000-0000-4000-8000-000000000000/")
    foreign = client_for(outsider_b).get(f"/people/{person.public_id}/")
    assert foreign.status_code == missing.status_code == 404
    assert client_for(analyst_a).get(f"/people/{person.public_id}/").status_code == 403
    assert (
        client_for(outsider_b)
        .post(f"/people/{person.public_id}/touchpoints/", {"kind": "call"})
        .status_code
        == 404
    )
    assert not Touchpoint.objects.exists()


def test_logging_a_call_takes_one_form_and_lands_on_the_timeline(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    client = client_for(users_a[Role.FRONT_DESK])
    response = client.post(
        f"/people/{person.public_id}/touchpoints/",
        {"kind": "call", "summary": "Confirmed Tuesday's appointment"},
    )
    assert response.status_code == 302
    touchpoint = Touchpoint.objects.get(person=person)
    assert (touchpoint.kind, touchpoint.channel, touchpoint.direction) == (
        "call",
        "phone",
        "outbound",
    )
    assert "Confirmed Tuesday" in client.get(f"/people/{person.public_id}/").content.decode()
    assert AuditEvent.objects.filter(action="touchpoint.created").exists()


def test_a_future_touchpoint_is_refused_on_the_page(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    when = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(admin_a).post(
        f"/people/{person.public_id}/touchpoints/", {"kind": "call", "occurred_at": when}
    )
    assert response.status_code == 400
    assert "is in the future" in response.content.decode()
    assert not Touchpoint.objects.exists()


def test_timeline_filters_and_pages(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    now = clock.now()
    for minutes in range(60):
        record_touchpoint(
            person,
            kind="call" if minutes % 2 else "visit",
            channel="phone",
            direction="inbound",
            occurred_at=now - timedelta(minutes=minutes),
        )
    client = client_for(admin_a)
    first = client.get(f"/people/{person.public_id}/").content.decode()
    assert first.count('class="touchpoint kind-') == 50
    assert "Older →" in first
    calls = client.get(f"/people/{person.public_id}/", {"kind": "call"}).content.decode()
    assert calls.count('class="touchpoint kind-call"') == 30
    assert 'kind-visit"' not in calls
    second = client.get(f"/people/{person.public_id}/", {"page": 2}).content.decode()
    assert second.count('class="touchpoint kind-') == 10


def test_person_page_query_count_does_not_grow_with_the_timeline(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    staff = make_staff(org_a)
    client = client_for(admin_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/people/{person.public_id}/").status_code == 200
        return len(captured)

    record_touchpoint(person, kind="visit", channel="in_person", direction="inbound", staff=staff)
    few = queries()
    for _ in range(40):
        record_touchpoint(
            person, kind="visit", channel="in_person", direction="inbound", staff=staff
        )
    assert queries() == few


def test_panels_accept_notes_consent_family_history_and_care_team(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    staff = make_staff(org_a)
    client = client_for(users_a[Role.CLINICIAN])
    base = f"/people/{person.public_id}"
    assert client.post(f"{base}/notes/", {"text": "Loves gardening"}).status_code == 302
    assert (
        client.post(
            f"{base}/consents/",
            {
                "channel": "sms",
                "purpose": "appointment",
                "status": "revoked",
                "method": "sms_keyword",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/related/",
            {
                "given_name": "Luis",
                "family_name": "Lopez",
                "relationship": "SPS",
                "phone": "2175550199",
                "is_emergency_contact": "on",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/history/",
            {
                "category": "allergy",
                "display": "Penicillin",
                "code_system": "http://snomed.info/sct",
                "code": "91936005",
            },
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{base}/care-team/",
            {"staff": str(staff.public_id), "role": "Primary care physician"},
        ).status_code
        == 302
    )
    assert person.care_team.get().staff == staff
    body = client.get(f"{base}/").content.decode()
    body += client.get(f"{base}/panels/", {"fragment": "1"}).content.decode()
    for text in (
        "Loves gardening",
        "Opted out of text message",
        "Luis Lopez",
        "Penicillin",
        "Primary care physician",
    ):
        assert text in body, text
    assert PersonalNote.objects.get().author == users_a[Role.CLINICIAN]
    assert ConsentRecord.objects.get().recorded_by == users_a[Role.CLINICIAN]


def test_front_desk_cannot_edit_the_medical_history(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a)
    response = client_for(users_a[Role.FRONT_DESK]).post(
        f"/people/{person.public_id}/history/", {"category": "allergy", "display": "Latex"}
    )
    assert response.status_code == 403
    assert not person.history.exists()


def test_a_bad_sub_form_comes_back_with_its_error(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    response = client_for(admin_a).post(
        f"/people/{person.public_id}/history/",
        {"category": "allergy", "display": "Latex", "code": "1234"},
    )
    assert response.status_code == 422
    assert re.search(r"A code needs both its system and its value", response.content.decode())


def test_a_liaison_adds_a_referring_practitioner(
    client_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    liaison = users_a[Role.LIAISON]
    client = client_for(liaison)
    bad = client.post(
        "/people/new/referral-source/",
        {
            "source_type": "practitioner",
            "given_name": "Ada",
            "family_name": "Byrne",
            "npi": "1234567890",
        },
    )
    assert bad.status_code == 422
    assert "check digit is wrong" in bad.content.decode()
    response = client.post(
        "/people/new/referral-source/",
        {
            "source_type": "practitioner",
            "honorific": "Dr.",
            "given_name": "Ada",
            "family_name": "Byrne",
            "npi": "1234567893",
            "specialty": "Orthopedic surgery",
            "practice_name": "Springfield Orthopedics",
            "liaison": str(liaison.public_id),
            "phone": "217 555 0140",
        },
    )
    assert response.status_code == 302
    source = Person.objects.get(kind="referral_source")
    assert source.referral_profile.liaison == liaison
    assert source.identifiers.get().value == "1234567893"
    assert "Springfield Orthopedics" in client.get(response["Location"]).content.decode()


def test_a_manager_adds_a_staff_member_without_a_login(
    client_for: Callable[[User], Client], manager_a: User, users_a: dict[str, User]
) -> None:
    response = client_for(manager_a).post(
        "/people/new/staff/",
        {
            "given_name": "Grace",
            "family_name": "Owusu",
            "job_title": "Nurse practitioner",
            "is_clinical": "on",
        },
    )
    assert response.status_code == 302
    staff = Person.objects.get(kind="staff")
    assert staff.staff_profile.is_clinical
    assert staff.staff_profile.user is None
    assert client_for(users_a[Role.FRONT_DESK]).get("/people/new/staff/").status_code == 403


def test_side_panels_load_in_a_second_audited_request(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User, outsider_b: User
) -> None:
    person = make_patient(org_a)
    client = client_for(admin_a)
    page = client.get(f"/people/{person.public_id}/").content.decode()
    assert f'data-panels-src="/people/{person.public_id}/panels/"' in page
    fragment = client.get(f"/people/{person.public_id}/panels/", {"fragment": "1"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert "Personal notes" in fragment.content.decode()
    assert AuditEvent.objects.filter(action="person.panels_read").count() == 1
    assert client_for(outsider_b).get(f"/people/{person.public_id}/panels/").status_code == 404


def test_editing_details_and_adding_a_phone(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    client = client_for(admin_a)
    url = f"/people/{person.public_id}/edit/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {
            "save_details": "1",
            "given_name": "Maria",
            "family_name": "Lopez",
            "preferred_language": "elvish",
        },
    )
    assert bad.status_code == 422
    assert "neither a language we know" in bad.content.decode()
    saved = client.post(
        url,
        {
            "save_details": "1",
            "given_name": "Maria",
            "family_name": "Lopez",
            "preferred_name": "Mari",
            "preferred_language": "pt-BR",
            "birth_date": "1984-03-07",
        },
    )
    assert saved.status_code == 302
    person.refresh_from_db()
    assert (person.preferred_name, person.preferred_language) == ("Mari", "pt-BR")
    assert (
        client.post(
            url, {"add_contact": "1", "system": "phone", "value": "12", "use": "mobile"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            url, {"add_contact": "1", "system": "phone", "value": "2175550188", "use": "mobile"}
        ).status_code
        == 302
    )
    assert person.contact_points.get().value == "+12175550188"
    assert AuditEvent.objects.filter(action="person.updated").exists()


def test_edit_page_and_duplicates_page_are_audited_reads(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    client = client_for(admin_a)
    client.get(f"/people/{person.public_id}/edit/")
    client.get("/people/duplicates/")
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "person.read" in actions
    assert "people.duplicates_read" in actions


def test_flash_messages_with_names_stay_out_of_cookies(
    client_for: Callable[[User], Client], admin_a: User
) -> None:
    client = client_for(admin_a)
    client.post("/people/new/", {"given_name": "Secret", "family_name": "Patientname"})
    assert "Patientname" not in str(client.cookies)


def test_the_care_team_is_chosen_from_the_staff_list(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User, outsider_b: User
) -> None:
    # given staff, and patients who share a staff member's name
    for _ in range(3):
        make_patient(org_a, "Priya", "Raman")
    staff = make_staff(org_a, "Priya", "Raman")
    patient = make_patient(org_a)
    client = client_for(admin_a)
    # the panel offers the staff members only, by name and job title
    panels = client.get(f"/people/{patient.public_id}/panels/").content.decode()
    assert f'<option value="{staff.public_id}">Priya Raman, Family physician</option>' in panels
    assert panels.count("Priya Raman") == 1
    # when one is chosen, they join the care team
    response = client.post(
        f"/people/{patient.public_id}/care-team/", {"staff": str(staff.public_id), "role": "PCP"}
    )
    assert response.status_code == 302
    assert patient.care_team.get().staff == staff
    # and a patient's id (or another organisation's staff) is not a choice
    namesake = Person.objects.filter(organization=org_a, kind="patient").first()
    assert namesake is not None
    refused = client.post(
        f"/people/{patient.public_id}/care-team/", {"staff": str(namesake.public_id), "role": "x"}
    )
    assert refused.status_code == 400
    assert patient.care_team.count() == 1


def test_the_duplicates_page_says_how_many_pairs_it_hides_and_shows_them_all_on_request(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    # given 52 pairs of records, each pair one woman registered twice on one birth date
    for day in range(52):
        born = date(1950, 1, 1) + timedelta(days=day)
        make_patient(org_a, "Catherine", f"Family{day}", birth_date=born)
        make_patient(org_a, "Katherine", f"Family{day}", birth_date=born)
    client = client_for(admin_a)
    # when the page opens, it lists the 50 most alike and says two more are hidden
    page = client.get("/people/duplicates/").content.decode()
    assert page.count("Compare</a>") == 50
    assert "Showing the 50 most alike of 52 pairs." in page
    # and on request it lists all 52
    everything = client.get("/people/duplicates/", {"all": "1"}).content.decode()
    assert everything.count("Compare</a>") == 52
    assert 'data-testid="duplicates-shown"' not in everything


def test_the_people_page_lists_by_kind_a_page_at_a_time(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    # given 55 patients and a referral source looked after by the liaison
    for n in range(55):
        make_patient(org_a, f"Given{n:02d}", f"Family{n:02d}")
    liaison = users_a["liaison"]
    check_create_person(
        org_a,
        PersonInput(
            kind="referral_source",
            given_name="Omar",
            family_name="Haddad",
            referral=ReferralInput(liaison=liaison),
        ),
        acting_user=None,
    )
    client = client_for(users_a["front_desk"])
    # when the desk opens People without searching: patients, by name, 50 to a page
    first = client.get("/people/", {"kind": "patient", "sort": "name"}).content.decode()
    assert "Family00" in first
    assert "Family49" in first
    assert "Family50" not in first
    assert "page=2" in first
    second = client.get("/people/", {"kind": "patient", "sort": "name", "page": "2"})
    assert "Family54" in second.content.decode()
    # and the liaison starts with the referral sources they look after
    own = client_for(liaison).get("/people/").content.decode()
    assert "Omar Haddad" in own
    assert "Family00" not in own


def test_a_search_that_finds_more_than_it_shows_says_so(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    for n in range(52):
        make_patient(org_a, "Sam", f"Okafor{n:02d}", birth_date=None)
    page = client_for(admin_a).get("/people/", {"q": "sam"}).content.decode()
    assert "Showing the first 50 matches; there are more." in page


def test_a_phone_is_replaced_or_removed_and_an_address_edited(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a, phone="2175550111", email="maria@example.org")
    client = client_for(admin_a)
    base = f"/people/{person.public_id}"
    # when the phone is replaced by a new number
    changed = client.post(
        f"{base}/contacts/",
        {"system": "phone", "old_value": "+12175550111", "value": "217 555 0199", "use": "mobile"},
    )
    assert changed.status_code == 302
    assert list(person.contact_points.values_list("system", "value", "use")) == [
        ("email", "maria@example.org", "home"),
        ("phone", "+12175550199", "mobile"),
    ]
    # and a bad number is refused beside its field, changing nothing
    bad = client.post(
        f"{base}/contacts/",
        {"system": "phone", "old_value": "+12175550199", "value": "12", "use": "home"},
    )
    assert bad.status_code == 422
    assert person.contact_points.filter(value="+12175550199").exists()
    # when the email is removed
    client.post(
        f"{base}/contacts/", {"system": "email", "old_value": "maria@example.org", "remove": "1"}
    )
    assert not person.contact_points.filter(system="email").exists()
    # when an address is added, then corrected, then removed
    added = client.post(
        f"{base}/addresses/0/", {"line1": "1 Elm St", "city": "Urbana", "country": "us"}
    )
    assert added.status_code == 302
    client.post(
        f"{base}/addresses/1/",
        {"line1_was": "1 Elm St", "line1": "1 Elm Street", "city": "Urbana", "country": "US"},
    )
    assert person.addresses.get().line1 == "1 Elm Street"
    # (a page opened before the change names the old street: it changes nothing)
    stale = client.post(f"{base}/addresses/1/", {"line1_was": "1 Elm St", "remove": "1"})
    assert stale.status_code == 302
    assert person.addresses.exists()
    client.post(f"{base}/addresses/1/", {"line1_was": "1 Elm Street", "remove": "1"})
    assert not person.addresses.exists()
    # and each change is in the audit trail
    actions = set(
        AuditEvent.objects.filter(target_id=str(person.public_id)).values_list("action", flat=True)
    )
    assert {
        "person.contact_changed",
        "person.contact_removed",
        "person.address_added",
        "person.address_changed",
        "person.address_removed",
    } <= actions


def test_a_vaccine_given_every_year_shows_once_with_its_count_and_last_date(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    for year in (2022, 2023, 2024, 2025):
        check_add_history_item(
            person,
            category="immunization",
            display="Influenza, seasonal",
            code_system="http://hl7.org/fhir/sid/cvx",
            code="140",
            onset=date(year, 10, 1),
            acting_user=None,
        )
    panels = client_for(admin_a).get(f"/people/{person.public_id}/panels/").content.decode()
    assert panels.count("Influenza, seasonal") == 1
    assert "4 times, last 2025-10-01" in panels


def test_an_imported_visit_says_where_it_came_from_not_who_ran_the_import(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    touchpoint = record_touchpoint(
        person, kind="visit", channel="in_person", direction="inbound", recorded_by=admin_a
    )
    Touchpoint.objects.filter(pk=touchpoint.pk).update(
        origin_system="urn:ehr:riverbend-epic", origin_id="Encounter/1"
    )
    page = client_for(admin_a).get(f"/people/{person.public_id}/").content.decode()
    assert "from the EHR (urn:ehr:riverbend-epic)" in page
    assert f"logged by {admin_a.username}" not in page
