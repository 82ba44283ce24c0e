"""The waitlist: a freed time is offered to a few waiting patients at a time (in waiting order,
to those it suits, never at night), offers expire and the next batch goes, the first eligible
acceptance books through the booking action and the others are told; two acceptances at once:
one wins."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.permissions import Role
from carebond.messaging.models import Message
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import (
    check_book_appointment,
    check_cancel_appointment,
    check_reschedule_appointment,
)
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    OpeningStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistOpening,
    WaitlistStatus,
)
from carebond.scheduling.tests.conftest import Clinic, at
from carebond.scheduling.waitlist_actions import (
    check_accept_offer,
    check_add_to_waitlist,
    check_decline_offer,
    check_remove_from_waitlist,
    scan_waitlist,
)
from carebond.testing.concurrency import at_once
from carebond.touchpoints.models import Touchpoint

MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)


def waiting(clinic: Clinic, given: str, *, user: User | None = None, **wants: Any) -> Person:
    """A patient with a phone and consent to appointment texts, put on the waitlist."""
    patient = make_patient(
        clinic.organization,
        given,
        "Waiting",
        phone=f"+1312555{len(given):02d}{sum(map(ord, given)) % 100:02d}",
        time_zone="America/Chicago",
    )
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="granted",
        method="verbal",
        acting_user=None,
    )
    wants.setdefault("appointment_type", clinic.follow_up)
    check_add_to_waitlist(patient, acting_user=user, **wants)
    return patient


def freed(clinic: Clinic, starts: Any, *, provider: Person | None = None) -> WaitlistOpening:
    """A visit booked for someone else at this time, then cancelled by the clinic."""
    visit = check_book_appointment(
        make_patient(clinic.organization, "Booked", f"Before{starts:%d%H%M}"),
        provider=provider or clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=starts,
        acting_user=None,
    )
    check_cancel_appointment(visit, cancelled_by="clinic", reason="Provider away", acting_user=None)
    return WaitlistOpening.objects.get(provider=visit.provider, starts_at=starts)


def offers_to(opening: WaitlistOpening) -> dict[str, str]:
    return {
        o.entry.patient.given_name: o.status
        for o in WaitlistOffer.objects.filter(opening=opening).select_related("entry__patient")
    }


def test_a_cancelled_time_goes_to_the_first_three_waiting_by_text_with_their_own_link(
    clinic: Clinic,
) -> None:
    # given four patients waiting for a follow-up, in this order
    for name in ("Ana", "Ben", "Cruz", "Dee"):
        waiting(clinic, name)
    # when a follow-up on Tuesday at 10:00 is cancelled and the worker's scan runs
    opening = freed(clinic, at(TUESDAY, 10))
    assert scan_waitlist() == 3
    # then the first three have an offer, in a text with their own link; the fourth waits
    assert offers_to(opening) == {"Ana": "sent", "Ben": "sent", "Cruz": "sent"}
    for offer in WaitlistOffer.objects.filter(opening=opening).select_related("entry__patient"):
        text = Message.objects.get(idempotency_key=offer.message_key)
        assert (text.template_key, text.channel, text.status) == ("waitlist_offer", "sms", "queued")
        assert f"/visit/offer/{offer.token}/" in text.body
        assert "Tue 3 Mar at 10:00 AM" in text.body
        assert offer.expires_at == offer.sent_at + timedelta(minutes=30)
    assert AuditEvent.objects.filter(action="waitlist_offer.sent").count() == 3
    # and a second scan sends nothing more while they are being answered
    assert scan_waitlist() == 0


def test_only_the_patients_a_time_suits_and_can_be_booked_at_it_are_offered_it(
    clinic: Clinic,
) -> None:
    # given patients whose wishes rule Tuesday 14:00 with Dr Raman out, one way each
    waiting(clinic, "Nurse", providers=[clinic.nurse])
    waiting(clinic, "Monday", weekdays=[0])
    waiting(clinic, "Mornings", times_of_day=["morning"])
    waiting(clinic, "Later", earliest=TUESDAY + timedelta(days=1))
    waiting(clinic, "Longer", appointment_type=clinic.new_visit)  # an hour: 14:30 is booked
    check_book_appointment(
        make_patient(clinic.organization, "After", "Them"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 14, 30),
        acting_user=None,
    )
    busy = waiting(clinic, "Busy")
    check_book_appointment(
        busy,
        provider=clinic.nurse,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 14),
        acting_user=None,
    )
    # and one it suits
    waiting(clinic, "Suited", providers=[clinic.doctor], weekdays=[1], times_of_day=["afternoon"])
    # when that time frees
    opening = freed(clinic, at(TUESDAY, 14))
    scan_waitlist()
    # then only she has an offer
    assert offers_to(opening) == {"Suited": "sent"}


def test_no_batch_starts_at_night_nor_to_a_patient_in_their_quiet_hours(
    clinic: Clinic, monday: Any
) -> None:
    # given a patient waiting in Chicago and one whose phone sleeps in Honolulu (4 hours behind)
    waiting(clinic, "Chicago")
    far = waiting(clinic, "Hawaii")
    far.time_zone = "Pacific/Honolulu"
    far.save()
    # when a time frees at 22:00 (the practice's night)
    monday.move_to(at(MONDAY, 22))
    opening = freed(clinic, at(TUESDAY + timedelta(days=1), 15))
    # then no offer goes out
    assert scan_waitlist() == 0
    assert not WaitlistOffer.objects.exists()
    # and at 08:00 it goes to the patient who is awake, not to the one for whom it is 04:00
    monday.move_to(at(TUESDAY, 8))
    assert scan_waitlist() == 1
    assert offers_to(opening) == {"Chicago": "sent"}
    # and once her offer has run out and it is 08:00 in Honolulu, to the other
    monday.move_to(at(TUESDAY, 12))
    scan_waitlist()
    assert offers_to(opening) == {"Chicago": "expired", "Hawaii": "sent"}


def test_unanswered_offers_expire_and_the_next_batch_goes_out(clinic: Clinic, monday: Any) -> None:
    # given five waiting and a freed time offered to the first three
    for name in ("Ana", "Ben", "Cruz", "Dee", "Eve"):
        waiting(clinic, name)
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    # when 31 minutes pass without an answer
    monday.move_to(at(MONDAY, 8, 31))
    scan_waitlist()
    # then those offers expired (the three stay on the list) and the next two have theirs
    assert offers_to(opening) == {
        "Ana": "expired",
        "Ben": "expired",
        "Cruz": "expired",
        "Dee": "sent",
        "Eve": "sent",
    }
    assert WaitlistEntry.objects.filter(status=WaitlistStatus.ACTIVE).count() == 5
    assert WaitlistOpening.objects.get(pk=opening.pk).batches == 2


def test_the_first_acceptance_books_the_time_and_the_others_are_told_it_is_gone(
    clinic: Clinic,
) -> None:
    # given a freed time offered to three waiting patients
    for name in ("Ana", "Ben", "Cruz"):
        waiting(clinic, name)
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    ana, ben, cruz = WaitlistOffer.objects.filter(opening=opening).order_by("entry__created_at")
    # when Ben accepts
    visit = check_accept_offer(ben)
    # then he is booked at that time through the booking action (audited, on his timeline)
    assert (visit.patient, visit.starts_at, visit.provider) == (
        ben.entry.patient,
        at(TUESDAY, 10),
        clinic.doctor,
    )
    assert visit.status == AppointmentStatus.BOOKED
    assert AuditEvent.objects.filter(action="appointment.booked", target_id=str(visit.public_id))
    assert AuditEvent.objects.filter(action="waitlist_offer.accepted").count() == 1
    entry = WaitlistEntry.objects.get(pk=ben.entry_id)
    assert (entry.status, entry.appointment) == (WaitlistStatus.BOOKED, visit)
    opening.refresh_from_db()
    assert (opening.status, opening.appointment) == (OpeningStatus.FILLED, visit)
    # and the two others are told it is gone, and stay on the list
    assert offers_to(opening) == {"Ana": "taken", "Ben": "accepted", "Cruz": "taken"}
    for other in (ana, cruz):
        told = Message.objects.get(idempotency_key=f"{other.message_key}:taken")
        assert told.template_key == "waitlist_taken"
        assert "still on our waitlist" in told.body
        assert WaitlistEntry.objects.get(pk=other.entry_id).status == WaitlistStatus.ACTIVE
    # and Ana pressing "take it" a moment later is told it was taken, nothing booked
    with pytest.raises(RuleViolation) as refused:
        check_accept_offer(ana)
    assert refused.value.code == "taken"
    assert Appointment.objects.filter(patient=ana.entry.patient).count() == 0


def test_acceptance_checks_again_that_the_offer_stands_and_the_time_is_free(
    clinic: Clinic, users_a: dict[str, User], monday: Any
) -> None:
    # given a freed time offered to three
    for name in ("Ana", "Ben", "Cruz"):
        waiting(clinic, name)
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    ana, ben, _cruz = WaitlistOffer.objects.filter(opening=opening).order_by("entry__created_at")
    # a patient taken off the list cannot accept
    check_remove_from_waitlist(ana.entry, reason="Booked elsewhere", acting_user=None)
    with pytest.raises(RuleViolation) as refused:
        check_accept_offer(WaitlistOffer.objects.get(pk=ana.pk))
    assert refused.value.code == "ended"
    # when the desk books the time directly for someone else
    check_book_appointment(
        make_patient(clinic.organization, "Walk", "In"),
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(TUESDAY, 10),
        acting_user=users_a[Role.FRONT_DESK],
    )
    # then Ben's acceptance finds it taken, the opening closes and Cruz is told
    with pytest.raises(RuleViolation) as refused:
        check_accept_offer(ben)
    assert refused.value.code == "taken"
    opening.refresh_from_db()
    assert opening.status == OpeningStatus.CLOSED
    assert offers_to(opening) == {"Ana": "withdrawn", "Ben": "taken", "Cruz": "taken"}
    assert Message.objects.filter(template_key="waitlist_taken").count() == 2
    assert not Appointment.objects.filter(patient=ben.entry.patient).exists()


def test_an_offer_answered_after_it_expired_is_refused(clinic: Clinic, monday: Any) -> None:
    waiting(clinic, "Ana")
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    offer = WaitlistOffer.objects.get(opening=opening)
    monday.move_to(at(MONDAY, 8, 30))
    with pytest.raises(RuleViolation) as refused:
        check_accept_offer(offer)
    assert refused.value.code == "ended"
    with pytest.raises(RuleViolation):
        check_decline_offer(offer)
    assert not Appointment.objects.filter(patient=offer.entry.patient).exists()


def test_declining_keeps_the_patient_waiting_and_the_next_batch_need_not_wait(
    clinic: Clinic, settings: Any
) -> None:
    settings.SCHEDULING_WAITLIST_BATCH = 1
    waiting(clinic, "Ana")
    waiting(clinic, "Ben")
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    offer = WaitlistOffer.objects.get(opening=opening)
    # when Ana says no
    check_decline_offer(offer)
    # then she stays on the list, and the next scan offers the time to Ben at once
    assert WaitlistEntry.objects.get(pk=offer.entry_id).status == WaitlistStatus.ACTIVE
    assert scan_waitlist() == 1
    assert offers_to(opening) == {"Ana": "declined", "Ben": "sent"}
    assert AuditEvent.objects.filter(action="waitlist_offer.declined").count() == 1


def test_a_visit_moved_away_frees_its_old_time_and_one_too_close_is_not_offered(
    clinic: Clinic, monday: Any
) -> None:
    waiting(clinic, "Ana")
    visit = check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(MONDAY, 9),
        acting_user=None,
    )
    # when the 09:00 visit is moved to the afternoon at 08:20
    monday.move_to(at(MONDAY, 8, 20))
    check_reschedule_appointment(visit, starts_at=at(MONDAY, 15), acting_user=None)
    # then its old time is an opening, but 40 minutes ahead is too close to offer
    opening = WaitlistOpening.objects.get(starts_at=at(MONDAY, 9))
    assert scan_waitlist() == 1
    opening.refresh_from_db()
    assert (opening.status, opening.closed_reason) == (
        OpeningStatus.CLOSED,
        "Too close to its time to offer.",
    )
    assert not WaitlistOffer.objects.exists()


def test_adding_to_the_waitlist_checks_what_it_is_given(
    clinic: Clinic, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    desk = users_a[Role.FRONT_DESK]
    patient = make_patient(clinic.organization, "Lena", "Park")

    def add(**wants: Any) -> WaitlistEntry:
        wants.setdefault("appointment_type", clinic.follow_up)
        return check_add_to_waitlist(patient, acting_user=desk, **wants)

    for wants, field in (
        ({"weekdays": [7]}, "weekdays"),
        ({"times_of_day": ["night"]}, "times_of_day"),
        ({"earliest": MONDAY + timedelta(days=9), "latest": MONDAY + timedelta(days=2)}, "latest"),
        ({"latest": MONDAY - timedelta(days=1)}, "latest"),
        ({"providers": [patient]}, "providers"),
        ({"note": "x" * 1001}, "note"),
    ):
        with pytest.raises(InvalidInput) as refused:
            add(**wants)
        assert refused.value.field == field
    # another organisation's patient cannot be put on this practice's list
    outsider = make_patient(users_b[Role.FRONT_DESK].organization, "Out", "Sider")
    with pytest.raises(InvalidInput) as refused:
        check_add_to_waitlist(outsider, appointment_type=clinic.follow_up, acting_user=desk)
    assert refused.value.field == "appointment_type"
    assert not WaitlistEntry.objects.exists()
    # when it is right, the entry is written, audited and on the patient's timeline
    entry = add(providers=[clinic.doctor], weekdays=[1, 1, 3], note="Prefers mornings off work")
    assert list(entry.providers.all()) == [clinic.doctor]
    assert entry.weekdays == [1, 3]
    event = AuditEvent.objects.get(action="waitlist_entry.added")
    assert event.patient_id == str(patient.public_id)
    assert [t.summary for t in Touchpoint.objects.filter(person=patient)] == [
        "Added to the waitlist: Follow-up"
    ]
    # and twice for the same type is refused
    with pytest.raises(RuleViolation) as twice:
        add()
    assert twice.value.code == "already_waiting"


def test_taking_a_patient_off_the_list_withdraws_their_offer(clinic: Clinic) -> None:
    ana = waiting(clinic, "Ana")
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    entry = WaitlistEntry.objects.get(patient=ana)
    check_remove_from_waitlist(entry, reason="Feeling better", acting_user=None)
    entry.refresh_from_db()
    assert (entry.status, entry.removed_reason) == (WaitlistStatus.REMOVED, "Feeling better")
    assert offers_to(opening) == {"Ana": OfferStatus.WITHDRAWN}
    with pytest.raises(RuleViolation):
        check_remove_from_waitlist(entry, reason="", acting_user=None)


@pytest.mark.django_db(transaction=True)
def test_two_patients_accepting_the_same_offered_time_at_once_one_wins(clinic: Clinic) -> None:
    # given a freed time offered to two waiting patients
    waiting(clinic, "Ana")
    waiting(clinic, "Ben")
    opening = freed(clinic, at(TUESDAY, 10))
    scan_waitlist()
    offers = list(WaitlistOffer.objects.filter(opening=opening))
    assert len(offers) == 2
    lock = threading.Lock()
    won: list[Appointment] = []
    refused: list[RuleViolation] = []
    mine: dict[int, WaitlistOffer] = {}

    def accept() -> None:
        with lock:  # one offer per thread, kept if the attempt is retried
            if threading.get_ident() not in mine:
                mine[threading.get_ident()] = offers[len(mine)]
            offer = mine[threading.get_ident()]
        try:
            won.append(check_accept_offer(offer))
        except RuleViolation as error:
            refused.append(error)

    # when both press "take it" at the same moment
    errors = at_once(accept, workers=2)
    # then one is booked and the other is told it was taken
    assert errors == []
    assert len(won) == 1
    assert [r.code for r in refused] == ["taken"]
    assert Appointment.objects.filter(starts_at=at(TUESDAY, 10), status="booked").count() == 1
    assert sorted(offers_to(opening).values()) == ["accepted", "taken"]
    assert connection.vendor in ("sqlite", "postgresql")


def test_an_entry_past_its_latest_day_comes_off_the_list(clinic: Clinic, monday: Any) -> None:
    waiting(clinic, "Ana", latest=TUESDAY)
    waiting(clinic, "Ben")
    monday.move_to(at(TUESDAY + timedelta(days=1), 9))
    scan_waitlist()
    assert {
        e.patient.given_name: (e.status, e.removed_reason) for e in WaitlistEntry.objects.all()
    } == {
        "Ana": (WaitlistStatus.REMOVED, "Past the latest day."),
        "Ben": (WaitlistStatus.ACTIVE, ""),
    }


def test_a_time_freed_twice_is_one_opening(clinic: Clinic) -> None:
    # given a time freed, booked again by the desk and freed again
    first = freed(clinic, at(TUESDAY, 10))
    again = freed(clinic, at(TUESDAY, 10))
    # then it is offered as one time
    assert again == first
    assert WaitlistOpening.objects.count() == 1
