"""Recognition suggestions: praise that named a staff member, passed on or set aside."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core.errors import InvalidInput, NotFound
from carebond.surveys.access import SURVEY_MANAGERS
from carebond.surveys.models import RecognitionSuggestion, SuggestionStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User


@transaction.atomic
def check_decide_suggestion(
    user: User, suggestion_id: UUID | str, *, decision: str, acting_user: User
) -> RecognitionSuggestion:
    """Pass the praise on (the staff member is told by their manager) or set it aside.
    Audit: recognition_suggestion.passed_on / .dismissed."""
    if decision not in (SuggestionStatus.PASSED_ON, SuggestionStatus.DISMISSED):
        raise InvalidInput("Choose pass on or set aside.", field="decision")
    suggestion = (
        RecognitionSuggestion.objects.select_for_update()
        .filter(organization_id=user.organization_id, public_id=suggestion_id)
        .first()
    )
    if suggestion is None or not SURVEY_MANAGERS.allows(user.role):
        raise NotFound("No such suggestion.")
    if suggestion.status != SuggestionStatus.NEW:
        raise InvalidInput("This suggestion was already decided.", field="decision")
    suggestion.status = decision
    suggestion.decided_by = acting_user
    suggestion.save(update_fields=["status", "decided_by"])
    record_audit(actor=acting_user, action=f"recognition_suggestion.{decision}", target=suggestion)
    return suggestion
