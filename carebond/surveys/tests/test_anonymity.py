"""Anonymous mode, proved: no column of an anonymous response leads back to an invitation or a
person, the link is spent without saying whose it was, the audit trail cannot join them, and
small groups are hidden (with a second group when one hidden group could be worked out)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import models

from carebond.audit.models import AuditEvent
from carebond.core.models import Department
from carebond.people.models import Person, StaffProfile
from carebond.people.tests.factories import make_staff
from carebond.surveys.distribution_actions import check_invite, send_invitation, token_digest
from carebond.surveys.models import (
    AnonymousResponse,
    AnonymousSlip,
    Comment,
    Invitation,
    RecoveryCase,
    Wave,
)
from carebond.surveys.response_actions import LinkProblem, check_save_section, slip_digest
from carebond.surveys.result_selectors import get_results
from carebond.surveys.tests.conftest import Practice, consent, department

PULSE = {"enps": "9"}
TEAM = {f"psych_{n}": "6" for n in range(1, 8)}


def staff_member(practice: Practice, name: str, team: Department) -> Person:
    person = make_staff(practice.organization, name, "Staff", job_title="Nurse")
    StaffProfile.objects.filter(person=person).update(department=team, location=team.location)
    consent(person, purpose="work")
    return person


def pulse_link(practice: Practice, person: Person, wave: Wave) -> tuple[Invitation, str]:
    profile = StaffProfile.objects.get(person=person)
    invitation = check_invite(
        person,
        wave=wave,
        subject_key=f"wave:{wave.public_id}",
        location=profile.location,
        department=profile.department,
        acting_user=None,
    )
    send_invitation(invitation.id)
    invitation.refresh_from_db()
    return invitation, invitation.link_token


def answer(token: str, *, enps: str = "9", comment: str = "", contact: str = "no") -> None:
    check_save_section(token, section_key="enps", raw={"enps": enps}, language="en", send=False)
    check_save_section(token, section_key="team", raw=TEAM, language="en", send=False)
    check_save_section(
        token,
        section_key="comments",
        raw={"comment": comment, "may_contact": contact},
        language="en",
        send=True,
    )


@pytest.fixture
def pulse_wave(practice: Practice) -> Wave:
    instrument = practice.instrument("staff-pulse")
    assert instrument.anonymous
    return Wave.objects.create(
        organization=practice.organization,
        instrument=instrument,
        label="Staff pulse, March",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 16),
    )


def test_no_column_of_an_anonymous_response_leads_back(
    practice: Practice, pulse_wave: Wave
) -> None:
    fields = {field.name: field for field in AnonymousResponse._meta.get_fields()}
    linked = {
        name
        for name, field in fields.items()
        if isinstance(field, models.ForeignKey) and field.related_model in (Invitation, Person)
    }
    assert linked == set()
    assert isinstance(fields["id"], models.UUIDField)  # random, so no order of arrival
    timestamps = [f for f in fields.values() if isinstance(f, models.DateTimeField)]
    assert timestamps == []  # only the week it came in (a date)
    assert not any(
        isinstance(f, models.DateTimeField)
        for f in Invitation._meta.get_fields()
        if f.name == "responded"
    )


def test_a_pulse_answer_is_stored_apart(practice: Practice, pulse_wave: Wave) -> None:
    team = department(practice.organization, "Nursing", practice.main)
    nurse = staff_member(practice, "Ana", team)
    invitation, token = pulse_link(practice, nurse, pulse_wave)
    events_before = AuditEvent.objects.count()
    answer(token, comment="Handover is rushed and it is difficult to ask for help.")
    response = AnonymousResponse.objects.get()
    assert response.week_of == date(2026, 3, 2)  # the Monday of the week, not the moment
    assert response.department == team
    assert response.answers["enps"] == 9
    comment = Comment.objects.get()
    assert comment.anonymous
    assert comment.response is None
    assert comment.received_on == date(2026, 3, 2)
    # the invitation knows only that it was answered
    invitation.refresh_from_db()
    assert invitation.responded
    # the spent link is marked under a digest that cannot be matched with the invitation's
    slip = AnonymousSlip.objects.get()
    assert slip.sent
    assert slip.draft == {}
    assert slip.slip_digest == slip_digest(token)
    assert slip.slip_digest != invitation.token_digest != token_digest(slip.slip_digest)
    # the audit trail names the wave, never the response or the invitation
    new_events = AuditEvent.objects.order_by("id")[events_before:]
    named = {(event.target_type, event.target_id) for event in new_events}
    assert ("surveys.anonymousresponse", str(response.pk)) not in named
    assert not any(target == "surveys.invitation" for target, _ in named)
    # and a second send is refused
    with pytest.raises(LinkProblem):
        answer(token)
    assert AnonymousResponse.objects.count() == 1


def test_a_comment_reaches_recovery_only_when_its_author_asks(
    practice: Practice, pulse_wave: Wave
) -> None:
    team = department(practice.organization, "Front desk", practice.main)
    quiet = staff_member(practice, "Ben", team)
    asks = staff_member(practice, "Cora", team)
    _, first = pulse_link(practice, quiet, pulse_wave)
    _, second = pulse_link(practice, asks, pulse_wave)
    answer(
        first, enps="2", comment="I was shouted at by a patient and nobody helped.", contact="no"
    )
    assert not RecoveryCase.objects.exists()
    answer(
        second, enps="3", comment="The rota is unfair and I want to talk about it.", contact="yes"
    )
    case = RecoveryCase.objects.get()
    assert case.person == asks
    assert case.source == "contact_request"
    assert case.response is None
    assert case.comment is None
    assert "rota is unfair" in case.summary


def test_small_departments_are_hidden_with_a_second_group(
    practice: Practice, pulse_wave: Wave, manager_a: Any
) -> None:
    nursing = department(practice.organization, "Nursing", practice.main)
    desk = department(practice.organization, "Front desk", practice.main)
    billing = department(practice.organization, "Billing office", practice.north)
    for team, size in ((nursing, 9), (desk, 6), (billing, 3)):
        for n in range(size):
            _, token = pulse_link(
                practice, staff_member(practice, f"{team.name}{n}", team), pulse_wave
            )
            answer(token, enps="9" if n % 2 else "6")
    results = get_results(
        user=manager_a, instrument=practice.instrument("staff-pulse"), breakdown="department"
    )
    assert results.n == 18
    shown = {row.key: row.shown for row in results.slices}
    # billing (3) is under 5; the total (18) minus nursing (9) minus desk (6) would reveal it,
    # so the next smallest group (desk, 6) is hidden too
    assert shown == {"Billing office": False, "Front desk": False, "Nursing": True}
    reasons = {row.key: row.reason for row in results.slices}
    assert reasons["Billing office"] == "fewer than 5 responses"
    assert "worked out" in reasons["Front desk"]
    assert all(row.headline is None for row in results.slices if not row.shown)


def test_results_of_fewer_than_five_are_hidden(
    practice: Practice, pulse_wave: Wave, manager_a: Any
) -> None:
    team = department(practice.organization, "Nursing", practice.main)
    for n in range(4):
        _, token = pulse_link(practice, staff_member(practice, f"N{n}", team), pulse_wave)
        answer(token)
    results = get_results(user=manager_a, instrument=practice.instrument("staff-pulse"))
    assert results.n == 4
    assert results.nps is not None
    assert not results.nps.score.shown
    assert results.psych_safety is not None
    assert not results.psych_safety.shown
    assert results.psych_safety.reason == "fewer than 5 responses"
