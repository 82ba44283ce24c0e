"""The demo's break-glass access: the desk opened two patients' medical history in the last
days; the privacy officer found one appropriate and the other waits for review."""

from __future__ import annotations

from datetime import timedelta

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Organization
from carebond.demo.people import DemoPeople
from carebond.privacy.actions import do_break_glass, do_review_grant
from carebond.privacy.models import BreakGlassGrant, Review

GRANTS = (
    # (days ago, reason, explanation, reviewed)
    (
        3,
        "emergency_care",
        "Patient felt faint at check-in; the nurse asked me to read out her medications.",
        True,
    ),
    (
        1,
        "patient_at_desk",
        "Patient at the desk asked which allergies we have on file before his procedure.",
        False,
    ),
)


def build_privacy(
    organization: Organization, *, people: DemoPeople, users: dict[str, User]
) -> None:
    if BreakGlassGrant.objects.filter(organization=organization).exists():
        return  # built before
    desk, officer = users["frontdesk"], users["privacy"]
    for patient, (days_ago, reason, explanation, reviewed) in zip(
        people.patients[:2], GRANTS, strict=True
    ):
        grant = do_break_glass(
            user=desk,
            person=patient,
            reason=reason,
            explanation=explanation,
            now=clock.now() - timedelta(days=days_ago),
        )
        if reviewed:
            do_review_grant(
                grant,
                user=officer,
                verdict=Review.APPROPRIATE,
                note="The nurse confirmed the emergency.",
            )
