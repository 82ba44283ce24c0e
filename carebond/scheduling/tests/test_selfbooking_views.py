"""The public booking pages through Django's client: the booking address in the browser's
language, holding a time, the same answer whether or not a record matches, bad input said
clearly (a past day, an unreadable time, a wrong code, an expired or used link), the visit's
link; and the front desk's "Online bookings" panel."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from carebond.messaging.models import Message
from carebond.scheduling.models import Appointment, SelfBooking
from carebond.scheduling.panels import online_bookings_panel
from carebond.scheduling.selfbooking_links import manage_url
from carebond.scheduling.tests.conftest import Clinic, at

TUESDAY = date(2026, 3, 3)


@pytest.fixture
def online(clinic: Clinic) -> Clinic:
    clinic.follow_up.online = True
    clinic.follow_up.save()
    return clinic


def _hold(client: Client, clinic: Clinic, hour: int = 10, lang: str = "en") -> Any:
    return client.post(
        f"/book/{clinic.organization.slug}/hold/",
        {
            "lang": lang,
            "appointment_type": str(clinic.follow_up.public_id),
            "location": str(clinic.location.public_id),
            "provider": str(clinic.doctor.public_id),
            "starts_at": at(TUESDAY, hour).isoformat(),
        },
    )


def test_the_booking_address_lists_open_times_in_the_browsers_language(online: Clinic) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5")
    page = client.get(
        f"/book/{online.organization.slug}/?type={online.follow_up.public_id}&day=2026-03-03"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Pedir una cita" in text
    assert "mar 3 mar a las 09:00" in text  # the clinic's time, in Spanish
    assert "America/Chicago" in text


def test_a_past_day_says_so_and_shows_times_from_today(online: Clinic) -> None:
    page = Client().get(
        f"/book/{online.organization.slug}/?type={online.follow_up.public_id}&day=2026-02-01"
    )
    assert page.status_code == 200
    assert "That day has passed" in page.content.decode()


def test_an_unknown_organisation_or_link_reveals_nothing(online: Clinic) -> None:
    assert Client().get("/book/nobody-here/").status_code == 404
    assert Client().get("/book/held/" + "x" * 32 + "/").status_code == 404
    visit = Client().get("/book/visit/forged-token/")
    assert visit.status_code == 404
    assert "This link is not valid" in visit.content.decode()


def test_an_unreadable_time_is_refused_with_a_message_and_nothing_held(online: Clinic) -> None:
    answer = Client().post(f"/book/{online.organization.slug}/hold/", {"starts_at": "tomorrow-ish"})
    assert answer.status_code == 400
    assert "could not be read" in answer.content.decode()
    assert not SelfBooking.objects.exists()


def test_a_time_outside_the_hours_is_refused_with_the_next_open_times(online: Clinic) -> None:
    answer = _hold(Client(), online, hour=19)
    assert answer.status_code == 409
    text = answer.content.decode()
    assert "outside the practice&#x27;s hours" in text
    assert 'data-testid="open-times"' in text


def test_matched_or_not_the_page_says_the_same_and_the_right_code_books(online: Clinic) -> None:
    # given two holds, one for the patient on file and one with a birth date nobody has
    client = Client()
    held = client.get(_hold(client, online).url)
    assert "Your time is held" in held.content.decode()
    _hold(client, online, hour=11)
    claims = {
        "held": ("1984-03-07", SelfBooking.objects.order_by("id").first()),
        "stranger": ("1990-01-01", SelfBooking.objects.order_by("id").last()),
    }
    pages = {}
    for key, (born, booking) in claims.items():
        assert booking is not None
        url = f"/book/held/{booking.token}/"
        client.post(
            url,
            {
                "step": "claim",
                "seen_before": "yes",
                "birth_date": born,
                "contact": "312-555-0123",
            },
        )
        pages[key] = client.get(url).content.decode().replace(booking.token, "")
    # then both pages say the same (bar the time held)
    said = re.findall(r'data-testid="code-sent"[^>]*>([^<]*)<', "".join(pages.values()))
    assert len(said) == 2
    assert said[0] == said[1]

    # when the patient on file types the code texted to them
    message = Message.objects.get(purpose="reply", to_address="+13125550123")
    code = re.search(r"\d{6}", message.body).group(0)  # type: ignore[union-attr]
    booking = claims["held"][1]
    assert booking is not None
    wrong = client.post(f"/book/held/{booking.token}/", {"step": "code", "code": "12345"})
    assert wrong.status_code == 422
    assert "not right" in wrong.content.decode()
    booked = client.post(f"/book/held/{booking.token}/", {"step": "code", "code": code})

    # then the visit is booked and its own link shows it
    appointment = Appointment.objects.get(patient=online.patient)
    assert booked.status_code == 302
    assert booked["Location"].startswith(manage_url(appointment))
    assert "Your visit is booked" in client.get(booked["Location"]).content.decode()
    used = client.get(f"/book/held/{booking.token}/")
    assert used.status_code == 410
    assert "already used" in used.content.decode()


def test_the_visit_link_cancels_and_then_says_it_was_cancelled(online: Clinic) -> None:
    from carebond.scheduling.actions import check_book_appointment

    appointment = check_book_appointment(
        online.patient,
        provider=online.doctor,
        location=online.location,
        appointment_type=online.follow_up,
        starts_at=at(TUESDAY + timedelta(days=1), 10),
        acting_user=None,
        via="online",
    )
    url = manage_url(appointment)
    client = Client()
    assert "Cancel this visit" in client.get(url).content.decode()
    answer = client.post(url, {"action": "cancel"})
    assert "Your visit is cancelled" in answer.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert "This visit was cancelled" in client.get(url).content.decode()


def test_the_visit_link_read_in_the_evening_offers_times_past_the_notice(
    online: Clinic, monday: Any
) -> None:
    from carebond.scheduling.actions import check_book_appointment

    # given a visit on Thursday, its link opened on Monday at 6 pm: the day's notice runs to
    # Tuesday 6 pm, after Tuesday's last time
    appointment = check_book_appointment(
        online.patient,
        provider=online.doctor,
        location=online.location,
        appointment_type=online.follow_up,
        starts_at=at(TUESDAY + timedelta(days=2), 10),
        acting_user=None,
        via="online",
    )
    monday.move_to(at(TUESDAY - timedelta(days=1), 18))
    page = Client().get(manage_url(appointment)).content.decode()
    # then it offers Wednesday's first times, and none inside the notice
    moves = re.findall(r"Move to ([^<]+)</button>", page)
    assert moves[:2] == ["Wed 4 Mar at 9:00 AM", "Wed 4 Mar at 9:15 AM"]
    assert len(moves) == 6
    assert not [m for m in moves if m.startswith("Tue")]


def test_the_front_desk_panel_lists_online_bookings_for_the_desk_only(
    online: Clinic, users_a: dict[str, Any]
) -> None:
    from carebond.scheduling.actions import check_book_appointment

    assert online_bookings_panel(users_a["front_desk"]) is None
    check_book_appointment(
        online.patient,
        provider=online.doctor,
        location=online.location,
        appointment_type=online.follow_up,
        starts_at=at(TUESDAY, 10),
        acting_user=None,
        via="online",
    )
    panel = online_bookings_panel(users_a["front_desk"])
    assert panel is not None
    assert [row.appointment.patient for row in panel["rows"]] == [online.patient]
    assert panel["rows"][0].when == "Tue 03 Mar 10:00"
    assert online_bookings_panel(users_a["clinician"]) is None
