"""Who is asked, when: a visit's invitation after its delay, the frequency rule across
surveys, consent decided by messaging (a survey is never exempt), one reminder, partial
answers stopped when the link closes, and response rates per wave."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from carebond.core import clock
from carebond.messaging.models import Message
from carebond.people.models import ContactPoint, Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.surveys.distribution_actions import scan_survey_invitations
from carebond.surveys.models import (
    DistributionRule,
    Invitation,
    Response,
    ResponseStatus,
    Trigger,
)
from carebond.surveys.response_actions import check_save_section
from carebond.surveys.selectors import list_waves
from carebond.surveys.tests.conftest import Practice, consent


def visit(practice: Practice, patient: Person, *, ended_hours_ago: float = 1) -> Appointment:
    kind, _ = AppointmentType.objects.get_or_create(
        organization=practice.organization,
        key="follow-up",
        defaults={"name": "Follow-up", "duration_minutes": 30},
    )
    doctor = Person.objects.filter(
        organization=practice.organization, kind="staff"
    ).first() or make_staff(practice.organization)
    ends = clock.now() - timedelta(hours=ended_hours_ago)
    return Appointment.objects.create(
        organization=practice.organization,
        patient=patient,
        provider=doctor,
        location=practice.main,
        appointment_type=kind,
        starts_at=ends - timedelta(minutes=30),
        ends_at=ends,
        duration_minutes=30,
        time_zone="America/Chicago",
        status="fulfilled",
        group_key=f"g{patient.pk}-{ends:%Y%m%d%H%M}",
        booked_at=ends - timedelta(days=3),
        completed_at=ends,
    )


def post_visit_rule(practice: Practice) -> DistributionRule:
    return DistributionRule.objects.create(
        organization=practice.organization,
        instrument=practice.instrument("post-visit"),
        trigger=Trigger.VISIT_COMPLETED,
        delay_hours=2,
        remind_after_days=3,
        open_days=14,
        scanned_until=clock.now() - timedelta(days=1),
    )


def test_a_visit_is_asked_about_after_its_delay(practice: Practice, tuesday: Any) -> None:
    post_visit_rule(practice)
    appointment = visit(practice, practice.patient, ended_hours_ago=1)
    scan_survey_invitations()
    invitation = Invitation.objects.get()
    assert invitation.subject_key == f"visit:{appointment.public_id}"
    assert invitation.status == "queued"  # two hours after the visit, not one
    assert not Message.objects.filter(purpose="survey").exists()
    tuesday.shift(timedelta(hours=1, minutes=5))
    scan_survey_invitations()
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert invitation.channel == "sms"
    message = Message.objects.get(purpose="survey")
    assert message.template_key == "survey_invitation"
    assert invitation.link_token in message.body
    scan_survey_invitations()
    assert Invitation.objects.count() == 1  # the visit is asked about once


def test_nobody_is_asked_twice_within_the_gap(practice: Practice, tuesday: Any) -> None:
    post_visit_rule(practice)
    visit(practice, practice.patient, ended_hours_ago=5)
    scan_survey_invitations()
    tuesday.shift(timedelta(days=10))
    visit(practice, practice.patient, ended_hours_ago=5)
    scan_survey_invitations()
    assert Invitation.objects.count() == 1
    tuesday.shift(timedelta(days=25))
    visit(practice, practice.patient, ended_hours_ago=5)
    scan_survey_invitations()
    assert Invitation.objects.count() == 2


def test_without_consent_a_survey_is_not_sent_and_says_why(practice: Practice) -> None:
    post_visit_rule(practice)
    unasked = make_patient(practice.organization, "Omar", "Haddad", phone="+13125550177")
    visit(practice, unasked, ended_hours_ago=5)
    scan_survey_invitations()
    invitation = Invitation.objects.get(person=unasked)
    assert invitation.status == "not_sent"
    assert "consent" in invitation.not_sent_reason.lower()
    message = Message.objects.get(person=unasked)
    assert (message.status, message.exempt) == ("blocked", False)


def test_one_reminder_then_partial_answers_stop(practice: Practice, tuesday: Any) -> None:
    post_visit_rule(practice)
    visit(practice, practice.patient, ended_hours_ago=5)
    scan_survey_invitations()
    invitation = Invitation.objects.get()
    check_save_section(
        invitation.link_token,
        section_key="access",
        raw={"access_soon": "4"},
        language="en",
        send=False,
    )
    tuesday.shift(timedelta(days=3, minutes=1))
    scan_survey_invitations()
    scan_survey_invitations()
    reminders = Message.objects.filter(template_key="survey_reminder")
    assert reminders.count() == 1
    assert invitation.link_token in reminders.get().body  # the same link
    tuesday.shift(timedelta(days=12))
    scan_survey_invitations()
    assert Response.objects.get().status == ResponseStatus.STOPPED


def test_response_rates_count_partial_answers_apart(practice: Practice, manager_a: Any) -> None:
    post_visit_rule(practice)
    people = [practice.patient]
    for n in range(3):
        person = make_patient(practice.organization, f"P{n}", "Okafor", phone=f"+1312555020{n}")
        consent(person)
        people.append(person)
    for index, person in enumerate(people):
        visit(practice, person, ended_hours_ago=5 + index)
    scan_survey_invitations()
    tokens = [i.link_token for i in Invitation.objects.order_by("id")]
    check_save_section(tokens[0], section_key="comments", raw={}, language="en", send=True)
    check_save_section(tokens[1], section_key="comments", raw={}, language="en", send=True)
    check_save_section(
        tokens[2], section_key="access", raw={"access_soon": "3"}, language="en", send=False
    )
    (row,) = list_waves(user=manager_a)
    assert (row.invited, row.completed, row.partial) == (4, 2, 1)
    assert row.rate_shown == "50%"


def test_a_pulse_asks_every_member_of_staff_each_period(practice: Practice, tuesday: Any) -> None:
    for name in ("Ana", "Ben"):
        nurse = make_staff(practice.organization, name, "Nurse")
        ContactPoint.objects.create(
            organization=practice.organization,
            person=nurse,
            system="email",
            value=f"{name}@alder.test",
        )
        consent(nurse, purpose="work", channel="email")
    DistributionRule.objects.create(
        organization=practice.organization,
        instrument=practice.instrument("staff-pulse"),
        trigger=Trigger.STAFF_PULSE,
        every_weeks=4,
    )
    scan_survey_invitations()
    pulse = Invitation.objects.filter(wave__instrument__key="staff-pulse")
    assert pulse.count() == 3  # Ana, Ben and the practice manager
    # the manager has no email address on file
    assert sorted(i.status for i in pulse.all()) == ["not_sent", "sent", "sent"]
    tuesday.shift(timedelta(weeks=2))
    scan_survey_invitations()
    assert pulse.all().count() == 3
    tuesday.shift(timedelta(weeks=2, minutes=1))
    scan_survey_invitations()
    assert pulse.all().count() == 6
    assert pulse.all().values("wave").distinct().count() == 2


def test_a_new_statement_brings_the_billing_micro_survey(practice: Practice, tuesday: Any) -> None:
    from decimal import Decimal

    from carebond.billing.actions import StatementInput, check_record_statement

    DistributionRule.objects.create(
        organization=practice.organization,
        instrument=practice.instrument("moment-billing"),
        trigger=Trigger.BILLING_STATEMENT,
        delay_hours=24,
        scanned_until=clock.now() - timedelta(minutes=1),
    )
    fresh = StatementInput(
        external_id="S-1001",
        statement_date=clock.now().date(),
        amount_billed=Decimal("180.00"),
        amount_due=Decimal("35.00"),
        status="open",
        source="csv",
    )
    old = StatementInput(
        external_id="S-0900",
        statement_date=clock.now().date() - timedelta(days=200),
        amount_billed=Decimal("90.00"),
        amount_due=Decimal("0.00"),
        status="paid",
        source="csv",
    )
    check_record_statement(practice.patient, fresh, acting_user=None)
    other = make_patient(practice.organization, "Omar", "Haddad", phone="+13125550177")
    check_record_statement(other, old, acting_user=None)
    scan_survey_invitations()
    (invitation,) = Invitation.objects.all()  # the statement of 200 days ago is nobody's survey
    assert invitation.person == practice.patient
    assert invitation.subject_key.startswith("statement:")
    assert invitation.wave.instrument.moment == "billing"
    assert invitation.status == "queued"  # a day after the statement
    tuesday.shift(timedelta(hours=24, minutes=1))
    scan_survey_invitations()
    invitation.refresh_from_db()
    assert invitation.status == "sent"
