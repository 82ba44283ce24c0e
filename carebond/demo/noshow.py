"""The demo's no-show history and its trained model: about four months of visits before the
three weeks the schedule shows (a few patients often miss; patients aged 18 to 29, visits booked
a month or more ahead, Mondays and late afternoons a little more often), the model trained on
them as `carebond train-noshow` would, and (once the demo's two years of history are written,
history.py) a confirmation call already offered to the first visit at risk."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core.errors import CareBondError
from carebond.core.models import Location, Organization
from carebond.people.models import Person
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    HelpKind,
    HelpOffer,
    HelpOutcome,
)
from carebond.scheduling.noshow_actions import (
    check_offer_help,
    check_record_help_outcome,
    check_train_noshow_model,
)
from carebond.scheduling.noshow_selectors import list_visits_at_risk

# Days back: after the three weeks of past visits the schedule writes (a weekend moves the last
# of them back to the Friday: 23 days at most), about four months.
FIRST_DAY_BACK, LAST_DAY_BACK = 24, 140
SLOTS = (time(8, 30), time(9, 10), time(10), time(10, 40), time(13, 20), time(14), time(15, 20))
LEADS = (0, 1, 2, 5, 7, 14, 21, 35, 60)


def build_noshow(
    organization: Organization,
    *,
    rng: random.Random,
    location: Location,
    providers: list[Person],
    kind: AppointmentType,
    patients: list[Person],
    today: date,
    zone: ZoneInfo,
    desk: User | None,
) -> None:
    """Write the history and train the model."""
    # One patient in seven often misses (some of them booked today and in the week ahead).
    often_miss = {p.pk for p in patients[::7]}
    rows, counter = [], 0
    for back in range(LAST_DAY_BACK, FIRST_DAY_BACK - 1, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for slot in SLOTS:
            for provider in providers:
                patient = patients[counter % len(patients)]
                counter += 1
                starts = datetime.combine(day, slot, tzinfo=zone)
                lead = rng.choice(LEADS)
                rows.append(
                    _visit(
                        organization,
                        patient=patient,
                        provider=provider,
                        location=location,
                        kind=kind,
                        starts=starts,
                        lead=lead,
                        missed=rng.random() < _chance(patient, starts, lead, often_miss),
                        late=rng.random() < 0.3,
                    )
                )
    Appointment.objects.bulk_create(rows)
    try:
        check_train_noshow_model(organization, acting_user=None, actor_label="demo")
    except CareBondError:
        return  # a history too small to train on (a tiny demo): the pages say so


def offer_help_to_the_first_at_risk(organization: Organization, desk: User | None) -> None:
    """The front desk's confirmation call to the first visit at risk (no answer yet). Done once
    the demo's whole history is written (history.py): a visit's risk reads the patient's
    earlier visits."""
    if desk is None or HelpOffer.objects.filter(organization=organization).exists():
        return
    at_risk = list_visits_at_risk(user=desk).visits
    if at_risk:
        call = check_offer_help(at_risk[0].appointment, kind=HelpKind.CALL, acting_user=desk)
        check_record_help_outcome(call, outcome=HelpOutcome.NO_ANSWER, acting_user=desk)


def _chance(patient: Person, starts: datetime, lead: int, often_miss: set[int]) -> float:
    age = (starts.date() - patient.birth_date).days // 365 if patient.birth_date else 40
    chance = 0.05 + 0.45 * (patient.pk in often_miss) + 0.1 * (18 <= age < 30)
    chance += 0.08 * (lead >= 30) + 0.04 * (starts.weekday() == 0) + 0.04 * (starts.hour >= 15)
    return chance


def _visit(
    organization: Organization,
    *,
    patient: Person,
    provider: Person,
    location: Location,
    kind: AppointmentType,
    starts: datetime,
    lead: int,
    missed: bool,
    late: bool,
) -> Appointment:
    """A past visit as it stands: kept (its steps noted), missed, or cancelled late."""
    late = missed and late
    kept = not missed
    return Appointment(
        organization=organization,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=starts,
        ends_at=starts + kind.duration,
        duration_minutes=kind.duration_minutes,
        time_zone=str(starts.tzinfo),
        status=AppointmentStatus.FULFILLED
        if kept
        else AppointmentStatus.CANCELLED
        if late
        else AppointmentStatus.NOSHOW,
        group_key=f"demo-history-{patient.pk}-{starts:%Y%m%d%H%M}",
        booked_at=starts - timedelta(days=lead, hours=2),
        arrived_at=starts - timedelta(minutes=5) if kept else None,
        roomed_at=starts + timedelta(minutes=8) if kept else None,
        seen_at=starts + timedelta(minutes=12) if kept else None,
        completed_at=starts + timedelta(minutes=30) if kept else None,
        cancelled_by=CancelledBy.PATIENT if late else "",
        cancelled_at=starts - timedelta(hours=4) if late else None,
        cancel_reason="Could not get away from work" if late else "",
        late_cancellation=late,
    )
