"""Scheduling's KPIs from hand-made visits, against the worked numbers of methods.md §4.1, and
summed through the analytics rollup the way the dashboards read them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import Filters, Period, kpi_summary
from carebond.core.registry import kpi
from carebond.people.tests.factories import make_patient
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.tests.conftest import Clinic, at

FEBRUARY = date(2026, 2, 1)


def _visits(clinic: Clinic, rows: list[tuple[str, bool, int]]) -> None:
    """(status, late cancellation, how many) visits due in February, ten minutes each, thirty
    a day from the 1st, each with a patient of their own."""
    patients = [
        make_patient(clinic.organization, f"P{i}", "Okonkwo")
        for i in range(sum(count for _, _, count in rows))
    ]
    visits: list[Appointment] = []
    for status, late, count in rows:
        for _ in range(count):
            patient = patients.pop()
            index = len(visits)
            starts = at(FEBRUARY + timedelta(days=index // 30), 8) + timedelta(
                minutes=10 * (index % 30)
            )
            visits.append(
                Appointment(
                    organization=clinic.organization,
                    patient=patient,
                    provider=clinic.doctor,
                    location=clinic.location,
                    appointment_type=clinic.follow_up,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=10),
                    duration_minutes=10,
                    time_zone="America/Chicago",
                    status=status,
                    group_key=f"{patient.pk}",
                    booked_at=starts - timedelta(days=10),
                    late_cancellation=late,
                )
            )
    Appointment.objects.bulk_create(visits)


def _figure(clinic: Clinic, key: str) -> float | None:
    registered = kpi(key)
    assert registered is not None
    summary = kpi_summary(
        organization_id=clinic.organization.pk,
        kpi=registered,
        period=Period(FEBRUARY),
        filters=Filters(),
    )
    return summary.figure.value


def test_no_show_and_missed_rates_match_the_worked_example(clinic: Clinic) -> None:
    # given 500 visits due: 40 cancelled a day or more ahead, 10 cancelled late, 35 no-shows
    _visits(
        clinic,
        [
            (AppointmentStatus.CANCELLED, False, 40),
            (AppointmentStatus.CANCELLED, True, 10),
            (AppointmentStatus.NOSHOW, False, 35),
            (AppointmentStatus.FULFILLED, False, 415),
        ],
    )
    # when February is rolled up
    do_roll_up_days(organization=clinic.organization, first=FEBRUARY, last=date(2026, 2, 28))
    # then 35/460 missed without a word, 10/460 cancelled late, 415/460 kept
    assert _figure(clinic, "scheduling.no_show_rate") == pytest.approx(100 * 35 / 460)
    assert round(_figure(clinic, "scheduling.no_show_rate") or 0, 1) == 7.6
    assert _figure(clinic, "scheduling.late_cancel_rate") == pytest.approx(100 * 10 / 460)
    assert _figure(clinic, "scheduling.show_rate") == pytest.approx(100 * 415 / 460)
    assert _figure(clinic, "scheduling.lead_time") == pytest.approx(10.0)
