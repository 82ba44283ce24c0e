"""Service recovery: a detractor opens a case for the location's manager; a missed first
contact escalates under a frozen clock; a contact in time does not; a safety concern is due
within hours; a grievance closes only with its written response; closing asks again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from carebond.core.errors import InvalidInput, RuleViolation
from carebond.surveys.models import RecoveryCase, Response
from carebond.surveys.recovery_actions import (
    check_close_case,
    check_log_complaint,
    check_mark_grievance,
    check_record_contact,
    check_record_written_response,
    escalate_overdue_cases,
)
from carebond.surveys.response_actions import check_save_section
from carebond.surveys.tests.conftest import Practice, invite
from carebond.touchpoints.models import Touchpoint


def detractor(practice: Practice, score: str = "2") -> RecoveryCase:
    invitation, token = invite(practice, practice.patient)
    check_save_section(
        token, section_key="overall", raw={"recommend": score}, language="en", send=False
    )
    check_save_section(
        token,
        section_key="comments",
        raw={"do_better": "Nobody called me back about my results."},
        language="en",
        send=True,
    )
    return Response.objects.get(invitation=invitation).recovery_cases.get()


def test_a_detractor_missing_its_target_escalates(practice: Practice, tuesday: Any) -> None:
    case = detractor(practice)
    assert (case.source, case.owner, case.status) == ("detractor", practice.manager, "open")
    tuesday.shift(timedelta(hours=23, minutes=59))
    assert escalate_overdue_cases() == 0  # still within 24 hours
    tuesday.shift(timedelta(minutes=2))
    assert escalate_overdue_cases() == 1
    case.refresh_from_db()
    assert case.escalated_to == practice.admin
    assert case.escalated_at is not None
    assert [step.kind for step in case.steps.all()] == ["opened", "escalated"]
    summaries = [
        t.summary
        for t in Touchpoint.objects.filter(person=practice.patient, kind="service_recovery")
    ]
    assert "Service recovery escalated: first contact overdue" in summaries
    assert escalate_overdue_cases() == 0  # once


def test_a_contact_in_time_does_not_escalate(practice: Practice, tuesday: Any) -> None:
    case = detractor(practice)
    tuesday.shift(timedelta(hours=3))
    check_record_contact(
        case, channel="phone", note="Apologised; results sent.", acting_user=practice.manager
    )
    tuesday.shift(timedelta(hours=30))
    assert escalate_overdue_cases() == 0
    case.refresh_from_db()
    assert case.status == "contacted"
    assert case.first_contact_at is not None
    assert case.first_contact_at < case.due_at


def test_a_safety_concern_is_due_within_hours(practice: Practice, settings: Any) -> None:
    invitation, token = invite(practice, practice.patient)
    check_save_section(
        token,
        section_key="comments",
        raw={"do_better": "I was given the wrong medication at discharge."},
        language="en",
        send=True,
    )
    case = Response.objects.get(invitation=invitation).recovery_cases.get()
    assert case.source == "safety"
    assert case.due_at - case.opened_at == timedelta(hours=settings.SURVEYS_SAFETY_HOURS)


def test_a_grievance_closes_only_with_its_written_response(practice: Practice) -> None:
    case = check_log_complaint(
        practice.patient,
        text="Written letter: I was billed twice and want it fixed.",
        location=practice.north,
        written=True,
        acting_user=practice.admin,
    )
    assert case.is_grievance
    assert case.grievance_due_on == date(2026, 3, 10)
    with pytest.raises(RuleViolation):
        check_close_case(
            case, outcome="resolved", note="", send_follow_up=False, acting_user=practice.manager
        )
    with pytest.raises(InvalidInput) as early:
        check_record_written_response(
            case,
            text="Refunded.",
            sent_on=date(2026, 3, 1),
            contact="Dana",
            acting_user=practice.manager,
        )
    assert early.value.field == "sent_on"
    check_record_written_response(
        case,
        text="We reviewed your bill, refunded the duplicate charge and retrained the office.",
        sent_on=date(2026, 3, 3),
        contact="Dana Whitfield, practice manager, 312-555-0100",
        acting_user=practice.manager,
    )
    closed = check_close_case(
        case,
        outcome="resolved",
        note="Refund confirmed.",
        send_follow_up=True,
        acting_user=practice.manager,
    )
    assert closed.status == "closed"
    assert closed.follow_up is not None  # the "did we put it right?" survey, through the rules
    assert closed.follow_up.wave.instrument.key == "recovery-follow-up"


def test_marking_a_grievance_checks_its_date(practice: Practice) -> None:
    case = check_log_complaint(
        practice.patient, text="Rude at the desk.", location=None, acting_user=practice.manager
    )
    with pytest.raises(InvalidInput) as future:
        check_mark_grievance(
            case, received_on=date(2026, 3, 9), contact="", acting_user=practice.manager
        )
    assert future.value.field == "received_on"
    assert not RecoveryCase.objects.get(pk=case.pk).is_grievance


def test_a_complaint_needs_a_patient_of_the_organisation(
    practice: Practice, outsider_b: Any
) -> None:
    with pytest.raises(InvalidInput):
        check_log_complaint(practice.patient, text="x", location=None, acting_user=outsider_b)
    assert not RecoveryCase.objects.exists()
