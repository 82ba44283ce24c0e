"""A visit's calendar file (.ics) to download: for staff beside the visit on the day's
schedule, and for the patient by the signed link in their confirmation email."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from carebond.core.access import signed_in_user
from carebond.core.permissions import PUBLIC, page_policy
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.actions import do_open_invitation
from carebond.scheduling.invitations import build_invitation, visit_for_link
from carebond.scheduling.models import Appointment
from carebond.scheduling.selectors import get_appointment


def _file(appointment: Appointment) -> HttpResponse:
    response = HttpResponse(
        build_invitation(appointment, method="PUBLISH"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="visit.ics"'
    return response


@page_policy(SCHEDULERS)
@require_GET
def download(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """Staff: the visit's file (an audited read of the appointment)."""
    return _file(get_appointment(user=signed_in_user(request), public_id=appointment_id))


@page_policy(PUBLIC)
@require_GET
def patient_download(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's link: it names one visit and nothing else; a bad one says only that."""
    appointment = visit_for_link(token)
    if appointment is None:
        return HttpResponse(
            "This link is not valid. / Este enlace no es válido.",
            content_type="text/plain; charset=utf-8",
            status=404,
        )
    do_open_invitation(appointment)
    return _file(appointment)
