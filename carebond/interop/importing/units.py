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
from django.core.exceptions import ImproperlyConfigured

from carebond.core.errors import InvalidInput
from carebond.core.fhir.parsing import MappingError, Ref, check_id, parse_datetime
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


def prepare_unit(unit: Unit) -> tuple[list[PreparedResource], Counter[str]]:
    """Check and map every entry. Raises UnitRejected naming the first bad entry."""
    types: Counter[str] = Counter(entry_type(e) for e in unit.entries)
    if unit.problem is not None:
        raise UnitRejected(
            Problem(
                unit.file, unit.problem.message, entry=unit.problem.entry, path=unit.problem.path
            ),
            types,
        )
    items: list[PreparedResource] = []
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
            record = read(resource)
            if not isinstance(record, RECORD_KINDS):  # a type module's mistake, not the file's
                raise ImproperlyConfigured(
                    f"{resource_type}: read() made no record the import writes."
                )
            _validate(record, resource_type)
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
        identifier_keys = []
        if isinstance(record, PersonRecord | LocationRecord):
            identifier_keys = [
                f"{resource_type}?identifier={i.system}|{i.value}" for i in record.identifiers
            ]
        local_keys = [origin_id, *identifier_keys]
        if entry.full_url:
            local_keys.append(entry.full_url)
        item = PreparedResource(
            entry, resource_type, origin_id, digest, record, local_keys, identifier_keys
        )
        item.source_updated = _last_updated(resource)
        item.import_rank = imported[resource_type].import_rank
        items.append(item)
    return items, skipped


def _last_updated(resource: dict[str, Any]) -> datetime | None:
    meta = resource.get("meta")
    if not isinstance(meta, dict) or not meta.get("lastUpdated"):
        return None
    try:
        return parse_datetime(meta["lastUpdated"], "meta.lastUpdated")
    except MappingError:
        return None  # a version stamp we cannot read does not stop the import


def _validate(record: Record, resource_type: str) -> None:
    """The checks CareBond's own forms make, with FHIR paths in the message."""
    if not isinstance(record, PersonRecord):
        return
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
    for contact in record.contacts:
        try:
            if contact.system == "phone":
                contact.value = validation.normalize_phone(contact.value, region="US")
            else:
                contact.value = validation.normalize_email(contact.value)
        except InvalidInput:
            # The EHR is the authority on what it recorded; keep it as written.
            contact.value = contact.value[:254]


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
