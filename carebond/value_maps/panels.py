"""The value-maps app's panels: its studies on the home page, and on a person's page the
interviews they gave (for those who may see who a respondent is)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.value_maps.selectors import list_studies, list_studies_of_person

if TYPE_CHECKING:
    from carebond.accounts.models import User

HOME_STUDIES = 4


def studies_panel(user: User) -> Mapping[str, Any] | None:
    studies = list(list_studies(user=user).order_by("-created_at")[:HOME_STUDIES])
    return {"studies": studies} if studies else None


def interviews_panel(page: PersonPage) -> Mapping[str, Any] | None:
    respondents = list_studies_of_person(user=page.user, person=page.person)
    return {"respondents": respondents} if respondents else None
