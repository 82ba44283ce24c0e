"""Booking, moving and cancelling: the schedule and the rules are checked, the database refuses
double booking even when two bookings race, and every change is audited, on the timeline and
reflected in the reminders."""

from __future__ import annotations

import threading
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, PermissionDenied, RuleViolation
from carebond.core.permissions import Role
from carebond.messaging.models import Message, MessageStatus
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import (
    SlotTaken,
    check_book_appointment,
    check_cancel_appointment,
    check_mark_noshow,
    check_reschedule_appointment,
    check_visit_step,
    do_book_appointment,
)
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
)
from carebond.scheduling.tests.conftest import CHICAGO, Clinic, at
from carebond.testing.concurrency import at_once
from carebond.touchpoints.models import Touchpoint

MONDAY = date(2026, 3, 2)
NEXT_MONDAY = MONDAY + timedelta(days=7)


def book(
    clinic: Clinic,
    starts: Any,
    *,
    patient: Person | None = None,
    provider: Person | None = None,
    appointment_type: AppointmentType | None = None,
    user: User | None = None,
    **extra: Any,
) -> Appointment:
    return check_book_appointment(
        patient or clinic.patient,
        provider=provider or clinic.doctor,
        location=clinic.location,
        appointment_type=appointment_type or clinic.follow_up,
        starts_at=starts,
        acting_user=user,
        **extra,
    )


def test_a_booking_keeps_its_length_and_zone_and_is_audited_on_the_timeline_with_reminders(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # when the front desk books next Monday at 10:00
    appointment = book(clinic, at(NEXT_MONDAY, 10), user=users_a[Role.FRONT_DESK])
    # then it keeps its length and zone as booked
    assert appointment.duration_minutes == 30
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.time_zone == "America/Chicago"
    assert appointment.status == AppointmentStatus.BOOKED
    # and it is audited, with the patient named, and on the patient's timeline
    event = AuditEvent.objects.get(action="appointment.booked")
    assert event.patient_id == str(clinic.patient.public_id)
    touchpoint = Touchpoint.objects.get(person=clinic.patient, kind="scheduling")
    assert touchpoint.moment_of_truth == "scheduling"
    assert "Follow-up" in touchpoint.summary
    # and the two reminders wait in the outbox for 72 and 24 hours before
    reminders = Message.objects.filter(idempotency_key__contains=str(appointment.public_id))
    assert sorted(m.due_at for m in reminders) == [
        appointment.starts_at - timedelta(hours=72),
        appointment.starts_at - timedelta(hours=24),
    ]
    assert {m.status for m in reminders} == {MessageStatus.QUEUED}


def test_a_reminder_already_past_is_skipped(clinic: Clinic) -> None:
    # Wednesday 10:00, booked Monday 08:00: 72 hours before has passed, 24 hours before has not
    appointment = book(clinic, at(MONDAY + timedelta(days=2), 10))
    reminders = Message.objects.filter(idempotency_key__contains=str(appointment.public_id))
    assert [m.due_at for m in reminders] == [appointment.starts_at - timedelta(hours=24)]


def test_a_reminder_without_consent_is_kept_blocked_with_the_reason(clinic: Clinic) -> None:
    # a patient with no phone and no email: nothing can reach them
    patient = make_patient(clinic.organization, "Ana", "Ruiz")
    appointment = book(clinic, at(NEXT_MONDAY, 11), patient=patient)
    (reminder, *_) = Message.objects.filter(idempotency_key__contains=str(appointment.public_id))
    assert reminder.status == MessageStatus.BLOCKED
    assert reminder.status_reason


def test_a_taken_time_is_refused_with_the_next_open_times(clinic: Clinic) -> None:
    book(clinic, at(MONDAY, 10))
    other = make_patient(clinic.organization, "Luis", "Mora")
    with pytest.raises(SlotTaken) as refused:
        book(clinic, at(MONDAY, 10), patient=other)
    assert "not an open time" in refused.value.message
    assert [t.starts_at.astimezone(CHICAGO).hour for t in refused.value.alternatives][:1] == [9]


def test_the_database_refuses_a_double_booking_the_checks_did_not_see(clinic: Clinic) -> None:
    # given a booking at 10:00
    book(clinic, at(MONDAY, 10))
    other = make_patient(clinic.organization, "Luis", "Mora")
    # when a second booking skips the checks (as a race would) and overlaps it
    with pytest.raises(SlotTaken) as refused:
        do_book_appointment(
            other,
            provider=clinic.doctor,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(MONDAY, 10, 15),
            acting_user=None,
            via="staff",
        )
    # then the database said no, and the answer offers other times
    assert refused.value.message.startswith("This time was just taken.")
    assert refused.value.alternatives
    assert Appointment.objects.filter(patient=other).count() == 0
    # and even a raw update moving another visit onto it is refused
    moved = book(clinic, at(MONDAY, 14), patient=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=moved.pk).update(
            starts_at=at(MONDAY, 10), ends_at=at(MONDAY, 10, 30)
        )


def test_a_patient_cannot_be_in_two_places_at_once(clinic: Clinic) -> None:
    book(clinic, at(MONDAY, 10))
    with pytest.raises(SlotTaken):
        book(clinic, at(MONDAY, 10), provider=clinic.nurse)


def test_back_to_back_visits_and_a_cancelled_time_are_free(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    first = book(clinic, at(MONDAY, 10))
    second = book(clinic, at(MONDAY, 10, 30), patient=make_patient(clinic.organization, "A", "B"))
    assert second.starts_at == first.ends_at
    check_cancel_appointment(
        first, cancelled_by="patient", reason="Feeling better", acting_user=users_a[Role.FRONT_DESK]
    )
    again = book(clinic, at(MONDAY, 10), patient=make_patient(clinic.organization, "C", "D"))
    assert again.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize(
    ("when", "field", "words"),
    [
        (at(MONDAY, 7), "starts_at", "passed"),
        (at(MONDAY, 10).replace(tzinfo=None), "starts_at", "time zone"),
        (at(MONDAY, 10).replace(second=30), "starts_at", "whole minute"),
    ],
)
def test_a_bad_time_is_refused_at_its_field(
    clinic: Clinic, when: Any, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        book(clinic, when)
    assert refused.value.field == field
    assert words in refused.value.message
    assert not Appointment.objects.exists()


def test_a_time_outside_the_schedule_is_refused(clinic: Clinic) -> None:
    with pytest.raises(SlotTaken) as refused:
        book(clinic, at(MONDAY, 12, 15))  # the lunch break
    assert "not an open time" in refused.value.message
    with pytest.raises(SlotTaken):
        book(clinic, at(MONDAY, 18))  # after hours


def test_staff_may_override_a_booking_rule_with_a_reason_but_online_may_not(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    clinic.follow_up.min_notice_minutes = 24 * 60
    clinic.follow_up.save()
    with pytest.raises(RuleViolation) as refused:
        book(clinic, at(MONDAY, 10), via="online")
    assert "notice" in refused.value.message
    with pytest.raises(PermissionDenied):
        book(clinic, at(MONDAY, 10), via="online", override_reason="please")
    appointment = book(
        clinic,
        at(MONDAY, 10),
        user=users_a[Role.FRONT_DESK],
        override_reason="Urgent, per Dr Raman",
    )
    assert appointment.override_reason == "Urgent, per Dr Raman"


def test_new_or_established_is_decided_by_the_record_not_asked(
    clinic: Clinic, users_a: dict[str, User], monday: Any
) -> None:
    # a patient never seen may book a new-patient visit
    book(clinic, at(MONDAY, 13), appointment_type=clinic.new_visit)
    # one seen in the same specialty within three years may not
    seen = make_patient(clinic.organization, "Seen", "Before")
    visit = book(clinic, at(MONDAY, 9), patient=seen)
    Appointment.objects.filter(pk=visit.pk).update(status=AppointmentStatus.FULFILLED)
    monday.move_to(at(MONDAY, 16))
    with pytest.raises(RuleViolation) as refused:
        book(clinic, at(NEXT_MONDAY, 13), patient=seen, appointment_type=clinic.new_visit)
    assert refused.value.code == "established_patient"


def test_overbooking_is_for_managers_with_a_reason_and_logged(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    book(clinic, at(MONDAY, 10))
    other = make_patient(clinic.organization, "Luis", "Mora")
    with pytest.raises(PermissionDenied):
        book(
            clinic,
            at(MONDAY, 10),
            patient=other,
            user=users_a[Role.FRONT_DESK],
            overbook=True,
            override_reason="Squeeze in",
        )
    extra = book(
        clinic,
        at(MONDAY, 10),
        patient=other,
        user=users_a[Role.MANAGER],
        overbook=True,
        override_reason="Squeeze in: acute",
    )
    assert extra.overbooked
    assert AuditEvent.objects.filter(action="appointment.overbooked").count() == 1


def test_a_group_visit_takes_patients_up_to_its_capacity(clinic: Clinic) -> None:
    seats = [
        book(
            clinic,
            at(MONDAY, 10),
            appointment_type=clinic.group_class,
            patient=make_patient(clinic.organization, f"P{n}", "Class"),
        ).seat
        for n in range(3)
    ]
    assert seats == [1, 2, 3]
    with pytest.raises(SlotTaken):
        book(
            clinic,
            at(MONDAY, 10),
            appointment_type=clinic.group_class,
            patient=make_patient(clinic.organization, "Late", "Comer"),
        )


def test_cancelling_withdraws_the_reminders_and_counts_late_cancellations(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    appointment = book(clinic, at(NEXT_MONDAY, 10))
    check_cancel_appointment(
        appointment,
        cancelled_by="provider",
        reason="Dr Raman is away",
        acting_user=users_a[Role.FRONT_DESK],
    )
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == "provider"
    assert not appointment.late_cancellation
    reminders = Message.objects.filter(idempotency_key__contains=str(appointment.public_id))
    assert {m.status for m in reminders} == {MessageStatus.CANCELLED}
    # a patient cancelling this afternoon's visit online is told to call; staff may, and it is late
    this_afternoon = book(clinic, at(MONDAY, 13))
    with pytest.raises(RuleViolation):
        check_cancel_appointment(
            this_afternoon, cancelled_by="patient", reason="Busy", acting_user=None
        )
    check_cancel_appointment(
        this_afternoon, cancelled_by="patient", reason="Busy", acting_user=users_a[Role.FRONT_DESK]
    )
    this_afternoon.refresh_from_db()
    assert this_afternoon.late_cancellation


def test_moving_frees_the_old_time_and_requeues_the_reminders(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    appointment = book(clinic, at(NEXT_MONDAY, 10))
    check_reschedule_appointment(
        appointment,
        starts_at=at(NEXT_MONDAY, 14),
        provider=clinic.nurse,
        acting_user=users_a[Role.FRONT_DESK],
    )
    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.provider) == (at(NEXT_MONDAY, 14), clinic.nurse)
    reminders = Message.objects.filter(idempotency_key__contains=str(appointment.public_id))
    # 72 real hours before, across the change to summer time (13:00 on the Friday)
    new_time = at(NEXT_MONDAY, 14).astimezone(UTC)
    assert sorted((m.status, m.due_at) for m in reminders if m.status == "queued") == [
        ("queued", new_time - timedelta(hours=72)),
        ("queued", new_time - timedelta(hours=24)),
    ]
    assert reminders.filter(status=MessageStatus.CANCELLED).count() == 2
    assert AuditEvent.objects.filter(action="appointment.rescheduled").count() == 1
    # and the old time is open again
    book(clinic, at(NEXT_MONDAY, 10), patient=make_patient(clinic.organization, "N", "Ew"))


@pytest.mark.django_db(transaction=True)
def test_twenty_people_booking_the_same_time_at_once_one_wins(clinic: Clinic) -> None:
    patients = [make_patient(clinic.organization, f"Racer{n}", "Same") for n in range(20)]
    lock = threading.Lock()
    won: list[Appointment] = []
    taken: list[SlotTaken] = []
    chosen: dict[int, Person] = {}

    def attempt() -> None:
        with lock:  # one patient per thread, kept if the attempt is retried
            if threading.get_ident() not in chosen:
                chosen[threading.get_ident()] = patients.pop()
            patient = chosen[threading.get_ident()]
        try:
            won.append(book(clinic, at(MONDAY, 10), patient=patient))
        except SlotTaken as refused:
            taken.append(refused)

    errors = at_once(attempt, workers=20)
    assert errors == []
    assert len(won) == 1
    assert len(taken) == 19
    assert all("just taken" in t.message or "not an open time" in t.message for t in taken)
    live = Appointment.objects.filter(provider=clinic.doctor, status=AppointmentStatus.BOOKED)
    assert live.count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_visit_moves_through_its_steps_and_the_moments_give_the_wait(
    clinic: Clinic, users_a: dict[str, User], monday: Any
) -> None:
    appointment = book(clinic, at(MONDAY, 9))
    desk = users_a[Role.FRONT_DESK]
    # the patient arrives at 08:55, is roomed at 09:10, seen at 09:15, done at 09:35
    for minute, step in (
        ((8, 55), "arrive"),
        ((9, 10), "room"),
        ((9, 15), "see"),
        ((9, 35), "complete"),
    ):
        monday.move_to(at(MONDAY, *minute))
        appointment = check_visit_step(appointment, step=step, acting_user=desk)
    assert appointment.status == AppointmentStatus.FULFILLED
    assert appointment.waited == timedelta(minutes=15)
    assert appointment.visit_length == timedelta(minutes=20)
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="appointment.")] == [
        "appointment.booked",
        "appointment.arrive",
        "appointment.room",
        "appointment.see",
        "appointment.complete",
    ]
    # a step twice, or out of order, is refused with the reason
    with pytest.raises(RuleViolation):
        check_visit_step(appointment, step="arrive", acting_user=desk)
    with pytest.raises(InvalidInput):
        check_visit_step(appointment, step="teleport", acting_user=desk)


def test_a_no_show_only_after_the_grace_period(
    clinic: Clinic, users_a: dict[str, User], monday: Any
) -> None:
    appointment = book(clinic, at(MONDAY, 9))
    desk = users_a[Role.FRONT_DESK]
    monday.move_to(at(MONDAY, 9, 10))
    with pytest.raises(RuleViolation) as refused:
        check_mark_noshow(appointment, acting_user=desk)
    assert "15 minutes" in refused.value.message
    monday.move_to(at(MONDAY, 9, 16))
    check_mark_noshow(appointment, acting_user=desk)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NOSHOW
    # and the time no longer counts as taken by a live visit
    assert not Appointment.objects.filter(status__in=LIVE_STATUSES).exists()
