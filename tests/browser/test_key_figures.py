"""A manager reads the key figures, at desktop and phone widths: the home panel, the overview
filtered to a location, a KPI's page broken down by provider, and the patients behind the
figure (their record reads audited)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import last_complete_period
from carebond.audit.models import AuditEvent
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_manager_drills_from_the_home_panel_to_the_patients_behind_a_figure(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    # given last month's visits at two clinics: at Northside, Dr Ilunga's patient Bruno missed
    # two of his three visits; everyone else came
    organization = make_organization("alder", "Alder Family Practice")
    manager = make_user(organization, Role.MANAGER, "morgan")
    main = Location.objects.create(
        organization=organization, name="Main clinic", time_zone="America/Chicago"
    )
    north = Location.objects.create(
        organization=organization, name="Northside", time_zone="America/Chicago"
    )
    ada, ben = make_staff(organization, "Ada", "Ilunga"), make_staff(organization, "Ben", "Osei")
    visit = AppointmentType.objects.create(
        organization=organization,
        key="visit",
        name="Visit",
        duration_minutes=30,
        specialty="Family medicine",
    )
    bruno = make_patient(organization, "Bruno", "Salas")
    others = [make_patient(organization, f"Patient{i}", "Moss") for i in range(6)]
    period = last_complete_period(organization)
    rows = [
        (bruno, ada, north, AppointmentStatus.NOSHOW),
        (bruno, ada, north, AppointmentStatus.NOSHOW),
        (bruno, ada, north, AppointmentStatus.FULFILLED),
    ]
    rows += [(p, ben, main, AppointmentStatus.FULFILLED) for p in others]
    for i, (patient, provider, location, status) in enumerate(rows):
        starts = datetime.combine(period.first + timedelta(days=i), time(10), CHICAGO)
        Appointment.objects.create(
            organization=organization,
            patient=patient,
            provider=provider,
            location=location,
            appointment_type=visit,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            duration_minutes=30,
            time_zone="America/Chicago",
            status=status,
            group_key=f"v{i}",
            booked_at=starts - timedelta(days=7),
        )
    do_roll_up_days(organization=organization, first=period.first, last=period.last)
    open_as(page, str(live_server), manager)

    # when the manager follows the home panel to all key figures, filtered to Northside
    panel = page.get_by_role("region", name="Key figures")
    expect(panel).to_contain_text("No-show rate")
    panel.get_by_role("link", name="All key figures").click()
    expect(page.get_by_role("heading", name="Key figures", level=1)).to_be_visible()
    expect(page.get_by_test_id("tile-scheduling.no_show_rate")).to_contain_text("n = 9")
    page.get_by_label("Location", exact=True).select_option(label="Northside")
    page.get_by_role("button", name="Show").click()
    # then the tile counts Northside's three visits only
    tile = page.get_by_test_id("tile-scheduling.no_show_rate")
    expect(tile).to_contain_text("n = 3")

    # when they open the no-show rate and compare providers
    tile.get_by_role("link", name="No-show rate").click()
    expect(page.get_by_test_id("definition")).to_contain_text("neither attended nor cancelled")
    page.get_by_label("Broken down by").select_option(label="Provider")
    page.get_by_role("button", name="Compare").click()
    units = page.get_by_test_id("units")
    expect(units).to_contain_text("Ada Ilunga")
    expect(units).not_to_contain_text("Ben Osei")

    # and they ask who is behind Dr Ilunga's figure
    units.get_by_role("link", name="Who").click()
    people = page.get_by_test_id("people")
    expect(people).to_contain_text("Bruno Salas")
    expect(people.get_by_role("row")).to_have_count(2)
    # then reading Bruno's place in the figure is in his record's access log
    reads = AuditEvent.objects.filter(action="kpi.people.read", actor=manager)
    assert list(reads.values_list("patient_id", flat=True)) == [str(bruno.public_id)]
    assert page.console_errors == []  # type: ignore[attr-defined]
