"""Who may book, move, cancel and run visits, and fetching an appointment within the user's
organisation (a missing one and another organisation's look the same: 404).

The analyst sees no appointment (each names a patient and why they come); the schedule's
figures reach them through analytics. Overbooking a full time is for managers and
administrators only, and is logged as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import PHI_ROLES, AccessPolicy, Role
from carebond.scheduling.models import Appointment, HelpOffer

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Booking, moving, cancelling and the visit's steps: everyone who works with patients.
SCHEDULERS = AccessPolicy("schedulers", roles=PHI_ROLES - {Role.LIAISON})
# Templates, exceptions and appointment types: how the practice's week is built.
SCHEDULE_EDITORS = AccessPolicy("schedule_editors", roles=frozenset({Role.ADMIN, Role.MANAGER}))
# Today's schedule is the front desk's home (and the managers'); a clinician's is their patients.
DESK = AccessPolicy("schedule_desk", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.FRONT_DESK}))
CLINICIANS = AccessPolicy("schedule_clinicians", roles=frozenset({Role.CLINICIAN}))
# Adherence figures: aggregates that name no patient, so the analyst too.
ADHERENCE_READERS = AccessPolicy(
    "adherence_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
)
# Booking over a full time on purpose.
OVERBOOKERS = AccessPolicy("overbookers", roles=frozenset({Role.ADMIN, Role.MANAGER}))


def access_appointment(
    user: User, public_id: UUID | str, *, for_update: bool = False
) -> Appointment:
    if not SCHEDULERS.allows(user.role):
        raise NotFound("No such appointment.")
    found = Appointment.objects.filter(organization_id=user.organization_id, public_id=public_id)
    if for_update:
        found = found.select_for_update(of=("self",))
    return one_or_not_found(
        found.select_related(
            "organization", "patient", "provider", "location", "appointment_type", "room"
        ),
        "No such appointment.",
    )


# No-show risk: the desk offers help to the visits at risk; the fairness report is figures
# only (no patient named), so the analyst reads it too.
NOSHOW_OUTREACH = AccessPolicy(
    "noshow_outreach", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.FRONT_DESK})
)
NOSHOW_FAIRNESS_READERS = AccessPolicy(
    "noshow_fairness_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
)


def access_help_offer(user: User, public_id: UUID | str) -> HelpOffer:
    if not NOSHOW_OUTREACH.allows(user.role):
        raise NotFound("No such offer of help.")
    return one_or_not_found(
        HelpOffer.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related(
            "appointment__patient__organization",
            "appointment__location",
            "appointment__appointment_type",
            "appointment__provider",
        ),
        "No such offer of help.",
    )
