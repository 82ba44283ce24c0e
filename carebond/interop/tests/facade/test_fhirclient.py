"""A real FHIR client (SMART's fhirclient 4.4) against a running CareBond server.

fhirclient signs requests only through its OAuth2 flow, and fetching the CapabilityStatement
replaces its auth object with one built from the statement; a CareBond API token is a plain
Bearer token, so it goes on the client's requests session, which every request (reads, searches
and the next-page links) goes through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fhirclient import client
from fhirclient.models.bundle import Bundle
from fhirclient.models.encounter import Encounter
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRNotFoundException, FHIRUnauthorizedException

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.interop.tests.conftest import build_clinic
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def connect(live_server: Any) -> Iterator[Callable[[str | None], client.FHIRClient]]:
    """fhirclient pointed at the live server, with a CareBond API token (or none)."""
    made: list[client.FHIRClient] = []

    def make(token: str | None) -> client.FHIRClient:
        smart = client.FHIRClient(
            settings={"app_id": "carebond-tests", "api_base": f"{live_server.url}/fhir/R4/"}
        )
        if token:
            smart.server.session.headers["Authorization"] = f"Bearer {token}"
        made.append(smart)
        return smart

    yield make
    # Close the keep-alive connections before the live server stops: a request thread still
    # open at shutdown would close the test database's connection from the wrong thread.
    for smart in made:
        smart.server.session.close()


def test_fhirclient_reads_and_searches(
    connect: Callable[[str | None], client.FHIRClient],
    org_a: Organization,
    admin_a: User,
    users_a: dict[str, User],
) -> None:
    # given a clinic with Maria and Mark Lopez, three more Lopezes, and a clinician's token
    clinic = build_clinic(org_a, admin_a)
    for given in ("Ana", "Luis", "Sofia"):
        make_patient(org_a, given, "Lopez")
    make_patient(org_a, "Nadia", "Okafor")
    _, token = do_create_api_token(users_a["clinician"], name="ehr", acting_user=None)
    smart = connect(token)

    # when the client reads the server's capabilities (public) and one patient by id
    statement = smart.server.capabilityStatement
    patient = Patient.read(str(clinic.patient.public_id), smart.server)

    # then the patient came back whole, parsed by the client's own R4 models
    assert statement.fhirVersion == "4.0.1"
    assert patient.id == str(clinic.patient.public_id)
    official = next(n for n in patient.name if n.use == "official")
    assert (official.given, official.family) == (["Maria"], "Lopez")
    assert patient.birthDate.isostring == "1984-03-07"
    assert patient.identifier[0].value == "A-100"

    # when it searches by name, two at a time, following the server's next links
    search = Patient.where(struct={"name": "lopez", "_count": "2"})
    first_page = next(search.perform_iter(smart.server))
    found = list(search.perform_resources_iter(smart.server))

    # then it gets exactly the five Lopezes, each once, and not Nadia
    assert isinstance(first_page, Bundle)
    assert first_page.total == 5
    assert sorted(p.name[0].given[0] for p in found) == ["Ana", "Luis", "Maria", "Mark", "Sofia"]

    # and the patient's encounters by reference
    encounters = Encounter.where(
        struct={"patient": f"Patient/{clinic.patient.public_id}"}
    ).perform_resources_iter(smart.server)
    assert sorted(e.class_fhir.code for e in encounters) == ["AMB", "VR"]

    # and a missing id is a 404 the client recognises
    with pytest.raises(FHIRNotFoundException):
        Patient.read("00000000-0000-4000-8000-000000000000", smart.server)


def test_fhirclient_without_a_token_is_refused(
    connect: Callable[[str | None], client.FHIRClient], org_a: Organization, admin_a: User
) -> None:
    clinic = build_clinic(org_a, admin_a)
    smart = connect(None)
    with pytest.raises(FHIRUnauthorizedException):
        Patient.read(str(clinic.patient.public_id), smart.server)
