"""A real FHIR client (SMART's fhirclient 4.4) against a running CareBond server.

The client and its token come from the shared ``fhir_client`` fixture (carebond/testing).
"""

from __future__ import annotations

from collections.abc import Callable

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


def test_fhirclient_reads_and_searches(
    fhir_client: Callable[[str | None], client.FHIRClient],
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
    smart = fhir_client(token)

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
    fhir_client: Callable[[str | None], client.FHIRClient], org_a: Organization, admin_a: User
) -> None:
    clinic = build_clinic(org_a, admin_a)
    smart = fhir_client(None)
    with pytest.raises(FHIRUnauthorizedException):
        Patient.read(str(clinic.patient.public_id), smart.server)
