"""The waitlist in a browser: the front desk finds a patient, ticks what suits them and adds
them; sees the offers out and takes a patient off; on a phone, in Spanish, a patient takes the
offered time and another says no. Each press is checked against what was stored, and each page
against axe-core and the window's width."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from carebond.core import clock
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
    WaitlistStatus,
)
from carebond.scheduling.waitlist_actions import check_add_to_waitlist, do_send_offer
from carebond.testing.fixtures import make_user
from tests.browser.accessibility import axe_violations, broken_references, horizontal_overflow
from tests.browser.conftest import open_as
from tests.browser.test_schedule import _clinic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")


def _next_monday() -> date:
    today = clock.now().astimezone(CHICAGO).date()
    return today + timedelta(days=7 - today.weekday())


def _offered(
    doctor: Person, location: object, kind: AppointmentType, patients: list[Person]
) -> list[WaitlistOffer]:
    """Next Monday 10:00 booked and cancelled, and offered to these waiting patients."""
    check_add_sender(
        doctor.organization,
        channel="sms",
        address="+13125550100",
        label="Clinic line",
        purposes=["appointment"],
    )
    starts = datetime.combine(_next_monday(), time(10), tzinfo=CHICAGO)
    visit = check_book_appointment(
        make_patient(doctor.organization, "Luis", "Mora"),
        provider=doctor,
        location=location,  # type: ignore[arg-type]
        appointment_type=kind,
        starts_at=starts,
        acting_user=None,
    )
    check_cancel_appointment(visit, cancelled_by="patient", reason="Away", acting_user=None)
    opening = WaitlistOpening.objects.select_related(
        "location__organization", "provider", "organization"
    ).get(freed_by=visit)
    entries = [
        check_add_to_waitlist(patient, appointment_type=kind, acting_user=None)
        for patient in patients
    ]
    return [do_send_offer(opening, entry, batch=1, now=clock.now()) for entry in entries]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_adds_a_patient_to_the_waitlist_and_takes_another_off(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    other = make_patient(organization, "Ana", "Ruiz", phone="+13125550177")
    _offered(doctor, location, follow_up, [other])
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        "/schedule/waitlist/",
    )
    # the list: Ana waits, with her offer out
    entry = page.get_by_test_id(f"entry-{WaitlistEntry.objects.get(patient=other).public_id}")
    expect(entry).to_contain_text("Waiting for an answer until")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # add Rosa: find her, tick what suits her
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_role("textbox", name="Find the patient").fill("Diaz")
    page.get_by_role("button", name="Find").click()
    page.get_by_test_id("patients-found").get_by_role("link", name="Rosa Diaz").click()
    page.get_by_label("Visit type").select_option(label="Follow-up")
    page.get_by_role("checkbox", name="Priya Raman").check()
    page.get_by_role("checkbox", name="Tuesday").check()
    page.get_by_role("checkbox", name="Morning (before 12:00)").check()
    page.get_by_label("Note for the desk").fill("Can come at short notice")
    assert axe_violations(page) == []
    assert broken_references(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="Add to the waitlist").click()
    expect(page.get_by_role("status")).to_contain_text("Rosa Diaz is on the waitlist.")
    rosa = WaitlistEntry.objects.get(patient=patient)
    assert list(rosa.providers.all()) == [doctor]
    assert (rosa.weekdays, rosa.times_of_day, rosa.note) == (
        [1],
        ["morning"],
        "Can come at short notice",
    )
    # take Ana off, saying why
    entry = page.get_by_test_id(f"entry-{WaitlistEntry.objects.get(patient=other).public_id}")
    entry.get_by_text("Remove").click()
    entry.get_by_label("Why").fill("Booked elsewhere")
    entry.get_by_role("button", name="Take off the waitlist").click()
    expect(page.get_by_role("status")).to_contain_text("Ana Ruiz is off the waitlist.")
    ana = WaitlistEntry.objects.get(patient=other)
    assert (ana.status, ana.removed_reason) == (WaitlistStatus.REMOVED, "Booked elsewhere")
    assert WaitlistOffer.objects.get(entry=ana).status == OfferStatus.WITHDRAWN


def test_on_a_phone_in_spanish_one_patient_takes_the_time_and_another_says_no(
    page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    organization, location, doctor, follow_up, rosa = _clinic()
    rosa.preferred_language = "es"
    rosa.save()
    ana = make_patient(organization, "Ana", "Ruiz", phone="+13125550177")
    taking, declining = _offered(doctor, location, follow_up, [rosa, ana])
    # Rosa opens her link: in Spanish, the time, until when; she takes it
    page.goto(f"{live_server}/visit/offer/{taking.token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hay una cita libre")
    expect(page.get_by_test_id("offer-when")).to_contain_text("a las 10:00")
    expect(page.get_by_test_id("offer-until")).to_contain_text("Esta oferta vale hasta las")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_role("button", name="Tomar esta cita").click()
    expect(page.get_by_test_id("offer-outcome")).to_contain_text("Su cita quedó reservada")
    booked = Appointment.objects.get(patient=rosa)
    assert booked.starts_at == datetime.combine(_next_monday(), time(10), tzinfo=CHICAGO)
    assert WaitlistEntry.objects.get(patient=rosa).status == WaitlistStatus.BOOKED
    # Ana's page, in English, now says the time was taken: no buttons to press
    page.goto(f"{live_server}/visit/offer/{declining.token}/?lang=en")
    expect(page.get_by_test_id("offer-outcome")).to_contain_text("another patient took this time")
    expect(page.get_by_role("button", name="Take this visit")).to_have_count(0)
    assert axe_violations(page) == []


def test_a_patient_says_no_thanks(page: Page, live_server: object) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    organization, location, doctor, follow_up, rosa = _clinic()
    (offer,) = _offered(doctor, location, follow_up, [rosa])
    page.goto(f"{live_server}/visit/offer/{offer.token}/?lang=en")
    page.get_by_role("button", name="No, thanks").click()
    expect(page.get_by_test_id("offer-outcome")).to_contain_text("You stay on the waitlist")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert WaitlistEntry.objects.get(patient=rosa).status == WaitlistStatus.ACTIVE
    assert not Appointment.objects.filter(organization=organization, patient=rosa).exists()
