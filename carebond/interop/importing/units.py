"""Preparing an import unit (a Bundle, or a slice of an NDJSON file) before anything is written:
every entry checked and mapped, its source id and content hash computed, and the keys references
can find it by; and how a reference becomes those keys. No database writes here.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import orjson
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

from carebond.core.errors import InvalidInput
from carebond.core.fhir.parsing import MappingError, NotImported, Ref, check_id, parse_datetime
from carebond.core.fhir.type_module import LATE_RANK
from carebond.interop.fhir_types import imported_types
from carebond.interop.importing.reading import Entry, Unit
from carebond.interop.importing.versions import R4_RESOURCE_TYPES
from carebond.interop.resources.records import (
    RECORD_KINDS,
    LocationRecord,
    PersonRecord,
    Record,
)
from carebond.people import validation
from carebond.people.actions import NPI_SYSTEM

_ABSOLUTE = re.compile(
    r"^https?://.+?/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$"
)
RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_TYPE_NAME = re.compile(r"^[A-Za-z]{1,64}$")
_CONDITIONAL = re.compile(r"^([A-Z][A-Za-z]+)\?identifier=(.+)$")


@dataclass
class Problem:
    file: str
    message: str
    entry: int | None = None
    resource: str = ""
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "entry": self.entry,
            "resource": self.resource,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = [self.file]
        if self.entry is not None:
            where.append(f"entry {self.entry}")
        if self.resource:
            where.append(self.resource)
        if self.path:
            where.append(self.path)
        return f"{', '.join(where)}: {self.message}"


class UnitRejected(Exception):
    def __init__(self, problem: Problem, counts: Counter[str]) -> None:
        super().__init__(str(problem))
        self.problem = problem
        self.counts = counts  # resources of the unit by type, all counted as rejected


@dataclass
class PreparedResource:
    entry: Entry
    resource_type: str
    origin_id: str
    content_hash: str
    record: Record
    local_keys: list[str]
    identifier_keys: list[str]
    source_updated: datetime | None = None  # meta.lastUpdated, when the resource has one
    recorded: bool = False  # a source record exists (even if what it became is gone)
    existing: str | None = None  # target of the SourceRecord, when seen before
    stored_hash: str = ""
    target: str | None = None
    outcome: str = ""
    replaced: str | None = None  # the row it was, when a newer version became another kind
    import_rank: int = LATE_RANK  # when the unit writes it (its type module says)
    # The source record's superseded versions, when choosing this copy changes them (copies)
    superseded: list[list[str]] | None = None
    # Written as unchanged (nothing CareBond keeps changed) but the source record moves on.
    record_only: bool = False

    @property
    def label(self) -> str:
        return self.origin_id


# --- preparing a unit (no writes) ----------------------------------------------------------


def content_hash(resource: dict[str, Any]) -> str:
    return hashlib.blake2b(
        orjson.dumps(resource, option=orjson.OPT_SORT_KEYS), digest_size=16
    ).hexdigest()


def _origin_id(entry: Entry, resource: dict[str, Any], resource_type: str, digest: str) -> str:
    """'Type/id' from the resource id, else from the fullUrl, else from the content."""
    if resource.get("id"):
        return f"{resource_type}/{resource['id']}"
    url = entry.full_url
    if url.startswith("urn:uuid:"):
        return f"{resource_type}/{url.removeprefix('urn:uuid:')[:64]}"
    match = _ABSOLUTE.match(url)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return f"{resource_type}/#{digest}"


def where(
    unit: Unit, entry: Entry, resource_type: str = "", resource_id: str = ""
) -> dict[str, Any]:
    return {
        "file": unit.file,
        "entry": entry.index,
        "resource": f"{resource_type}/{resource_id}" if resource_id else resource_type,
    }


def prepare_unit(
    unit: Unit, *, region: str = "US"
) -> tuple[list[PreparedResource], Counter[str], list[Problem]]:
    """Check and map every entry. Raises UnitRejected naming the first bad entry. ``region``:
    the organisation's country, for phone numbers written without a country code. Also
    returns notes on entries imported with a change worth telling (never values)."""
    types: Counter[str] = Counter(entry_type(e) for e in unit.entries)
    if unit.problem is not None:
        raise UnitRejected(
            Problem(
                unit.file, unit.problem.message, entry=unit.problem.entry, path=unit.problem.path
            ),
            types,
        )
    items: list[PreparedResource] = []
    notes: list[Problem] = []
    skipped: Counter[str] = Counter()
    seen: dict[str, int] = {}
    imported = imported_types()
    for entry in unit.entries:
        resource = entry.resource
        if resource is None:
            skipped["(request only)"] += 1  # DELETE/GET entries of a transaction: nothing to keep
            continue
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in R4_RESOURCE_TYPES:
            raise UnitRejected(
                Problem(
                    **where(unit, entry),
                    path="resourceType",
                    message=f"{str(resource_type)[:60]!r} is not a FHIR R4 resource type",
                ),
                types,
            )
        try:
            resource_id = check_id(resource, resource_type)
        except MappingError as error:
            raise UnitRejected(
                Problem(
                    **where(unit, entry, resource_type), path=error.path, message=error.message
                ),
                types,
            ) from error
        read = imported[resource_type].read if resource_type in imported else None
        if read is None:
            skipped[resource_type] += 1
            continue
        try:
            try:
                record = read(resource)
            except NotImported as skip:
                skipped[resource_type] += 1
                notes.append(Problem(unit.file, skip.message, entry=entry.index, path=skip.path))
                continue
            if not isinstance(record, RECORD_KINDS):  # a type module's mistake, not the file's
                raise ImproperlyConfigured(
                    f"{resource_type}: read() made no record the import writes."
                )
            # Found by the identifiers as sent (a conditional reference names what it was sent).
            identifier_keys = []
            if isinstance(record, PersonRecord | LocationRecord):
                identifier_keys = [
                    f"{resource_type}?identifier={i.system}|{i.value}" for i in record.identifiers
                ]
            notes += [
                Problem(unit.file, message, entry=entry.index, path=path)
                for path, message in _validate(record, resource_type, region)
            ]
        except MappingError as error:
            raise UnitRejected(
                Problem(
                    **where(unit, entry, resource_type, resource_id),
                    path=error.path,
                    message=error.message,
                ),
                types,
            ) from error
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as error:
            # A shape the mapping did not foresee: still this entry's problem, not a crash.
            raise UnitRejected(
                Problem(
                    **where(unit, entry, resource_type, resource_id),
                    path=resource_type,
                    message=f"cannot be read: an element has an unexpected form "
                    f"({error.__class__.__name__})",
                ),
                types,
            ) from error
        digest = content_hash(resource)
        origin_id = _origin_id(entry, resource, resource_type, digest)
        if origin_id in seen:
            raise UnitRejected(
                Problem(
                    **where(unit, entry, resource_type, resource_id),
                    path=f"{resource_type}.id",
                    message=(
                        f"{origin_id} appears twice in this bundle "
                        f"(entries {seen[origin_id]} and {entry.index})"
                    ),
                ),
                types,
            )
        seen[origin_id] = entry.index
        local_keys = [origin_id, *identifier_keys]
        if entry.full_url:
            local_keys.append(entry.full_url)
        item = PreparedResource(
            entry, resource_type, origin_id, digest, record, local_keys, identifier_keys
        )
        item.source_updated = _last_updated(resource)
        item.import_rank = imported[resource_type].import_rank
        items.append(item)
    if unit.notice:
        notes.append(Problem(unit.file, unit.notice, entry=0, path="Bundle.type"))
    return items, skipped, notes


def _last_updated(resource: dict[str, Any]) -> datetime | None:
    meta = resource.get("meta")
    if not isinstance(meta, dict) or not meta.get("lastUpdated"):
        return None
    try:
        return parse_datetime(meta["lastUpdated"], "meta.lastUpdated")
    except MappingError:
        return None  # a version stamp we cannot read does not stop the import


def _validate(record: Record, resource_type: str, region: str) -> list[tuple[str, str]]:
    """The checks CareBond's own forms make, with FHIR paths in the message. What the form
    would refuse but the EHR recorded is kept in a safe form, with a note (path, message)."""
    if not isinstance(record, PersonRecord):
        return []
    notes: list[tuple[str, str]] = []
    language = record.fields.get("preferred_language") or ""
    if language:
        try:
            record.fields["preferred_language"] = validation.normalize_language(language)
        except InvalidInput as error:
            raise MappingError(f"{resource_type}.communication.language", error.message) from error
    birth = record.fields.get("birth_date")
    if birth is not None:
        try:
            validation.validate_birth_date(birth)
        except InvalidInput as error:
            raise MappingError(f"{resource_type}.birthDate", error.message) from error
    # Numbers without a country code are read in the country of the person's address, else of
    # the organisation: a Dutch patient's "020 555 1234" is Dutch even in a US practice.
    country = next((a.country for a in record.addresses if a.country), "") or region
    for contact in record.contacts:
        if contact.system == "phone":
            number = phone_number(contact.value, country)
            if number is None:
                # The EHR is the authority on what it recorded; keep it, never invent a number.
                contact.value = contact.value[:254]
                notes.append((f"{resource_type}.telecom", UNREADABLE_PHONE))
            else:
                contact.value = number
        else:
            try:
                contact.value = validation.normalize_email(contact.value)
            except InvalidInput:
                contact.value = contact.value[:254]
    invalid_npis = [
        i for i in record.identifiers if i.system == NPI_SYSTEM and not _is_npi(i.value)
    ]
    for identifier in invalid_npis:
        identifier.system, identifier.label = NOT_AN_NPI_SYSTEM, "Sent as an NPI (not valid)"
        identifier.type_code = "" if identifier.type_code == "NPI" else identifier.type_code
    if invalid_npis:
        notes.append((f"{resource_type}.identifier.value", NOT_AN_NPI))
    return notes


# Identifiers sent under the NPI system that are not NPIs (not 10 digits, or a wrong check
# digit): kept, as the EHR recorded them, but never taken for an NPI.
NOT_AN_NPI_SYSTEM = "urn:carebond:identifier:not-an-npi"
NOT_AN_NPI = (
    "identifier(s) sent as NPIs are not valid NPIs (10 digits with a check digit); kept as "
    f"plain identifiers ({NOT_AN_NPI_SYSTEM}), not as NPIs"
)
UNREADABLE_PHONE = (
    "a phone number is not a number of the country it was read in (the person's address's, "
    "else the organisation's) and has no country code, or is no phone number; kept as written"
)


def _is_npi(value: str) -> bool:
    try:
        validation.validate_npi(value)
    except InvalidInput:
        return False
    return True


def phone_number(value: str, country: str) -> str | None:
    """E.164, or None when the number cannot be read without inventing part of it. A number
    with its own country code (+31..., or an international prefix) need only be possible; one
    read in an assumed country must be a valid number there: "010 555 7788" is not made a US
    number because the organisation is in the US."""
    try:
        number = phonenumbers.parse(value, country or None, keep_raw_input=True)
    except phonenumbers.NumberParseException:
        return None
    assumed = number.country_code_source == phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY
    if not phonenumbers.is_possible_number(number) or (
        assumed and not phonenumbers.is_valid_number(number)
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- reference resolution ------------------------------------------------------------------


def reference_keys(ref: Ref, *, base: str = "") -> list[str]:
    """The keys a reference can be found under, most specific first. An absolute URL is
    'Type/id' of this source only when it starts with the source's own base URL; another
    server's resource is found only by its full URL (an entry of the same Bundle)."""
    if ref.identifier:
        return [f"{ref.type}?identifier={ref.identifier}"] if ref.type else []
    text = ref.reference
    if text.startswith("#"):
        return []  # contained: lives inside the resource, nothing to link
    keys = []
    if text.startswith(("urn:uuid:", "urn:oid:")):
        return [text]
    match = _ABSOLUTE.match(text)
    if match:
        keys.append(text)
        if not (base and text.startswith(base)):
            return keys
        text = f"{match.group(1)}/{match.group(2)}"
    match = RELATIVE.match(text)
    if match:
        keys.append(f"{match.group(1)}/{match.group(2)}")
        return keys
    match = _CONDITIONAL.match(text)
    if match:
        keys.append(f"{match.group(1)}?identifier={unquote(match.group(2))}")
    return keys


def describe(ref: Ref) -> str:
    """A reference in a message, without identifier values (they can be PHI: an SSN, an MRN)."""
    if ref.identifier or "?identifier=" in ref.reference:
        system = (ref.identifier or ref.reference.partition("?identifier=")[2]).partition("|")[0]
        return f"the {ref.target_type or 'resource'} with a {unquote(system)[:80]} identifier"
    if ref.reference.startswith("urn:"):
        return f"the entry {ref.reference[:80]}"
    return repr(ref.reference[:120])


def entry_type(entry: Entry) -> str:
    """The entry's type as a counting key (never a value that could hold PHI or a NUL)."""
    if not entry.resource:
        return "(request only)"
    value = entry.resource.get("resourceType")
    return value if isinstance(value, str) and _TYPE_NAME.match(value) else "(not a type)"


def record_fields(record: Record) -> dict[str, Any]:
    return record.fields if isinstance(record, PersonRecord) else {}


def body_refs(body: Any) -> Iterable[Ref]:
    if isinstance(body, list):
        for value in body:
            yield from body_refs(value)
    elif isinstance(body, dict):
        if isinstance(body.get("reference"), str):
            yield Ref("", reference=body["reference"])
        for value in body.values():
            if isinstance(value, dict | list):
                yield from body_refs(value)
