"""A manager answers a patient's right-of-access request from the patient's page: downloads
the record as FHIR and as a PDF, and opens the accounting of who accessed it. Each press is
stored in the audit trail as a disclosure to (or a reading about) the patient."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user
from carebond.touchpoints.actions import record_touchpoint
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = ((1280, 800), (390, 844))


def _readable_at_both_widths(page: Page) -> None:
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        assert axe_violations(page) == []
        assert horizontal_overflow(page) == 0


def test_a_manager_gives_a_patient_their_record_and_its_accounting(
    page: Page, live_server: object, tmp_path: Path
) -> None:
    # given a manager and a patient who prefers Spanish, with a visit on their timeline
    organization = make_organization("alder", "Alder Family Practice")
    manager = make_user(organization, Role.MANAGER, "morgan")
    patient = make_patient(organization, "Lucía", "Ortega", preferred_language="es", mrn="R-9")
    record_touchpoint(patient, kind="visit", channel="in_person", direction="inbound")
    about = {"patient_id": str(patient.public_id)}

    # when the manager opens the patient's page
    open_as(page, str(live_server), manager, f"/people/{patient.public_id}/")
    panel = page.locator("[data-panel='interop.right_of_access'], #person-panels").filter(
        has=page.get_by_role("heading", name="Right of access")
    )
    # then the right-of-access panel offers both copies, the PDF in the patient's language
    expect(panel.get_by_role("link", name="Download record (FHIR)")).to_be_visible()
    expect(page.get_by_label("Language of the PDF")).to_have_value("es")
    _readable_at_both_widths(page)
    page.set_viewport_size({"width": 1280, "height": 800})

    # when they press the FHIR download
    with page.expect_download() as fhir_download:
        panel.get_by_role("link", name="Download record (FHIR)").click()
    saved = tmp_path / "record.json"
    fhir_download.value.save_as(saved)
    # then they have the patient's Bundle, and one disclosure is stored
    bundle = json.loads(saved.read_text())
    assert bundle["entry"][0]["resource"]["id"] == str(patient.public_id)
    assert AuditEvent.objects.filter(action="right_of_access.fhir_disclosed", **about).count() == 1

    # when they press the PDF download (in Spanish, as chosen for them)
    with page.expect_download() as pdf_download:
        panel.get_by_role("button", name="Download record (PDF)").click()
    pdf = tmp_path / "record.pdf"
    pdf_download.value.save_as(pdf)
    # then it is a PDF, and one more disclosure is stored
    assert pdf.read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="right_of_access.pdf_disclosed", **about).count() == 1

    # when they open the accounting of access
    panel.get_by_role("link", name="Accounting of access").click()
    # then it lists both copies in plain words, and its own reading is stored
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accounting of access")
    table = page.get_by_role("table")
    expect(table).to_contain_text("Gave the patient a copy of their record (FHIR)")
    expect(table).to_contain_text("Gave the patient a copy of their record (PDF)")
    assert AuditEvent.objects.filter(action="accounting.read", **about).count() == 1
    _readable_at_both_widths(page)

    # when they ask for a period that ends before it starts, and press Show
    today = clock.now().date()
    page.get_by_label("From").fill(today.isoformat())
    page.get_by_label("To").fill(today.replace(year=today.year - 1).isoformat())
    page.get_by_role("button", name="Show").click()
    # then the page names the wrong field, and shows no accounting for it
    expect(page.get_by_text("“To” must be on or after “From”.")).to_be_visible()
    assert AuditEvent.objects.filter(action="accounting.read", **about).count() == 1

    # when they ask for this year instead, and press Show
    page.get_by_label("From").fill(today.replace(month=1, day=1).isoformat())
    page.get_by_label("To").fill(today.isoformat())
    page.get_by_role("button", name="Show").click()
    # then both copies are listed for the period, and this reading is stored too
    expect(page.get_by_role("table")).to_contain_text("(PDF)")
    assert AuditEvent.objects.filter(action="accounting.read", **about).count() == 2

    # when they press Download as CSV
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download as CSV").click()
    saved_csv = tmp_path / "accounting.csv"
    csv_download.value.save_as(saved_csv)
    # then the file lists both copies of the period, and the download is stored
    assert AuditEvent.objects.filter(action="accounting.downloaded", **about).count() == 1
    rows = saved_csv.read_text(encoding="utf-8-sig")
    assert "right_of_access.fhir_disclosed" in rows
    assert "right_of_access.pdf_disclosed" in rows
