"""Who may use value maps, and fetching a study within the user's organisation.

Missing and another organisation's study look the same (NotFound, 404). The analyst reads maps
and analyses (aggregates, respondents by pseudonym only, never their words); managers and
administrators also run the interviews, keep the code book, import ladders and read the words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import AccessPolicy, Role
from carebond.value_maps.models import Code, Respondent, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Reads of studies, maps and analyses: aggregates, so the analyst too.
VALUE_MAP_READERS = AccessPolicy(
    "value_map_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
)
# Interviews, the code book and imports: they can link respondents to patients (PHI).
VALUE_MAP_EDITORS = AccessPolicy("value_map_editors", roles=frozenset({Role.ADMIN, Role.MANAGER}))


def may_see_people(user: User) -> bool:
    """Whether the user may see which person a respondent is (never the analyst)."""
    return VALUE_MAP_EDITORS.allows(user.role)


def may_read_words(user: User) -> bool:
    """Whether the user may read respondents' own words (encrypted PHI: people talk about their
    health and families). Editors only, as for the API's ladders; never the analyst."""
    return VALUE_MAP_EDITORS.allows(user.role)


def access_study(user: User, public_id: UUID | str, *, for_update: bool = False) -> Study:
    if not VALUE_MAP_READERS.allows(user.role):
        raise NotFound("No such study.")
    studies = Study.objects.filter(organization_id=user.organization_id, public_id=public_id)
    if for_update:
        studies = studies.select_for_update()
    return one_or_not_found(studies.select_related("organization"), "No such study.")


def access_code(study: Study, public_id: UUID | str) -> Code:
    return one_or_not_found(
        Code.objects.filter(study=study, public_id=public_id), "No such code in this study."
    )


def access_respondent(user: User, study: Study, public_id: UUID | str) -> Respondent:
    """A respondent of a study the user already reached through ``access_study``; the
    interview pages are for editors only."""
    if not may_see_people(user):
        raise NotFound("No such respondent.")
    return one_or_not_found(
        Respondent.objects.filter(study=study, public_id=public_id).select_related(
            "segment", "person"
        ),
        "No such respondent.",
    )
