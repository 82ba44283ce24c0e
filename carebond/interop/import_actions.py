"""Writing one import unit (a Bundle, or a slice of an NDJSON file) in one transaction.

The unit is read, checked and mapped before anything is written; then, in dependency order
(organisations, locations, practitioners, roles, patients, related persons, then what points at
patients), rows are written in bulk. A bad entry rejects the unit whole: nothing of it stays.

Idempotency: every mapped resource leaves a SourceRecord (source system + "Type/id" -> the row it
became + a content hash). Importing the same content again finds the record and writes nothing;
changed content updates the same row. A resource not seen before may still be someone CareBond
knows: a person is matched by identifier only when the name (and birth date, for patients)
agrees as well, because identifiers such as NPIs repeat across unrelated sources.

Audit: person.imported / person.import_updated per person, and interop.patient_data_imported per
patient whose visits, messages, history or kept resources changed, all in the unit's
transaction (record_audit_many); interop.import_started / interop.import_finished per run.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson
from django.db import DatabaseError, IntegrityError, connection, transaction

from carebond.audit.recording import record_audit, record_audit_many
from carebond.core import clock
from carebond.core.bulk import insert_rows
from carebond.core.errors import InvalidInput
from carebond.core.models import Location, Organization
from carebond.interop import mapping
from carebond.interop.import_selectors import facade_locations
from carebond.interop.mapping import (
    HistoryRecord,
    LocationRecord,
    MappingError,
    PersonRecord,
    Ref,
    RoleRecord,
    StoredRecord,
    TouchpointRecord,
)
from carebond.interop.models import (
    ImportRun,
    ImportStatus,
    SourceKey,
    SourceRecord,
    StoredResource,
)
from carebond.interop.reading import Entry, Unit
from carebond.interop.versions import R4_RESOURCE_TYPES
from carebond.people import validation
from carebond.people.actions import NPI_SYSTEM
from carebond.people.models import (
    Address,
    ContactPoint,
    HistoryItem,
    Identifier,
    Person,
    ReferralSourceProfile,
    Relationship,
)
from carebond.people.search import index_new_people, normalize, reindex_people
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import Touchpoint

if TYPE_CHECKING:
    from carebond.accounts.models import User

SHARED = "identifier(s) already belonged to another person; kept for this source's references only"
OUTCOMES = ("imported", "updated", "unchanged", "skipped", "rejected")
PHASES = (
    ("Organization",),
    ("Location",),
    ("Practitioner",),
    ("PractitionerRole",),
    ("Patient",),
    ("RelatedPerson",),
    (*mapping.TOUCHPOINT_TYPES, *mapping.HISTORY_TYPES, *mapping.STORED_TYPES),
)
_PERSON_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "prefix",
    "suffix",
    "preferred_name",
    "maiden_name",
    "organization_name",
    "birth_date",
    "administrative_gender",
    "sex_assigned_at_birth",
    "preferred_language",
    "multiple_birth",
    "status",
)
_ABSOLUTE = re.compile(
    r"^https?://.+?/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$"
)
_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_IDENTIFIER = ("system", "value", "type_code", "label")
_ADDRESS = ("use", "line1", "line2", "city", "state", "postal_code", "country")
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
class ImportContext:
    """What lasts for a whole run: the organisation, the source, and the targets of references
    already committed in this run (so later files do not look them up again)."""

    organization: Organization
    run: ImportRun
    source_system: str
    acting_user: User | None
    known: dict[str, str] = field(default_factory=dict)
    dangling: Counter[str] = field(default_factory=Counter)  # references to nothing, by path
    shared: Counter[str] = field(default_factory=Counter)  # identifiers someone else holds
    # What each entry of the last unit became: (entry index, type, outcome, target or "").
    last_unit: list[tuple[int, str, str, str]] = field(default_factory=list)


@dataclass
class _Item:
    entry: Entry
    resource_type: str
    origin_id: str
    content_hash: str
    record: mapping.Record
    local_keys: list[str]
    identifier_keys: list[str]
    source_updated: datetime | None = None  # meta.lastUpdated, when the resource has one
    recorded: bool = False  # a source record exists (even if what it became is gone)
    existing: str | None = None  # target of the SourceRecord, when seen before
    stored_hash: str = ""
    target: str | None = None
    outcome: str = ""

    @property
    def label(self) -> str:
        return self.origin_id


# --- run bookkeeping -----------------------------------------------------------------------


@transaction.atomic
def do_start_import_run(
    organization: Organization,
    *,
    via: str,
    source_system: str,
    acting_user: User | None,
    files_total: int = 0,
    upload_dir: str = "",
) -> ImportRun:
    """Audit: interop.import_started. An upload waits for the worker: no heartbeat until then."""
    now = clock.now()
    run = ImportRun.objects.create(
        organization=organization,
        via=via,
        source_system=source_system,
        started_by=acting_user,
        started_at=now,
        heartbeat_at=None if upload_dir else now,
        files_total=files_total,
        upload_dir=upload_dir,
    )
    record_audit(actor=acting_user, action="interop.import_started", target=run)
    return run


@transaction.atomic
def do_finish_import_run(context: ImportContext, *, failed: bool = False) -> ImportRun:
    """Audit: interop.import_finished (or interop.import_failed)."""
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.status = ImportStatus.FAILED if failed else ImportStatus.FINISHED
    run.finished_at = clock.now()
    if context.dangling or context.shared:
        run.problems = [
            *run.problems,
            *(
                Problem(
                    file="",
                    path=path,
                    message=f"{count} reference(s) here matched nothing imported; left out",
                ).as_dict()
                | {"notice": True}
                for path, count in sorted(context.dangling.items())
            ),
            *(
                Problem(file="", path=path, message=f"{count} {SHARED}").as_dict()
                | {"notice": True}
                for path, count in sorted(context.shared.items())
            ),
        ]
    run.save()
    record_audit(
        actor=context.acting_user,
        action="interop.import_failed" if failed else "interop.import_finished",
        target=run,
    )
    context.run = run
    return run


@transaction.atomic
def do_record_unit_rejected(
    context: ImportContext, rejection: UnitRejected, *, read: int, last_of_file: bool = True
) -> None:
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.problems = [*run.problems, rejection.problem.as_dict()]
    run.bundles_rejected += 1
    run.resources_read += read
    run.files_done += 1 if last_of_file else 0
    _add_counts(run, {(t, "rejected"): n for t, n in rejection.counts.items()})
    run.save(
        update_fields=["problems", "bundles_rejected", "resources_read", "counts", "files_done"]
    )
    context.run = run


@transaction.atomic
def do_record_file_done(context: ImportContext) -> None:
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.files_done += 1
    run.save(update_fields=["files_done"])
    context.run = run


def _add_counts(run: ImportRun, counts: dict[tuple[str, str], int]) -> None:
    table = dict(run.counts)
    for (resource_type, outcome), n in counts.items():
        row = dict(table.get(resource_type) or dict.fromkeys(OUTCOMES, 0))
        row[outcome] = row.get(outcome, 0) + n
        table[resource_type] = row
    run.counts = dict(sorted(table.items()))


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


def _where(
    unit: Unit, entry: Entry, resource_type: str = "", resource_id: str = ""
) -> dict[str, Any]:
    return {
        "file": unit.file,
        "entry": entry.index,
        "resource": f"{resource_type}/{resource_id}" if resource_id else resource_type,
    }


def prepare_unit(unit: Unit) -> tuple[list[_Item], Counter[str]]:
    """Check and map every entry. Raises UnitRejected naming the first bad entry."""
    types: Counter[str] = Counter(_type_of(e) for e in unit.entries)
    if unit.problem is not None:
        raise UnitRejected(
            Problem(
                unit.file, unit.problem.message, entry=unit.problem.entry, path=unit.problem.path
            ),
            types,
        )
    items: list[_Item] = []
    skipped: Counter[str] = Counter()
    seen: dict[str, int] = {}
    for entry in unit.entries:
        resource = entry.resource
        if resource is None:
            skipped["(request only)"] += 1  # DELETE/GET entries of a transaction: nothing to keep
            continue
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in R4_RESOURCE_TYPES:
            raise UnitRejected(
                Problem(
                    **_where(unit, entry),
                    path="resourceType",
                    message=f"{str(resource_type)[:60]!r} is not a FHIR R4 resource type",
                ),
                types,
            )
        try:
            resource_id = mapping.check_id(resource, resource_type)
        except MappingError as error:
            raise UnitRejected(
                Problem(
                    **_where(unit, entry, resource_type), path=error.path, message=error.message
                ),
                types,
            ) from error
        if resource_type not in mapping.MAPPED_TYPES:
            skipped[resource_type] += 1
            continue
        try:
            record = mapping.map_resource(resource)
            _validate(record, resource_type)
        except MappingError as error:
            raise UnitRejected(
                Problem(
                    **_where(unit, entry, resource_type, resource_id),
                    path=error.path,
                    message=error.message,
                ),
                types,
            ) from error
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as error:
            # A shape the mapping did not foresee: still this entry's problem, not a crash.
            raise UnitRejected(
                Problem(
                    **_where(unit, entry, resource_type, resource_id),
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
                    **_where(unit, entry, resource_type, resource_id),
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
        item = _Item(entry, resource_type, origin_id, digest, record, local_keys, identifier_keys)
        item.source_updated = _last_updated(resource)
        items.append(item)
    return items, skipped


def _last_updated(resource: dict[str, Any]) -> datetime | None:
    meta = resource.get("meta")
    if not isinstance(meta, dict) or not meta.get("lastUpdated"):
        return None
    try:
        return mapping.parse_datetime(meta["lastUpdated"], "meta.lastUpdated")
    except MappingError:
        return None  # a version stamp we cannot read does not stop the import


def _validate(record: mapping.Record, resource_type: str) -> None:
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
    match = _RELATIVE.match(text)
    if match:
        keys.append(f"{match.group(1)}/{match.group(2)}")
        return keys
    match = _CONDITIONAL.match(text)
    if match:
        keys.append(f"{match.group(1)}?identifier={unquote(match.group(2))}")
    return keys


class _UnitWriter:
    def __init__(self, context: ImportContext, unit: Unit, items: list[_Item]) -> None:
        self.context = context
        self.organization = context.organization
        self.unit = unit
        self.items = items
        self.now = clock.now()
        self.local: dict[str, str] = {}
        self.db: dict[str, str | None] = {}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.person_audit: list[tuple[Any, Any, Iterable[str]]] = []
        self.updated_audit: list[tuple[Any, Any, Iterable[str]]] = []
        self.patients_touched: dict[int, set[str]] = defaultdict(set)
        self.reindex: set[int] = set()  # updated people: re-read and re-indexed
        self.index_new: list[tuple[Person, list[str], list[str], list[str]]] = []
        self.public_ids: dict[str, str] = {}
        self.person_kinds: dict[int, str] = {}  # pk -> kind, for "is this a patient?"
        self.merged: dict[int, int] = {}  # merged-away person -> the record it went into
        source = context.source_system
        self.base = source.rstrip("/") + "/" if source.startswith(("http://", "https://")) else ""

    # -- references

    def _lookup(self, keys: list[str]) -> str | None:
        for key in keys:
            for table in (self.local, self.context.known, self.db):
                target = table.get(key)
                if target:
                    return target
        return None

    def prefetch(self, refs: Iterable[Ref]) -> None:
        """Find in one round of queries the references the unit itself does not resolve."""
        origin_ids, conditional = set(), set()
        for ref in refs:
            keys = reference_keys(ref, base=self.base)
            if not keys or self._lookup(keys):
                continue
            for key in keys:
                if key in self.db:
                    continue
                if "?identifier=" in key:
                    conditional.add(key)
                elif _RELATIVE.match(key):
                    origin_ids.add(key)
        system, org = self.context.source_system, self.organization
        for chunk in _chunks(sorted(origin_ids)):
            found = dict(
                SourceRecord.objects.filter(
                    organization=org, origin_system=system, origin_id__in=chunk
                ).values_list("origin_id", "target")
            )
            for key in chunk:
                self.db[key] = found.get(key)
            self._native_ids([k for k in chunk if not found.get(k)])
        for chunk in _chunks(sorted(conditional)):
            targets: dict[str, set[str]] = defaultdict(set)
            for key, target in SourceKey.objects.filter(
                organization=org, origin_system=system, key__in=chunk
            ).values_list("key", "target"):
                targets[key].add(target)
            for key in chunk:
                # Two resources of the same source sharing an identifier: too weak to pick one.
                self.db[key] = next(iter(targets[key])) if len(targets[key]) == 1 else None
            self._native_identifiers([k for k in chunk if not self.db.get(k)])

    def _native_ids(self, keys: list[str]) -> None:
        """'Patient/<CareBond id>': a sender pointing at a record it read from our facade."""
        wanted: dict[uuid.UUID, str] = {}
        for key in keys:
            resource_type, _, value = key.partition("/")
            try:
                wanted[uuid.UUID(value)] = resource_type
            except ValueError:
                continue
        if not wanted:
            return
        for pk, public_id in Person.objects.filter(
            organization=self.organization, public_id__in=wanted
        ).values_list("id", "public_id"):
            if wanted[public_id] in mapping.PERSON_TYPES:
                self.db[f"{wanted[public_id]}/{public_id}"] = f"person:{pk}"
        for pk, public_id in Location.objects.filter(
            organization=self.organization, public_id__in=wanted
        ).values_list("id", "public_id"):
            if wanted[public_id] == "Location":
                self.db[f"Location/{public_id}"] = f"location:{pk}"

    def _native_identifiers(self, keys: list[str]) -> None:
        """'Patient?identifier=urn:carebond:mrn|123': people registered in CareBond itself."""
        for key in keys:
            resource_type, _, identifier = key.partition("?identifier=")
            system, _, value = identifier.partition("|")
            if resource_type not in mapping.PERSON_TYPES or not system or not value:
                continue
            people = list(
                Identifier.objects.filter(
                    organization=self.organization,
                    system=system,
                    value=value,
                    person__origin_system="",
                ).values_list("person_id", flat=True)[:2]
            )
            if len(people) == 1:
                self.db[key] = f"person:{people[0]}"

    def resolve(
        self,
        ref: Ref | None,
        *,
        required: bool = False,
        item: _Item | None = None,
        patient: bool = False,
    ) -> int | None:
        """The row id a reference points at, or None (counted as dangling unless required).
        ``patient`` asks for a patient: a practitioner or a place there rejects the unit."""
        if ref is None:
            return None
        keys = reference_keys(ref, base=self.base)
        target = self._lookup(keys)
        if target is None:
            if ref.reference.startswith("#"):
                return None
            if required:
                assert item is not None
                self.reject(
                    item,
                    ref.path,
                    f"{_describe(ref)} matches nothing in this file or already imported",
                )
            self.context.dangling[ref.path] += 1
            return None
        kind, _, number = target.partition(":")
        wanted = "location" if ref.target_type == "Location" else "person"
        pk = int(number)
        if kind == "person":
            pk = self._survivor(pk)
        if patient and (kind != "person" or self.person_kinds.get(pk) != "patient"):
            assert item is not None
            found = self.person_kinds.get(pk, kind).replace("_", " ")
            self.reject(item, ref.path, f"{_describe(ref)} is a {found}, not a patient")
        if kind != wanted:
            if required:
                assert item is not None
                self.reject(item, ref.path, f"{_describe(ref)} is a {kind}, not a {wanted}")
            return None
        return pk

    def load_people(self, refs: Iterable[Ref]) -> None:
        """Kinds (and merges) of the people these references reach, in one query."""
        ids: set[int] = set()
        for ref in refs:
            target = self._lookup(reference_keys(ref, base=self.base)) or ""
            kind, _, number = target.partition(":")
            if kind == "person" and number.isdigit() and int(number) not in self.person_kinds:
                ids.add(int(number))
        rows = Person.objects.filter(organization=self.organization, pk__in=ids)
        for pk, kind_of, status, survivor in rows.values_list(
            "pk", "kind", "status", "merged_into_id"
        ):
            self.person_kinds[pk] = kind_of
            if status == "merged" and survivor:
                self.merged[pk] = survivor
        survivors = {self._survivor(pk) for pk in ids} - set(self.person_kinds)
        self.person_kinds.update(Person.objects.filter(pk__in=survivors).values_list("pk", "kind"))

    def reject(self, item: _Item, path: str, message: str) -> None:
        raise UnitRejected(
            Problem(
                **_where(
                    self.unit, item.entry, item.resource_type, item.origin_id.partition("/")[2]
                ),
                path=path,
                message=message,
            ),
            Counter(),
        )

    # -- the unit

    def run(self) -> None:
        known = SourceRecord.objects.filter(
            organization=self.organization,
            origin_system=self.context.source_system,
            origin_id__in=[i.origin_id for i in self.items],
        ).values_list("origin_id", "target", "content_hash", "source_updated")
        previous = {origin: (target, digest, when) for origin, target, digest, when in known}
        for item in self.items:
            if item.origin_id in previous:
                item.recorded = True
                item.existing, item.stored_hash, stored_updated = previous[item.origin_id]
                if item.source_updated and stored_updated and item.source_updated < stored_updated:
                    item.stored_hash = item.content_hash  # an older version: keep the newer
        self._check_targets()
        for phase in PHASES:
            batch = [i for i in self.items if i.resource_type in phase]
            if not batch:
                continue
            unchanged = [i for i in batch if i.existing and i.stored_hash == i.content_hash]
            for item in unchanged:
                item.target, item.outcome = item.existing, "unchanged"
                self._register(item)
            todo = [i for i in batch if i.outcome != "unchanged"]
            if not todo:
                continue
            self.prefetch(self._refs(todo))
            if phase[0] in mapping.PERSON_TYPES:
                self.write_people(todo)
            elif phase[0] == "Location":
                self.write_locations(todo)
            elif phase[0] == "PractitionerRole":
                self.write_roles(todo)
            else:
                self.write_patient_data(todo)
        self.write_bookkeeping()

    def _check_targets(self) -> None:
        """What the source records point at may have changed since: a row deleted by hand is
        imported again, and a person merged away is the surviving record now."""
        tables: dict[str, Any] = {
            "person": Person,
            "location": Location,
            "touchpoint": Touchpoint,
            "history": HistoryItem,
            "stored": StoredResource,
        }
        wanted: dict[str, set[int]] = defaultdict(set)
        for item in self.items:
            kind, _, pk = (item.existing or "").partition(":")
            if kind in tables and pk.isdigit():
                wanted[kind].add(int(pk))
        alive: dict[str, set[int]] = {}
        for kind, ids in wanted.items():
            rows = tables[kind].objects.filter(organization=self.organization, pk__in=ids)
            if kind == "person":
                for pk, kind_of, status, survivor in rows.values_list(
                    "pk", "kind", "status", "merged_into_id"
                ):
                    self.person_kinds[pk] = kind_of
                    if status == "merged" and survivor:
                        self.merged[pk] = survivor
                alive[kind] = set(self.person_kinds) & ids
            else:
                alive[kind] = set(rows.values_list("pk", flat=True))
        for item in self.items:
            kind, _, pk = (item.existing or "").partition(":")
            if kind in alive and int(pk) not in alive[kind]:
                item.existing, item.stored_hash = None, ""  # gone: import it again
            elif kind == "person" and int(pk) in self.merged:
                item.existing = f"person:{self._survivor(int(pk))}"

    def _survivor(self, pk: int) -> int:
        seen = set()
        while pk in self.merged and pk not in seen:
            seen.add(pk)
            pk = self.merged[pk]
        return pk

    def _refs(self, items: list[_Item]) -> list[Ref]:
        refs: list[Ref] = []
        for item in items:
            record = item.record
            if isinstance(record, PersonRecord) and record.patient:
                refs.append(record.patient)
            elif isinstance(record, RoleRecord) and record.practitioner:
                refs.append(record.practitioner)
            elif isinstance(record, TouchpointRecord):
                refs += [r for r in (record.patient, record.staff, record.location) if r]
            elif isinstance(record, HistoryRecord):
                refs.append(record.patient)
            elif isinstance(record, StoredRecord):
                refs += record.patients + list(_body_refs(record.body))
        return refs

    def _register(self, item: _Item) -> None:
        assert item.target is not None
        for key in item.local_keys:
            if self.local.get(key, item.target) != item.target:
                self.local[key] = ""  # two resources of this Bundle share it: too weak to use
            else:
                self.local[key] = item.target

    def _stamp(self, row: Any) -> None:
        """Provenance of a row this unit writes (ImportedModel fields)."""
        for name, value in self._provenance().items():
            setattr(row, name, value)

    def _provenance(self) -> dict[str, Any]:
        return {
            "origin_system": self.context.source_system,
            "imported_at": self.now,
            "import_run": self.context.run.public_id,
        }

    # -- people

    def write_people(self, items: list[_Item]) -> None:
        self._match_by_identifier([i for i in items if not i.existing])
        updates = [(int(i.existing.partition(":")[2]), i) for i in items if i.existing]
        people = Person.objects.in_bulk([pk for pk, _ in updates]) if updates else {}
        for pk, item in updates:
            person = people[pk]
            record = item.record
            assert isinstance(record, PersonRecord)
            # What the source leaves empty keeps what staff entered (a preferred name...).
            changed = [
                n
                for n, v in record.fields.items()
                if n in _PERSON_FIELDS and v not in ("", None) and getattr(person, n) != v
            ]
            for name in changed:
                setattr(person, name, record.fields[name])
            if not person.origin_id:
                person.origin_system, person.origin_id = self.context.source_system, item.origin_id
            person.imported_at, person.import_run = self.now, self.context.run.public_id
            item.target, item.outcome = f"person:{person.pk}", "updated"
            self.updated_audit.append(
                (person, person if person.kind == "patient" else None, changed)
            )
        if updates:
            Person.objects.bulk_update(
                list(people.values()),
                [
                    *_PERSON_FIELDS,
                    "origin_system",
                    "origin_id",
                    "imported_at",
                    "import_run",
                    "updated_at",
                ],
                batch_size=500,
            )
        creates = [i for i in items if not i.existing]
        new_people = []
        for item in creates:
            record = item.record
            assert isinstance(record, PersonRecord)
            new_people.append(
                Person(
                    organization=self.organization,
                    kind=record.kind,
                    origin_id=item.origin_id,
                    **{
                        n: v for n, v in record.fields.items() if v is not None or n == "birth_date"
                    },
                    **self._provenance(),
                )
            )
        Person.objects.bulk_create(new_people, batch_size=500)
        for item, person in zip(creates, new_people, strict=True):
            item.target, item.outcome = f"person:{person.pk}", "imported"
            people[person.pk] = person
            self.person_audit.append(
                (
                    person,
                    person if person.kind == "patient" else None,
                    [n for n, v in record_fields(item.record).items() if v],
                )
            )
        for person in people.values():
            self.person_kinds[person.pk] = person.kind
        for item in items:
            self._register(item)
        self.load_people(r.patient for i in items if (r := i.record).patient)  # type: ignore[union-attr]
        self._write_person_details(items, people)

    def _match_by_identifier(self, items: list[_Item]) -> None:
        """A resource not seen before, carrying an identifier CareBond has, is that person only
        if the names agree too (and the birth date, for patients and related persons)."""
        wanted = {(i.system, i.value) for item in items for i in item.record.identifiers}  # type: ignore[union-attr]
        if not wanted:
            return
        owners: dict[tuple[str, str], int] = {}
        for chunk in _chunks(sorted({v for _, v in wanted})):
            for system, value, person_id in Identifier.objects.filter(
                organization=self.organization, value__in=chunk
            ).values_list("system", "value", "person_id"):
                if (system, value) in wanted:
                    owners[(system, value)] = person_id
        if not owners:
            return
        candidates = Person.objects.in_bulk(set(owners.values()))
        # One person answers one resource of this unit; a second look-alike is someone else.
        claimed = {int(i.existing.partition(":")[2]) for i in self.items if i.existing}
        for item in items:
            record = item.record
            assert isinstance(record, PersonRecord)
            for identifier in record.identifiers:
                person = candidates.get(owners.get((identifier.system, identifier.value), 0))
                if (
                    person is not None
                    and person.pk not in claimed
                    and _same_person(person, record, self.context.source_system, item.origin_id)
                ):
                    item.existing = f"person:{person.pk}"
                    claimed.add(person.pk)
                    break

    def _write_person_details(self, items: list[_Item], people: dict[int, Person]) -> None:
        org = self.organization
        targets = {id(i): int(i.target.partition(":")[2]) for i in items if i.target}
        ids = set(targets.values())
        taken: dict[tuple[str, str], int] = {}
        values = sorted({i.value for item in items for i in item.record.identifiers})  # type: ignore[union-attr]
        for chunk in _chunks(values):
            for system, value, person_id in Identifier.objects.filter(
                organization=org, value__in=chunk
            ).values_list("system", "value", "person_id"):
                taken[(system, value)] = person_id
        contacts_had: dict[int, set[tuple[str, str]]] = defaultdict(set)
        addresses_had: dict[int, set[tuple[str, str]]] = defaultdict(set)
        for person_id, system, value in ContactPoint.objects.filter(person_id__in=ids).values_list(
            "person_id", "system", "value"
        ):
            contacts_had[person_id].add((system, value))
        for person_id, line1, postal in Address.objects.filter(person_id__in=ids).values_list(
            "person_id", "line1", "postal_code"
        ):
            addresses_had[person_id].add((line1, postal))
        profiles = set(
            ReferralSourceProfile.objects.filter(person_id__in=ids).values_list(
                "person_id", flat=True
            )
        )
        # Plain rows for insert_rows: (organization, person, ...) in the column order below.
        new_identifiers: list[tuple[Any, ...]] = []
        new_contacts: list[tuple[Any, ...]] = []
        new_addresses: list[tuple[Any, ...]] = []
        new_profiles: list[tuple[Any, ...]] = []
        new_links = []
        for item in items:
            record = item.record
            assert isinstance(record, PersonRecord)
            person_id = targets[id(item)]
            mine: list[str] = []
            for identifier in record.identifiers:
                owner = taken.get((identifier.system, identifier.value))
                if owner is None:
                    taken[(identifier.system, identifier.value)] = person_id
                    mine.append(identifier.value)
                    new_identifiers.append(
                        (org.pk, person_id, *(getattr(identifier, c) for c in _IDENTIFIER))
                    )
                elif owner != person_id:
                    # Someone else has it: not enough to call them the same person. The
                    # identifier still resolves references within this source (SourceKey).
                    self.context.shared[f"{item.resource_type}.identifier"] += 1
            rank = len(contacts_had[person_id])
            for contact in record.contacts:
                if (contact.system, contact.value) not in contacts_had[person_id]:
                    contacts_had[person_id].add((contact.system, contact.value))
                    rank += 1
                    new_contacts.append(
                        (org.pk, person_id, contact.system, contact.value, contact.use, rank)
                    )
            rank = len(addresses_had[person_id])
            for address in record.addresses:
                if (address.line1, address.postal_code) not in addresses_had[person_id]:
                    addresses_had[person_id].add((address.line1, address.postal_code))
                    rank += 1
                    new_addresses.append(
                        (org.pk, person_id, rank, *(getattr(address, c) for c in _ADDRESS))
                    )
            if (
                record.referral_type
                and person_id not in profiles
                and people[person_id].kind == "referral_source"
            ):
                profiles.add(person_id)
                npi = next((i.value for i in record.identifiers if i.system == NPI_SYSTEM), "")
                new_profiles.append(
                    (org.pk, person_id, record.referral_type, npi[:10], "", "", "", "")
                )
            if record.patient is not None:
                patient_id = self._quiet(record.patient)
                if self.person_kinds.get(patient_id or 0) != "patient":
                    self.context.dangling[record.patient.path] += 1
                elif patient_id is not None and patient_id != person_id:
                    self.patients_touched[patient_id].add("RelatedPerson")
                    new_links.append(
                        Relationship(
                            organization=org,
                            patient_id=patient_id,
                            related_id=person_id,
                            relationship=record.relationship,
                        )
                    )
            if item.outcome == "imported":
                self.index_new.append(
                    (
                        people[person_id],
                        mine,
                        [c.value for c in record.contacts if c.system == "phone"],
                        [c.value for c in record.contacts if c.system == "email"],
                    )
                )
            else:
                self.reindex.add(person_id)
        held_by = ["organization_id", "person_id"]
        insert_rows(Identifier, [*held_by, *_IDENTIFIER], new_identifiers)
        insert_rows(ContactPoint, [*held_by, "system", "value", "use", "rank"], new_contacts)
        insert_rows(Address, [*held_by, "rank", *_ADDRESS], new_addresses)
        profile_columns = ["source_type", "npi", "specialty", "practice_name", "affiliations"]
        insert_rows(
            ReferralSourceProfile, [*held_by, *profile_columns, "preferred_contact"], new_profiles
        )
        Relationship.objects.bulk_create(new_links, ignore_conflicts=True)

    # -- locations and roles

    def write_locations(self, items: list[_Item]) -> None:
        names = set(
            Location.objects.filter(organization=self.organization).values_list("name", flat=True)
        )
        existing = Location.objects.in_bulk(
            [int(i.existing.partition(":")[2]) for i in items if i.existing]
        )
        creates = []
        for item in items:
            record = item.record
            assert isinstance(record, LocationRecord)
            location = existing.get(int(item.existing.partition(":")[2])) if item.existing else None
            if location is None:
                item.existing = None
                name = _free_name(record.name, record.address, names)
                names.add(name)
                location = Location(
                    organization=self.organization,
                    name=name,
                    address=record.address,
                    phone=record.phone,
                    origin_id=item.origin_id,
                    **self._provenance(),
                )
                creates.append((item, location))
                continue
            location.address, location.phone = record.address, record.phone
            location.imported_at, location.import_run = self.now, self.context.run.public_id
            location.save(
                update_fields=["address", "phone", "imported_at", "import_run", "updated_at"]
            )
            item.target, item.outcome = f"location:{location.pk}", "updated"
        Location.objects.bulk_create([loc for _, loc in creates], batch_size=500)
        for item, location in creates:
            item.target, item.outcome = f"location:{location.pk}", "imported"
        for item in items:
            self._register(item)

    def write_roles(self, items: list[_Item]) -> None:
        """A PractitionerRole adds the specialty and practice to the practitioner's profile."""
        profiles = []
        for item in items:
            record = item.record
            assert isinstance(record, RoleRecord)
            person_id = self.resolve(record.practitioner)
            item.outcome = "updated" if item.existing else "imported"
            if person_id is None:
                item.target = "role:-"
                continue
            item.target = f"role:{person_id}"
            profiles.append((person_id, record))
        by_person = {
            p.person_id: p
            for p in ReferralSourceProfile.objects.filter(person_id__in=[p for p, _ in profiles])
        }
        changed = []
        for person_id, record in profiles:
            profile = by_person.get(person_id)
            if profile is not None:
                specialty = record.specialty or profile.specialty
                practice = record.practice_name or profile.practice_name
                changed.append((specialty, practice, profile.pk))
        table = ReferralSourceProfile._meta.db_table
        with connection.cursor() as cursor:  # one statement, many rows: bulk_update's CASE is slow
            cursor.executemany(
                f"UPDATE {table} SET specialty = %s, practice_name = %s WHERE id = %s",  # noqa: S608
                changed,
            )

    # -- what points at patients

    def write_patient_data(self, items: list[_Item]) -> None:
        self.load_people(self._refs(items))
        for item in items:
            record = item.record
            if isinstance(record, TouchpointRecord | HistoryRecord):
                patient_id = self.resolve(record.patient, required=True, item=item, patient=True)
                assert patient_id is not None
                self.patients_touched[patient_id].add(item.resource_type)
            elif isinstance(record, StoredRecord):
                patient_id = self.stored_patient(record)
                if patient_id is not None:
                    self.patients_touched[patient_id].add(item.resource_type)
        self._write_rows(
            [i for i in items if isinstance(i.record, TouchpointRecord)],
            Touchpoint,
            "touchpoint",
            self._touchpoint_row,
        )
        self._write_rows(
            [i for i in items if isinstance(i.record, HistoryRecord)],
            HistoryItem,
            "history",
            self._history_row,
        )
        stored = [i for i in items if isinstance(i.record, StoredRecord)]
        if stored:
            self._load_public_ids(stored)
        self._write_rows(stored, StoredResource, "stored", self._stored_row)

    def _quiet(self, ref: Ref) -> int | None:
        """The person a reference reaches (the surviving record of a merge), or None."""
        target = self._lookup(reference_keys(ref, base=self.base))
        kind, _, pk = (target or "").partition(":")
        return self._survivor(int(pk)) if kind == "person" else None

    def stored_patient(self, record: StoredRecord) -> int | None:
        """The first candidate reference that reaches a patient (load_people ran before)."""
        return next(
            (
                pk
                for ref in record.patients
                if self.person_kinds.get(pk := self._quiet(ref) or 0) == "patient"
            ),
            None,
        )

    def _write_rows(self, items: list[_Item], model: Any, kind: str, build: Any) -> None:
        if not items:
            return
        existing = model.objects.in_bulk(
            [
                int(i.existing.partition(":")[2])
                for i in items
                if i.existing and i.existing.startswith(kind)
            ]
        )
        creates, updates = [], []
        for item in items:
            pk = (
                int(item.existing.partition(":")[2])
                if item.existing and item.existing.startswith(kind)
                else None
            )
            row = build(item, existing.get(pk) if pk else None)
            if pk and pk in existing:
                updates.append(row)
                item.target, item.outcome = f"{kind}:{pk}", "updated"
            else:
                creates.append((item, row))
        if model is Touchpoint:
            record_touchpoints([row for _, row in creates])
        else:
            model.objects.bulk_create([row for _, row in creates], batch_size=1000)
        for item, row in creates:
            item.target, item.outcome = f"{kind}:{row.pk}", "imported"
        for row in updates:
            row.save()

    def _touchpoint_row(self, item: _Item, row: Touchpoint | None) -> Touchpoint:
        record = item.record
        assert isinstance(record, TouchpointRecord)
        row = row or Touchpoint(
            organization=self.organization,
            origin_id=item.origin_id,
            recorded_at=self.now,
            recorded_by=self.context.acting_user,
        )
        row.person_id = self.resolve(  # type: ignore[assignment]
            record.patient, required=True, item=item, patient=True
        )
        row.staff_id = self.resolve(record.staff)
        row.location_id = self.resolve(record.location)
        for name in (
            "kind",
            "channel",
            "direction",
            "occurred_at",
            "moment_of_truth",
            "outcome",
            "summary",
            "details",
        ):
            setattr(row, name, getattr(record, name))
        self._stamp(row)
        return row

    def _history_row(self, item: _Item, row: HistoryItem | None) -> HistoryItem:
        record = item.record
        assert isinstance(record, HistoryRecord)
        row = row or HistoryItem(organization=self.organization, origin_id=item.origin_id)
        row.person_id = self.resolve(  # type: ignore[assignment]
            record.patient, required=True, item=item, patient=True
        )
        for name in ("category", "code_system", "code", "display", "is_active", "onset"):
            setattr(row, name, getattr(record, name))
        self._stamp(row)
        return row

    def _stored_row(self, item: _Item, row: StoredResource | None) -> StoredResource:
        record = item.record
        assert isinstance(record, StoredRecord)
        row = row or StoredResource(
            organization=self.organization,
            origin_id=item.origin_id,
            resource_type=item.resource_type,
        )
        row.person_id = self.stored_patient(record)
        row.status, row.occurred_at = record.status, record.occurred_at
        row.body = orjson.dumps(self._rewrite(record.body)).decode()
        row.updated_at = self.now
        self._stamp(row)
        return row

    def _load_public_ids(self, items: list[_Item]) -> None:
        targets = {
            self._lookup(reference_keys(ref, base=self.base))
            for item in items
            for ref in _body_refs(getattr(item.record, "body", None))
        }
        wanted = {t for t in targets if t and t.startswith(("person:", "location:"))}
        self.public_ids = facade_locations(self.organization.pk, wanted)

    def _rewrite(self, value: Any) -> Any:
        """Resolved references point at CareBond ids in what is kept ("Patient/<id>", as the
        facade serves them); the rest stay as sent."""
        if isinstance(value, list):
            return [self._rewrite(v) for v in value]
        if not isinstance(value, dict):
            return value
        result = {k: self._rewrite(v) for k, v in value.items()}
        if isinstance(value.get("reference"), str):
            target = self._lookup(
                reference_keys(Ref("", reference=value["reference"]), base=self.base)
            )
            if target and target in self.public_ids:
                result["reference"] = self.public_ids[target]
        return result

    # -- bookkeeping and audit

    def _write_keys(self, done: list[_Item]) -> None:
        """Identifiers of what was imported or updated, for later conditional references."""
        org, system = self.organization, self.context.source_system
        wanted = {
            (key[:400], item.target or "")
            for item in done
            for key in item.identifier_keys
            if item.target
        }
        updated_targets = {i.target for i in done if i.outcome == "updated" and i.target}
        if updated_targets:
            wanted -= set(
                SourceKey.objects.filter(
                    organization=org, origin_system=system, target__in=updated_targets
                ).values_list("key", "target")
            )
        insert_rows(
            SourceKey,
            ["organization_id", "origin_system", "key", "target"],
            [(org.pk, system, key, target) for key, target in sorted(wanted)],
        )

    def write_bookkeeping(self) -> None:
        org, system = self.organization, self.context.source_system
        done = [i for i in self.items if i.outcome in {"imported", "updated"}]
        changed_records = SourceRecord.objects.filter(
            organization=org,
            origin_system=system,
            origin_id__in=[i.origin_id for i in done if i.recorded],
        )
        by_origin = {r.origin_id: r for r in changed_records}
        fresh: list[tuple[Any, ...]] = []
        refreshed = []
        when_field = SourceRecord._meta.get_field("source_updated")
        for item in done:
            record = by_origin.get(item.origin_id)
            if record is None:
                when = when_field.get_db_prep_save(item.source_updated, connection)
                target = item.target or ""
                fresh.append((org.pk, system, item.origin_id, item.content_hash, target, when))
            else:
                record.content_hash, record.target = item.content_hash, item.target or ""
                record.import_run, record.imported_at = self.context.run.public_id, self.now
                record.source_updated = item.source_updated
                refreshed.append(record)
        insert_rows(
            SourceRecord,
            [
                "organization_id",
                "origin_system",
                "origin_id",
                "content_hash",
                "target",
                "source_updated",
            ],
            fresh,
            constants={"import_run": self.context.run.public_id, "imported_at": self.now},
        )
        SourceRecord.objects.bulk_update(
            refreshed,
            ["content_hash", "target", "import_run", "imported_at", "source_updated"],
            batch_size=500,
        )
        self._write_keys(done)
        reindex_people(self.reindex)
        index_new_people(self.index_new)
        actor = self.context.acting_user
        if self.person_audit:
            record_audit_many(
                actor=actor, action="person.imported", organization=org, targets=self.person_audit
            )
        if self.updated_audit:
            record_audit_many(
                actor=actor,
                action="person.import_updated",
                organization=org,
                targets=self.updated_audit,
            )
        if self.patients_touched:
            patients = Person.objects.in_bulk(list(self.patients_touched))
            record_audit_many(
                actor=actor,
                action="interop.patient_data_imported",
                organization=org,
                targets=[
                    (patients[pk], patients[pk], sorted(types))
                    for pk, types in self.patients_touched.items()
                    if pk in patients
                ],
            )
        for item in self.items:
            self.counts[(item.resource_type, item.outcome)] += 1


def _describe(ref: Ref) -> str:
    """A reference in a message, without identifier values (they can be PHI: an SSN, an MRN)."""
    if ref.identifier or "?identifier=" in ref.reference:
        system = (ref.identifier or ref.reference.partition("?identifier=")[2]).partition("|")[0]
        return f"the {ref.target_type or 'resource'} with a {unquote(system)[:80]} identifier"
    if ref.reference.startswith("urn:"):
        return f"the entry {ref.reference[:80]}"
    return repr(ref.reference[:120])


def _type_of(entry: Entry) -> str:
    """The entry's type as a counting key (never a value that could hold PHI or a NUL)."""
    if not entry.resource:
        return "(request only)"
    value = entry.resource.get("resourceType")
    return value if isinstance(value, str) and _TYPE_NAME.match(value) else "(not a type)"


def record_fields(record: mapping.Record) -> dict[str, Any]:
    return record.fields if isinstance(record, PersonRecord) else {}


def _body_refs(body: Any) -> Iterable[Ref]:
    if isinstance(body, list):
        for value in body:
            yield from _body_refs(value)
    elif isinstance(body, dict):
        if isinstance(body.get("reference"), str):
            yield Ref("", reference=body["reference"])
        for value in body.values():
            if isinstance(value, dict | list):
                yield from _body_refs(value)


def _same_person(person: Person, record: PersonRecord, source_system: str, origin_id: str) -> bool:
    if person.status == "merged" or person.kind != record.kind:
        return False
    if person.origin_system == source_system and person.origin_id and person.origin_id != origin_id:
        return False  # another resource of the same source: two people
    fields = record.fields
    if record.kind == "referral_source" and record.referral_type == "organization":
        return normalize(person.organization_name) == normalize(fields.get("organization_name", ""))
    # Given and family name both (twins share the rest), and for patients the birth date too.
    same_name = normalize(person.family_name) == normalize(
        fields.get("family_name", "")
    ) != "" and normalize(person.given_name) == normalize(fields.get("given_name", ""))
    if record.kind in {"patient", "related"}:
        return (
            same_name
            and person.birth_date is not None
            and person.birth_date == fields.get("birth_date")
        )
    return same_name


def _free_name(name: str, address: str, taken: set[str]) -> str:
    """Location names are unique per organisation; two sites of one name get their town."""
    if name not in taken:
        return name
    town = address.split(", ")[-3] if address.count(", ") >= 2 else address
    candidate = f"{name} ({town})"[:200] if town else name
    number = 2
    while candidate in taken:
        candidate = f"{name} ({town} {number})"[:200]
        number += 1
    return candidate


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the public entry point ----------------------------------------------------------------


def do_import_unit(
    context: ImportContext, unit: Unit, *, last_of_file: bool = True
) -> Counter[tuple[str, str]]:
    """Import one unit atomically. Returns counts by (type, outcome); raises UnitRejected.
    The file's last unit also counts the file done (one commit less per file)."""
    items, skipped = prepare_unit(unit)
    all_types: Counter[str] = Counter(i.resource_type for i in items) + skipped
    try:
        with transaction.atomic():
            writer = _UnitWriter(context, unit, items)
            writer.run()
            counts = writer.counts + Counter({(t, "skipped"): n for t, n in skipped.items()})
            run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
            run.resources_read += len(unit.entries)
            run.bundles_committed += 1
            run.heartbeat_at = clock.now()
            run.files_done += 1 if last_of_file else 0
            _add_counts(run, counts)
            run.save(
                update_fields=[
                    "resources_read",
                    "bundles_committed",
                    "counts",
                    "heartbeat_at",
                    "files_done",
                ]
            )
    except UnitRejected as rejection:
        rejection.counts = all_types
        raise
    except IntegrityError as error:
        raise UnitRejected(
            Problem(
                unit.file,
                "another import wrote the same resources at the same time; run this import again",
            ),
            all_types,
        ) from error
    except DatabaseError as error:
        # A value the database refuses (PostgreSQL checks lengths and characters SQLite lets
        # through): the unit rolled back whole. The type names the problem; values stay out.
        raise UnitRejected(
            Problem(unit.file, f"the database refused a value ({error.__class__.__name__})"),
            all_types,
        ) from error
    context.run = run
    results = {i.entry.index: (i.resource_type, i.outcome, i.target or "") for i in items}
    context.last_unit = [
        (e.index, *results.get(e.index, (_type_of(e), "skipped", ""))) for e in unit.entries
    ]
    # Only what other files point at (people, locations) is remembered for the rest of the run,
    # so memory stays bounded however many patient bundles follow.
    for table in (writer.local, writer.db):
        context.known.update(
            (k, v) for k, v in table.items() if v and v.startswith(("person:", "location:"))
        )
    return counts


# --- uploads (the page): files wait on disk for the worker -----------------------------------


def check_queue_upload(
    organization: Organization,
    files: list[tuple[str, Iterable[bytes]]],
    *,
    source_system: str,
    acting_user: User,
    upload_root: Path,
) -> ImportRun:
    """Save the uploaded files under a folder of their own and queue their import.

    Audit: interop.import_started. Side effect: the import task, after commit."""
    source_system = source_system.strip()
    if not source_system or len(source_system) > 200:
        raise InvalidInput("Name the sending system (1 to 200 characters).", field="source")
    if not files:
        raise InvalidInput("Choose at least one file.", field="files")
    folder = upload_root / uuid.uuid4().hex
    folder.mkdir(parents=True, mode=0o700)
    for number, (name, chunks) in enumerate(files, start=1):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[-120:] or "upload.json"
        with (folder / f"{number:04d}-{safe}").open("wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
    with transaction.atomic():
        run = do_start_import_run(
            organization,
            via="upload",
            source_system=source_system,
            acting_user=acting_user,
            files_total=len(files),
            upload_dir=str(folder),
        )
        from carebond.interop.import_tasks import run_fhir_upload

        transaction.on_commit(lambda: run_fhir_upload.enqueue(run_id=run.pk))
    return run


@transaction.atomic
def do_mark_import_interrupted(run: ImportRun) -> bool:
    """Audit: interop.import_failed. Only a run still running (claimed with a conditional
    UPDATE, so a run finishing at this moment is left alone)."""
    problem = Problem(
        file="",
        message="the import stopped without finishing (the process was stopped or crashed); "
        "run it again: what was imported is found unchanged",
    ).as_dict()
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED, finished_at=clock.now()
    )
    if not claimed:
        return False
    run.refresh_from_db()
    run.problems = [*run.problems, problem]
    run.save(update_fields=["problems"])
    record_audit(actor=None, action="interop.import_failed", target=run)
    return True
