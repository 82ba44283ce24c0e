"""The vendor's official results, as imported: grouped by survey, newest period first. They are
shown on their own, as the vendor's, and never next to or against CareBond's own scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from carebond.core.errors import NotFound
from carebond.surveys.access import SURVEY_READERS
from carebond.surveys.models import VendorResult

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass(frozen=True)
class VendorSurvey:
    survey: str
    results: list[VendorResult]


def list_vendor_results(*, user: User) -> list[VendorSurvey]:
    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such page.")
    groups: dict[str, list[VendorResult]] = {}
    for result in (
        VendorResult.objects.filter(organization_id=user.organization_id)
        .select_related("location")
        .order_by("survey", "-period_end", "measure", "location__name")[:2000]
    ):
        groups.setdefault(result.survey, []).append(result)
    return [VendorSurvey(survey, results) for survey, results in groups.items()]
