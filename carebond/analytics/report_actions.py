"""The monthly relationship report by email: subscribing, unsubscribing, and the scan that
sends each subscriber a link to the report on the 1st of the month at 08:00 in their own time
zone.

The email carries links only, never a figure or a patient's name: the report is read signed
in, where the read is audited. The time zone is the user's own (the time zone of their staff
record), else the subscribed location's, else the organisation's.

Sending is claimed first: ``last_sent_month`` moves forward in one conditional UPDATE, so two
workers that scan at the same moment send one email, and a second scan sends none. A send the
mail server refuses gives the month back, so the next hourly scan tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time
from smtplib import SMTPException
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from carebond.accounts.models import User
from carebond.analytics.access import REPORT_SUBSCRIBERS
from carebond.analytics.report_models import ReportSubscription
from carebond.analytics.selectors import Period
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.errors import PermissionDenied, RuleViolation
from carebond.core.models import Location
from carebond.people.models import Person

logger = logging.getLogger(__name__)

SEND_AT = time(8, 0)
"""The local time on the 1st from which the month's email is due."""


# --- when a report is due ---------------------------------------------------------------------


def report_month_due(moment: datetime, zone: ZoneInfo) -> date:
    """The month whose report is due at ``moment`` in ``zone``: the month before the latest
    1st-of-the-month, 08:00 local, that has passed. On 1 December at 07:59 in Tokyo that is
    October (November's email is not due yet); from 08:00, November."""
    local = moment.astimezone(zone)
    this_month = Period(local.date().replace(day=1))
    due = this_month if local >= datetime.combine(this_month.end, SEND_AT, tzinfo=zone) else None
    return (due or this_month.previous()).previous().end


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _staff_zones(user_ids: Iterable[int]) -> dict[int, str]:
    """The time zone of each user's staff record, where it has one (one query)."""
    return dict(
        Person.objects.filter(staff_profile__user_id__in=set(user_ids))
        .exclude(time_zone="")
        .values_list("staff_profile__user_id", "time_zone")
    )


def recipient_zone(
    subscription: ReportSubscription, staff_zones: dict[int, str] | None = None
) -> ZoneInfo:
    """The user's own time zone, else the subscribed location's, else the organisation's."""
    zones = _staff_zones([subscription.user_id]) if staff_zones is None else staff_zones
    location = subscription.location
    return (
        _zone(zones.get(subscription.user_id, ""))
        or _zone(location.time_zone if location else "")
        or _zone(subscription.organization.time_zone)
        or ZoneInfo("UTC")
    )


# --- subscribing ------------------------------------------------------------------------------


def check_subscribe_report(*, user: User, location: Location | None) -> ReportSubscription:
    """A manager subscribes to a location's report (or every location's, ``location`` None)."""
    if not REPORT_SUBSCRIBERS.allows(user.role):
        raise PermissionDenied("The monthly report by email is for managers and administrators.")
    if location is not None and location.organization_id != user.organization_id:
        raise RuleViolation("Choose one of your organisation's locations.")
    if not user.email:
        raise RuleViolation(
            "Your account has no email address: ask an administrator to add one first."
        )
    return do_subscribe_report(user=user, location=location, acting_user=user)


@transaction.atomic
def do_subscribe_report(
    *, user: User, location: Location | None, acting_user: User | None
) -> ReportSubscription:
    """Audit: kpi.report.subscribed. The first email comes on the next 1st at 08:00 in the
    user's time zone: a report already due counts as sent (subscribing mid-month sends no
    email at once)."""
    subscription, _ = ReportSubscription.objects.select_for_update().get_or_create(
        organization_id=user.organization_id,
        user=user,
        location=location,
        defaults={"active": False},
    )
    already_due = report_month_due(clock.now(), recipient_zone(subscription))
    subscription.active = True
    if subscription.last_sent_month is None or subscription.last_sent_month < already_due:
        subscription.last_sent_month = already_due
    subscription.save(update_fields=["active", "last_sent_month", "updated_at"])
    record_audit(actor=acting_user, action="kpi.report.subscribed", target=subscription)
    return subscription


def check_unsubscribe_report(*, user: User, location: Location | None) -> ReportSubscription:
    subscription = (
        ReportSubscription.objects.filter(user=user, location=location, active=True)
        .select_related("location")
        .first()
    )
    if subscription is None:
        raise RuleViolation("You do not get this report by email.")
    return do_unsubscribe_report(subscription, acting_user=user)


@transaction.atomic
def do_unsubscribe_report(
    subscription: ReportSubscription, *, acting_user: User | None
) -> ReportSubscription:
    """Audit: kpi.report.unsubscribed. The row stays (inactive), so subscribing again later
    never resends a month already sent."""
    ReportSubscription.objects.filter(pk=subscription.pk).update(
        active=False, updated_at=clock.now()
    )
    subscription.active = False
    record_audit(actor=acting_user, action="kpi.report.unsubscribed", target=subscription)
    return subscription


# --- the scan ---------------------------------------------------------------------------------


def scan_report_emails() -> int:
    """The worker's hourly pass: every active subscriber whose month is due gets one email
    (claimed first). Returns how many were sent."""
    now = clock.now()
    subscriptions = list(
        ReportSubscription.objects.filter(
            active=True, user__is_active=True, user__disabled_at__isnull=True
        )
        .select_related("user", "location", "organization")
        .order_by("pk")
    )
    staff_zones = _staff_zones(s.user_id for s in subscriptions)
    sent = 0
    for subscription in subscriptions:
        user = subscription.user
        if not user.email or not REPORT_SUBSCRIBERS.allows(user.role):
            continue
        month = report_month_due(now, recipient_zone(subscription, staff_zones))
        if subscription.last_sent_month is not None and subscription.last_sent_month >= month:
            continue
        sent += _send_report_link(subscription, month)
    return sent


def _send_report_link(subscription: ReportSubscription, month: date) -> int:
    before = subscription.last_sent_month
    if not claim(
        ReportSubscription,
        subscription.pk,
        where={"active": True, "last_sent_month": before},
        change={"last_sent_month": month},
    ):
        return 0  # another worker sent it, or the manager unsubscribed meanwhile
    subject, body = report_email(subscription, Period(month))
    try:
        send_mail(subject, body, None, [subscription.user.email])
    except (SMTPException, OSError):
        logger.warning("The report email of subscription %s was not sent", subscription.pk)
        ReportSubscription.objects.filter(pk=subscription.pk, last_sent_month=month).update(
            last_sent_month=before
        )
        return 0
    record_audit(actor=None, action="kpi.report.emailed", target=subscription)
    return 1


def report_email(subscription: ReportSubscription, period: Period) -> tuple[str, str]:
    """(subject, body): the month and a link per location, no figure and no patient."""
    user = subscription.user
    if subscription.location is not None:
        locations = [subscription.location]
    else:
        locations = list(
            Location.objects.filter(organization_id=subscription.organization_id).order_by("name")
        )
    base = settings.BASE_URL.rstrip("/")
    links = "\n".join(
        f"{location.name}: {base}"
        + reverse(
            "analytics:report",
            kwargs={"location_id": location.public_id, "month": period.key},
        )
        for location in locations
    )
    body = (
        f"Hello {user.first_name or user.username},\n\n"
        f"The relationship report of {period.label} is ready. Sign in to read it:\n\n"
        f"{links or base + reverse('analytics:reports')}\n\n"
        "The figures stay in CareBond: this email carries none.\n\n"
        "You get this email because you subscribed to the monthly report. To stop it, press "
        f"Unsubscribe on the reports page: {base}{reverse('analytics:reports')}\n"
    )
    return f"Relationship report: {period.label}", body
