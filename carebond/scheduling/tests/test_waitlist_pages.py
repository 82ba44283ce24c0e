"""The waitlist pages: staff add a patient (errors beside their fields, nothing written), see
the offers and their outcomes, and take a patient off; the patient's offer page (no sign-in,
English or Spanish) takes the answer, says when the time was taken, and reveals nothing for an
unknown link. The desk's home panel shows the offers out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.scheduling.models import (
    Appointment,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.scheduling.tests.test_waitlist_actions import freed, waiting
from carebond.scheduling.waitlist_actions import scan_waitlist

MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture
def desk(users_a: dict[str, User], client_for: Callable[[User], Client]) -> Client:
    return client_for(users_a[Role.FRONT_DESK])


def test_the_desk_adds_a_patient_and_a_wrong_date_is_shown_beside_its_field(
    clinic: Clinic, desk: Client
) -> None:
    page = f"/schedule/waitlist/add/?patient={clinic.patient.public_id}"
    assert "What suits Rosa Diaz" in desk.get(page).content.decode()
    form = {
        "patient": str(clinic.patient.public_id),
        "appointment_type": str(clinic.follow_up.public_id),
        "providers": [str(clinic.doctor.public_id)],
        "weekdays": ["1", "3"],
        "times_of_day": ["morning"],
        "earliest": "2026-03-20",
        "latest": "2026-03-10",
        "note": "Works afternoons",
    }
    # a latest day before the earliest: the page says so beside it, nothing is written
    response = desk.post("/schedule/waitlist/add/", form)
    assert response.status_code == 400
    assert "The latest day comes before the earliest." in response.content.decode()
    assert not WaitlistEntry.objects.exists()
    # put right, the patient is on the list with what suits them
    response = desk.post("/schedule/waitlist/add/", {**form, "latest": "2026-03-31"}, follow=True)
    assert "Rosa Diaz is on the waitlist." in response.content.decode()
    entry = WaitlistEntry.objects.get(patient=clinic.patient)
    assert (entry.weekdays, entry.times_of_day, entry.note) == (
        [1, 3],
        ["morning"],
        "Works afternoons",
    )
    assert "Priya Raman · any location · Tue, Thu · mornings" in response.content.decode()


def test_the_page_shows_offers_and_outcomes_and_the_desk_takes_a_patient_off(
    clinic: Clinic,
    desk: Client,
    users_b: dict[str, User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    for name in ("Ana", "Ben", "Cruz", "Dee"):
        waiting(clinic, name)
    freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    with django_assert_max_num_queries(30):
        page = desk.get("/schedule/waitlist/").content.decode()
    assert page.count("Waiting for an answer until 08:30") == 3 * 2  # on entries and the time
    assert "Tue 03 Mar 10:00 with Priya Raman" in page
    dee = WaitlistEntry.objects.get(patient__given_name="Dee")
    # another organisation cannot take her off
    outsider = client_for(users_b[Role.FRONT_DESK])
    assert outsider.post(f"/schedule/waitlist/{dee.public_id}/remove/").status_code == 404
    # the desk can
    response = desk.post(
        f"/schedule/waitlist/{dee.public_id}/remove/", {"reason": "Moved away"}, follow=True
    )
    assert "Dee Waiting is off the waitlist." in response.content.decode()
    dee.refresh_from_db()
    assert (dee.status, dee.removed_reason) == (WaitlistStatus.REMOVED, "Moved away")
    removed = desk.get("/schedule/waitlist/?status=removed").content.decode()
    assert "Moved away" in removed


def test_the_patient_takes_the_time_on_the_offer_page_in_spanish(
    clinic: Clinic, client: Client
) -> None:
    ana = waiting(clinic, "Ana")
    ana.preferred_language = "es"
    ana.save()
    waiting(clinic, "Ben")
    freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    offer = WaitlistOffer.objects.get(entry__patient=ana)
    link = f"/visit/offer/{offer.token}/"
    page = client.get(link).content.decode()
    assert "Hay una cita libre" in page
    assert "03/03/2026 a las 10:00" in page
    assert "Esta oferta vale hasta las 08:30" in page
    assert AuditEvent.objects.filter(action="waitlist_offer.opened").count() == 1
    # taking it books her, and the page says so
    page = client.post(link, {"answer": "accept"}).content.decode()
    assert "Su cita quedó reservada" in page
    assert Appointment.objects.get(patient=ana).starts_at == at(TUESDAY, 10)
    # Ben's page now says the time was taken, with no buttons
    other = WaitlistOffer.objects.get(entry__patient__given_name="Ben")
    page = client.get(f"/visit/offer/{other.token}/?lang=en").content.decode()
    assert "another patient took this time" in page
    assert "Take this visit" not in page
    late = client.post(f"/visit/offer/{other.token}/?lang=en", {"answer": "accept"})
    assert "another patient took this time" in late.content.decode()
    assert not Appointment.objects.filter(patient=other.entry.patient).exists()


def test_the_patient_says_no_and_an_unknown_link_reveals_nothing(
    clinic: Clinic, client: Client
) -> None:
    waiting(clinic, "Ana")
    freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    offer = WaitlistOffer.objects.get()
    page = client.post(f"/visit/offer/{offer.token}/", {"answer": "decline"}).content.decode()
    assert "You said no to this time. You stay on the waitlist." in page
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    response = client.get("/visit/offer/" + "x" * 22 + "/")
    assert response.status_code == 404
    assert "This link is not valid." in response.content.decode()
    assert "Priya" not in response.content.decode()


def test_the_desk_panel_shows_the_offers_out_and_is_gone_without_them(
    clinic: Clinic, desk: Client, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    waiting(clinic, "Ana")
    assert "Waitlist offers" not in desk.get("/").content.decode()
    freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    home = desk.get("/").content.decode()
    assert "Waitlist offers" in home
    assert "Ana Waiting: Tue 03 Mar 10:00 with Priya Raman" in home
    assert "Waitlist offers" not in client_for(users_a[Role.CLINICIAN]).get("/").content.decode()
