"""Business identifiers of what imports write for patients (Encounter.identifier,
Condition.identifier, Immunization.identifier...): one visit, history item or kept resource per
identifier and patient, whatever the connection or the path a resource comes by.

A resource of this connection seen before is found by its source record (unit_actions). One not
seen before that carries an identifier a row of the same patient already has (written from
another connection, or under another id) is that row: unchanged when it holds the same content,
updated otherwise, and its connection's source record now points at it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from carebond.core.bulk import insert_rows
from carebond.core.fhir.type_module import RowRecord
from carebond.interop.fhir_types import row_writers
from carebond.interop.importing.unit_references import UnitWriterBase, chunks
from carebond.interop.importing.units import PreparedResource
from carebond.interop.models import RecordIdentifier, StoredResource
from carebond.interop.resources.records import HistoryRecord, StoredRecord, TouchpointRecord
from carebond.people.models import HistoryItem
from carebond.touchpoints.models import Touchpoint

_TABLES: dict[str, Any] = {
    "touchpoint": Touchpoint,
    "history": HistoryItem,
    "stored": StoredResource,
}


def patient_tables() -> dict[str, tuple[Any, str]]:
    """Each kind of row that belongs to a patient: its model and the field naming the patient
    (interop's own, then those of the apps that write their own rows)."""
    tables = {kind: (model, "person") for kind, model in _TABLES.items()}
    tables.update({k: (w.model, w.person_field) for k, w in row_writers().items()})
    return tables


def identifiers_of(item: PreparedResource) -> list[tuple[str, str]]:
    record = item.record
    if isinstance(record, TouchpointRecord | HistoryRecord | StoredRecord | RowRecord):
        return record.identifiers
    return []


class BusinessIdentifiers(UnitWriterBase):
    def match_business_identifiers(
        self, items: list[PreparedResource], patient_of: dict[int, int]
    ) -> list[PreparedResource]:
        """Items not seen from this connection whose identifier a row of the same patient has
        become that row (``existing``). Returns those holding the same content as the row:
        unchanged, nothing to write but their source record."""
        candidates = [
            i for i in items if not i.existing and identifiers_of(i) and id(i) in patient_of
        ]
        if not candidates:
            return []
        types = sorted({i.resource_type for i in candidates})
        values = sorted({value for i in candidates for _, value in identifiers_of(i)})
        found: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
        for chunk in chunks(values):
            rows = RecordIdentifier.objects.filter(
                organization=self.organization, resource_type__in=types, value__in=chunk
            ).values_list("resource_type", "system", "value", "target", "content_hash")
            for resource_type, system, value, target, digest in rows:
                found[(resource_type, system, value)].append((target, digest))
        owners = self._owners({t for rows in found.values() for t, _ in rows})
        claimed = {i.existing for i in self.items if i.existing}
        unchanged = []
        for item in candidates:
            match = next(
                (
                    (target, digest)
                    for system, value in identifiers_of(item)
                    for target, digest in found.get((item.resource_type, system, value), [])
                    if target not in claimed
                    and target in owners
                    and self._survivor(owners[target]) == patient_of[id(item)]
                ),
                None,
            )
            if match is None:
                continue
            target, digest = match
            claimed.add(target)
            item.existing = target
            if digest == item.content_hash:
                item.target, item.outcome, item.record_only = target, "unchanged", True
                unchanged.append(item)
        return unchanged

    def _owners(self, targets: set[str]) -> dict[str, int]:
        """The patient each row belongs to (rows deleted since are left out)."""
        tables = patient_tables()
        wanted: dict[str, list[int]] = defaultdict(list)
        for target in targets:
            kind, _, pk = target.partition(":")
            if kind in tables and pk.isdigit():
                wanted[kind].append(int(pk))
        owners = {}
        for kind, pks in wanted.items():
            model, person_field = tables[kind]
            rows = model.objects.filter(organization=self.organization, pk__in=pks)
            for pk, person_id in rows.values_list("pk", f"{person_field}_id"):
                if person_id is not None:
                    owners[f"{kind}:{pk}"] = person_id
        return owners

    def write_business_identifiers(self, done: list[PreparedResource]) -> None:
        """The identifiers of what this unit wrote, with the content the row now holds."""
        rewritten = {i.target for i in done if i.outcome == "updated" and i.target}
        rewritten |= {i.replaced for i in done if i.replaced}
        for chunk in chunks(sorted(t for t in rewritten if t)):
            RecordIdentifier.objects.filter(
                organization=self.organization, target__in=chunk
            ).delete()
        tables = patient_tables()
        rows = {
            (item.resource_type, system, value, item.target, item.content_hash)
            for item in done
            if item.target and item.target.partition(":")[0] in tables
            for system, value in identifiers_of(item)
        }
        insert_rows(
            RecordIdentifier,
            ["organization_id", "resource_type", "system", "value", "target", "content_hash"],
            [(self.organization.pk, *row) for row in sorted(rows)],
        )
