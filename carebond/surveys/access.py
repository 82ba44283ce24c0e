"""Who may do what with surveys, and fetching within the user's organisation.

Results are aggregates (the analyst reads them, with small groups hidden). Comments are
people's own words and recovery cases name patients: managers and administrators only.
Anyone who sees patients may log a complaint. Missing and another organisation's rows look the
same (NotFound, 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.permissions import PHI_ROLES, AccessPolicy, Role
from carebond.surveys.models import FeedbackAction, Instrument, RecoveryCase, Response

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Scores, response rates and theme counts: aggregates with small groups hidden.
SURVEY_READERS = AccessPolicy(
    "survey_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
)
# Instruments, distribution rules, comments, recovery and "you said, we did".
SURVEY_MANAGERS = AccessPolicy("survey_managers", roles=frozenset({Role.ADMIN, Role.MANAGER}))
# A complaint heard at the desk or in the room.
COMPLAINT_LOGGERS = AccessPolicy("complaint_loggers", roles=PHI_ROLES)


def access_instrument(user: User, public_id: UUID | str, *, for_update: bool = False) -> Instrument:
    found = Instrument.objects.filter(organization_id=user.organization_id)
    if for_update:
        found = found.select_for_update()
    return one_or_not_found(found.filter(public_id=public_id), "No such survey.")


def access_case(user: User, public_id: UUID | str) -> RecoveryCase:
    if not SURVEY_MANAGERS.allows(user.role):
        from carebond.core.errors import NotFound

        raise NotFound("No such case.")
    found = RecoveryCase.objects.filter(organization_id=user.organization_id).select_related(
        "person", "location", "owner", "escalated_to"
    )
    return one_or_not_found(found.filter(public_id=public_id), "No such case.")


def access_response(user: User, public_id: UUID | str) -> Response:
    """An identified response (the person's answers and comments): managers only."""
    if not SURVEY_MANAGERS.allows(user.role):
        from carebond.core.errors import NotFound

        raise NotFound("No such response.")
    found = Response.objects.filter(organization_id=user.organization_id).select_related(
        "version__instrument__organization", "person", "location"
    )
    return one_or_not_found(
        found.prefetch_related("comments").filter(public_id=public_id), "No such response."
    )


def access_action(user: User, public_id: UUID | str) -> FeedbackAction:
    found = FeedbackAction.objects.filter(organization_id=user.organization_id)
    return one_or_not_found(found.filter(public_id=public_id), "No such action.")
