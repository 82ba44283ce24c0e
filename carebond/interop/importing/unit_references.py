"""The state an import unit's writer carries, and how it resolves references: within the unit,
then earlier units of the run, then earlier runs of the same source, then CareBond's own ids
and identifiers. The writing itself is in unit_people, unit_patient_data and unit_actions.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from carebond.core import clock
from carebond.core.fhir.parsing import Ref
from carebond.core.fhir.type_module import RowRecord
from carebond.core.models import Location
from carebond.interop.fhir_types import fhir_types
from carebond.interop.importing.actions import ImportContext
from carebond.interop.importing.reading import Unit
from carebond.interop.importing.units import (
    RELATIVE,
    PreparedResource,
    Problem,
    UnitRejected,
    body_refs,
    describe,
    reference_keys,
    where,
)
from carebond.interop.models import (
    PendingReference,
    SourceKey,
    SourceRecord,
)
from carebond.interop.resources.records import (
    HistoryRecord,
    PersonRecord,
    RoleRecord,
    StoredRecord,
    TouchpointRecord,
)
from carebond.people.models import (
    Identifier,
    Person,
)


class UnitWriterBase:
    def __init__(self, context: ImportContext, unit: Unit, items: list[PreparedResource]) -> None:
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
        # Optional references to nothing yet that may arrive later: (item, field, keys).
        self.waiting: list[tuple[PreparedResource, str, list[str]]] = []
        self.notes: list[Problem] = []  # for the run, once the unit is committed
        self.family_of: dict[int, int] = {}  # related person -> their patient (this unit)
        self.filled: dict[int, set[str]] = defaultdict(set)  # patient -> references filled
        source = context.source_system
        self.base = source.rstrip("/") + "/" if source.startswith(("http://", "https://")) else ""
        # Types whose "Type/<CareBond id>" references name CareBond's own people or places.
        self.native = {n: t.native_rows for n, t in fhir_types().items() if t.native_rows}

    # -- references

    def references_may_wait(self) -> bool:
        """Whether any reference of this source waits for its target (PendingReference): asked
        once per run, then kept up to date by the writers, so a run without any pays one query."""
        if self.context.pending is None:
            self.context.pending = PendingReference.objects.filter(
                organization=self.organization, origin_system=self.context.source_system
            ).exists()
        return self.context.pending

    def wait_for(self, item: PreparedResource, field: str, refs: list[Ref]) -> None:
        """``item`` waits (as ``field``) for whichever of ``refs`` is imported first (see
        unit_waiting)."""
        keys = [key for ref in refs for key in reference_keys(ref, base=self.base)]
        if keys:
            self.waiting.append((item, field, keys))

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
                elif RELATIVE.match(key):
                    origin_ids.add(key)
        system, org = self.context.source_system, self.organization
        for chunk in chunks(sorted(origin_ids)):
            found = dict(
                SourceRecord.objects.filter(
                    organization=org, origin_system=system, origin_id__in=chunk
                ).values_list("origin_id", "target")
            )
            for key in chunk:
                self.db[key] = found.get(key)
            self._native_ids([k for k in chunk if not found.get(k)])
        for chunk in chunks(sorted(conditional)):
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
            if self.native.get(wanted[public_id]) == "person":
                self.db[f"{wanted[public_id]}/{public_id}"] = f"person:{pk}"
        for pk, public_id in Location.objects.filter(
            organization=self.organization, public_id__in=wanted
        ).values_list("id", "public_id"):
            if self.native.get(wanted[public_id]) == "location":
                self.db[f"{wanted[public_id]}/{public_id}"] = f"location:{pk}"

    def _native_identifiers(self, keys: list[str]) -> None:
        """'Patient?identifier=urn:carebond:mrn|123': people registered in CareBond itself."""
        for key in keys:
            resource_type, _, identifier = key.partition("?identifier=")
            system, _, value = identifier.partition("|")
            if self.native.get(resource_type) != "person" or not system or not value:
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
        item: PreparedResource | None = None,
        patient: bool = False,
        waiting: tuple[PreparedResource, str] | None = None,
    ) -> int | None:
        """The row id a reference points at, or None (counted as dangling unless required).
        ``patient`` asks for a patient: a practitioner or a place there rejects the unit.
        ``waiting`` (item, field): a reference to nothing yet is kept to be filled in later."""
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
                    f"{describe(ref)} matches nothing in this file or already imported",
                )
            self.context.dangling[ref.path] += 1
            if waiting is not None and keys:
                self.waiting.append((*waiting, keys))
            return None
        kind, _, number = target.partition(":")
        wanted = "location" if self.native.get(ref.target_type) == "location" else "person"
        pk = int(number)
        if kind == "person":
            pk = self._survivor(pk)
        if patient and (kind != "person" or self.person_kinds.get(pk) != "patient"):
            assert item is not None
            found = self.person_kinds.get(pk, kind).replace("_", " ")
            self.reject(item, ref.path, f"{describe(ref)} is a {found}, not a patient")
        if kind != wanted:
            if required:
                assert item is not None
                self.reject(item, ref.path, f"{describe(ref)} is a {kind}, not a {wanted}")
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

    def reject(self, item: PreparedResource, path: str, message: str) -> None:
        raise UnitRejected(
            Problem(
                **where(
                    self.unit, item.entry, item.resource_type, item.origin_id.partition("/")[2]
                ),
                path=path,
                message=message,
            ),
            Counter(),
        )

    # -- the unit

    def _refs(self, items: list[PreparedResource]) -> list[Ref]:
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
                refs += record.patients + list(body_refs(record.body))
            elif isinstance(record, RowRecord):
                refs += [*record.refs.values(), *record.untyped]
                refs += [record.patient] if record.patient else []
        return refs

    def _survivor(self, pk: int) -> int:
        seen = set()
        while pk in self.merged and pk not in seen:
            seen.add(pk)
            pk = self.merged[pk]
        return pk

    def _quiet(self, ref: Ref) -> int | None:
        """The person a reference reaches (the surviving record of a merge), or None."""
        target = self._lookup(reference_keys(ref, base=self.base))
        kind, _, pk = (target or "").partition(":")
        return self._survivor(int(pk)) if kind == "person" else None

    def _register(self, item: PreparedResource) -> None:
        assert item.target is not None
        for key in item.local_keys:
            if self.local.get(key, item.target) != item.target:
                self.local[key] = ""  # two resources of this Bundle share it: too weak to use
            else:
                self.local[key] = item.target

    def _stamp(self, row: Any) -> None:
        """Provenance of a row this unit writes (ImportedModel fields). A row another connection
        wrote first (found by a business identifier) keeps saying where it came from."""
        provenance = self._provenance()
        if row.pk and row.origin_system and row.origin_system != provenance["origin_system"]:
            del provenance["origin_system"]
        for name, value in provenance.items():
            setattr(row, name, value)

    def _provenance(self) -> dict[str, Any]:
        return {
            "origin_system": self.context.source_system,
            "imported_at": self.now,
            "import_run": self.context.run.public_id,
        }


def chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the public entry point ----------------------------------------------------------------
