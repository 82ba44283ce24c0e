"""A patient books their own visit on a phone, in Spanish: chooses the visit, presses a time
(held while they confirm who they are), gives their birth date and phone, types the code texted
to them, and is booked; then moves the visit and cancels it by its link. Each page passes axe
and fits the window at 390 px and 1280 px; each press is checked against what was stored."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from carebond.core import clock
from carebond.messaging.actions import check_add_sender
from carebond.messaging.models import Message
from carebond.scheduling.models import Appointment, SelfBooking
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.test_schedule import CHICAGO, _clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page: Page) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


def test_a_patient_self_books_on_a_phone_in_spanish_while_the_time_is_held(
    page: Page, live_server: object
) -> None:
    # given a practice that books follow-ups online, and a patient of it with a phone on file
    organization, _location, _doctor, follow_up, patient = _clinic()
    follow_up.online, follow_up.name_es = True, "Consulta de seguimiento"
    follow_up.save()
    check_add_sender(
        organization,
        channel="sms",
        address="+13125550100",
        label="Clinic",
        purposes=["appointment"],
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_extra_http_headers({"Accept-Language": "es-US,es;q=0.9"})

    # when they open the booking address, choose the visit and press the first time
    page.goto(f"{live_server}/book/{organization.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pedir una cita")
    _fits(page)
    page.get_by_label("Consulta").select_option(label="Consulta de seguimiento")
    ahead = clock.now().astimezone(CHICAGO).date() + timedelta(days=3)
    page.get_by_label("Desde").fill(ahead.isoformat())  # past the day's notice to change it
    page.get_by_role("button", name="Ver horas").click()
    expect(page.get_by_test_id("zone-note")).to_contain_text("America/Chicago")
    _fits(page)
    first_time = page.get_by_test_id("open-times").get_by_role("button").first
    first_time.click()

    # then the time is held for them while they say who they are
    expect(page.get_by_role("heading", level=1)).to_have_text("Su hora está guardada")
    booking = SelfBooking.objects.get()
    assert booking.status == "held"
    assert booking.language == "es"
    _fits(page)
    page.get_by_label("Fecha de nacimiento del paciente").fill("1984-03-07")
    page.get_by_label("Celular o correo que tenemos registrado").fill("(312) 555-0123")
    page.get_by_role("button", name="Enviarme un código").click()
    expect(page.get_by_test_id("code-sent")).to_contain_text("Si los datos coinciden")
    _fits(page)

    # when they type the code texted to the phone on file
    text = Message.objects.get(purpose="reply", to_address="+13125550123")
    assert "es su código" in text.body
    code = re.search(r"\d{6}", text.body).group(0)  # type: ignore[union-attr]
    page.get_by_label("El código").fill(code)
    page.get_by_role("button", name="Reservar esta hora").click()

    # then the visit is booked for their record, online, at the time held
    expect(page.get_by_role("heading", level=1)).to_have_text("Su cita está reservada")
    _fits(page)
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.status, appointment.booked_via) == (
        patient,
        "booked",
        "online",
    )
    booking.refresh_from_db()
    assert (booking.status, booking.appointment, appointment.starts_at) == (
        "booked",
        appointment,
        booking.starts_at,
    )

    # when they move it to another time by its link, then cancel it
    before = appointment.starts_at
    page.get_by_test_id("move-times").get_by_role("button").first.click()
    expect(page.get_by_test_id("visit-done")).to_have_text("Su cita se cambió.")
    appointment.refresh_from_db()
    assert appointment.starts_at != before
    page.get_by_role("button", name="Cancelar esta cita").click()
    expect(page.get_by_test_id("visit-done")).to_have_text("Su cita está cancelada.")
    _fits(page)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "patient")


def test_the_booking_pages_fit_a_desktop_and_switch_to_english(
    page: Page, live_server: object
) -> None:
    organization, _location, _doctor, follow_up, _patient = _clinic()
    follow_up.online = True
    follow_up.save()
    page.set_viewport_size({"width": 1280, "height": 800})
    ahead = clock.now().astimezone(CHICAGO).date() + timedelta(days=3)
    page.goto(
        f"{live_server}/book/{organization.slug}/?lang=es&type={follow_up.public_id}"
        f"&day={ahead.isoformat()}"
    )
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a visit")
    _fits(page)
    page.get_by_test_id("open-times").get_by_role("button").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your time is held")
    # a wrong entry is said beside its field
    page.get_by_label("Patient's date of birth").fill("1984-03-07")
    page.get_by_label("Mobile number or email on file").fill("not a number")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("alert")).to_contain_text("not a phone number")
    _fits(page)
