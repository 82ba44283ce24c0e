"""The surveys API: instruments with their versions and Questionnaires, importing one, asking a
person by hand (the frequency rule: 409), invitations, identified responses as
QuestionnaireResponses and recovery cases. The analyst reads surveys, never who answered or
was asked; nothing of another organisation; bad input is a 422 at its field; a refusal writes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.interop.tests.conftest import validate_fhir
from carebond.people.tests.factories import make_patient, make_staff
from carebond.surveys.fhir import questionnaire_to_fhir
from carebond.surveys.instrument_actions import current_version
from carebond.surveys.models import Instrument, InstrumentVersion, Invitation, RecoveryCase, Wave
from carebond.surveys.tests.answers import answer, health_check
from carebond.surveys.tests.conftest import Practice

API = "/api/v1/surveys"
JSON = "application/json"
EVERY_ROLE = list(Role.values)
READERS = {Role.ADMIN, Role.MANAGER, Role.ANALYST}
MANAGERS = {Role.ADMIN, Role.MANAGER}


@pytest.fixture
def as_role(
    practice: Practice, users_a: dict[str, User], api_for: Callable[[User], Client]
) -> Callable[[str], Client]:
    return lambda role: api_for(users_a[role])


@pytest.fixture
def manager(as_role: Callable[[str], Client]) -> Client:
    return as_role(Role.MANAGER)


def written() -> tuple[int, ...]:
    return (
        Instrument.objects.count(),
        InstrumentVersion.objects.count(),
        Invitation.objects.count(),
        Wave.objects.count(),
        AuditEvent.objects.exclude(action__startswith="api_token").count(),
    )


def _get(client: Client, path: str, params: dict[str, Any] | None = None) -> Any:
    response = client.get(API + path, params or {})
    assert response.status_code == 200, response.content
    return response.json()


# --- instruments ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_instruments_are_for_those_who_read_survey_results(
    role: str, practice: Practice, as_role: Callable[[str], Client]
) -> None:
    response = as_role(role).get(f"{API}/instruments")
    assert response.status_code == (200 if role in READERS else 403)
    if role in READERS:
        found = {i["key"]: i for i in response.json()}
        post_visit = found["post-visit"]
        instrument = practice.instrument("post-visit")
        assert post_visit["url"] == f"urn:uuid:{instrument.public_id}"
        assert [(v["number"], v["status"]) for v in post_visit["versions"]] == [(1, "published")]
        assert found["staff-pulse"]["anonymous"] is True


def test_a_version_is_read_as_its_questionnaire(
    practice: Practice, as_role: Callable[[str], Client], outsider_b: User, api_for: Any
) -> None:
    instrument = practice.instrument("post-visit")
    analyst = as_role(Role.ANALYST)
    # the analyst reads a survey and its Questionnaire (forms, no one's answers)
    one = _get(analyst, f"/instruments/{instrument.public_id}")
    assert one["key"] == "post-visit"
    resource = _get(analyst, f"/instruments/{instrument.public_id}/versions/1/questionnaire")
    validate_fhir(resource)
    assert resource["url"] == one["url"]
    # a version that does not exist, and another organisation's survey, are not found
    assert (
        analyst.get(f"{API}/instruments/{instrument.public_id}/versions/9/questionnaire")
    ).status_code == 404
    outsider = api_for(outsider_b)
    for path in (
        f"/instruments/{instrument.public_id}",
        f"/instruments/{instrument.public_id}/versions/1/questionnaire",
    ):
        response = outsider.get(API + path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_a_manager_imports_a_questionnaire_as_a_draft(practice: Practice, manager: Client) -> None:
    response = manager.post(f"{API}/instruments/import", health_check(), content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["version"] == 1
    assert body["instrument"]["name"] == "Visit check"
    assert body["instrument"]["versions"][0]["status"] == "draft"
    assert body["renamed"]["2.1"] == "q2_1"
    # and it reads back as a draft Questionnaire that came from the EHR's
    instrument_id = body["instrument"]["id"]
    resource = _get(manager, f"/instruments/{instrument_id}/versions/1/questionnaire")
    assert (resource["status"], resource["derivedFrom"]) == ("draft", [health_check()["url"]])


def test_a_bad_questionnaire_is_a_422_at_its_path_and_writes_nothing(
    practice: Practice, manager: Client
) -> None:
    resource = health_check()
    resource["item"][1]["item"][0]["type"] = "date"
    before = written()
    response = manager.post(f"{API}/instruments/import", resource, content_type=JSON)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "Questionnaire.item[1].item[0].type"
    assert "linkId '2.1'" in body["message"]
    assert "'date'" in body["message"]
    assert written() == before
    # a body that is no object at all
    response = manager.post(f"{API}/instruments/import", [1, 2], content_type=JSON)
    assert response.status_code == 422


@pytest.mark.parametrize("role", sorted(set(EVERY_ROLE) - MANAGERS))
def test_only_managers_import(
    role: str, practice: Practice, as_role: Callable[[str], Client]
) -> None:
    before = written()
    response = as_role(role).post(f"{API}/instruments/import", health_check(), content_type=JSON)
    assert response.status_code == 403
    assert written() == before


# --- invitations ------------------------------------------------------------------------------


def _invite(client: Client, person: Any, key: str = "post-visit") -> Any:
    return client.post(
        f"{API}/invitations",
        {"person": str(person.public_id), "instrument": key},
        content_type=JSON,
    )


def test_a_manager_asks_a_patient_and_the_frequency_rule_refuses_a_second_time(
    practice: Practice, manager: Client
) -> None:
    # when a manager asks a patient by hand
    response = _invite(manager, practice.patient)

    # then the invitation is queued in the month's wave, audited
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["instrument"], body["version"]) == ("queued", "post-visit", 1)
    assert body["person_id"] == str(practice.patient.public_id)
    assert AuditEvent.objects.filter(action="invitation.created").count() == 1

    # when the patient is asked again within the organisation's gap (another survey)
    before = written()
    again = _invite(manager, practice.patient, "moment-billing")

    # then it is a 409 saying why, and nothing is written
    assert again.status_code == 409
    assert "at most once every 30 days" in again.json()["message"]
    assert written() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"instrument": "no-such-survey"}, "instrument"),
        ({"person": "00000000-0000-0000-0000-000000000001"}, "person"),
        ({"person": "not-a-uuid"}, "body.payload.person"),
        ({"instrument": ""}, "instrument"),
        ({"surprise": 1}, "body.payload.surprise"),
    ],
)
def test_bad_invitations_are_a_422_at_their_field(
    practice: Practice, manager: Client, payload: dict[str, Any], field: str
) -> None:
    before = written()
    body = {"person": str(practice.patient.public_id), "instrument": "post-visit", **payload}
    response = manager.post(f"{API}/invitations", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert written() == before


def test_a_survey_asks_the_people_it_is_for(practice: Practice, manager: Client) -> None:
    nurse = make_staff(practice.organization, "Ana", "Reyes", job_title="Nurse")
    before = written()
    response = _invite(manager, nurse, "post-visit")
    assert (response.status_code, response.json()["field"]) == (422, "person")
    assert "patients" in response.json()["message"]
    assert written() == before
    # the staff pulse asks staff
    assert _invite(manager, nurse, "staff-pulse").status_code == 201


def test_another_organisations_patient_cannot_be_asked(
    practice: Practice, manager: Client, org_b: Any
) -> None:
    stranger = make_patient(org_b, "Mia", "Stone")
    before = written()
    response = _invite(manager, stranger)
    assert (response.status_code, response.json()["field"]) == (422, "person")
    assert written() == before


def test_invitations_are_listed_by_wave_and_status_for_managers(
    practice: Practice, as_role: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    sent = answer(practice, practice.patient, send=True)
    second = practice.patient_named("Luis", "Ortega", phone="+13125550177")
    answer(practice, second, send=False, subject="visit:2")
    manager = as_role(Role.MANAGER)
    invitation = sent.invitation
    assert invitation is not None

    with django_assert_max_num_queries(12):
        found = _get(manager, "/invitations")
    assert len(found) == 2
    first = next(i for i in found if i["id"] == str(invitation.public_id))
    assert (first["responded"], first["response_id"]) == (True, str(sent.public_id))
    assert first["wave_id"] == str(invitation.wave.public_id)
    assert len(_get(manager, "/invitations", {"wave": str(invitation.wave.public_id)})) == 2
    assert _get(manager, "/invitations", {"status": "queued"}) == []
    assert len(_get(manager, "/invitations", {"limit": 1})) == 1
    assert AuditEvent.objects.filter(action="survey.invitations_read").exists()
    unknown = manager.get(f"{API}/invitations", {"wave": "00000000-0000-0000-0000-000000000001"})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "wave")
    assert manager.get(f"{API}/invitations", {"status": "lost"}).status_code == 422
    for role in (Role.ANALYST, Role.CLINICIAN, Role.FRONT_DESK):
        assert as_role(role).get(f"{API}/invitations").status_code == 403


# --- responses --------------------------------------------------------------------------------


def test_responses_are_listed_and_read_as_questionnaire_responses_by_managers(
    practice: Practice, as_role: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    sent = answer(practice, practice.patient, send=True)
    second = practice.patient_named("Luis", "Ortega", phone="+13125550177")
    partial = answer(practice, second, send=False, subject="visit:2")
    admin = as_role(Role.ADMIN)

    with django_assert_max_num_queries(12):
        found = _get(admin, "/responses")
    assert {r["id"] for r in found} == {str(sent.public_id), str(partial.public_id)}
    assert AuditEvent.objects.filter(action="survey.responses_read").exists()
    assert [r["id"] for r in _get(admin, "/responses", {"status": "in-progress"})] == [
        str(partial.public_id)
    ]
    assert len(_get(admin, "/responses", {"instrument": "post-visit", "since": "2026-03-03"})) == 2
    assert _get(admin, "/responses", {"since": "2026-03-04"}) == []
    assert _get(admin, "/responses", {"instrument": "staff-pulse"}) == []
    bad = admin.get(f"{API}/responses", {"instrument": "nothing"})
    assert (bad.status_code, bad.json()["field"]) == (422, "instrument")
    assert admin.get(f"{API}/responses", {"status": "amended"}).status_code == 422
    assert admin.get(f"{API}/responses", {"since": "1066-10-14"}).status_code == 422

    # one response is its QuestionnaireResponse, comments included; the read is audited
    resource = _get(admin, f"/responses/{sent.public_id}")
    validate_fhir(resource)
    assert resource["status"] == "completed"
    version = current_version(practice.instrument("post-visit"))
    assert version is not None
    assert resource["questionnaire"] == f"{questionnaire_to_fhir(version)['url']}|1"
    assert "La enfermera fue muy amable." in str(resource)
    event = AuditEvent.objects.get(action="survey_response.read")
    assert event.patient_id == str(practice.patient.public_id)


@pytest.mark.parametrize("role", sorted(set(EVERY_ROLE) - MANAGERS))
def test_responses_invitations_and_cases_are_not_for_the_other_roles(
    role: str, practice: Practice, as_role: Callable[[str], Client]
) -> None:
    sent = answer(practice, practice.patient, send=True)
    case = RecoveryCase.objects.get()
    client = as_role(role)
    for path in (
        "/responses",
        f"/responses/{sent.public_id}",
        "/invitations",
        "/recovery-cases",
        f"/recovery-cases/{case.public_id}",
    ):
        assert client.get(API + path).status_code == 403, path
    # and asking someone is refused before anything is written
    before = written()
    assert _invite(client, practice.patient).status_code == 403
    assert written() == before


def test_another_organisations_response_and_case_are_not_found(
    practice: Practice, outsider_b: User, api_for: Callable[[User], Client]
) -> None:
    sent = answer(practice, practice.patient, send=True)
    case = RecoveryCase.objects.get()
    outsider = api_for(outsider_b)
    for path in (f"/responses/{sent.public_id}", f"/recovery-cases/{case.public_id}"):
        response = outsider.get(API + path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert _get(outsider, "/responses") == []
    assert _get(outsider, "/recovery-cases", {"status": "all"}) == []
    assert _get(outsider, "/invitations") == []


# --- recovery cases ---------------------------------------------------------------------------


def test_a_manager_lists_and_reads_recovery_cases(practice: Practice, manager: Client) -> None:
    # given a detractor's response (recommend 3): a recovery case
    sent = answer(practice, practice.patient, send=True)
    case = RecoveryCase.objects.get()

    found = _get(manager, "/recovery-cases")
    assert [c["id"] for c in found] == [str(case.public_id)]
    assert found[0]["response_id"] == str(sent.public_id)
    assert found[0]["person_id"] == str(practice.patient.public_id)
    assert _get(manager, "/recovery-cases", {"status": "closed"}) == []
    assert _get(manager, "/recovery-cases", {"offset": 1}) == []
    assert manager.get(f"{API}/recovery-cases", {"status": "lost"}).status_code == 422

    detail = _get(manager, f"/recovery-cases/{case.public_id}")
    assert detail["status"] == "open"
    assert [s["kind"] for s in detail["steps"]][:1] == ["opened"]
    assert any(a["answer"] == "3" for a in detail["answers"])
    assert AuditEvent.objects.filter(action="recovery.read").exists()
