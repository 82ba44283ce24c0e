"""The people dimensions every KPI about patients can be broken down by (docs/analytics.md):
language and age band, named here once so every app's facts use the same bands."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import langcodes

AGE_BANDS = ((0, "0-17"), (18, "18-39"), (40, "40-64"), (65, "65+"))
UNKNOWN = "unknown"


def age_band(birth_date: date | None, on: date) -> str:
    """The patient's age band on a day: "0-17", "18-39", "40-64", "65+" (or "unknown")."""
    if birth_date is None or birth_date > on:
        return UNKNOWN
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    band = UNKNOWN
    for lowest, label in AGE_BANDS:
        if age >= lowest:
            band = label
    return band


def language_of(tag: str) -> str:
    """The language part of a BCP-47 tag ("es-MX" -> "es"), "unknown" when none is recorded."""
    return tag.split("-")[0].lower() if tag else UNKNOWN


def age_band_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    return {value: "Age unknown" if value == UNKNOWN else f"Age {value}" for value in values}


def language_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    return {
        value: "Language not recorded"
        if value == UNKNOWN
        else langcodes.Language.get(value).display_name()
        for value in values
    }
