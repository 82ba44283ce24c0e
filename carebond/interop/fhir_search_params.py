"""The search parameters of /fhir/R4: how each one (and its modifiers and prefixes) becomes a
database filter within one organisation. Which type supports which is in fhir_selectors.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from carebond.core.errors import InvalidInput
from carebond.people.actions import NPI_SYSTEM
from carebond.people.models import (
    Identifier,
    PersonKind,
    Relationship,
)

if TYPE_CHECKING:
    pass


class InvalidSearch(InvalidInput):
    """A search parameter, modifier or value we cannot honour: FHIR answers 400."""

    status = 400


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of one type: its FHIR type and how it filters the rows."""

    name: str
    kind: str  # token, string, date, reference (CapabilityStatement searchParam.type)
    documentation: str
    build: Callable[[int, str, list[str]], Q]  # (organization id, modifier, values) -> filter
    modifiers: frozenset[str] = frozenset()


# --- search parameter filters -------------------------------------------------------------------


def uuids(values: Sequence[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(value.strip()))
        except ValueError:
            continue  # an id that is not ours matches nothing (no error: FHIR ids are opaque)
    return found


def _by_id(organization_id: int, modifier: str, values: list[str]) -> Q:
    ids = uuids(values)
    return Q(public_id__in=ids) if ids else Q(pk__in=[])


def reference_ids(values: list[str], resource_type: str) -> list[uuid.UUID]:
    """ "Patient/<id>", "<id>" or an absolute URL ending so: the ids, for this type only."""
    ids = []
    for value in values:
        parts = value.strip().rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] != resource_type:
            continue
        ids += uuids([parts[-1]])
    return ids


def _split_token(value: str) -> tuple[str | None, str]:
    """FHIR token: "system|value", "|value" (no system), "system|" (any value), "value"."""
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    return system, code


def _person_identifier(organization_id: int, modifier: str, values: list[str]) -> Q:
    combined = Q(pk__in=[])
    for value in values:
        system, code = _split_token(value)
        if system == "" or not (system or code):
            continue  # "|value": identifiers without a system, which CareBond never has
        rows = Identifier.objects.filter(organization_id=organization_id)
        if system:
            rows = rows.filter(system=system)
        if code:
            rows = rows.filter(value=code)
        match = Q(pk__in=rows.values("person_id"))
        if code and system in (None, NPI_SYSTEM):
            match |= Q(referral_profile__npi=code)  # referring practitioners' NPI lives there
        combined |= match
    return combined


_NAME_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "preferred_name",
    "organization_name",
)


def name_filter(fields: Sequence[str]) -> Callable[[int, str, list[str]], Q]:
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


def _date_range(value: str, param: str) -> tuple[str, date, date]:
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


def _date_filter(field_name: str, param: str) -> Callable[[int, str, list[str]], Q]:
    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        combined = Q(pk__in=[])
        for value in values:
            prefix, first, last = _date_range(value, param)
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


def _patient_filter(person_path: str) -> Callable[[int, str, list[str]], Q]:
    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        return Q(
            **{
                f"{person_path}__public_id__in": reference_ids(values, "Patient"),
                f"{person_path}__kind": PersonKind.PATIENT,
            }
        )

    return build


def related_patient(organization_id: int, modifier: str, values: list[str]) -> Q:
    links = Relationship.objects.filter(
        organization_id=organization_id,
        patient__public_id__in=reference_ids(values, "Patient"),
    )
    return Q(pk__in=links.values("related_id"))


def audit_patient(organization_id: int, modifier: str, values: list[str]) -> Q:
    return Q(patient_id__in=[str(i) for i in reference_ids(values, "Patient")])


def param(name: str, kind: str, documentation: str, build: Any, **extra: Any) -> SearchParam:
    return SearchParam(name, kind, documentation, build, **extra)


ID_PARAM = param("_id", "token", "The resource id (comma-separated: any of them).", _by_id)
IDENTIFIER_PARAM = param(
    "identifier",
    "token",
    "system|value, or value alone (MRN, NPI and other identifiers).",
    _person_identifier,
)
PERSON_NAME_PARAM = param(
    "name",
    "string",
    "Starts a given, middle, family or preferred name (case-insensitive); several words "
    "must each match a part. Modifiers :exact and :contains.",
    name_filter(_NAME_FIELDS),
    modifiers=frozenset({"exact", "contains"}),
)
BIRTHDATE_PARAM = param(
    "birthdate",
    "date",
    "Birth date, with eq, ne, lt, gt, le or ge and day, month or year precision.",
    _date_filter("birth_date", "birthdate"),
)


def patient_params(person_path: str) -> tuple[SearchParam, ...]:
    build = _patient_filter(person_path)
    return (
        param("patient", "reference", "The patient: Patient/<id> or <id>.", build),
        param("subject", "reference", "The same as patient (Patient/<id>).", build),
    )
