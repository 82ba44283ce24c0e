"""The visit's calendar file and the patient's confirmation on the day's schedule, in a
browser: the desk presses "Calendar file" and gets the visit's .ics (an audited read), and a
visit the patient confirmed by text says so; the page passes axe at both widths."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.invitations import invitation_uid
from carebond.scheduling.models import Appointment
from carebond.testing.fixtures import make_user
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import open_as
from tests.browser.test_schedule import CHICAGO, _clinic, _next_monday

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_desk_downloads_a_visits_calendar_file_and_sees_who_confirmed(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization, location, doctor, follow_up, patient = _clinic()
    monday = _next_monday()
    visit = check_book_appointment(
        patient,
        provider=doctor,
        location=location,
        appointment_type=follow_up,
        starts_at=datetime.combine(monday, time(9), tzinfo=CHICAGO),
        acting_user=None,
    )
    Appointment.objects.filter(pk=visit.pk).update(confirmed_at=clock.now())  # replied "C"
    open_as(
        page,
        str(live_server),
        make_user(organization, Role.FRONT_DESK, "jordan"),
        f"/schedule/?location={location.public_id}&day={monday.isoformat()}",
    )
    row = page.get_by_test_id(f"visit-{visit.public_id}")
    expect(row).to_contain_text("Confirmed by the patient")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    # when the desk presses "Calendar file"
    with page.expect_download() as download:
        row.get_by_role("link", name="Calendar file for Rosa Diaz").click()
    # then the file is the visit's, and the read is audited
    assert download.value.suggested_filename == "visit.ics"
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == invitation_uid(visit)
    assert AuditEvent.objects.filter(
        action="appointment.read", target_id=str(visit.public_id)
    ).exists()
