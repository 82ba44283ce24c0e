"""Reads of no-show risk: the badge of each booked visit on the day's schedule (in a few
queries), the worklist of visits at risk (audited, the desk's), and the fairness report
(figures by age band and language, small groups hidden; for managers and the analyst)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import HelpKind, NoShowModel
from carebond.scheduling.noshow_actions import check_offer_help, check_train_noshow_model
from carebond.scheduling.noshow_selectors import (
    add_risk_to_day,
    fairness_report,
    list_visits_at_risk,
)
from carebond.scheduling.selectors import list_day_by_provider
from carebond.scheduling.tests.conftest import MONDAY_MORNING, Clinic, at
from carebond.scheduling.tests.noshow_history import History, make_history

TUESDAY = MONDAY_MORNING.date() + timedelta(days=1)


@pytest.fixture
def history(clinic: Clinic) -> History:
    found = make_history(
        provider=clinic.doctor, location=clinic.location, appointment_type=clinic.follow_up
    )
    check_train_noshow_model(clinic.organization, acting_user=None)
    return found


def book_tuesday(clinic: Clinic, patients: list[Any]) -> list[Any]:
    return [
        check_book_appointment(
            patient,
            provider=clinic.nurse,
            location=clinic.location,
            appointment_type=clinic.follow_up,
            starts_at=at(TUESDAY, 9) + timedelta(minutes=30 * n),
            acting_user=None,
        )
        for n, patient in enumerate(patients)
    ]


def test_each_booked_visit_on_the_day_has_its_risk_in_a_few_queries(
    clinic: Clinic,
    history: History,
    users_a: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    # given six visits booked for tomorrow: one by a patient who often misses
    visits = book_tuesday(clinic, [history.often_miss[0], *history.patients[2:7]])
    desk = users_a[Role.FRONT_DESK]
    columns = list_day_by_provider(user=desk, location=clinic.location, day=TUESDAY)

    # when their risks are added (the model, the visits, their confirmations, the patients'
    # histories and their confirmations)
    with django_assert_max_num_queries(5):
        add_risk_to_day(user=desk, columns=columns)

    # then every one has a risk, and the patient who often misses is the riskiest
    rows = {row.appointment.pk: row for column in columns for row in column.visits}
    risks = {pk: row.risk for pk, row in rows.items() if row.risk is not None}
    assert set(risks) == set(rows)
    riskiest = max(visits, key=lambda v: risks[v.pk].risk)
    assert riskiest == visits[0]
    assert risks[visits[0].pk].at_risk
    assert any(reason.startswith("missed ") for reason in risks[visits[0].pk].reasons)


def test_the_worklist_holds_the_visits_at_risk_with_their_offers(
    clinic: Clinic, history: History, users_a: dict[str, User]
) -> None:
    habitual, steady = book_tuesday(clinic, [history.often_miss[0], history.patients[2]])
    desk = users_a[Role.FRONT_DESK]
    check_offer_help(habitual, kind=HelpKind.CALL, acting_user=desk)

    found = list_visits_at_risk(user=desk)

    assert [row.appointment for row in found.visits] == [habitual]
    (row,) = found.visits
    assert [item.offer.kind for item in row.offers] == [HelpKind.CALL]
    assert [label for _, label in row.offers[0].outcomes] == [
        "Confirmed",
        "Not coming",
        "No answer",
    ]
    assert [kind for kind, _ in row.can_offer] == [HelpKind.TRANSPORT, HelpKind.TELEHEALTH]
    assert row.starts == "Tue 03 Mar 09:00"
    assert found.model is not None
    assert found.model.trained_on > 0
    assert steady.pk not in {r.appointment.pk for r in found.visits}
    assert AuditEvent.objects.filter(action="appointment.list", actor=desk).exists()


def test_without_a_model_the_worklist_is_empty_and_says_so(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    found = list_visits_at_risk(user=users_a[Role.FRONT_DESK])
    assert (found.model, found.visits) == (None, [])


def test_the_worklist_is_the_desks_not_the_analysts(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    with pytest.raises(NotFound):
        list_visits_at_risk(user=users_a[Role.ANALYST])


def test_the_fairness_report_shows_risk_and_offers_by_age_band_and_language(
    clinic: Clinic, history: History, users_a: dict[str, User]
) -> None:
    # given the history, and one visit of a child (a group of one: hidden)
    child = make_patient(clinic.organization, "Ana", "Nino", birth_date=date(2016, 4, 1))
    book_tuesday(clinic, [child])

    report = fairness_report(user=users_a[Role.ANALYST], days=90)

    by_age, by_language = report.tables
    groups = {row.group: row for row in by_age.rows}
    assert groups["aged 18 to 29"].visits
    assert groups["under 18"].visits is None  # fewer than five: hidden
    assert groups["under 18"].mean_risk == "—"
    young, older = groups["aged 18 to 29"], groups["aged 45 to 64"]
    assert int(young.mean_risk.rstrip("%")) > int(older.mean_risk.rstrip("%"))
    assert {row.group for row in by_language.rows} == {"English", "Spanish", "Not recorded"}
    assert report.not_recorded == ["race", "ethnicity"]


def test_the_fairness_report_is_figures_for_managers_and_the_analyst_only(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    with pytest.raises(NotFound):
        fairness_report(user=users_a[Role.FRONT_DESK], days=90)
    with pytest.raises(InvalidInput, match="30, 90, 365"):
        fairness_report(user=users_a[Role.MANAGER], days=7)
    assert not NoShowModel.objects.exists()
    assert fairness_report(user=users_a[Role.MANAGER], days=90).tables == []
