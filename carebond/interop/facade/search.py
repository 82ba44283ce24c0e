"""A FHIR search query checked against a type's search parameters: which filters it asks for,
and the page it wants. Unknown parameters and modifiers are refused (400, naming the
parameter) rather than ignored, so a client never mistakes an unfiltered list for an answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from carebond.core.fhir.search import InvalidSearch, reference_ids
from carebond.core.fhir.type_module import FhirTypeModule

DEFAULT_COUNT = 20
MAX_COUNT = 500
MAX_OFFSET = 2**31 - 1  # beyond it databases overflow; no organisation has that many rows
# Result parameters the facade understands besides each type's search parameters.
CONTROL_PARAMS = frozenset({"_count", "_offset", "_format"})


@dataclass
class SearchQuery:
    # (name, modifier, values): one parameter as given; repeated parameters are AND.
    filters: list[tuple[str, str, list[str]]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    # The normalised parameters (without _count/_offset/_format), for paging links.
    kept: list[tuple[str, str]] = field(default_factory=list)
    # Patients searched for (by a reference parameter), for the audit trail.
    patients: set[uuid.UUID] = field(default_factory=set)


def parse_search(spec: FhirTypeModule, query: Mapping[str, list[str]]) -> SearchQuery:
    """Commas inside one value are OR; an empty value is ignored (FHIR)."""
    parsed = SearchQuery()
    for key, values in query.items():
        name, _, modifier = key.partition(":")
        if name in CONTROL_PARAMS and not modifier:
            continue
        param = spec.param(name)
        if param is None:
            raise InvalidSearch(
                f"The search parameter '{key[:64]}' is not supported for {spec.resource_type}.",
                field=key,
            )
        if modifier and modifier not in param.modifiers:
            raise InvalidSearch(
                f"The modifier ':{modifier[:32]}' is not supported for '{name}'.", field=key
            )
        for value in values:
            if "\x00" in value:  # databases refuse NUL in text: a 400, not a 500
                raise InvalidSearch(f"'{key[:64]}' holds a NUL character.", field=key)
            parts = [part for part in value.split(",") if part.strip()] if value else []
            if not parts:
                continue  # FHIR: an empty parameter value is ignored
            parsed.filters.append((name, modifier, parts))
            parsed.kept.append((key, value))
            if param.kind == "reference":
                parsed.patients.update(reference_ids(parts, "Patient"))
    parsed.count = min(_number(query, "_count", DEFAULT_COUNT), MAX_COUNT)
    parsed.offset = _number(query, "_offset", 0)
    return parsed


def _number(query: Mapping[str, list[str]], name: str, default: int) -> int:
    values = [v for v in query.get(name, []) if v.strip()]
    if not values:
        return default
    text = values[0].strip()
    if len(values) > 1 or not text.isascii() or not text.isdigit() or int(text) > MAX_OFFSET:
        raise InvalidSearch(f"'{name}' takes one whole number, 0 or more.", field=name)
    return int(text)
