"""The same Bundle by two paths (the command line, POST /fhir/R4, the upload page) and from two
connections: one patient, one visit, one history item per business identifier. The sender is
an explicit EHR connection of the organisation, named by the command line, chosen on the
upload page, and for POST /fhir/R4 by the API token or a header."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.interop.models import ImportRun
from carebond.interop.testing import synthea_subset
from carebond.people.models import HistoryItem, Person
from carebond.touchpoints.models import Touchpoint

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLE = DATA / "epic_encounter_bundle.json"
FHIR_JSON = "application/fhir+json"


def import_command(*args: str) -> None:
    call_command("import_fhir", *args, "--quiet", stdout=StringIO(), stderr=StringIO())


def post(client: Client, document: Any, **headers: str) -> Any:
    body = document if isinstance(document, bytes) else orjson.dumps(document)
    return client.post("/fhir/R4", data=body, content_type=FHIR_JSON, headers=headers)


def rows(organization: Organization) -> tuple[int, int, int]:
    return (
        Person.objects.filter(organization=organization, kind="patient").count(),
        Touchpoint.objects.filter(organization=organization).count(),
        HistoryItem.objects.filter(organization=organization).count(),
    )


def token_client(user: User) -> tuple[Client, str]:
    token, secret = do_create_api_token(user, name="EHR interface", acting_user=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), token.prefix


# --- one visit per business identifier, whatever the path -----------------------------------


def test_a_bundle_imported_by_the_command_line_then_posted_creates_nothing_twice(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client]
) -> None:
    # given an Epic transaction (a patient, a visit, a problem, an immunization) imported by
    # the command line
    import_command(str(BUNDLE), "--organization", org_a.slug)
    assert rows(org_a) == (1, 1, 2)
    # when a manager's EHR interface posts the same Bundle to /fhir/R4
    response = post(api_for(manager_a), orjson.loads(BUNDLE.read_bytes()))
    # then every entry is found as it was: nothing is created again, nothing is updated
    assert response.status_code == 200
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["200 OK"] * 4
    assert rows(org_a) == (1, 1, 2)
    assert ImportRun.objects.get(via="api").counts["Encounter"]["unchanged"] == 1


def test_the_same_visit_from_another_connection_is_the_same_visit(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client]
) -> None:
    # given the Bundle imported from one connection
    import_command(str(BUNDLE), "--organization", org_a.slug, "--source", "urn:epic:prod")
    # when the same visit, problem and immunization arrive from another connection
    bundle = orjson.loads(BUNDLE.read_bytes())
    bundle["meta"] = {"source": "https://interface-engine.example.org/fhir"}
    response = post(api_for(manager_a), bundle)
    # then they are matched by their business identifiers to the patient's rows: none twice
    assert response.status_code == 200
    assert rows(org_a) == (1, 1, 2)
    visit = Touchpoint.objects.get(organization=org_a)
    assert response.json()["entry"][1]["response"]["location"] == f"Encounter/{visit.public_id}"
    # and nothing was updated or audited as changed
    run = ImportRun.objects.get(via="api")
    assert sum(c["updated"] + c["imported"] for c in run.counts.values()) == 0
    assert not AuditEvent.objects.filter(action="interop.patient_data_imported", actor=manager_a)


def test_a_changed_visit_from_another_connection_updates_the_one_visit(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client]
) -> None:
    import_command(str(BUNDLE), "--organization", org_a.slug, "--source", "urn:epic:prod")
    bundle = orjson.loads(BUNDLE.read_bytes())
    bundle["meta"] = {"source": "https://interface-engine.example.org/fhir"}
    bundle["entry"][1]["resource"]["id"] = "another-id-for-the-same-visit"
    bundle["entry"][1]["resource"]["period"]["end"] = "2025-02-03T15:45:00Z"

    post(api_for(manager_a), bundle)

    assert rows(org_a) == (1, 1, 2)
    visit = Touchpoint.objects.get(organization=org_a)
    assert isinstance(visit.details, dict)
    assert visit.details["end"] == "2025-02-03T15:45:00+00:00"
    assert visit.origin_system == "urn:epic:prod"  # where it first came from


def test_the_same_identifier_of_another_patient_is_another_visit(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client]
) -> None:
    # given the Bundle imported, then one for another patient reusing the visit's identifier
    import_command(str(BUNDLE), "--organization", org_a.slug)
    other = orjson.loads(BUNDLE.read_bytes())
    other["entry"][0]["resource"].update(
        id="other-patient", name=[{"family": "Mensah", "given": ["Ama"]}], identifier=[]
    )
    for entry in other["entry"]:
        entry["fullUrl"] = entry["fullUrl"].replace("6b0c2f6e-2f4d-4b4a-9d59-9a1e0f3c7a01", "x")
        entry["resource"]["id"] = entry["resource"]["id"] + "-b"
        for key in ("subject", "patient"):
            if key in entry["resource"]:
                entry["resource"][key] = {"reference": "urn:uuid:x"}
    other["entry"][0]["fullUrl"] = "urn:uuid:x"
    # when it is posted
    post(api_for(manager_a), other)
    # then each patient has their own visit and history
    assert rows(org_a) == (2, 2, 4)


def test_the_shared_synthea_bundle_by_both_paths_is_imported_once(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client], tmp_path: Path
) -> None:
    # given a Synthea patient and the providers imported by the command line
    files = synthea_subset(tmp_path / "set", patients=1)
    import_command(str(tmp_path / "set"), "--organization", org_a.slug)
    before = rows(org_a)
    # when the patient's bundle (a transaction) is posted as well
    patient_bundle = next(f for f in files if not f.name.startswith(("hospital", "practitioner")))
    response = post(api_for(manager_a), patient_bundle.read_bytes())
    # then nothing is there twice
    assert response.status_code == 200
    assert rows(org_a) == before


# --- which connection ------------------------------------------------------------------------


def test_the_command_line_source_is_a_connection_created_once_and_found_by_name(
    org_a: Organization,
) -> None:
    from carebond.interop.models import EhrConnection

    import_command(str(BUNDLE), "--organization", org_a.slug, "--source", "urn:epic:prod")
    connection = EhrConnection.objects.get(organization=org_a)
    assert (connection.name, connection.system) == ("urn:epic:prod", "urn:epic:prod")
    EhrConnection.objects.filter(pk=connection.pk).update(name="Epic")
    # naming it by its name or its system is the same connection
    import_command(str(BUNDLE), "--organization", org_a.slug, "--source", "Epic")
    assert EhrConnection.objects.filter(organization=org_a).count() == 1
    runs = ImportRun.objects.filter(organization=org_a)
    assert {r.connection_id for r in runs} == {connection.pk}
    assert runs.order_by("started_at").last().counts["Encounter"]["unchanged"] == 1  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="interop.connection_created").count() == 1


def test_a_token_tied_to_a_connection_imports_into_it_whatever_the_bundle_says(
    org_a: Organization, manager_a: User
) -> None:
    from carebond.accounts.models import ApiToken
    from carebond.interop.importing.connection_actions import (
        check_create_connection,
        check_tie_token,
    )

    # given a connection and the EHR interface's token tied to it
    epic = check_create_connection(
        org_a, name="Epic", system="https://fhir.example-epic.org/api/FHIR/R4", acting_user=None
    )
    client, prefix = token_client(manager_a)
    check_tie_token(ApiToken.objects.get(prefix=prefix), epic, acting_user=None)
    # when it posts a Bundle that names another source
    bundle = orjson.loads(BUNDLE.read_bytes())
    bundle["meta"] = {"source": "urn:something:else"}
    response = post(client, bundle)
    # then it is imported for the token's connection
    assert response.status_code == 200
    assert ImportRun.objects.get().connection == epic
    assert Touchpoint.objects.get(organization=org_a).origin_system == epic.system
    # and naming another connection in the header is refused, with nothing written
    other = check_create_connection(org_a, name="Cerner", system="urn:cerner", acting_user=None)
    refused = post(client, bundle, **{"X-CareBond-Connection": other.name})
    assert refused.status_code == 403
    assert ImportRun.objects.count() == 1


def test_the_header_chooses_the_connection_and_an_unknown_one_is_refused(
    org_a: Organization, manager_a: User, api_for: Callable[[User], Client]
) -> None:
    from carebond.interop.importing.connection_actions import check_create_connection

    check_create_connection(org_a, name="Epic", system="urn:epic", acting_user=None)
    cerner = check_create_connection(org_a, name="Cerner", system="urn:cerner", acting_user=None)
    client = api_for(manager_a)
    bundle = orjson.loads(BUNDLE.read_bytes())
    # several connections and none named: refused, naming them, nothing written
    refused = post(client, bundle)
    assert refused.status_code == 422
    assert "'Cerner'" in refused.json()["issue"][0]["diagnostics"]
    assert refused.json()["issue"][0]["expression"] == ["X-CareBond-Connection"]
    assert rows(org_a) == (0, 0, 0)
    # an unknown one: refused too
    assert post(client, bundle, **{"X-CareBond-Connection": "Meditech"}).status_code == 422
    assert rows(org_a) == (0, 0, 0)
    # named by the header (by name or system): imported for it
    assert post(client, bundle, **{"X-CareBond-Connection": "urn:cerner"}).status_code == 200
    assert ImportRun.objects.get().connection == cerner


def test_the_upload_page_imports_for_the_connection_chosen(
    client_for: Callable[[User], Client],
    manager_a: User,
    org_a: Organization,
    settings: Any,
    tmp_path: Path,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from carebond.interop.importing.connection_actions import check_create_connection

    settings.FHIR_UPLOAD_DIR = tmp_path / "uploads"
    epic = check_create_connection(org_a, name="Epic", system="urn:epic", acting_user=None)
    client = client_for(manager_a)
    page = client.get("/imports/fhir/")
    assert b"Epic (urn:epic)" in page.content
    upload = SimpleUploadedFile(BUNDLE.name, BUNDLE.read_bytes())
    response = client.post(
        "/imports/fhir/", {"fhir_files": [upload], "connection": str(epic.public_id)}
    )
    assert response.status_code == 302
    assert ImportRun.objects.get().connection == epic
    # another organisation's connection cannot be chosen
    upload = SimpleUploadedFile(BUNDLE.name, BUNDLE.read_bytes())
    refused = client.post("/imports/fhir/", {"fhir_files": [upload], "connection": "x"})
    assert refused.status_code == 400
    assert ImportRun.objects.count() == 1


def test_the_command_adds_lists_and_ties_tokens_to_connections(
    org_a: Organization, manager_a: User, users_b: dict[str, User]
) -> None:
    from django.core.management import CommandError

    _, prefix = token_client(manager_a)
    out = StringIO()
    call_command(
        "ehr_connection", "add", "Epic", "urn:epic", "--organization", org_a.slug, stdout=out
    )
    call_command("ehr_connection", "tie-token", prefix, "Epic", stdout=out)
    call_command("ehr_connection", "list", "--organization", org_a.slug, stdout=out)
    assert f"Epic  urn:epic  tokens: {prefix}" in out.getvalue()
    # a token of another organisation cannot be tied to it
    _, outsider = token_client(users_b["manager"])
    with pytest.raises(CommandError):
        call_command("ehr_connection", "tie-token", outsider, "Epic", stdout=out)
    call_command("ehr_connection", "untie-token", prefix, stdout=out)
    listed = StringIO()
    call_command("ehr_connection", "list", "--organization", org_a.slug, stdout=listed)
    assert "tokens: -" in listed.getvalue()
