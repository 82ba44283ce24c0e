"""Email that leaves after an alert is committed: the responsible person is told that a chart
signalled, with a link to the alert's page. The email names the KPI, the unit and the rule,
never a patient or a figure about one."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from carebond.analytics.warning_models import EarlyWarningAlert
from carebond.core import clock
from carebond.core.claims import claim


def alert_link(alert: EarlyWarningAlert) -> str:
    """The alert's page: absolute when CAREBOND_BASE_URL is set (as for every emailed link)."""
    path = reverse("analytics:alert", kwargs={"alert_id": alert.public_id})
    return settings.BASE_URL.rstrip("/") + path


def _unit(alert: EarlyWarningAlert) -> str:
    """The unit as staff know it: a location's, a department's or a provider's name."""
    return f"{alert.get_unit_kind_display().lower()} {alert.unit_label}"


@task()
def send_alert_email(alert_id: int) -> None:
    """Ids in; sent once (the claim on ``emailed_at``), to the responsible person if they have
    an email address."""
    alert = (
        EarlyWarningAlert.objects.filter(pk=alert_id, emailed_at=None)
        .select_related("responsible")
        .first()
    )
    if alert is None or alert.responsible is None or not alert.responsible.email:
        return
    sending = {"emailed_at": clock.now()}
    if not claim(EarlyWarningAlert, alert.pk, where={"emailed_at": None}, change=sending):
        return
    person = alert.responsible
    body = (
        f"Hello {person.first_name or person.username},\n\n"
        f"An early-warning chart signalled in {alert.month:%B %Y}: {alert.kpi_title} for "
        f"{_unit(alert)} ({alert.rule}). It may be the start of a slow change rather than "
        "chance. The chart, the months that set it off and a place to acknowledge it are "
        f"here:\n\n{alert_link(alert)}\n\n"
        "You are receiving this because you are the manager responsible for this unit in "
        "CareBond.\n"
    )
    send_mail(f"Early warning: {alert.kpi_title}", body, None, [person.email])
