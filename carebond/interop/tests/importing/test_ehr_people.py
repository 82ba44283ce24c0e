"""People as other EHRs export them: accented and old names, names sent whole, dates of death,
NPIs that are not NPIs, national phone numbers. Hand-written files shaped like Epic and Cerner
exports (tests/data/README.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.interop.models import ImportRun
from carebond.interop.tests.conftest import validate_fhir
from carebond.people.actions import NPI_SYSTEM
from carebond.people.models import Identifier, Person, ReferralSourceProfile

DATA = Path(__file__).resolve().parents[1] / "data"
BASE = "/fhir/R4/"


@pytest.fixture
def clinician(users_a: dict[str, User], api_for: Callable[[User], Client]) -> Client:
    return api_for(users_a[Role.CLINICIAN])


def search(client: Client, resource_type: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(BASE + resource_type, params)
    assert response.status_code == 200, response.content
    bundle = response.json()
    validate_fhir(bundle)
    return [e["resource"] for e in bundle.get("entry", [])]


def family_names(resources: list[dict[str, Any]]) -> list[str]:
    return sorted(
        n.get("family", n.get("text", ""))
        for r in resources
        for n in r["name"][:1]  # the first (official) name
    )


def notices(run: ImportRun) -> list[dict[str, Any]]:
    return [p for p in run.problems if p.get("notice")]


# --- names -----------------------------------------------------------------------------------


def test_facade_name_search_ignores_accents_and_case_and_reads_every_name(
    run_import: Callable[..., ImportRun], clinician: Client
) -> None:
    # given Epic patients with accented names, an old name and a maiden name
    run_import(DATA / "epic_patients.json")
    # when a client searches by name as FHIR allows, then accents and case do not matter
    assert family_names(search(clinician, "Patient", name="jose")) == ["Núñez"]
    assert family_names(search(clinician, "Patient", name="NUNEZ")) == ["Núñez"]
    assert family_names(search(clinician, "Patient", name="zoe angstrom")) == ["Ångström"]
    # and every HumanName counts: the old name and the maiden name
    assert family_names(search(clinician, "Patient", name="garcia")) == ["Núñez"]
    assert family_names(search(clinician, "Patient", name="Lindqvist")) == ["Ångström"]
    assert family_names(search(clinician, "Patient", **{"name:contains": "ngstr"})) == ["Ångström"]
    assert search(clinician, "Patient", name="lindgren") == []
    # and the old name goes back out as it came, next to the official one
    jose = search(clinician, "Patient", name="jose")[0]
    assert {
        "use": "old",
        "text": "José Núñez-García",
        "family": "Núñez-García",
        "given": ["José"],
    } in (jose["name"])


def test_a_name_sent_only_as_text_is_kept_whole_as_the_display_name(
    run_import: Callable[..., ImportRun], org_a: Organization, clinician: Client
) -> None:
    # given a Cerner practitioner whose only name is "Dr. Amara Okoye", as text
    run_import(DATA / "cerner_practitioners.json")
    # then it is not taken for a family name: it is the name shown, whole
    person = Person.objects.get(organization=org_a, origin_id="Practitioner/4122641")
    assert (person.given_name, person.family_name) == ("", "")
    assert person.display_name == "Dr. Amara Okoye"
    # and the facade finds it by any of its words and gives it back as text
    found = search(clinician, "Practitioner", name="okoye")
    assert [r["name"] for r in found] == [[{"text": "Dr. Amara Okoye"}]]


# --- dates of death --------------------------------------------------------------------------


def test_a_date_of_death_survives_import_facade_and_export(
    run_import: Callable[..., ImportRun], org_a: Organization, clinician: Client, tmp_path: Path
) -> None:
    # given an Epic patient who died late in the evening of 3 November 2024, Chicago time
    run_import(DATA / "epic_patients.json")
    # then the date is kept, as the record's own day
    zoe = Person.objects.get(organization=org_a, family_name="Ångström")
    assert (zoe.status, zoe.deceased_date) == ("deceased", date(2024, 11, 3))
    # and the facade says when, not only that
    read = clinician.get(f"{BASE}Patient/{zoe.public_id}").json()
    assert read["deceasedDateTime"] == "2024-11-03"
    assert "deceasedBoolean" not in read
    # while a patient only known to have died stays deceasedBoolean
    camila = Person.objects.get(organization=org_a, family_name="Lopez", given_name="Camila")
    assert clinician.get(f"{BASE}Patient/{camila.public_id}").json()["deceasedBoolean"] is True
    # and the bulk export says the same
    call_command("export_fhir", str(tmp_path / "out"), stdout=StringIO())
    patients = {
        p["id"]: p
        for p in map(orjson.loads, (tmp_path / "out" / "Patient.ndjson").read_bytes().splitlines())
    }
    assert patients[str(zoe.public_id)]["deceasedDateTime"] == "2024-11-03"
    assert patients[str(camila.public_id)]["deceasedBoolean"] is True
    for patient in patients.values():
        validate_fhir(patient)


# --- NPIs ------------------------------------------------------------------------------------


def test_npis_that_are_not_valid_npis_are_kept_as_plain_identifiers_with_a_notice(
    run_import: Callable[..., ImportRun], org_a: Organization, clinician: Client
) -> None:
    # given Cerner practitioners: a valid NPI, one failing its check digit, one of 9 digits
    run = run_import(DATA / "cerner_practitioners.json")

    # then the valid one is an NPI, on the referral profile as the form would keep it
    hartley = Person.objects.get(organization=org_a, family_name="Hartley")
    assert hartley.referral_profile.npi == "1234567893"
    assert Identifier.objects.filter(person=hartley, system=NPI_SYSTEM).count() == 1
    # and the two others are not NPIs anywhere: plain identifiers, as sent
    for origin_id, value in (
        ("Practitioner/4122630", "1234567890"),
        ("Practitioner/4122641", "123456789"),
    ):
        person = Person.objects.get(organization=org_a, origin_id=origin_id)
        assert ReferralSourceProfile.objects.get(person=person).npi == ""
        kept = Identifier.objects.get(person=person, value=value)
        assert kept.system != NPI_SYSTEM
        assert kept.type_code != "NPI"
    assert not Identifier.objects.filter(
        organization=org_a,
        system=NPI_SYSTEM,
        value__in=[
            "1234567890",
            "123456789",
        ],
    ).exists()
    # and the run says so, naming the file and the entries, never the values
    [notice] = [n for n in notices(run) if "NPI" in n["message"]]
    assert notice["file"] == "cerner_practitioners.json"
    assert notice["path"] == "Practitioner.identifier.value"
    assert "entries 1, 2" in notice["message"]
    assert "1234567890" not in str(notice)
    assert "123456789" not in str(notice)
    # and the facade does not answer them as NPIs
    by_npi = search(clinician, "Practitioner", identifier=f"{NPI_SYSTEM}|1234567890")
    assert by_npi == []


def test_a_conditional_reference_by_an_invalid_npi_still_finds_its_practitioner(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given the Cerner practitioners, then a visit naming one by the (invalid) NPI it was sent with
    run_import(DATA / "cerner_practitioners.json")
    visit = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "name": [{"family": "Lee", "given": ["Ann"]}],
                }
            },
            {
                "resource": {
                    "resourceType": "Encounter",
                    "id": "v1",
                    "status": "finished",
                    "class": {"code": "AMB"},
                    "subject": {"reference": "Patient/p1"},
                    "participant": [
                        {
                            "individual": {
                                "reference": f"Practitioner?identifier={NPI_SYSTEM}|1234567890"
                            }
                        }
                    ],
                    "period": {"start": "2025-03-01T10:00:00Z"},
                }
            },
        ],
    }
    (tmp_path / "visit.json").write_bytes(orjson.dumps(visit))
    # when it is imported from the same source
    run_import(tmp_path / "visit.json")
    # then the visit has its practitioner
    from carebond.touchpoints.models import Touchpoint

    staff = Touchpoint.objects.get(organization=org_a, origin_id="Encounter/v1").staff
    assert staff is not None
    assert staff.family_name == "Brandt"


# --- phone numbers ---------------------------------------------------------------------------


def phones(organization: Organization, origin_id: str) -> list[str]:
    person = Person.objects.get(organization=organization, origin_id=origin_id)
    return list(
        person.contact_points.filter(system="phone")
        .order_by("rank")
        .values_list("value", flat=True)
    )


def test_national_phone_numbers_are_read_in_the_country_of_the_persons_address(
    run_import: Callable[..., ImportRun], org_a: Organization
) -> None:
    # given a US organisation importing Dutch and Chinese patients whose numbers have no
    # country code
    run = run_import(DATA / "international_patients.ndjson")
    # then each number is read in the country of the person's address
    assert phones(org_a, "Patient/nl-4471") == ["+31205551234", "+31612345678"]
    assert phones(org_a, "Patient/cn-0831") == ["+8613800138000"]
    # and a number that says its own country keeps it
    assert phones(org_a, "Patient/us-2209") == ["+16082719000", "+31205551234"]
    # and without an address, a number that is no number of the organisation's country is kept
    # as written (never given a country code it does not have), and so is one that is no number
    assert phones(org_a, "Patient/xx-0001") == ["ask at front desk", "010 555 7788"]
    [notice] = [n for n in notices(run) if n["path"] == "Patient.telecom"]
    assert notice["file"] == "international_patients.ndjson"
    assert notice["entry"] == 3
    assert "kept as written" in notice["message"]
    assert "010" not in notice["message"]
    assert "front desk" not in notice["message"]


def test_without_an_address_a_number_is_read_in_the_organisations_country(
    run_import: Callable[..., ImportRun], org_a: Organization
) -> None:
    # given a Dutch organisation
    Organization.objects.filter(pk=org_a.pk).update(country="NL")
    org_a.refresh_from_db()
    # when it imports a patient with no address and a national mobile number
    run_import(DATA / "international_patients.ndjson")
    # then the number is Dutch
    assert phones(org_a, "Patient/xx-0001") == ["ask at front desk", "+31105557788"]


# --- Bundles that are not data to import as such -----------------------------------------------


@pytest.mark.parametrize(
    ("file", "words"),
    [
        ("message_bundle.json", "a FHIR message"),
        ("transaction_response.json", "a transaction-response"),
    ],
)
def test_message_and_response_bundles_are_imported_with_a_note_saying_what_was_done(
    run_import: Callable[..., ImportRun], org_a: Organization, file: str, words: str
) -> None:
    # when a message Bundle or a transaction-response is imported
    run = run_import(DATA / file)
    # then the patient it carries is imported
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 1
    # and the run says what kind of Bundle it was and what was (not) done with it
    [notice] = [n for n in notices(run) if n["path"] == "Bundle.type"]
    assert notice["file"] == file
    assert words in notice["message"]
