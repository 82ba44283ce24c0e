"""Reading values out of a FHIR resource parsed from JSON. Pure functions: no database.

A value that cannot be read raises ``MappingError`` with the FHIR path of the problem
("Patient.birthDate"), so an import can name the field without quoting the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

_REFERENCE_TYPE = re.compile(r"^(?:https?://.*?/)?([A-Z][A-Za-z]+)[/?]")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class MappingError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class NotImported(MappingError):
    """A valid resource the type has no row for (an appointment request without a time): the
    import counts it as skipped and notes why, instead of refusing its Bundle."""


@dataclass(frozen=True)
class Ref:
    """A reference as written: 'urn:uuid:..', 'Patient/1', 'http://x/Patient/1', a conditional
    'Practitioner?identifier=sys|val', or a bare identifier (system|value) of a given type."""

    path: str  # where it was found, for messages: "Encounter.subject"
    reference: str = ""
    type: str = ""
    identifier: str = ""  # "system|value" for identifier-only references
    display: str = ""

    @property
    def target_type(self) -> str:
        """The type pointed at, when the reference says ('' for urn:uuid and #contained)."""
        if self.type:
            return self.type
        match = _REFERENCE_TYPE.match(self.reference)
        return match.group(1) if match else ""


def text(value: Any, path: str, limit: int | None = None, *, strict: bool = False) -> str:
    """A FHIR string. Long display texts are cut to the column; ``strict`` values (names,
    identifiers) are refused instead, since a cut one could match somebody else's."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MappingError(path, f"expected a string, found {_json_type(value)}")
    found: str = value.replace("\x00", "").strip()
    if limit and len(found) > limit:
        if strict:
            raise MappingError(path, f"longer than {limit} characters")
        return found[:limit]
    return found


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number"}.get(
        type(value), "a number" if isinstance(value, float) else type(value).__name__
    )


def parse_date(value: Any, path: str) -> date | None:
    """A FHIR date; a partial one ('1970', '1970-05') is stored as its first day."""
    if value is None:
        return None
    written = text(value, path)
    match = _DATE.match(written[:10]) if len(written) <= 10 else None
    if match is None:
        if "T" in written:
            return parse_datetime(written, path).date()
        raise MappingError(path, "is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(match.group(i) or 1) for i in (1, 2, 3))
    try:
        return date(year, month, day)
    except ValueError as error:
        raise MappingError(path, f"is not a valid date ({error})") from error


def parse_datetime(value: Any, path: str) -> datetime:
    """A FHIR dateTime or instant, as aware UTC; a date alone means midnight UTC."""
    written = text(value, path)
    if "T" not in written:
        day = parse_date(written, path)
        assert day is not None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(written.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise MappingError(path, "has a time but no time zone offset")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise MappingError(path, "is not a valid FHIR dateTime") from error


def as_list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(path, "expected a list")
    return value


def as_object(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(path, "expected an object")
    return value


def first_coding(concept: Any, path: str) -> dict[str, str]:
    """system/code/display of a CodeableConcept's first coding (display falls back to text)."""
    concept = as_object(concept, path)
    codings = as_list(concept.get("coding"), f"{path}.coding")
    coding = as_object(codings[0], f"{path}.coding[0]") if codings else {}
    return {
        "system": text(coding.get("system"), f"{path}.coding[0].system", 200),
        "code": text(coding.get("code"), f"{path}.coding[0].code", 60),
        "display": text(coding.get("display") or concept.get("text"), f"{path}.text", 300),
    }


def business_identifiers(resource: dict[str, Any], path: str) -> list[tuple[str, str]]:
    """(system, value) of each ``identifier`` with both: what the sending system calls the
    resource (an encounter's CSN, an immunization's record number), whatever its id."""
    found: list[tuple[str, str]] = []
    listed = resource.get("identifier")
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict):
            continue
        system, value = item.get("system"), item.get("value")
        if not (isinstance(system, str) and isinstance(value, str)):
            continue  # only used to recognise the resource: an odd one is not a reason to refuse it
        system, value = system.replace("\x00", "").strip(), value.replace("\x00", "").strip()
        if 0 < len(system) <= 200 and 0 < len(value) <= 100 and (system, value) not in found:
            found.append((system, value))
    return found


def reference(value: Any, path: str, *, type_hint: str = "") -> Ref | None:
    obj = as_object(value, path)
    if not obj:
        return None
    ref = text(obj.get("reference"), f"{path}.reference")
    display = text(obj.get("display"), f"{path}.display", 200)
    if ref:
        return Ref(
            path,
            reference=ref,
            type=text(obj.get("type"), f"{path}.type") or type_hint,
            display=display,
        )
    identifier = as_object(obj.get("identifier"), f"{path}.identifier")
    system = text(identifier.get("system"), f"{path}.identifier.system")
    id_value = text(identifier.get("value"), f"{path}.identifier.value")
    if system and id_value:
        kind = text(obj.get("type"), f"{path}.type") or type_hint
        return Ref(path, type=kind, identifier=f"{system}|{id_value}", display=display)
    return None


def check_id(resource: dict[str, Any], path: str) -> str:
    value = resource.get("id")
    if value is None:
        return ""
    if not isinstance(value, str) or not _FHIR_ID.match(value):
        raise MappingError(
            f"{path}.id", f"{str(value)[:80]!r} is not a FHIR id (1-64 letters, digits, '-' or '.')"
        )
    return value
