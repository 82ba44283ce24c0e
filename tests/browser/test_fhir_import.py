"""A manager uploads an EHR's FHIR files, watches the import, and finds the patient it brought."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carebond.core.permissions import Role
from carebond.interop.importing.tasks import run_fhir_upload
from carebond.interop.models import ImportRun
from carebond.interop.testing import load, synthea_subset
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.test_sign_in import code_for, sign_in_with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_watch_the_import_and_open_the_imported_patient(
    page: Page, live_server: object, tmp_path: Path, settings: Any
) -> None:
    # given a manager, and a Synthea patient with the providers it references
    settings.FHIR_UPLOAD_DIR = tmp_path / "uploads"
    organization = make_organization("alder", "Alder Family Practice")
    make_user(organization, Role.MANAGER, "morgan")
    files = synthea_subset(tmp_path / "set", patients=1)
    patient_file = next(f for f in files if not f.name.startswith(("hospital", "practitioner")))
    patient = load(patient_file)["entry"][0]["resource"]
    family = patient["name"][0]["family"]
    sign_in_with_password(page, str(live_server), "morgan")
    page.get_by_label("Code").fill(code_for(page.get_by_test_id("totp-secret").inner_text()))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="I have stored them, continue").click()

    # when they upload the files on the FHIR import page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="FHIR import").click()
    page.get_by_label("FHIR files").set_input_files([str(f) for f in files])
    page.get_by_role("button", name="Import").click()

    # then the run's page says it is importing, and refreshes itself until the worker is done
    expect(page.get_by_role("heading", name="FHIR import: running")).to_be_visible()
    run_fhir_upload.call(run_id=ImportRun.objects.get().pk)  # what `carebond worker` does
    expect(page.get_by_role("heading", name="FHIR import: finished")).to_be_visible()
    counts = page.get_by_test_id("import-counts")
    expect(counts.get_by_role("row", name="Patient")).to_contain_text("1")
    expect(counts.get_by_role("row", name="Observation")).to_be_visible()

    # and the patient can be found, with the visits on the timeline
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Search people").fill(family)
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("search-results").get_by_role("link").first.click()
    expect(page.get_by_test_id("person-name")).to_contain_text(family)
    expect(page.get_by_text("Visit").first).to_be_visible()
    assert page.console_errors == []  # type: ignore[attr-defined]
