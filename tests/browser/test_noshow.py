"""No-show risk in a browser: the desk offers a confirmation call, transport and telehealth to a
visit at risk and records each answer (each press checked against what was stored); the day's
schedule shows the visit's risk; the analyst reads the fairness report. Every page passes axe
and fits the window at 1280 and 390 pixels."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from carebond.core import clock
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.messaging.actions import ensure_built_in_templates
from carebond.people.tests.factories import make_staff
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.models import Appointment, AppointmentType, HelpOffer, NoShowModel
from carebond.scheduling.noshow_actions import check_train_noshow_model
from carebond.scheduling.tests.conftest import weekly_template
from carebond.scheduling.tests.noshow_history import make_history
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")


def _next_weekday() -> date:
    day = clock.now().astimezone(CHICAGO).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _visit_at_risk() -> Appointment:
    """A practice with a trained model whose cut-off puts every visit at risk, and a visit
    booked for the next weekday by a patient who often misses."""
    organization = make_organization("alder", "Alder Family Practice")
    location = Location.objects.create(
        organization=organization, name="Main clinic", time_zone="America/Chicago"
    )
    ensure_built_in_templates(organization)
    doctor = make_staff(organization, "Priya", "Raman")
    weekly_template(doctor, location, starts_on=clock.now().date() - timedelta(days=7))
    follow_up = AppointmentType.objects.create(
        organization=organization, key="follow-up", name="Follow-up", duration_minutes=30
    )
    history = make_history(provider=doctor, location=location, appointment_type=follow_up)
    check_train_noshow_model(organization, acting_user=None)
    NoShowModel.objects.filter(organization=organization).update(threshold=0.0)
    return check_book_appointment(
        history.often_miss[0],
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        starts_at=datetime.combine(_next_weekday(), time(9), tzinfo=CHICAGO),
        acting_user=None,
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_offers_help_to_a_visit_at_risk_and_records_each_answer(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    visit = _visit_at_risk()
    name = visit.patient.display_name
    open_as(
        page,
        str(live_server),
        make_user(visit.organization, Role.FRONT_DESK, "jordan"),
        "/schedule/at-risk/",
    )
    row = page.get_by_test_id(f"at-risk-{visit.public_id}")
    expect(row).to_contain_text("No-show risk")
    expect(row).to_contain_text("missed ")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    for offer, answer, kind, outcome in (
        ("Confirmation call", "Confirmed", "call", "accepted"),
        ("Transport", "Declined", "transport", "declined"),
        ("Switch to telehealth", "No answer", "telehealth", "no_answer"),
    ):
        # when the desk offers the help
        row.get_by_role("button", name=f"{offer}: {name}").click()
        expect(page.get_by_role("status")).to_contain_text(f"{name}: {offer.lower()} offered")
        stored = HelpOffer.objects.get(appointment=visit, kind=kind)
        assert stored.outcome == ""
        assert stored.risk is not None
        # and records what the patient said
        row.get_by_role("button", name=f"{offer}, {answer}: {name}").click()
        expect(page.get_by_role("status")).to_contain_text(f"{offer.lower()}, {answer.lower()}")
        stored.refresh_from_db()
        assert stored.outcome == outcome
        assert stored.outcome_by is not None
    # every kind offered: no offer buttons are left, and the answers stand on the page
    expect(row.get_by_role("button")).to_have_count(0)
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


def test_the_days_schedule_shows_the_risk_and_the_analyst_reads_the_fairness_report(
    page: Page, live_server: object
) -> None:
    visit = _visit_at_risk()
    day = visit.starts_at.astimezone(CHICAGO).date()
    open_as(
        page,
        str(live_server),
        make_user(visit.organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/?location={visit.location.public_id}&day={day.isoformat()}",
    )
    expect(page.get_by_test_id(f"risk-{visit.public_id}")).to_contain_text("No-show risk")
    assert axe_violations(page) == []

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        open_as(
            page,
            str(live_server),
            make_user(visit.organization, Role.ANALYST, f"riley{width}"),
            "/schedule/no-show-fairness/",
        )
        expect(page.get_by_test_id("fairness-1")).to_contain_text("aged 18 to 29")
        expect(page.get_by_test_id("fairness-2")).to_contain_text("Spanish")
        expect(page.locator("main")).to_contain_text("race and ethnicity")
        assert axe_violations(page) == []
        assert horizontal_overflow(page) == 0
