"""The links of self-booking: a visit's own link, to move or cancel it (given on the booked page
and in the confirming message), and an invitation to book (in a recall, say). Both are signed
and expire; they name an appointment or an organisation and nothing else about the person."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from carebond.core.errors import InvalidInput
from carebond.core.models import Organization
from carebond.scheduling.models import Appointment, AppointmentType

MANAGE_SALT = "carebond.scheduling.self_booking.manage"
INVITE_SALT = "carebond.scheduling.self_booking.invite"
# A visit may be booked up to a year and a half ahead; its link lasts past it.
MANAGE_DAYS = 600
INVITE_DAYS = 30


def manage_url(appointment: Appointment) -> str:
    """The visit's link (absolute when CAREBOND_BASE_URL is set)."""
    token = signing.dumps({"a": str(appointment.public_id)}, salt=MANAGE_SALT)
    return settings.BASE_URL.rstrip("/") + reverse("book:visit", kwargs={"token": token})


def read_manage_token(token: str) -> str:
    """The appointment's public id a visit link names; InvalidInput when forged or expired."""
    return str(_load(token, salt=MANAGE_SALT, days=MANAGE_DAYS).get("a", ""))


def invite_url(organization: Organization, appointment_type: AppointmentType | None = None) -> str:
    """An invitation to book (a visit type chosen, or none), valid for ``INVITE_DAYS``."""
    token = signing.dumps(
        {"o": organization.slug, "t": str(appointment_type.public_id) if appointment_type else ""},
        salt=INVITE_SALT,
    )
    path = reverse("book:start", kwargs={"organization": organization.slug})
    return f"{settings.BASE_URL.rstrip('/')}{path}?invite={token}"


@dataclass(frozen=True)
class Invitation:
    organization_slug: str
    appointment_type: str  # a public id, or ""


def read_invite(token: str) -> Invitation:
    data = _load(token, salt=INVITE_SALT, days=INVITE_DAYS)
    return Invitation(str(data.get("o", "")), str(data.get("t", "")))


def _load(token: str, *, salt: str, days: int) -> dict[str, object]:
    try:
        data = signing.loads(token, salt=salt, max_age=days * 86400)
    except signing.SignatureExpired:
        raise InvalidInput("This link has expired.", field="token") from None
    except signing.BadSignature:
        raise InvalidInput("This link is not valid.", field="token") from None
    if not isinstance(data, dict):
        raise InvalidInput("This link is not valid.", field="token")
    return data
