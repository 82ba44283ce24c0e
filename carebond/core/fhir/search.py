"""FHIR search parameters: what one parameter is, and the filters most types share (id, string,
date), each turning a parameter's values into a database filter within one organisation.

A type module lists its parameters; the facade checks a query against them and applies them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from carebond.core.errors import InvalidInput

# (organization id, modifier, values) -> the filter; values are one parameter's comma parts.
FilterBuilder = Callable[[int, str, list[str]], Q]


class InvalidSearch(InvalidInput):
    """A search parameter, modifier or value we cannot honour: FHIR answers 400."""

    status = 400


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of one type: its FHIR type and how it filters the rows."""

    name: str
    kind: str  # token, string, date, reference (CapabilityStatement searchParam.type)
    documentation: str
    build: FilterBuilder
    modifiers: frozenset[str] = frozenset()


def param(name: str, kind: str, documentation: str, build: Any, **extra: Any) -> SearchParam:
    return SearchParam(name, kind, documentation, build, **extra)


def uuids(values: Sequence[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value.strip()))
        except ValueError:
            continue  # an id that is not ours matches nothing (no error: FHIR ids are opaque)
    return found


def reference_ids(values: list[str], resource_type: str) -> list[uuid.UUID]:
    """ "Patient/<id>", "<id>" or an absolute URL ending so: the ids, for this type only."""
    ids = []
    for value in values:
        parts = value.strip().rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] != resource_type:
            continue
        ids += uuids([parts[-1]])
    return ids


def split_token(value: str) -> tuple[str | None, str]:
    """FHIR token: "system|value", "|value" (no system), "system|" (any value), "value"."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code


def one_of(field_name: str, codes: Sequence[str] | dict[str, str], name: str) -> FilterBuilder:
    """A token parameter whose codes are a fixed set (each FHIR code, or -> the value stored):
    an unknown one is refused (400), naming the codes it takes."""
    stored = codes if isinstance(codes, dict) else {code: code for code in codes}

    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        wanted = {v.strip() for v in values if v.strip()}
        unknown = sorted(wanted - set(stored))
        if unknown:
            raise InvalidSearch(
                f"'{name}' takes one of {', '.join(stored)}; {unknown[0][:40]!r} is not one.",
                field=name,
            )
        return Q(**{f"{field_name}__in": sorted(stored[code] for code in wanted)})

    return build


def _by_id(organization_id: int, modifier: str, values: list[str]) -> Q:
    ids = uuids(values)
    return Q(public_id__in=ids) if ids else Q(pk__in=[])


ID_PARAM = param("_id", "token", "The resource id (comma-separated: any of them).", _by_id)


def name_filter(fields: Sequence[str]) -> FilterBuilder:
    """FHIR string search: case-insensitive; every word must start (or, with :exact, be, or
    with :contains, be inside) one of the name parts. Comma-separated values are OR."""
    lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}

    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        combined = Q(pk__in=[])
        for value in values:
            words = [value.strip()] if modifier == "exact" else value.split()
            if not words or not words[0]:
                continue
            every = Q()
            for word in words:
                any_field = Q(pk__in=[])
                for name in fields:
                    any_field |= Q(**{f"{name}__{lookup[modifier]}": word})
                every &= any_field
            combined |= every
        return combined

    return build


_DATE = re.compile(r"^(eq|ne|lt|gt|le|ge)?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_range(value: str, param: str) -> tuple[str, date, date]:
    """A FHIR date value ("ge1980", "1984-03", "eq1984-03-07") as (prefix, first day, last day)."""
    match = _DATE.match(value.strip())
    if match is None:
        raise InvalidSearch(
            f"'{param}' takes a date such as 1984-03-07, optionally with a prefix "
            "(eq, ne, lt, gt, le, ge) and at year or month precision.",
            field=param,
        )
    prefix, year, month, day = match.group(1) or "eq", *match.groups()[1:]
    try:
        if day:
            first = last = date(int(year), int(month), int(day))
        elif month:
            first = date(int(year), int(month), 1)
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            first, last = date(int(year), 1, 1), date(int(year), 12, 31)
    except ValueError as error:
        raise InvalidSearch(f"'{param}' is not a real date.", field=param) from error
    return prefix, first, last


def date_filter(field_name: str, param: str) -> FilterBuilder:
    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        combined = Q(pk__in=[])
        for value in values:
            prefix, first, last = date_range(value, param)
            combined |= {
                "eq": Q(**{f"{field_name}__range": (first, last)}),
                "ne": ~Q(**{f"{field_name}__range": (first, last)})
                & Q(**{f"{field_name}__isnull": False}),
                "lt": Q(**{f"{field_name}__lt": first}),
                "le": Q(**{f"{field_name}__lte": last}),
                "gt": Q(**{f"{field_name}__gt": last}),
                "ge": Q(**{f"{field_name}__gte": first}),
            }[prefix]
        return combined

    return build
