"""The nightly scoring the at-risk list reads: only patients in the worst bands are kept, with
the score, why and the next step; the bands' check is stored with it; the worker scores each
organisation once per local day; an override moves a patient on or off the list at once; and a
patient who died since leaves it before the next scoring."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from carebond.accounts.models import User
from carebond.analytics.health import Band, NextAction
from carebond.analytics.health_actions import (
    check_override_health,
    do_score_patients,
    scan_health_scores,
)
from carebond.analytics.health_models import AtRiskEntry, HealthScoring
from carebond.analytics.health_selectors import band_calibration, list_at_risk
from carebond.analytics.tests.history import (
    TODAY,
    add_visits,
    drifting_patient,
    regular_patient,
)
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.people.models import Person, PersonStatus
from carebond.people.tests.factories import make_patient
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic


def test_the_scoring_keeps_the_patients_at_risk_with_why_and_what_to_do(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    # given a strong patient, one drifting away, and one who died while drifting
    regular_patient(clinic, "Rosa")
    drifting = drifting_patient(clinic, "Omar")
    died = drifting_patient(clinic, "Ines")
    Person.objects.filter(pk=died.pk).update(status=PersonStatus.DECEASED)
    desk = users_a[Role.FRONT_DESK]
    # before any scoring the list is empty, and says the bands are not checked yet
    before = list_at_risk(user=desk)
    assert (before.rows, before.total, before.scored_on) == ([], 0, None)
    assert before.calibration.reason.startswith("The bands have not been checked yet")
    # when the night's scoring runs
    scoring = do_score_patients(clinic.organization, on=TODAY)
    # then only the drifting patient in care is kept, with the score, reasons and next step
    entry = AtRiskEntry.objects.get()
    assert entry.person_id == drifting.pk
    assert (entry.band, entry.next_action, entry.scored_on) == ("at_risk", "call", TODAY)
    assert 35 <= entry.score < 55
    assert entry.reasons.splitlines()[0].startswith("Communication:")
    # and the scoring is stored with its calibration, counted (the two in care and the
    # clinic's own patient, never seen), and audited without names
    assert (scoring.scored_on, scoring.patients) == (TODAY, 3)
    assert band_calibration(clinic.organization).scored_on == TODAY - timedelta(days=365)
    event = AuditEvent.objects.get(action="health.scored")
    assert (event.actor_label, event.patient_id) == ("worker", "")
    # and the worklist reads it back
    found = list_at_risk(user=desk)
    assert [(r.patient.id, r.band, r.next_action) for r in found.rows] == [
        (drifting.pk, Band.AT_RISK, NextAction.CALL)
    ]
    assert found.total == 1


def test_the_worker_scores_each_organisation_once_a_local_day(clinic: Clinic) -> None:
    drifting = drifting_patient(clinic, "Omar")
    # the first hourly pass scores; the next ones that day find nothing to do
    assert scan_health_scores() >= 1
    assert scan_health_scores() == 0
    assert HealthScoring.objects.get(organization=clinic.organization).scored_on == TODAY
    # the next day, the patient has come back: a completed visit yesterday
    with time_machine.travel(MONDAY_MORNING + timedelta(days=1), tick=False):
        add_visits(clinic, drifting, [(0, "completed")])
        assert scan_health_scores() >= 1
    # and the list forgets them: not at risk any more
    assert not AtRiskEntry.objects.filter(person=drifting).exists()
    scoring = HealthScoring.objects.get(organization=clinic.organization)
    assert scoring.scored_on == TODAY + timedelta(days=1)


def test_an_override_moves_a_patient_on_or_off_the_list_at_once(
    clinic: Clinic, manager_a: User
) -> None:
    rosa = regular_patient(clinic, "Rosa")
    omar = drifting_patient(clinic, "Omar")
    do_score_patients(clinic.organization, on=TODAY)
    assert [r.patient.id for r in list_at_risk(user=manager_a).rows] == [omar.pk]
    # when the manager marks Rosa lapsing (moving away) and Omar strong (came back elsewhere)
    for patient, score, why in ((rosa, 20, "Moving to Denver"), (omar, 90, "Seen at Northside")):
        check_override_health(
            patient,
            part="overall",
            score=score,
            comment=why,
            expires_on=None,
            acting_user=manager_a,
        )
    # then the list changes before the night's scoring
    rows = list_at_risk(user=manager_a).rows
    assert [(r.patient.id, r.band, r.score) for r in rows] == [(rosa.pk, Band.LAPSING, 20.0)]


def test_a_patient_who_died_since_the_scoring_leaves_the_list_at_once(
    clinic: Clinic, manager_a: User
) -> None:
    omar = drifting_patient(clinic, "Omar")
    lena = drifting_patient(clinic, "Lena")
    make_patient(clinic.organization, "Never", "Seen")
    do_score_patients(clinic.organization, on=TODAY)
    Person.objects.filter(pk=omar.pk).update(status=PersonStatus.DECEASED)
    found = list_at_risk(user=manager_a)
    assert [r.patient.id for r in found.rows] == [lena.pk]
