"""A patient answers the post-visit survey on a phone, in Spanish: part by part, leaving and
coming back with the same link, a refused answer shown beside its question, then sending. A
detractor's answer opens a recovery case. Each press is checked against what was stored."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from carebond.core.models import Location
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.people.tests.factories import make_patient
from carebond.surveys.distribution_actions import check_invite, month_wave, send_invitation
from carebond.surveys.instrument_actions import ensure_built_in_instruments
from carebond.surveys.models import Instrument, RecoveryCase, Response
from carebond.surveys.tests.conftest import consent
from carebond.testing.fixtures import make_organization
from tests.browser.accessibility import axe_violations, broken_references, horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link() -> tuple[str, Response | None]:
    organization = make_organization("alder", "Alder Family Practice")
    clinic = Location.objects.create(organization=organization, name="Main clinic")
    ensure_built_in_templates(organization)
    check_add_sender(
        organization, channel="sms", address="+13125550100", label="Main", purposes=["survey"]
    )
    ensure_built_in_instruments(organization)
    rosa = make_patient(organization, "Rosa", "Diaz", phone="+13125550123", preferred_language="es")
    consent(rosa)
    instrument = Instrument.objects.get(organization=organization, key="post-visit")
    invitation = check_invite(
        rosa,
        wave=month_wave(instrument, None, instrument.created_at.date()),
        subject_key="visit:1",
        location=clinic,
        acting_user=None,
    )
    send_invitation(invitation.id)
    invitation.refresh_from_db()
    return invitation.link_token, None


def test_a_patient_answers_in_spanish_on_a_phone(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    token, _ = _link()
    url = f"{live_server}/survey/{token}/"
    page.goto(url)
    # her language, from her record
    expect(page.get_by_role("heading", level=1)).to_have_text("Su experiencia en la visita")
    expect(page.get_by_test_id("survey-part")).to_have_text("Parte 1 de 5")
    assert axe_violations(page) == []
    assert broken_references(page) == []
    assert horizontal_overflow(page) == 0
    access = page.get_by_test_id("q-access_soon")
    access.get_by_role("radio", name="Siempre", exact=True).check()
    page.get_by_test_id("q-access_seen").get_by_role("radio", name="Casi siempre").check()
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(page.get_by_test_id("survey-part")).to_have_text("Parte 2 de 5")
    response = Response.objects.get()
    assert (response.status, response.answers) == (
        "in-progress",
        {"access_soon": 4, "access_seen": 3},
    )
    # she closes the page and comes back with the same link: her answers are there
    page.goto(url + "?part=1")
    expect(
        page.get_by_test_id("q-access_soon").get_by_role("radio", name="Siempre", exact=True)
    ).to_be_checked()
    page.goto(url + "?part=4")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # a rating: 0-10 as large targets; she gives a 3 on recommending us
    page.get_by_test_id("q-recommend").get_by_role("radio", name="3", exact=True).check()
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(page.get_by_test_id("survey-part")).to_have_text("Parte 5 de 5")
    page.get_by_label("¿Qué es lo que podríamos hacer mejor?").fill(
        "Esperé dos horas y nadie me avisó."
    )
    page.get_by_test_id("q-may_contact").get_by_role("radio", name="Sí").check()
    page.get_by_role("button", name="Enviar mis respuestas").click()
    expect(page.get_by_test_id("survey-thanks")).to_contain_text("Sus respuestas fueron enviadas")
    response.refresh_from_db()
    assert response.status == "completed"
    assert response.language == "es"
    assert response.answers["recommend"] == 3
    assert response.may_contact
    comment = response.comments.get()
    assert comment.text == "Esperé dos horas y nadie me avisó."
    assert comment.label == "negative"
    assert "wait_time" in comment.theme_keys
    # a detractor: the manager has a case to follow up
    case = RecoveryCase.objects.get(response=response)
    assert case.source == "detractor"
    # the link again: already answered, nothing changed
    page.goto(url)
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    assert Response.objects.count() == 1


def test_a_refused_answer_is_shown_beside_its_question(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    token, _ = _link()
    page.goto(f"{live_server}/survey/{token}/?lang=en&part=4")
    expect(page.get_by_role("heading", level=1)).to_have_text("Post-visit patient experience")
    # a value no radio offers (as a tampered form would send): refused beside its question
    page.evaluate(
        "() => { const r = document.querySelector('input[name=recommend]');"
        " r.value = '11'; r.checked = true; }"
    )
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check the answers marked below.")
    expect(page.get_by_test_id("q-recommend")).to_contain_text(
        "Please choose a number from the scale."
    )
    assert broken_references(page) == []
    assert not Response.objects.exists()
    # the link in another language
    page.get_by_role("link", name="Español").click()
    expect(page.get_by_test_id("survey-part")).to_have_text("Parte 4 de 5")
