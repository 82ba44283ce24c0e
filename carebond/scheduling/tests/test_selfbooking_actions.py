"""Patients booking their own visits: a time held while they confirm who they are, the code
to the phone or email on file (nothing revealed when nothing matches), new patients and
caregivers, holds that run out, twenty patients pressing one time, and moving or cancelling by
their link within the rules."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.messaging.models import Message
from carebond.people.models import Person, Relationship
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import SlotTaken, check_book_appointment
from carebond.scheduling.availability import open_times
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    BookedVia,
    SelfBooking,
    SelfBookingStatus,
)
from carebond.scheduling.selfbooking_actions import (
    MAX_WRONG_CODES,
    Claimant,
    check_confirm_code,
    check_hold_time,
    check_patient_cancel,
    check_patient_move,
    check_send_code,
    client_key,
    scan_expired_holds,
)
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.testing.concurrency import at_once

MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)
ROSA = Claimant(new_patient=False, birth_date=date(1984, 3, 7), contact="(312) 555-0123")


@pytest.fixture
def online(clinic: Clinic) -> Clinic:
    clinic.follow_up.online = True
    clinic.follow_up.save()
    return clinic


def hold(clinic: Clinic, hour: int = 10, *, day: date = TUESDAY, device: str = "203.0.113.9"):  # type: ignore[no-untyped-def]
    return check_hold_time(
        clinic.follow_up,
        provider=clinic.doctor,
        location=clinic.location,
        starts_at=at(day, hour),
        language="en",
        client=client_key(device),
    )


def code_sent_to(address: str) -> str:
    message = Message.objects.filter(to_address=address).order_by("-id").first()
    assert message is not None, f"nothing was sent to {address}"
    found = re.search(r"\b(\d{6})\b", message.body)
    assert found is not None
    return found.group(1)


def test_a_patient_holds_a_time_confirms_with_the_code_on_file_and_is_booked(
    online: Clinic,
) -> None:
    # given a time held by a patient of the practice
    booking = hold(online)
    assert booking.status == SelfBookingStatus.HELD
    assert at(TUESDAY, 10) not in {
        t.starts_at
        for t in open_times(
            location=online.location,
            providers=[online.doctor],
            appointment_type=online.follow_up,
            first_day=TUESDAY,
            last_day=TUESDAY,
            now=at(MONDAY, 8),
        )
    }

    # when they give their birth date and phone, and type the code texted to it
    check_send_code(booking, claimant=ROSA)
    code = code_sent_to("+13125550123")
    appointment = check_confirm_code(booking, code=code)

    # then the visit is booked online for their record, and staff can see it was
    assert appointment.patient == online.patient
    assert (appointment.status, appointment.booked_via) == (AppointmentStatus.BOOKED, "online")
    assert appointment.starts_at == at(TUESDAY, 10)
    booking.refresh_from_db()
    assert (booking.status, booking.appointment) == (SelfBookingStatus.BOOKED, appointment)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"self_booking.held", "self_booking.code_sent", "appointment.booked"} <= actions
    assert {"self_booking.booked"} <= actions
    # the code and the confirmation went without any consent record (asked for), the reminders
    # is queued as for any booking
    texts = Message.objects.filter(to_address="+13125550123").order_by("id")
    assert [m.status for m in texts if m.purpose == "reply"] == ["queued", "queued"]
    assert "/book/visit/" in texts.filter(purpose="reply").last().body  # type: ignore[union-attr]
    assert texts.filter(purpose="appointment").count() == 1  # the 24-hour one (72 h: past)


def test_details_that_match_nobody_get_the_same_answer_and_no_code_is_ever_right(
    online: Clinic,
) -> None:
    # given a hold, and a birth date that is not the one on file
    booking = hold(online)
    stranger = Claimant(new_patient=False, birth_date=date(1990, 1, 1), contact="3125550123")

    # when the code is asked for and guessed
    check_send_code(booking, claimant=stranger)

    # then nothing was sent, and every guess is refused until the time is released
    assert not Message.objects.filter(to_address="+13125550123").exists()
    for _ in range(MAX_WRONG_CODES - 1):
        with pytest.raises(InvalidInput, match="not right"):
            check_confirm_code(booking, code="000000")
    with pytest.raises(RuleViolation, match="Too many wrong codes"):
        check_confirm_code(booking, code="000000")
    booking.refresh_from_db()
    assert booking.status == SelfBookingStatus.RELEASED
    assert not Appointment.objects.exists()


def test_wrong_codes_are_counted_even_for_the_right_person(online: Clinic) -> None:
    booking = hold(online)
    check_send_code(booking, claimant=ROSA)
    code = code_sent_to("+13125550123")
    with pytest.raises(InvalidInput):
        check_confirm_code(booking, code="999999" if code != "999999" else "111111")
    booking.refresh_from_db()
    assert booking.wrong_codes == 1
    # the right one still books
    assert check_confirm_code(booking, code=code).patient == online.patient


def test_a_new_patient_gets_the_code_at_the_address_they_give_and_a_record_when_booked(
    online: Clinic,
) -> None:
    # given a parent booking for a new patient, their child
    booking = hold(online)
    child = Claimant(
        new_patient=True,
        birth_date=date(2018, 6, 1),
        contact="ana.vega@example.org",
        given_name="Lucia",
        family_name="Vega",
        caregiver_name="Ana Vega",
        caregiver_relationship="PRN",
    )

    # when the code is asked for: no record exists yet
    check_send_code(booking, claimant=child)
    assert not Person.objects.filter(given_name="Lucia").exists()
    code = code_sent_to("ana.vega@example.org")
    appointment = check_confirm_code(booking, code=code)

    # then the patient's record is made with the contact given, the parent noted as related
    patient = appointment.patient
    assert (patient.given_name, patient.family_name, patient.birth_date) == (
        "Lucia",
        "Vega",
        date(2018, 6, 1),
    )
    link = Relationship.objects.get(patient=patient)
    assert (link.related.given_name, link.related.family_name, link.relationship) == (
        "Ana",
        "Vega",
        "PRN",
    )
    assert link.may_discuss_care is False


def test_a_new_patient_already_on_file_is_matched_not_duplicated(online: Clinic) -> None:
    booking = hold(online)
    again = Claimant(
        new_patient=True,
        birth_date=date(1984, 3, 7),
        contact="312 555 0123",
        given_name="Rosa",
        family_name="DIAZ",
    )
    check_send_code(booking, claimant=again)
    appointment = check_confirm_code(booking, code=code_sent_to("+13125550123"))
    assert appointment.patient == online.patient
    assert Person.objects.filter(given_name="Rosa").count() == 1


@pytest.mark.parametrize(
    ("starts", "why"),
    [
        (at(MONDAY, 7), "passed"),
        (at(TUESDAY, 12, 15), "outside the practice's hours"),
        (at(TUESDAY, 18), "outside the practice's hours"),
    ],
)
def test_a_time_passed_or_outside_the_hours_is_refused_with_nothing_held(
    online: Clinic, starts: Any, why: str
) -> None:
    with pytest.raises((InvalidInput, SlotTaken), match=why) as refused:
        check_hold_time(
            online.follow_up,
            provider=online.doctor,
            location=online.location,
            starts_at=starts,
            language="en",
            client=client_key("203.0.113.9"),
        )
    if isinstance(refused.value, SlotTaken):
        assert refused.value.alternatives  # the next open times come with it
    assert not SelfBooking.objects.exists()


def test_a_type_not_booked_online_is_refused(clinic: Clinic) -> None:
    with pytest.raises(InvalidInput, match="not booked online"):
        hold(clinic)


def test_a_held_time_is_taken_for_others_until_the_hold_runs_out(
    online: Clinic, monday: Any
) -> None:
    # given a time held
    booking = hold(online)

    # then another patient is told it was just taken, with the next open times
    with pytest.raises(SlotTaken, match="just taken") as refused:
        hold(online, device="198.51.100.7")
    assert refused.value.alternatives
    assert at(TUESDAY, 10) not in {t.starts_at for t in refused.value.alternatives}

    # when the hold runs out, the scan releases it and the time is open again
    monday.shift(timedelta(minutes=11))
    assert scan_expired_holds() == 1
    assert scan_expired_holds() == 0
    booking.refresh_from_db()
    assert booking.status == SelfBookingStatus.RELEASED
    assert hold(online, device="198.51.100.7").status == SelfBookingStatus.HELD


def test_an_expired_or_used_hold_link_is_refused(online: Clinic, monday: Any) -> None:
    booking = hold(online)
    check_send_code(booking, claimant=ROSA)
    code = code_sent_to("+13125550123")
    check_confirm_code(booking, code=code)
    with pytest.raises(RuleViolation, match="already used"):
        check_confirm_code(booking, code=code)
    late = hold(online, 11)
    monday.shift(timedelta(minutes=11))
    with pytest.raises(RuleViolation, match="no longer held"):
        check_send_code(late, claimant=ROSA)


def test_staff_booking_the_time_meanwhile_leaves_the_patient_alternatives(
    online: Clinic, users_a: dict[str, Any]
) -> None:
    # given a hold, and a clerk who books the time anyway (it was open on their screen)
    booking = hold(online)
    check_send_code(booking, claimant=ROSA)
    SelfBooking.objects.filter(pk=booking.pk).update(hold_expires_at=at(MONDAY, 8))
    other = make_patient(online.organization, "Tom", "Ng")
    check_book_appointment(
        other,
        provider=online.doctor,
        location=online.location,
        appointment_type=online.follow_up,
        starts_at=at(TUESDAY, 10),
        acting_user=users_a["front_desk"],
    )
    SelfBooking.objects.filter(pk=booking.pk).update(hold_expires_at=at(MONDAY, 8, 10))
    booking.refresh_from_db()

    # when the patient types the code, they are told, and nothing of theirs was written
    with pytest.raises(SlotTaken, match="just taken") as refused:
        check_confirm_code(booking, code=code_sent_to("+13125550123"))
    assert refused.value.alternatives
    assert not Appointment.objects.filter(patient=online.patient).exists()


def test_too_many_bookings_from_one_device_are_refused(online: Clinic) -> None:
    for hour in (9, 10, 11, 13, 14):
        hold(online, hour)
        hold(online, hour, day=TUESDAY + timedelta(days=1))
    with pytest.raises(RuleViolation, match="Too many bookings"):
        hold(online, 9, day=TUESDAY + timedelta(days=2))
    assert hold(online, 9, day=TUESDAY + timedelta(days=2), device="198.51.100.7")


@pytest.mark.django_db(transaction=True)
def test_twenty_patients_pressing_the_same_time_at_once_one_holds_it(online: Clinic) -> None:
    lock = threading.Lock()
    held: list[SelfBooking] = []
    taken: list[SlotTaken] = []
    devices: dict[int, str] = {}

    def attempt() -> None:
        with lock:  # one device per thread, kept if the attempt is retried
            device = devices.setdefault(threading.get_ident(), f"198.51.100.{len(devices)}")
        try:
            held.append(hold(online, device=device))
        except SlotTaken as refused:
            taken.append(refused)

    errors = at_once(attempt, workers=20)
    assert errors == []
    assert len(held) == 1
    assert len(taken) == 19
    assert all("just taken" in t.message and t.alternatives for t in taken)
    assert SelfBooking.objects.filter(status=SelfBookingStatus.HELD).count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


def _booked_online(clinic: Clinic, starts: Any) -> Appointment:
    return check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=starts,
        acting_user=None,
        via=BookedVia.ONLINE,
    )


def test_the_patient_moves_or_cancels_by_their_link_within_the_notice(online: Clinic) -> None:
    # given a visit on Wednesday, and one this afternoon (inside the 24-hour notice)
    visit = _booked_online(online, at(MONDAY + timedelta(days=2), 10))
    soon = _booked_online(online, at(MONDAY, 15))

    # when they move the first and cancel it, then try the same with the second
    check_patient_move(visit, starts_at=at(MONDAY + timedelta(days=2), 14))
    visit.refresh_from_db()
    assert visit.starts_at == at(MONDAY + timedelta(days=2), 14)
    check_patient_cancel(visit)
    visit.refresh_from_db()
    assert (visit.status, visit.cancelled_by) == ("cancelled", "patient")

    # then the late ones are refused: they call the practice
    with pytest.raises(RuleViolation, match="call the practice"):
        check_patient_move(soon, starts_at=at(MONDAY, 16))
    with pytest.raises(RuleViolation, match="call the practice"):
        check_patient_cancel(soon)
    soon.refresh_from_db()
    assert (soon.status, soon.starts_at) == ("booked", at(MONDAY, 15))
