"""The monthly report by email: on the 1st at 08:00 in each subscriber's own time zone, once
(a second scan, or a second worker at the same moment, sends nothing more), as a link with no
figure in it, through the real SMTP server; only managers subscribe."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from carebond.accounts.models import User
from carebond.analytics import report_actions
from carebond.analytics.report_actions import (
    check_subscribe_report,
    check_unsubscribe_report,
    scan_report_emails,
)
from carebond.analytics.report_models import ReportSubscription
from carebond.audit.models import AuditEvent
from carebond.core.errors import PermissionDenied, RuleViolation
from carebond.core.models import Location, Organization
from carebond.core.permissions import Role
from carebond.people.actions import PersonInput, StaffInput, check_create_person
from carebond.people.models import PersonKind
from carebond.testing.concurrency import at_once
from carebond.testing.fixtures import Mailbox, make_user

NOVEMBER_20 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKYO_8AM_DECEMBER_1 = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 17:00 in Chicago
CHICAGO_8AM_DECEMBER_1 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def manager_in(organization: Organization, username: str, time_zone: str) -> User:
    """A manager whose staff record says where they work from."""
    user = make_user(organization, Role.MANAGER, username=username)
    check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.STAFF,
            given_name=username.title(),
            family_name="Tester",
            time_zone=time_zone,
            staff=StaffInput(job_title="Practice manager", user=user),
        ),
        acting_user=None,
    )
    return user


def subscribed(user: User, location: Location | None) -> ReportSubscription:
    with time_machine.travel(NOVEMBER_20, tick=False):
        return check_subscribe_report(user=user, location=location)


def test_each_subscriber_gets_the_link_at_8_in_their_own_time_zone(
    location_a: Location, manager_a: User, smtp_server: Mailbox, settings: Any
) -> None:
    # given a manager working from Tokyo and one in Chicago (the organisation's time zone),
    # both subscribed to Alder Main's report on 20 November
    settings.BASE_URL = "https://crm.example.org"
    tokyo = manager_in(location_a.organization, "kenji", "Asia/Tokyo")
    subscribed(tokyo, location_a)
    subscribed(manager_a, location_a)
    # when the worker scans a minute before 08:00 on 1 December in Tokyo
    with time_machine.travel(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), tick=False):
        assert scan_report_emails() == 0
    # when it scans at 08:00 on 1 December in Tokyo (still 30 November in Chicago)
    with time_machine.travel(TOKYO_8AM_DECEMBER_1, tick=False):
        assert scan_report_emails() == 1
    # then the Tokyo manager has November's report, as a link and nothing more
    [email] = smtp_server.messages
    assert email["To"] == tokyo.email
    assert email["Subject"] == "Relationship report: November 2026"
    body = email.get_content()
    link = f"https://crm.example.org/analytics/reports/{location_a.public_id}/2026-11/"
    assert f"Alder Main: {link}" in body
    assert "%" not in body
    assert "The figures stay in CareBond: this email carries none." in body
    # when the worker scans at 08:00 on 1 December in Chicago
    with time_machine.travel(CHICAGO_8AM_DECEMBER_1, tick=False):
        assert scan_report_emails() == 1
    # then the Chicago manager has theirs; each sending is audited, by the system
    assert [m["To"] for m in smtp_server.messages] == [tokyo.email, manager_a.email]
    assert AuditEvent.objects.filter(action="kpi.report.emailed", actor=None).count() == 2


def test_a_second_scan_sends_nothing_more(
    location_a: Location, manager_a: User, smtp_server: Mailbox
) -> None:
    # given a manager subscribed to every location's report
    subscription = subscribed(manager_a, None)
    # when the worker scans twice on 1 December, after 08:00 in Chicago
    with time_machine.travel(CHICAGO_8AM_DECEMBER_1, tick=False):
        sent = [scan_report_emails(), scan_report_emails()]
    # then one email went, and November is marked sent
    assert sent == [1, 0]
    assert len(smtp_server.messages) == 1
    subscription.refresh_from_db()
    assert subscription.last_sent_month == date(2026, 11, 1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_send_one_email(
    location_a: Location, manager_a: User, smtp_server: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a manager subscribed to Alder Main's report
    subscribed(manager_a, location_a)
    # and two workers that have both read the subscriptions before either sends
    both_read = threading.Barrier(2, timeout=10)
    staff_zones = report_actions._staff_zones

    def read_together(user_ids: Iterable[int]) -> dict[int, str]:
        zones = staff_zones(user_ids)
        both_read.wait()
        return zones

    monkeypatch.setattr(report_actions, "_staff_zones", read_together)
    # when they scan at the same moment, after 08:00 on 1 December in Chicago
    with time_machine.travel(CHICAGO_8AM_DECEMBER_1, tick=False):
        errors = at_once(scan_report_emails)
    # then one of them sent the one email
    assert errors == []
    assert len(smtp_server.messages) == 1
    assert AuditEvent.objects.filter(action="kpi.report.emailed").count() == 1


def test_a_refused_email_is_tried_again_at_the_next_scan(
    location_a: Location, manager_a: User, smtp_server: Mailbox, settings: Any
) -> None:
    # given a subscriber, and a mail server that refuses connections at 08:00
    subscription = subscribed(manager_a, location_a)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # (nothing listens on the discard port)
    with time_machine.travel(CHICAGO_8AM_DECEMBER_1, tick=False):
        # when the worker scans
        assert scan_report_emails() == 0
        # then November is not marked sent
        subscription.refresh_from_db()
        assert subscription.last_sent_month == date(2026, 10, 1)
        # when the server is back at the next scan
        settings.EMAIL_PORT = port
        # then the email goes
        assert scan_report_emails() == 1
    assert len(smtp_server.messages) == 1


def test_only_managers_subscribe_and_only_to_their_own_locations(
    location_a: Location, users_a: dict[str, User], outsider_b: User
) -> None:
    # given the analyst, Alder's manager and Birchwood's administrator
    manager = users_a[Role.MANAGER]
    # then the analyst may read reports but not get them by email
    with pytest.raises(PermissionDenied, match="for managers and administrators"):
        check_subscribe_report(user=users_a[Role.ANALYST], location=location_a)
    # and nobody subscribes to another organisation's location
    with pytest.raises(RuleViolation, match="your organisation's locations"):
        check_subscribe_report(user=outsider_b, location=location_a)
    # and an unsubscribe from what one never subscribed to says so
    with pytest.raises(RuleViolation, match="You do not get this report by email"):
        check_unsubscribe_report(user=manager, location=location_a)
    assert ReportSubscription.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="kpi.report.").exists()
