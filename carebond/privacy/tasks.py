"""Email that leaves once a grant is committed: the privacy officers hear of every break-glass
access at once, and managers of a grant found not appropriate. The email names the staff
member, the standard reason and the time, and links to the review page; never the patient or
the user's own words (they may hold clinical facts)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django_tasks import task

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.permissions import Role
from carebond.privacy.models import BreakGlassGrant


def review_link(grant: BreakGlassGrant) -> str:
    path = reverse("privacy:grant", kwargs={"grant_id": grant.public_id})
    return settings.BASE_URL.rstrip("/") + path


def _addresses(organization_id: int, role: str) -> list[str]:
    users = User.objects.filter(organization_id=organization_id, role=role, is_active=True)
    return sorted(users.exclude(email="").values_list("email", flat=True))


def _when(grant: BreakGlassGrant) -> str:
    local = grant.granted_at.astimezone(ZoneInfo(grant.organization.time_zone))
    return f"{local:%Y-%m-%d %H:%M}"


@task()
def send_break_glass_alert(grant_id: int) -> None:
    """Ids in; sent once (the claim on ``alerted_at``), to every privacy officer with an
    email address."""
    grant = (
        BreakGlassGrant.objects.filter(pk=grant_id, alerted_at=None)
        .select_related("user", "organization")
        .first()
    )
    if grant is None:
        return
    alerting = {"alerted_at": clock.now()}
    if not claim(BreakGlassGrant, grant.pk, where={"alerted_at": None}, change=alerting):
        return
    officers = _addresses(grant.organization_id, Role.PRIVACY_OFFICER)
    if not officers:
        return
    body = (
        f"{grant.user.display_name} ({grant.user.username}) broke the glass at {_when(grant)}: "
        f"they opened parts of a patient's record their role withholds, giving the reason "
        f"“{grant.get_reason_display()}”.\n\n"
        "Review the access (who, which record, their explanation) here:\n\n"
        f"{review_link(grant)}\n\n"
        "You are receiving this because you are a privacy officer in CareBond. Every "
        "break-glass access waits in the review queue until a privacy officer reviews it.\n"
    )
    send_mail("Break-glass access to review", body, None, officers)


@task()
def send_not_appropriate_notice(grant_id: int) -> None:
    """The organisation's managers hear that a staff member's break-glass access was found not
    appropriate, with the link; the note and the patient stay on the review page."""
    grant = (
        BreakGlassGrant.objects.filter(pk=grant_id).select_related("user", "organization").first()
    )
    if grant is None:
        return
    managers = _addresses(grant.organization_id, Role.MANAGER)
    if not managers:
        return
    body = (
        f"A privacy officer found the break-glass access of {grant.user.display_name} "
        f"({grant.user.username}) at {_when(grant)} not appropriate. The review and its note "
        f"are here:\n\n{review_link(grant)}\n\n"
        "You are receiving this because you are a manager in CareBond.\n"
    )
    send_mail("Break-glass access found not appropriate", body, None, managers)
