"""Office hours: reply times in office time (split shifts, weekends, closed days, DST), the
after-hours and emergency answers, and the page that sets them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidFields
from carebond.core.models import Organization
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Message
from carebond.messaging.office_hours import Schedule, parse_hours, schedule_for
from carebond.messaging.office_hours_actions import check_set_office_hours
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.messaging.tests.test_inbound import text_in
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS = "\n".join(
    f"{day} 08:00-12:00, 13:00-17:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
)


def _at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


def _schedule(closed: frozenset[date] = frozenset()) -> Schedule:
    return Schedule(zone=CHICAGO, hours=parse_hours(WEEKDAYS), closed=closed)


def test_office_time_skips_lunch_evenings_weekends_and_closed_days() -> None:
    schedule = _schedule()
    # Friday 16:30 to Monday 08:45: half an hour on Friday, three quarters on Monday
    assert schedule.office_seconds(_at(6, 16, 30), _at(9, 8, 45)) == 75 * 60
    # across lunch
    assert schedule.office_seconds(_at(9, 11, 30), _at(9, 13, 30)) == 60 * 60
    # a closed Monday counts nothing
    closed = _schedule(frozenset({date(2026, 3, 9)}))
    assert closed.office_seconds(_at(9, 8), _at(9, 17)) == 0
    assert (schedule.is_open(_at(9, 12, 30)), schedule.is_open(_at(9, 13))) == (False, True)


def test_office_time_on_the_day_clocks_change() -> None:
    # 8 March 2026, a Sunday: the US springs forward at 02:00
    schedule = Schedule(zone=CHICAGO, hours=parse_hours("Sun 01:00-04:00"))
    # 02:00-03:00 does not exist that night: the span is two real hours
    assert schedule.office_seconds(_at(8, 0), _at(8, 5)) == 2 * 3600


def test_mistakes_in_the_hours_are_named_by_line(
    org_a: Organization, users_a: dict[str, User]
) -> None:
    with pytest.raises(InvalidFields) as caught:
        check_set_office_hours(
            org_a,
            hours="Mon 08:00-12:00, 11:00-17:00\nFunday 09:00-10:00\nTue 17:00-08:00\nWed 8-9",
            closures="Christmas\n2026-02-30 Nope",
            acting_user=users_a["manager"],
        )
    messages = {e.field: e.message for e in caught.value.errors}
    assert messages["hours"] == (
        "line 1: the hours overlap; line 2: start with a day (Mon, Tue ... Sun), then hours; "
        "line 3: 17:00-08:00 closes before it opens; line 4: '8-9' is not like 08:00-12:00."
    )
    assert messages["closures"] == (
        "line 1: start with a date like 2026-12-25; line 2: start with a date like 2026-12-25."
    )
    assert schedule_for(org_a).always_open


def test_a_text_after_hours_is_answered_once_and_an_emergency_at_any_hour(
    org_a: Organization, patient: Person, users_a: dict[str, User], sms_provider: SmsProvider
) -> None:
    check_set_office_hours(org_a, hours=WEEKDAYS, closures="", acting_user=users_a["manager"])
    with time_machine.travel(_at(4, 19), tick=False):  # Wednesday 19:00
        text_in("Can I move my visit?")
        text_in("Also, parking?")
        text_in("I have chest pain since this morning")
        dispatch_due_messages()
    bodies = [m["body"] for m in sms_provider.to(PATIENT_PHONE)]
    assert len(bodies) == 2
    assert "our office is closed" in bodies[0]
    assert "if this is an emergency, call 911 now" in bodies[1]
    with time_machine.travel(_at(5, 10), tick=False):  # Thursday 10:00: open, no answer
        text_in("Thanks")
    assert Message.objects.filter(template_key="after_hours").count() == 1


def test_the_inbox_counts_office_minutes_and_flags_overdue(
    org_a: Organization,
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
    settings: object,
) -> None:
    check_set_office_hours(org_a, hours=WEEKDAYS, closures="", acting_user=users_a["manager"])
    with time_machine.travel(_at(6, 16, 30), tick=False):  # Friday 16:30
        text_in("Question about my bill")
    with time_machine.travel(_at(9, 8, 45), tick=False):  # Monday 08:45
        page = client_for(users_a["front_desk"]).get("/messaging/inbox/").content.decode()
    assert "75 min" in page
    assert "overdue" not in page
    with time_machine.travel(_at(9, 11, 0), tick=False):  # Monday 11:00: 210 office minutes
        page = client_for(users_a["front_desk"]).get("/messaging/inbox/").content.decode()
    assert "210 min" in page
    assert "overdue" in page


def test_managers_set_the_hours_on_their_page(
    org_a: Organization, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    assert client_for(users_a["front_desk"]).get("/messaging/office-hours/").status_code == 403
    manager = client_for(users_a["manager"])
    bad = manager.post("/messaging/office-hours/", {"hours": "Mon 9-5", "closures": ""})
    assert bad.status_code == 422
    saved = manager.post(
        "/messaging/office-hours/",
        {"hours": "mon 08:00-12:00, 13:00-17:00\nSat 09:00-12:00", "closures": "2026-12-25 Xmas"},
    )
    assert saved.status_code == 302
    page = manager.get("/messaging/office-hours/").content.decode()
    assert "Mon 08:00-12:00, 13:00-17:00\nSat 09:00-12:00" in page
    assert "2026-12-25 Xmas" in page
    schedule = schedule_for(org_a)
    assert schedule.hours[5] == [(time(9), time(12))]
    assert AuditEvent.objects.filter(action="office_hours.changed").count() == 1
