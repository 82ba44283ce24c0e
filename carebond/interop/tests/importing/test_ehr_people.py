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
