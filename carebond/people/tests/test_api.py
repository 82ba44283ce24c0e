"""The people API: search, a person, the timeline, writes; auth matrix and bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db


def test_search_person_and_timeline(
    api_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    person = make_patient(org_a, phone="2175550134", mrn="A-9")
    record_touchpoint(person, kind="visit", channel="in_person", direction="inbound")
    api = api_for(users_a[Role.CLINICIAN])
    found = api.get("/api/v1/people/search", {"q": "lopz"}).json()
    assert [row["id"] for row in found] == [str(person.public_id)]
    detail = api.get(f"/api/v1/people/{person.public_id}").json()
    assert detail["display_name"] == "Maria Lopez"
    assert detail["contacts"][0]["value"] == "+12175550134"
    timeline = api.get(f"/api/v1/people/{person.public_id}/timeline").json()
    assert [t["kind"] for t in timeline["items"]] == ["visit"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"people.search", "person.read", "person.timeline_read"} <= actions


def test_create_patient_and_log_a_touchpoint(
    api_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    api = api_for(users_a[Role.FRONT_DESK])
    created = api.post(
        "/api/v1/people",
        {
            "given_name": "Ana",
            "family_name": "Silva",
            "birth_date": "1990-02-03",
            "contacts": [{"system": "email", "value": "ana@example.org"}],
            "mrn": "Z-1",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    person_id = created.json()["id"]
    logged = api.post(
        f"/api/v1/people/{person_id}/touchpoints",
        {"kind": "message", "summary": "Sent directions"},
        content_type="application/json",
    )
    assert logged.status_code == 201
    assert logged.json()["channel"] == "sms"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {"given_name": "Ana", "family_name": "Silva", "birth_date": "1990-02-30"},
            422,
            "body.payload.birth_date",
        ),
        (
            {"given_name": "Ana", "family_name": "Silva", "preferred_language": "xx-yy-zz"},
            422,
            "preferred_language",
        ),
        (
            {
                "given_name": "Ana",
                "family_name": "Silva",
                "contacts": [{"system": "phone", "value": "not a number"}],
            },
            422,
            "phone",
        ),
        ({"given_name": "Ana", "family_name": "Silva", "ssn": "1"}, 422, "body.payload.ssn"),
        ({}, 422, "family_name"),
    ],
)
def test_bad_input_is_precise_and_writes_nothing(
    api_for: Callable[[User], Client],
    admin_a: User,
    body: dict[str, object],
    status: int,
    field: str,
) -> None:
    response = api_for(admin_a).post("/api/v1/people", body, content_type="application/json")
    assert response.status_code == status
    assert response.json()["field"] == field
    assert not Person.objects.exists()


def test_bad_touchpoint_is_422(
    api_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    response = api_for(admin_a).post(
        f"/api/v1/people/{person.public_id}/touchpoints",
        {"kind": "call", "sentiment": 3},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body.payload.sentiment"
    assert not Touchpoint.objects.exists()


def test_outsider_and_analyst_see_nothing(
    api_for: Callable[[User], Client], org_a: Organization, outsider_b: User, analyst_a: User
) -> None:
    person = make_patient(org_a)
    outsider = api_for(outsider_b)
    for path in (
        f"/api/v1/people/{person.public_id}",
        f"/api/v1/people/{person.public_id}/timeline",
    ):
        assert outsider.get(path).status_code == 404
    assert outsider.get("/api/v1/people/search", {"q": "Lopez"}).json() == []
    assert api_for(analyst_a).get(f"/api/v1/people/{person.public_id}").status_code == 403
    assert (
        outsider.post(
            f"/api/v1/people/{person.public_id}/touchpoints",
            {"kind": "call"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_short_search_is_422(api_for: Callable[[User], Client], admin_a: User) -> None:
    response = api_for(admin_a).get("/api/v1/people/search", {"q": "a"})
    assert response.status_code == 422
    assert response.json()["field"] == "q"


def test_patch_changes_only_what_is_sent(
    api_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a, preferred_name="Mari")
    api = api_for(admin_a)
    response = api.patch(
        f"/api/v1/people/{person.public_id}",
        {"pronouns": "she/her"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["pronouns"] == "she/her"
    assert response.json()["preferred_name"] == "Mari"
    bad = api.patch(
        f"/api/v1/people/{person.public_id}",
        {"birth_date": "2999-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "body.payload.birth_date"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"given_name": None}, None),  # null leaves the field as it is
        ({"pronouns": "x" * 41}, "body.payload.pronouns"),
        ({"preferred_language": None}, None),
    ],
)
def test_patch_edge_cases_never_500(
    api_for: Callable[[User], Client],
    org_a: Organization,
    admin_a: User,
    body: dict[str, object],
    field: str | None,
) -> None:
    person = make_patient(org_a)
    response = api_for(admin_a).patch(
        f"/api/v1/people/{person.public_id}", body, content_type="application/json"
    )
    if field is None:
        assert response.status_code == 200
        assert response.json()["given_name"] == "Maria"
    else:
        assert response.status_code == 422
        assert response.json()["field"] == field


def test_touchpoint_time_needs_a_time_zone_and_pages_are_capped(
    api_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    person = make_patient(org_a)
    api = api_for(admin_a)
    naive = api.post(
        f"/api/v1/people/{person.public_id}/touchpoints",
        {"kind": "call", "occurred_at": "2026-01-02T10:00:00"},
        content_type="application/json",
    )
    assert naive.status_code == 422
    huge = api.get(f"/api/v1/people/{person.public_id}/timeline", {"page": 10**20})
    assert huge.status_code == 422
    assert client_page_ok(api, person)


def client_page_ok(api: Client, person: Person) -> bool:
    return api.get(f"/api/v1/people/{person.public_id}/timeline", {"page": 3}).status_code == 200


def test_a_very_long_search_is_refused(api_for: Callable[[User], Client], admin_a: User) -> None:
    response = api_for(admin_a).get("/api/v1/people/search", {"q": "a" * 1000})
    assert response.status_code == 422
    assert response.json()["field"] == "query.q"


def test_the_person_resource_carries_the_whole_360_view(
    api_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    from carebond.people.actions import check_add_history_item, check_add_personal_note

    person = make_patient(org_a, mrn="A-5")
    check_add_history_item(person, category="allergy", display="Penicillin", acting_user=admin_a)
    check_add_personal_note(person, text="Grandson starts college", acting_user=admin_a)
    body = api_for(admin_a).get(f"/api/v1/people/{person.public_id}").json()
    assert body["history"][0]["display"] == "Penicillin"
    assert body["notes"][0]["text"] == "Grandson starts college"
    assert body["identifiers"][0]["value"] == "A-5"
    assert body["staff_profile"] is None
