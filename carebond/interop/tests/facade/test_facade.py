"""The /fhir/R4 facade: what EHR clients read and search, who may, and how errors look."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.interop.tests.conftest import Clinic, validate_fhir
from carebond.people.models import Person, PersonStatus
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4/"
FHIR_JSON = "application/fhir+json"


@pytest.fixture
def clinician(users_a: dict[str, User], fhir_for: Callable[[User], Client]) -> Client:
    return fhir_for(users_a[Role.CLINICIAN])


def _issue(response: Any) -> dict[str, Any]:
    body = response.json()
    assert response["Content-Type"].startswith(FHIR_JSON)
    assert body["resourceType"] == "OperationOutcome"
    validate_fhir(body)
    issue: dict[str, Any] = body["issue"][0]
    return issue


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


# --- metadata ------------------------------------------------------------------------------------


def test_capability_statement_is_public_and_lists_only_what_is_implemented(
    client: Client,
) -> None:
    # when an unauthenticated client asks what the server does
    response = client.get(BASE + "metadata")
    # then it gets a valid CapabilityStatement, JSON only, read + search-type per type
    assert response.status_code == 200
    statement = response.json()
    validate_fhir(statement)
    assert statement["format"] == ["application/fhir+json", "json"]
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {
        "Patient",
        "Practitioner",
        "Organization",
        "RelatedPerson",
        "Encounter",
        "Appointment",
        "Communication",
        "ServiceRequest",
        "Task",
        "QuestionnaireResponse",
        "Consent",
        "AuditEvent",
    } <= set(resources)
    for resource in resources.values():
        assert [i["code"] for i in resource["interaction"]] == ["read", "search-type"]
    assert {p["name"] for p in resources["Patient"]["searchParam"]} == {
        "_id",
        "identifier",
        "name",
        "birthdate",
        "_count",
    }
    assert {p["name"] for p in resources["Encounter"]["searchParam"]} == {
        "_id",
        "patient",
        "subject",
        "_count",
    }
    assert resources["Patient"]["operation"][0]["name"] == "export"
    # and writes only as the import's transaction or batch Bundles at the base
    assert [i["code"] for i in statement["rest"][0]["interaction"]] == ["transaction", "batch"]


def test_every_advertised_search_parameter_is_accepted(
    clinician: Client, admin_a: User, fhir_for: Callable[[User], Client], clinic_a: Clinic
) -> None:
    # given the parameters the CapabilityStatement promises
    statement = clinician.get(BASE + "metadata").json()
    admin = fhir_for(admin_a)
    sample = {
        "_id": str(clinic_a.patient.public_id),
        "identifier": "A-100",
        "name": "lo",
        "birthdate": "ge1900",
        "patient": f"Patient/{clinic_a.patient.public_id}",
        "subject": f"Patient/{clinic_a.patient.public_id}",
        "_count": "5",
        "status": "active",
        "occurrence": "ge2020-01-01",
        "practitioner": f"Practitioner/{clinic_a.staff.public_id}",
        "location": f"Location/{clinic_a.location.public_id}",
        "actor": f"Location/{clinic_a.location.public_id}",
        "date": "ge2026-01-01",
        "start": "ge2026-03-02",
        "schedule": str(clinic_a.patient.public_id),
        "service-type": "follow-up",
        "url": "urn:uuid:00000000-0000-0000-0000-000000000001",
        "version": "1",
        "authored": "ge2026-01-01",
        "questionnaire": "urn:uuid:00000000-0000-0000-0000-000000000001|1",
    }
    # (statuses are each type's own codes)
    by_type = {
        ("Appointment", "status"): "booked",
        ("Slot", "status"): "free",
        ("QuestionnaireResponse", "status"): "completed",
    }
    # then each one is honoured for its type (no 400)
    for resource in statement["rest"][0]["resource"]:
        api = admin if resource["type"] == "AuditEvent" else clinician
        for param in resource["searchParam"]:
            name = param["name"]
            value = by_type.get((resource["type"], name), sample[name])
            response = api.get(BASE + resource["type"], {name: value})
            assert response.status_code == 200, (resource["type"], param["name"])


# --- read ----------------------------------------------------------------------------------------


def test_read_patient_maps_names_identifiers_contacts_and_is_audited(
    clinician: Client, clinic_a: Clinic, org_a: Any
) -> None:
    # when a clinician reads the patient
    response = clinician.get(f"{BASE}Patient/{clinic_a.patient.public_id}")
    # then the resource is valid R4 and carries what CareBond knows
    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    patient = response.json()
    validate_fhir(patient)
    assert patient["id"] == str(clinic_a.patient.public_id)
    assert {"use": "official", "family": "Lopez", "given": ["Maria"]} in patient["name"]
    assert {"use": "usual", "family": "Lopez", "given": ["Mari"]} in patient["name"]
    assert patient["birthDate"] == "1984-03-07"
    assert patient["identifier"][0]["system"] == "urn:carebond:mrn"
    assert patient["identifier"][0]["value"] == "A-100"
    assert {"system": "phone", "value": "+12175550134", "use": "home", "rank": 1} in patient[
        "telecom"
    ]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "es-MX"
    assert patient["address"][0]["line"] == ["12 Elm St"]
    # and the read is in the audit trail with the patient named
    event = AuditEvent.objects.filter(action="fhir.patient.read").get()
    assert event.patient_id == str(clinic_a.patient.public_id)
    assert event.organization_id == org_a.pk


@pytest.mark.parametrize(
    ("resource_type", "attribute"),
    [
        ("Patient", "patient"),
        ("Practitioner", "staff"),
        ("Practitioner", "practitioner"),
        ("Organization", "referring_org"),
        ("RelatedPerson", "relative"),
        ("Location", "location"),
        ("Encounter", "visit"),
        ("Encounter", "telehealth"),
        ("Communication", "message"),
        ("Communication", "call"),
        ("ServiceRequest", "service_request"),
    ],
)
def test_every_type_reads_as_valid_r4(
    clinician: Client, clinic_a: Clinic, resource_type: str, attribute: str
) -> None:
    row = getattr(clinic_a, attribute)
    response = clinician.get(f"{BASE}{resource_type}/{row.public_id}")
    assert response.status_code == 200
    resource = response.json()
    assert resource["resourceType"] == resource_type
    assert resource["id"] == str(row.public_id)
    validate_fhir(resource)


def test_encounter_uses_what_the_ehr_sent_or_derives_it(
    clinician: Client, clinic_a: Clinic
) -> None:
    visit = clinician.get(f"{BASE}Encounter/{clinic_a.visit.public_id}").json()
    assert visit["class"]["code"] == "AMB"
    assert visit["status"] == "finished"
    assert visit["subject"] == {"reference": f"Patient/{clinic_a.patient.public_id}"}
    assert visit["participant"][0]["individual"] == {
        "reference": f"Practitioner/{clinic_a.staff.public_id}"
    }
    assert visit["location"][0]["location"] == {
        "reference": f"Location/{clinic_a.location.public_id}"
    }
    assert visit["period"] == {"start": "2026-03-02T15:30:00+00:00"}
    telehealth = clinician.get(f"{BASE}Encounter/{clinic_a.telehealth.public_id}").json()
    assert telehealth["class"]["code"] == "VR"
    assert telehealth["type"][0]["coding"][0]["code"] == "185317003"
    assert telehealth["period"]["end"] == "2026-03-02T16:00:00+00:00"


def test_stored_resource_goes_out_under_our_id_with_its_provenance(
    clinician: Client, clinic_a: Clinic
) -> None:
    kept = clinic_a.service_request
    request = clinician.get(f"{BASE}ServiceRequest/{kept.public_id}").json()
    assert request["id"] == str(kept.public_id)
    assert request["meta"]["source"] == "https://ehr.example.org/fhir"
    assert request["subject"]["reference"] == f"Patient/{clinic_a.patient.public_id}"


def test_referral_sources_are_practitioners_or_organizations(
    clinician: Client, clinic_a: Clinic
) -> None:
    practitioners = clinician.get(BASE + "Practitioner").json()
    organizations = clinician.get(BASE + "Organization").json()
    assert set(_ids(practitioners)) == {
        str(clinic_a.staff.public_id),
        str(clinic_a.practitioner.public_id),
    }
    assert _ids(organizations) == [str(clinic_a.referring_org.public_id)]
    grant = clinician.get(f"{BASE}Practitioner/{clinic_a.practitioner.public_id}").json()
    assert {k: grant["identifier"][0][k] for k in ("system", "value")} == {
        "system": "http://hl7.org/fhir/sid/us-npi",
        "value": "1234567893",
    }
    found = clinician.get(
        BASE + "Practitioner", {"identifier": "http://hl7.org/fhir/sid/us-npi|1234567893"}
    ).json()
    assert _ids(found) == [str(clinic_a.practitioner.public_id)]


# --- search --------------------------------------------------------------------------------------


def test_search_patients_by_name_identifier_birthdate_and_id(
    clinician: Client, clinic_a: Clinic
) -> None:
    maria, mark = str(clinic_a.patient.public_id), str(clinic_a.second_patient.public_id)

    def found(**params: str) -> list[str]:
        response = clinician.get(BASE + "Patient", params)
        assert response.status_code == 200
        bundle = response.json()
        validate_fhir(bundle)
        assert bundle["type"] == "searchset"
        assert bundle["total"] == len(bundle.get("entry", []))
        return sorted(_ids(bundle))

    assert found(name="lopez") == sorted([maria, mark])
    assert found(name="MAR") == sorted([maria, mark])
    assert found(name="mari") == [maria]  # the preferred name counts
    assert found(name="maria lopez") == [maria]
    assert found(**{"name:exact": "Mark"}) == [mark]
    assert found(name="nobody") == []
    assert found(identifier="urn:carebond:mrn|A-101") == [mark]
    assert found(identifier="A-100") == [maria]
    assert found(identifier="urn:other|A-100") == []
    assert found(birthdate="1984-03-07") == [maria]
    assert found(birthdate="1984") == [maria]
    assert found(birthdate="ge1985") == [mark]
    assert found(birthdate="lt1990-06") == [maria]
    assert found(_id=f"{maria},{uuid.uuid4()}") == [maria]
    assert found(_id="not-a-uuid") == []
    # repeated parameters are AND
    assert clinician.get(f"{BASE}Patient?name=lopez&birthdate=1990").json()["total"] == 1


def test_search_pages_with_self_next_and_previous_links(
    clinician: Client, org_a: Any, clinic_a: Clinic
) -> None:
    # given five Lopez patients in all
    for given in ("Ana", "Luis", "Sofia"):
        make_patient(org_a, given, "Lopez")
    # when searching two at a time
    first = clinician.get(BASE + "Patient", {"name": "lopez", "_count": "2"}).json()
    links = {link["relation"]: link["url"] for link in first["link"]}
    # then the total is all matches, and next leads on until every one was seen once
    assert first["total"] == 5
    assert links["self"].startswith("http://testserver/fhir/R4/Patient?")
    assert "previous" not in links
    seen = _ids(first)
    while "next" in links:
        page = clinician.get(links["next"]).json()
        assert page["total"] == 5
        links = {link["relation"]: link["url"] for link in page["link"]}
        assert "previous" in links
        seen += _ids(page)
    assert len(seen) == len(set(seen)) == 5
    # and _count=0 gives the total alone
    only_total = clinician.get(BASE + "Patient", {"name": "lopez", "_count": "0"}).json()
    assert only_total["total"] == 5
    assert "entry" not in only_total


def test_patient_scoped_search_on_the_timeline_and_stored_resources(
    clinician: Client, clinic_a: Clinic
) -> None:
    maria = clinic_a.patient.public_id
    encounters = clinician.get(BASE + "Encounter", {"patient": f"Patient/{maria}"}).json()
    assert sorted(_ids(encounters)) == sorted(
        [str(clinic_a.visit.public_id), str(clinic_a.telehealth.public_id)]
    )
    assert _ids(clinician.get(BASE + "Encounter", {"subject": str(maria)}).json()) == _ids(
        encounters
    )
    communications = clinician.get(BASE + "Communication", {"subject": f"Patient/{maria}"})
    assert _ids(communications.json()) == [str(clinic_a.message.public_id)]
    requests = clinician.get(BASE + "ServiceRequest", {"patient": f"Patient/{maria}"}).json()
    assert _ids(requests) == [str(clinic_a.service_request.public_id)]
    related = clinician.get(BASE + "RelatedPerson", {"patient": f"Patient/{maria}"}).json()
    assert _ids(related) == [str(clinic_a.relative.public_id)]
    other = clinic_a.second_patient.public_id
    assert clinician.get(BASE + "Encounter", {"patient": f"Patient/{other}"}).json()["total"] == 0
    # a reference to something that is not a patient matches nothing (and is no error)
    staff_ref = f"Practitioner/{clinic_a.staff.public_id}"
    assert clinician.get(BASE + "Encounter", {"subject": staff_ref}).json()["total"] == 0


def test_search_is_audited_without_what_was_searched_for(
    clinician: Client, clinic_a: Clinic
) -> None:
    # when a clinician searches by name and birth date
    clinician.get(BASE + "Patient", {"name": "Lopez", "birthdate": "1984-03-07"})
    # then one search event is written, and neither value appears anywhere in it
    event = AuditEvent.objects.filter(action="fhir.patient.search").get()
    written = " ".join(
        str(getattr(event, name))
        for name in ("action", "target_type", "target_id", "patient_id", "changed_fields")
    )
    assert "Lopez" not in written
    assert "1984" not in written
    assert event.patient_id == ""
    # and a search for one patient's encounters names that patient
    clinician.get(BASE + "Encounter", {"patient": f"Patient/{clinic_a.patient.public_id}"})
    encounter_search = AuditEvent.objects.filter(action="fhir.encounter.search").get()
    assert encounter_search.patient_id == str(clinic_a.patient.public_id)


def test_merged_records_are_never_emitted(clinician: Client, clinic_a: Clinic) -> None:
    # given Mark's record was merged into another
    Person.objects.filter(pk=clinic_a.second_patient.pk).update(status=PersonStatus.MERGED)
    # then it can be neither read nor found
    read = clinician.get(f"{BASE}Patient/{clinic_a.second_patient.public_id}")
    assert read.status_code == 404
    assert _ids(clinician.get(BASE + "Patient", {"name": "lopez"}).json()) == [
        str(clinic_a.patient.public_id)
    ]


def test_search_query_count_does_not_grow_with_the_page(
    clinician: Client,
    org_a: Any,
    clinic_a: Clinic,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(15):
        make_patient(org_a, f"Test{n}", "Lopez", phone=f"21755501{n:02d}", mrn=f"Q-{n}")
    # token, counting, one page, three prefetches, the audit row (with its chain lock)
    with django_assert_max_num_queries(14):
        bundle = clinician.get(BASE + "Patient", {"_count": "20"}).json()
    assert len(bundle["entry"]) == 17
    with django_assert_max_num_queries(14):
        clinician.get(BASE + "Encounter", {"_count": "20"})


# --- errors --------------------------------------------------------------------------------------


def test_unknown_type_and_unknown_id_are_404_operation_outcomes(clinician: Client) -> None:
    unknown_type = clinician.get(BASE + "Observation")
    assert unknown_type.status_code == 404
    assert _issue(unknown_type)["code"] == "not-found"
    unknown_id = clinician.get(f"{BASE}Patient/{uuid.uuid4()}")
    assert unknown_id.status_code == 404
    assert _issue(unknown_id)["code"] == "not-found"
    not_a_uuid = clinician.get(f"{BASE}Patient/123")
    assert not_a_uuid.status_code == 404
    history = clinician.get(f"{BASE}Patient/{uuid.uuid4()}/_history")
    assert history.status_code == 404
    assert _issue(history)["code"] == "not-found"


def test_another_organisation_gets_the_same_404_as_a_missing_id(
    fhir_for: Callable[[User], Client], outsider_b: User, clinic_a: Clinic
) -> None:
    # given organisation B's administrator (who may read any PHI of B)
    outsider = fhir_for(outsider_b)
    # when they read organisation A's patient, and an id that exists nowhere
    theirs = outsider.get(f"{BASE}Patient/{clinic_a.patient.public_id}")
    missing_id = uuid.uuid4()
    missing = outsider.get(f"{BASE}Patient/{missing_id}")
    # then the two answers are the same but for the id asked about
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content.decode().replace(str(clinic_a.patient.public_id), "X") == (
        missing.content.decode().replace(str(missing_id), "X")
    )
    # and A's people are not found by searching either
    assert outsider.get(BASE + "Patient", {"name": "lopez"}).json()["total"] == 0
    assert outsider.get(BASE + "Encounter").json()["total"] == 0


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"family": "lopez"}, "family"),
        ({"name:fuzzy": "lopez"}, "name:fuzzy"),
        ({"_sort": "name"}, "_sort"),
        ({"birthdate": "sa1990"}, "birthdate"),
        ({"birthdate": "1990-13-01"}, "birthdate"),
        ({"_count": "ten"}, "_count"),
        ({"_count": "-1"}, "_count"),
        ({"_offset": "x"}, "_offset"),
        ({"_offset": "99999999999999999999"}, "_offset"),
        ({"_count": "\u0661"}, "_count"),  # an Arabic-Indic one: a digit, but not 0-9
        ({"name": "lo\x00pez"}, "name"),
    ],
)
def test_bad_search_parameters_are_400_naming_the_parameter(
    clinician: Client, query: dict[str, str], param: str
) -> None:
    response = clinician.get(BASE + "Patient", query)
    assert response.status_code == 400
    issue = _issue(response)
    assert issue["expression"] == [param]
    assert param.split(":")[0] in issue["diagnostics"]
    # and nothing was searched (no search was audited)
    assert not AuditEvent.objects.filter(action="fhir.patient.search").exists()


def test_patient_search_parameter_on_a_type_without_it_is_400(clinician: Client) -> None:
    response = clinician.get(BASE + "Patient", {"patient": "Patient/1"})
    assert response.status_code == 400
    assert _issue(response)["expression"] == ["patient"]


def test_authentication_is_required(client: Client, clinic_a: Clinic) -> None:
    # no token
    response = client.get(f"{BASE}Patient/{clinic_a.patient.public_id}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _issue(response)["code"] == "login"
    # a wrong token
    wrong = client.get(BASE + "Patient", HTTP_AUTHORIZATION="Bearer cb_nope_nope")
    assert wrong.status_code == 401
    assert _issue(wrong)["code"] == "login"
    # another scheme
    basic = client.get(BASE + "Patient", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert basic.status_code == 401
    assert not AuditEvent.objects.filter(action__startswith="fhir.").exists()


def test_the_analyst_reads_no_identifiable_phi(
    fhir_for: Callable[[User], Client], analyst_a: User, clinic_a: Clinic
) -> None:
    analyst = fhir_for(analyst_a)
    for url in (
        f"{BASE}Patient/{clinic_a.patient.public_id}",
        BASE + "Patient",
        BASE + "Encounter",
    ):
        response = analyst.get(url)
        assert response.status_code == 403
        assert _issue(response)["code"] == "forbidden"
    assert not AuditEvent.objects.filter(action__startswith="fhir.").exists()


def test_audit_events_are_for_administrators(
    fhir_for: Callable[[User], Client], users_a: dict[str, User], clinic_a: Clinic
) -> None:
    # given a read that left an audit event naming the patient
    clinician = fhir_for(users_a[Role.CLINICIAN])
    clinician.get(f"{BASE}Patient/{clinic_a.patient.public_id}")
    assert clinician.get(BASE + "AuditEvent").status_code == 403
    # when the administrator asks for the events about that patient
    admin = fhir_for(users_a[Role.ADMIN])
    bundle = admin.get(BASE + "AuditEvent", {"patient": str(clinic_a.patient.public_id)}).json()
    # then they get them, as valid AuditEvents, and can read one by id
    validate_fhir(bundle)
    assert bundle["total"] >= 1
    subtypes = {e["resource"]["subtype"][0]["code"] for e in bundle["entry"]}
    assert "fhir.patient.read" in subtypes
    one = admin.get(f"{BASE}AuditEvent/{bundle['entry'][0]['resource']['id']}")
    assert one.status_code == 200
    validate_fhir(one.json())


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ({"_format": "xml"}, FHIR_JSON),
        ({"_format": "application/fhir+xml"}, FHIR_JSON),
        ({}, "application/fhir+xml"),
        ({}, "application/xml, text/xml"),
    ],
)
def test_xml_is_not_acceptable(
    clinician: Client, clinic_a: Clinic, query: dict[str, str], accept: str
) -> None:
    response = clinician.get(
        f"{BASE}Patient/{clinic_a.patient.public_id}", query, HTTP_ACCEPT=accept
    )
    assert response.status_code == 406
    assert _issue(response)["code"] == "not-supported"


def test_json_format_spellings_and_browser_accept_headers_are_fine(
    clinician: Client, clinic_a: Clinic
) -> None:
    url = f"{BASE}Patient/{clinic_a.patient.public_id}"
    assert clinician.get(url, {"_format": "json"}).status_code == 200
    assert clinician.get(url, {"_format": "application/fhir+json"}).status_code == 200
    assert clinician.get(url, HTTP_ACCEPT="*/*").status_code == 200
    assert clinician.get(url, HTTP_ACCEPT="application/json").status_code == 200


def test_writes_are_not_supported_here(clinician: Client, clinic_a: Clinic) -> None:
    response = clinician.post(BASE + "Patient", {}, content_type=FHIR_JSON)
    assert response.status_code == 405
    assert _issue(response)["code"] == "not-supported"
    deleted = clinician.delete(f"{BASE}Patient/{clinic_a.patient.public_id}")
    assert deleted.status_code == 405
    assert Person.objects.filter(pk=clinic_a.patient.pk).exists()


def test_a_signed_in_browser_session_past_mfa_may_read(
    client_for: Callable[[User], Client], users_a: dict[str, User], clinic_a: Clinic
) -> None:
    browser = client_for(users_a[Role.FRONT_DESK])
    response = browser.get(f"{BASE}Patient/{clinic_a.patient.public_id}")
    assert response.status_code == 200
    # but not before the second factor
    half = Client()
    half.force_login(users_a[Role.FRONT_DESK])
    assert half.get(f"{BASE}Patient/{clinic_a.patient.public_id}").status_code == 401


def test_a_browser_session_must_send_the_csrf_token_to_write(
    users_a: dict[str, User], manager_a: User
) -> None:
    # given a manager's browser session past MFA, on a site that checks CSRF tokens
    from carebond.interop.models import ImportRun
    from carebond.testing.fixtures import sign_in

    browser = sign_in(Client(enforce_csrf_checks=True), manager_a)
    # when a page of another site makes the browser post a Bundle without the token
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
    response = browser.post(BASE, bundle, content_type=FHIR_JSON)
    # then it is refused before anything is imported
    assert response.status_code == 403
    assert _issue(response)["code"] == "forbidden"
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.CLINICIAN, 200), (Role.MANAGER, 200), (Role.FRONT_DESK, 403), (Role.LIAISON, 403)],
)
def test_questionnaire_answers_are_for_clinical_roles_only(
    role: str, status: int, fhir_for: Callable[[User], Client], users_a: dict[str, User]
) -> None:
    # minimum necessary: answers to health questionnaires are clinical, as the history is
    response = fhir_for(users_a[role]).get(BASE + "QuestionnaireResponse")
    assert response.status_code == status
