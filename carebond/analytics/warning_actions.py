"""Early warning's writes: the daily scan that raises an alert when a chart signals in the month
just ended, and acknowledging an alert with a note (docs/analytics.md "Early warning").

The scan is idempotent: an alert is raised once per KPI, unit, rule and month (a unique
constraint), and not again while the same chart's alert for the same rule is still open. The
responsible person is emailed once, after the alert is committed, with a link and no figures
about patients.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from carebond.accounts.models import User
from carebond.analytics.access import ALERT_ACKNOWLEDGERS
from carebond.analytics.tasks import send_alert_email
from carebond.analytics.warning_models import EarlyWarningAlert
from carebond.analytics.warning_selectors import (
    AlertDue,
    MonitoredChart,
    due_alerts,
    open_alert_exists,
    organization_charts,
    responsible_for,
    scan_month,
)
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound, RuleViolation
from carebond.core.models import Organization

NOTE_MAX = 2000


def do_raise_alert(
    organization: Organization, chart: MonitoredChart, due: AlertDue
) -> EarlyWarningAlert | None:
    """Raise the alert unless this month's is raised already (None then). Audit:
    analytics.alert_raised. Side effect: the responsible person's email, on commit."""
    unit = chart.unit
    try:
        with transaction.atomic():
            alert = EarlyWarningAlert.objects.create(
                organization=organization,
                kpi=chart.kpi.key,
                kpi_title=chart.kpi.title,
                unit_kind=unit.kind,
                unit_value=unit.value,
                unit_label=unit.label,
                location_id=unit.location_id,
                rule=due.rule,
                direction=due.direction or "",
                month=chart.series.months[-1],
                months=due.months,
                chart=due.snapshot,
                responsible=responsible_for(organization.id, unit.location_id),
                raised_at=clock.now(),
            )
            record_audit(
                actor=None,
                action="analytics.alert_raised",
                target=alert,
                organization=organization,
                actor_label="worker",
            )
            transaction.on_commit(lambda: send_alert_email.enqueue(alert_id=alert.pk))
    except IntegrityError:
        return None  # raised by an earlier run of the scan (or one running beside it)
    return alert


def scan_organization(organization: Organization, *, month: date | None = None) -> int:
    """Chart every monitored KPI of every unit up to the month just ended (or up to ``month``:
    the pass as it would have run then) and raise what is due; returns how many were raised."""
    month = month or scan_month(organization)
    raised = 0
    for chart in organization_charts(organization.id, month):
        for due in due_alerts(chart):
            if open_alert_exists(organization.id, chart.kpi.key, chart.unit, due.rule):
                continue
            if do_raise_alert(organization, chart, due) is not None:
                raised += 1
    return raised


def scan_early_warning() -> int:
    """The worker's daily pass over every organisation."""
    return sum(scan_organization(org) for org in Organization.objects.order_by("id"))


@transaction.atomic
def check_acknowledge_alert(
    alert: EarlyWarningAlert, *, note: str, acting_user: User
) -> EarlyWarningAlert:
    """Lock, check, then acknowledge: a manager or administrator of the alert's organisation,
    once, with a note saying what was found or will be done."""
    if not ALERT_ACKNOWLEDGERS.allows(acting_user.role):
        raise NotFound("No such alert.")
    locked = (
        EarlyWarningAlert.objects.select_for_update()
        .filter(pk=alert.pk, organization_id=acting_user.organization_id)
        .first()
    )
    if locked is None:
        raise NotFound("No such alert.")
    if locked.acknowledged_at is not None:
        raise RuleViolation("This alert was acknowledged already.")
    note = note.strip()
    if not note:
        raise InvalidInput("Say what you found or what will be done.", field="note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"Keep the note under {NOTE_MAX} characters.", field="note")
    return do_acknowledge_alert(locked, note=note, acting_user=acting_user)


@transaction.atomic
def do_acknowledge_alert(
    alert: EarlyWarningAlert, *, note: str, acting_user: User
) -> EarlyWarningAlert:
    """Audit: analytics.alert_acknowledged (the note's field name, never its words)."""
    alert.acknowledged_at = clock.now()
    alert.acknowledged_by = acting_user
    alert.note = note
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "note"])
    record_audit(
        actor=acting_user,
        action="analytics.alert_acknowledged",
        target=alert,
        changed_fields=["acknowledged_at", "note"],
    )
    return alert
