"""The public unsubscribe page in a browser, on a phone and a desktop, in Spanish and English:
accessible, and its button revokes the email consent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from carebond.messaging.unsubscribe_links import unsubscribe_url
from carebond.people.selectors import consent_in_force
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization
from tests.browser.accessibility import axe_violations, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_a_patient_unsubscribes_from_news_emails_in_their_language(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    organization = make_organization("alder", "Alder Family Practice")
    patient = make_patient(organization, "Luz", "Vega", preferred_language="es")
    page.goto(str(live_server) + unsubscribe_url(patient, "marketing"))
    expect(page.get_by_test_id("unsubscribe-message")).to_contain_text("¿Dejar de recibir")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("link", name="English").click()
    expect(page.get_by_test_id("unsubscribe-message")).to_contain_text("Stop news and recall")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_test_id("unsubscribe-message")).to_contain_text("Done")
    record = consent_in_force(patient.pk, channel="email", purpose="marketing")
    assert record is not None
    assert (record.status, record.method) == ("revoked", "email_link")
