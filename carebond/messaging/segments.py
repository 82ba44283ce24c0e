"""Who a campaign goes to: a segment's rules, checked when written, and the people they pick.

Rules are stored on the campaign as plain JSON, so that a campaign always says what it meant:
``{"no_visit_months": 12, "language": "es", "age_band": "65+"}``. Every rule narrows the
segment; no rule at all means every patient. Deceased people and those without consent stay in
the segment: the preview lists them as excluded, with the reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from carebond.core import clock
from carebond.core.errors import InvalidFields, InvalidInput
from carebond.people.models import Person, PersonKind
from carebond.touchpoints.selectors import people_with_touchpoints

# (label, youngest, oldest) in whole years.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-17": (0, 17),
    "18-39": (18, 39),
    "40-64": (40, 64),
    "65+": (65, 130),
}
VISIT_KINDS = ["visit", "telehealth"]
LANGUAGES = {"en": "English", "es": "Spanish"}


@dataclass(frozen=True)
class Segment:
    no_visit_months: int | None = None  # last visit longer ago than this (seen at least once)
    language: str = ""  # preferred language, by its primary tag
    age_band: str = ""

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def describe(self) -> str:
        parts = ["Patients"]
        if self.no_visit_months:
            parts.append(f"last seen more than {self.no_visit_months} months ago")
        if self.language:
            parts.append(f"who prefer {LANGUAGES.get(self.language, self.language)}")
        if self.age_band:
            parts.append(f"aged {self.age_band}")
        return ", ".join(parts)


def check_segment(rules: dict[str, Any]) -> Segment:
    """The rules as a Segment, or every wrong one named at its field."""
    errors: list[InvalidInput] = []
    unknown = sorted(set(rules) - {"no_visit_months", "language", "age_band"})
    if unknown:
        errors.append(InvalidInput(f"Unknown rule(s): {', '.join(unknown)}.", field="segment"))
    months = rules.get("no_visit_months")
    if months in ("", None):
        months = None
    elif not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
        errors.append(
            InvalidInput(
                "Months without a visit must be a whole number from 1 to 120.",
                field="no_visit_months",
            )
        )
    language = rules.get("language") or ""
    if language not in ("", *LANGUAGES):
        errors.append(InvalidInput(f"Unknown language {language!r}.", field="language"))
    band = rules.get("age_band") or ""
    if band not in ("", *AGE_BANDS):
        errors.append(
            InvalidInput(f"Age band must be one of {', '.join(AGE_BANDS)}.", field="age_band")
        )
    if errors:
        raise InvalidFields(errors)
    return Segment(no_visit_months=months, language=language, age_band=band)


def segment_people(organization_id: int, segment: Segment) -> QuerySet[Person]:
    """The patients the rules pick, in a stable order (merged records never)."""
    people = Person.objects.live().filter(organization_id=organization_id, kind=PersonKind.PATIENT)
    if segment.no_visit_months:
        cutoff = clock.now() - timedelta(days=round(segment.no_visit_months * 30.44))
        people = people.filter(
            pk__in=people_with_touchpoints(organization_id, kinds=VISIT_KINDS)
        ).exclude(pk__in=people_with_touchpoints(organization_id, kinds=VISIT_KINDS, since=cutoff))
    if segment.language:
        people = people.filter(preferred_language__istartswith=segment.language)
    if segment.age_band:
        youngest, oldest = AGE_BANDS[segment.age_band]
        today = clock.now().date()
        people = people.filter(
            birth_date__lte=_years_before(today, youngest),
            birth_date__gt=_years_before(today, oldest + 1),
        )
    return people.order_by("id")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
