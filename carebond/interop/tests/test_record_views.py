"""The right of access through the pages and the API: the FHIR file, the PDF (the patient's
language unless staff choose), the accounting page and its CSV, each download recorded once,
for administrators and managers only; and the real FHIR client reads the copy back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhirclient import client
from fhirclient.models.bundle import Bundle as ClientBundle
from weasyprint import Document

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.interop.tests.record_world import build_record
from carebond.people.models import Person
from carebond.scheduling.tests.conftest import Clinic, clinic, monday  # noqa: F401
from carebond.testing.printing import printed, printed_text  # noqa: F401

pytestmark = pytest.mark.django_db


def _disclosures(patient: Person) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            patient_id=str(patient.public_id), action__startswith="right_of_access"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_pdf_is_in_the_patients_language_unless_staff_choose(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    printed: list[Document],  # noqa: F811
) -> None:
    # given a patient who prefers Spanish, with an allergy and an appointment
    record = build_record(clinic, users_a)
    Person.objects.filter(pk=record.patient.pk).update(preferred_language="es-MX")
    manager = client_for(users_a[Role.MANAGER])
    url = f"/people/{record.patient.public_id}/record.pdf"

    # when the manager downloads the PDF, then asks for it in English
    spanish = manager.get(url)
    english = manager.get(url, {"language": "en"})

    # then both are PDFs, the first in Spanish, the second in English
    for response in (spanish, english):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    first, second = printed_text(printed[0]), printed_text(printed[1])
    assert "Su expediente de salud" in first
    assert "Alergias" in first
    assert "Your health record" in second
    assert "Allergies" in second
    # and each holds the record and the accounting of who accessed it
    for text in (first, second):
        assert "Penicillin" in text
        assert "Main clinic" in text
    # (the accounting in the copy's language too)
    assert "Quién ha consultado su expediente" in first
    assert "Reservó una cita" in first
    assert "Booked an appointment" in second
    # and each download is one disclosure to the patient
    assert _disclosures(record.patient) == ["right_of_access.pdf_disclosed"] * 2
    # and a language CareBond does not print is refused, naming it, and disclosed nothing
    refused = manager.get(url, {"language": "fr"})
    assert refused.status_code == 422
    assert _disclosures(record.patient) == ["right_of_access.pdf_disclosed"] * 2


def test_the_fhir_file_and_the_accounting_page_and_csv(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    record = build_record(clinic, users_a)
    admin = client_for(users_a[Role.ADMIN])
    base = f"/people/{record.patient.public_id}"
    # when the administrator downloads the FHIR file
    response = admin.get(f"{base}/record.fhir.json")
    # then it is a valid Bundle of the patient's record
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    Bundle.model_validate(json.loads(response.content))
    # when they open the accounting page, then it shows the download in words
    page = admin.get(f"{base}/accounting/")
    assert page.status_code == 200
    assert "Gave the patient a copy of their record (FHIR)" in page.content.decode()
    # and the CSV holds the same lines, headed, newest first
    download = admin.get(f"{base}/accounting.csv", {"since": "2026-01-01"})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0][:5] == ["When (UTC)", "Who", "What", "Part of CareBond", "Why"]
    assert [row[5] for row in rows[1:4]] == [
        "accounting.downloaded",
        "accounting.read",
        "right_of_access.fhir_disclosed",
    ]
    # and a period ending before it starts is a 400 naming the field
    bad = admin.get(f"{base}/accounting/", {"since": "2026-05-01", "until": "2026-04-01"})
    assert bad.status_code == 400
    assert "must be on or after" in bad.content.decode()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK, Role.LIAISON, Role.ANALYST])
def test_other_roles_neither_download_nor_read_the_accounting(
    role: str,
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    api_for: Callable[[User], Client],
) -> None:
    base = f"/people/{clinic.patient.public_id}"
    pages, api = client_for(users_a[role]), api_for(users_a[role])
    for url in ("record.fhir.json", "record.pdf", "accounting/", "accounting.csv"):
        assert pages.get(f"{base}/{url}").status_code == 403
    for url in ("record", "accounting"):
        assert api.get(f"/api/v1{base}/{url}").status_code == 403
    assert _disclosures(clinic.patient) == []


def test_the_api_gives_the_bundle_and_the_accounting(
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    record = build_record(clinic, users_a)
    api = api_for(users_a[Role.MANAGER])
    base = f"/api/v1/people/{record.patient.public_id}"
    bundle = api.get(f"{base}/record").json()
    Bundle.model_validate(bundle)
    accounting = api.get(f"{base}/accounting", {"page": 1}).json()
    assert accounting["entries"][0]["action"] == "accounting.read"
    assert accounting["entries"][1]["what"] == "Gave the patient a copy of their record (FHIR)"
    assert (
        api.get(f"{base}/accounting", {"until": "2020-01-01", "since": "2021-01-01"}).json()[
            "field"
        ]
        == "until"
    )
    assert api.get(f"/api/v1/people/{record.other.public_id}x/record").status_code == 422


@pytest.mark.django_db(transaction=True)
def test_the_fhir_client_reads_the_copy_back(
    fhir_client: Callable[[str | None], client.FHIRClient],
    clinic: Clinic,  # noqa: F811
    users_a: dict[str, User],
) -> None:
    # given the patient's record and a manager's token
    record = build_record(clinic, users_a)
    _, token = do_create_api_token(users_a[Role.MANAGER], name="ehr", acting_user=None)
    smart = fhir_client(token)
    # when SMART's client fetches the copy over HTTP and parses it with its own R4 models
    fetched: dict[str, Any] = smart.server.request_json(
        f"/api/v1/people/{record.patient.public_id}/record"
    )
    bundle = ClientBundle(fetched, strict=True)
    # then it reads the patient, their appointment and allergy
    types = [entry.resource.resource_type for entry in bundle.entry]
    assert types[0] == "Patient"
    assert bundle.entry[0].resource.id == str(record.patient.public_id)
    assert {"Appointment", "AllergyIntolerance", "Consent", "Communication"} <= set(types)
