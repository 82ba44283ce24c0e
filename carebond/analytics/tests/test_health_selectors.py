"""Relationship health read from real rows: a patient's health (audited, for the roles that do
outreach only), the at-risk worklist with reasons and next steps, the bands' calibration
against who really lapsed, department health (small departments hidden) and time to lapse
with deaths competing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carebond.accounts.models import User
from carebond.analytics import health_selectors
from carebond.analytics.health import Band, Dimension, NextAction
from carebond.analytics.health_actions import do_score_patients
from carebond.analytics.health_selectors import (
    department_health,
    get_patient_health,
    health_calibration,
    list_at_risk,
    time_to_lapse,
)
from carebond.analytics.tests.history import (
    TODAY,
    add_visits,
    day_ago,
    drifting_patient,
    regular_patient,
)
from carebond.audit.models import AuditEvent
from carebond.core.errors import NotFound
from carebond.core.models import Department
from carebond.core.permissions import Role
from carebond.people.models import Person, PersonStatus, StaffProfile
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.tests.conftest import Clinic


def test_a_patients_health_is_read_by_outreach_roles_and_audited(
    clinic: Clinic, users_a: dict[str, User], outsider_b: User
) -> None:
    # given a patient seen every 90 days
    patient = regular_patient(clinic, "Rosa")
    desk = users_a[Role.FRONT_DESK]
    # when the front desk opens their health
    found = get_patient_health(user=desk, public_id=patient.public_id)
    # then each dimension is there, communication without evidence (no message, no consent)
    assert found.health.band is Band.STRONG
    assert found.health.dimension(Dimension.CONNECTION).score == 99.4
    assert found.health.dimension(Dimension.COMMUNICATION).score is None
    assert found.health.score == 99.8
    # and the read is audited against the patient
    event = AuditEvent.objects.get(action="health.read")
    assert (event.actor, event.patient_id) == (desk, str(patient.public_id))
    # and the analyst, a clinician and another organisation find nothing, as if it were missing
    for user in (users_a[Role.ANALYST], users_a[Role.CLINICIAN], outsider_b):
        with pytest.raises(NotFound):
            get_patient_health(user=user, public_id=patient.public_id)
    assert AuditEvent.objects.filter(action="health.read").count() == 1


def test_the_worklist_lists_the_worst_first_with_reasons_and_the_next_step(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a strong patient, one drifting away, and one drifting who complained by text
    regular_patient(clinic, "Rosa")
    drifting = drifting_patient(clinic, "Omar")
    # when the front desk opens the worklist after the night's scoring
    do_score_patients(clinic.organization, on=TODAY)
    found = list_at_risk(user=users_a[Role.FRONT_DESK])
    # then only the drifting patient is on it, with why and what to do: a call, since no
    # message may be sent to them (no consent, no phone)
    assert [row.patient.id for row in found.rows] == [drifting.pk]
    row = found.rows[0]
    assert row.band is Band.AT_RISK
    assert found.scored_on == TODAY
    assert row.reasons == [
        "Communication: messages that reached them no phone or email on record",
        "Trust and loyalty: came back within a year no",
        "Commitment: rebooked within 60 days of a missed or cancelled visit 0 of 3",
    ]
    assert row.next_action is NextAction.CALL
    assert AuditEvent.objects.filter(action="health.worklist_read").count() == 1


def test_the_bands_are_checked_against_who_really_lapsed_a_year_later(clinic: Clinic) -> None:
    # given, scored a year ago: a regular patient (strong, still coming), a drifting one (at
    # risk then, lapsed since), one who died since, one first seen this year, one who had
    # already lapsed then
    regular_patient(clinic, "Rosa")
    drifting_patient(clinic, "Omar", shift=365)
    died = drifting_patient(clinic, "Ines", shift=365)
    Person.objects.filter(pk=died.pk).update(
        status=PersonStatus.DECEASED, deceased_date=day_ago(100)
    )
    add_visits(clinic, make_patient(clinic.organization, "Lena", "New"), [(100, "completed")])
    add_visits(clinic, make_patient(clinic.organization, "Ugo", "Gone"), [(1000, "completed")])
    # when calibrated (one patient per band is enough here)
    found = health_calibration(clinic.organization.pk, checked_on=TODAY, min_per_band=1)
    # then each band counts who lapsed, and those who could not are left out, by reason (the
    # clinic's own patient, never seen, is a second without a visit by then)
    assert found.scored_on == TODAY - timedelta(days=365)
    assert [(b.band, b.patients, b.lapsed) for b in found.bands] == [
        (Band.STRONG, 1, 0),
        (Band.STEADY, 0, 0),
        (Band.AT_RISK, 1, 1),
        (Band.LAPSING, 0, 0),
    ]
    assert found.left_out == {
        "died or moved away": 1,
        "no completed visit by then": 2,
        "already lapsed then": 1,
    }
    # and two empty bands are no evidence that the bands order lapses: no number is shown
    assert not found.ordered
    assert found.reason.startswith("Too few patients to check the bands: Steady, Lapsing")


def test_department_health_is_aggregate_and_hides_departments_under_five(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a front desk of 5 staff (one left last month) and a lab of 4
    desk = Department.objects.create(organization=clinic.organization, name="Front desk")
    lab = Department.objects.create(organization=clinic.organization, name="Lab")
    for i in range(6):
        staff = make_staff(clinic.organization, f"Desk{i}", "Staff")
        StaffProfile.objects.filter(person=staff).update(department=desk, start_date=day_ago(800))
        if i == 5:
            Person.objects.filter(pk=staff.pk).update(status=PersonStatus.INACTIVE)
    for i in range(4):
        staff = make_staff(clinic.organization, f"Lab{i}", "Staff")
        StaffProfile.objects.filter(person=staff).update(department=lab, start_date=day_ago(800))
    # when the analyst reads department health
    found = department_health(user=users_a[Role.ANALYST])
    # then the lab is hidden whole; the front desk shows its retention (5 of 6 still here)
    # and, without 5 pulse answers, no pulse figure
    assert [(d.name, d.staff, d.hidden) for d in found] == [
        ("Front desk", 5, False),
        ("Lab", 4, True),
    ]
    figures = {f.dimension: f for f in found[0].figures}
    assert (figures[Dimension.COMMITMENT].score, figures[Dimension.COMMITMENT].shown) == (
        83.3,
        "5 of 6 still here",
    )
    assert figures[Dimension.TRUST].score is None
    assert found[0].score is None
    # and the front desk, who have no use for it, find no page
    with pytest.raises(NotFound):
        department_health(user=users_a[Role.FRONT_DESK])


def test_time_to_lapse_per_segment_counts_deaths_as_competing(
    clinic: Clinic, users_a: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 12 Spanish-speaking patients first seen 1000 days ago: 4 last seen 900 days ago
    # (lapsed), 2 who died 100 days ago after a visit 300 days ago, 6 seen last month
    monkeypatch.setattr(health_selectors, "MIN_SEGMENT", 10)
    for i in range(12):
        patient = make_patient(clinic.organization, f"P{i}", "Segment", preferred_language="es")
        last = 900 if i < 4 else 300 if i < 6 else 30
        add_visits(clinic, patient, [(1000, "completed"), (last, "completed")])
        if 4 <= i < 6:
            Person.objects.filter(pk=patient.pk).update(
                status=PersonStatus.DECEASED, deceased_date=day_ago(100)
            )
    # when read by language
    found = time_to_lapse(user=users_a[Role.ANALYST], segment="language")
    # then one segment, Spanish, with its ends counted and the lapse incidence at a year
    [segment] = found.segments
    assert (segment.label, segment.patients) == ("Spanish", 12)
    assert segment.curve is not None
    assert (segment.curve.lapses, segment.curve.deaths) == (4, 2)
    year = next(p for p in segment.curve.points if p.days == 365)
    # the 4 lapses are dated at their last visit, 100 days in: 4 of 12 by then
    assert round(year.lapse, 3) == round(4 / 12, 3)
    # and by three years the deaths (900 days in) compete: 1 - KM stays the same here, the
    # deaths' share shows beside it
    three = next(p for p in segment.curve.points if p.days == 1095)
    assert round(three.competing, 3) == round(2 / 12, 3)
    # and a segment that is not one is a message, not a 500
    with pytest.raises(Exception, match="Segments are"):
        time_to_lapse(user=users_a[Role.ANALYST], segment="postcode")
