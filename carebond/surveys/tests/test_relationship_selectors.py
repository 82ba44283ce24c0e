"""What relationship health reads from surveys: a patient's 0-10 "would recommend" answers
and recovery cases, and the staff pulse counted per department (never per person)."""

from __future__ import annotations

from datetime import date

from carebond.core.models import Department
from carebond.people.models import StaffProfile
from carebond.people.tests.factories import make_staff
from carebond.surveys.distribution_actions import check_invite, month_wave
from carebond.surveys.instrument_actions import current_version
from carebond.surveys.models import AnonymousResponse
from carebond.surveys.relationship_selectors import (
    CaseRecord,
    Recommendation,
    pulse_by_department,
    recommendations,
    recovery_records,
)
from carebond.surveys.tests.answers import answer
from carebond.surveys.tests.conftest import TUESDAY, Practice


def test_a_patients_recommendation_and_recovery_case_are_read(practice: Practice) -> None:
    # given a post-visit survey sent with "would recommend" at 3: a detractor, so a case opens
    answer(practice, practice.patient, send=True)
    since = date(2026, 1, 1)
    organization = practice.organization.pk
    # then both are read for the patient
    assert recommendations(organization, since=since, person_ids=[practice.patient.pk]) == {
        practice.patient.pk: [Recommendation(TUESDAY.date(), 3)]
    }
    assert recovery_records(organization, since=since)[practice.patient.pk] == [
        CaseRecord(TUESDAY.date(), "detractor", "", None)
    ]


def test_the_staff_pulse_is_counted_per_department(practice: Practice) -> None:
    # given a department of 5, each invited to this month's pulse, and 2 anonymous answers
    desk = Department.objects.create(organization=practice.organization, name="Front desk")
    pulse = practice.instrument("staff-pulse")
    wave = month_wave(pulse, None, TUESDAY.date())
    for i in range(5):
        staff = make_staff(practice.organization, f"Desk{i}", "Staff")
        StaffProfile.objects.filter(person=staff).update(department=desk)
        check_invite(staff, wave=wave, subject_key=f"pulse:{i}", department=desk, acting_user=None)
    version = current_version(pulse)
    assert version is not None
    safe = {f"psych_{n}": (2 if n in (1, 3, 5) else 6) for n in range(1, 8)}
    for enps in (10, 5):
        AnonymousResponse.objects.create(
            organization=practice.organization,
            wave=wave,
            version=version,
            answers={"enps": enps, **safe},
            language="en",
            week_of=TUESDAY.date(),
            department=desk,
        )
    # when counted for the month
    found = pulse_by_department(
        practice.organization.pk, first=date(2026, 3, 1), last=date(2026, 3, 31)
    )
    # then invitations and answers per department, eNPS points and safety scores unattributed
    desk_pulse = found[desk.pk]
    assert (desk_pulse.invited, desk_pulse.answered) == (5, 2)
    assert sorted(desk_pulse.enps_points) == [-100.0, 100.0]
    assert desk_pulse.psych_scores == [6.0, 6.0]
