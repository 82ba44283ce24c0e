"""Writing what points at patients: visits and messages (touchpoints), history items, the
resources kept whole, with their references rewritten to CareBond ids, and the rows of types
whose apps write them (scheduling's appointments: ``RowRecord``, handed to the app's writer).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import replace
from typing import Any

import orjson

from carebond.core.fhir.parsing import Ref
from carebond.core.fhir.type_module import (
    ImportStamp,
    RowRecord,
    RowRefused,
    RowSkipped,
    RowToWrite,
)
from carebond.interop.fhir_types import fhir_type
from carebond.interop.importing.selectors import facade_locations
from carebond.interop.importing.unit_identifiers import BusinessIdentifiers, patient_tables
from carebond.interop.importing.units import PreparedResource, Problem, body_refs, reference_keys
from carebond.interop.models import StoredResource
from carebond.interop.resources.records import HistoryRecord, StoredRecord, TouchpointRecord
from carebond.people.models import HistoryItem
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import Touchpoint

# The kind of row each record becomes, as written in SourceRecord.target ("touchpoint:12").
_KINDS: dict[type, str] = {
    TouchpointRecord: "touchpoint",
    HistoryRecord: "history",
    StoredRecord: "stored",
}
_TABLES: dict[str, Any] = {
    "touchpoint": Touchpoint,
    "history": HistoryItem,
    "stored": StoredResource,
}


class PatientDataWriting(BusinessIdentifiers):
    # Items whose newer version becomes another kind of row: the old row's public id, so the
    # FHIR id stays the same (None for history items, whose ids derive from the row).
    taking_over: dict[int, uuid.UUID | None]

    def write_patient_data(self, items: list[PreparedResource]) -> None:
        self.load_people(self._refs(items))
        patient_of: dict[int, int] = {}
        for item in items:
            record = item.record
            if isinstance(record, RowRecord):
                self._place_untyped(item, record)
            if isinstance(record, TouchpointRecord | HistoryRecord | RowRecord):
                patient_id = self.resolve(record.patient, required=True, item=item, patient=True)
                assert patient_id is not None
                patient_of[id(item)] = patient_id
            elif isinstance(record, StoredRecord):
                patient_id = self.stored_patient(record)
                if patient_id is not None:
                    patient_of[id(item)] = patient_id
        # Seen before under a business identifier (another connection, another id): that row.
        same = {id(i) for i in self.match_business_identifiers(items, patient_of)}
        items = [i for i in items if id(i) not in same]
        for item in items:
            if id(item) in patient_of:
                self.patients_touched[patient_of[id(item)]].add(item.resource_type)
        self.taking_over = self._find_kind_changes(items)
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
        self._write_own_rows([i for i in items if isinstance(i.record, RowRecord)], patient_of)
        self._drop_replaced_rows(items)
        for item in stored:
            record = item.record
            if isinstance(record, StoredRecord) and self.stored_patient(record) is None:
                self.wait_for(item, "stored_patient", record.patients)  # see unit_waiting

    def _find_kind_changes(self, items: list[PreparedResource]) -> dict[int, uuid.UUID | None]:
        """A resource seen before whose newer version maps to another kind of row: an Encounter
        kept whole for want of a start time that now has one becomes a visit (and back)."""
        tables = patient_tables()
        changing: dict[str, dict[int, PreparedResource]] = defaultdict(dict)
        for item in items:
            kind, _, pk = (item.existing or "").partition(":")
            if kind in tables and pk.isdigit() and kind != self._kind_of(item):
                changing[kind][int(pk)] = item
        taking_over: dict[int, uuid.UUID | None] = {}
        for kind, by_pk in changing.items():
            public_ids: dict[int, uuid.UUID] = (
                dict(tables[kind][0].objects.filter(pk__in=by_pk).values_list("pk", "public_id"))
                if kind != "history"
                else {}
            )
            for row_pk, item in by_pk.items():
                taking_over[id(item)] = public_ids.get(row_pk)
        return taking_over

    def _drop_replaced_rows(self, items: list[PreparedResource]) -> None:
        """The row a resource was before it changed kind goes: one resource, one row."""
        gone: dict[str, list[int]] = defaultdict(list)
        for item in items:
            if id(item) in self.taking_over and item.existing:
                kind, _, pk = item.existing.partition(":")
                gone[kind].append(int(pk))
                item.replaced, item.outcome = item.existing, "updated"
        tables = patient_tables()
        for kind, pks in gone.items():
            tables[kind][0].objects.filter(organization=self.organization, pk__in=pks).delete()

    def _place_untyped(self, item: PreparedResource, record: RowRecord) -> None:
        """References that did not say their type fill what their targets turn out to be;
        then the patient must be there."""
        for ref in record.untyped:
            target = self._lookup(reference_keys(ref, base=self.base)) or ""
            kind, _, pk = target.partition(":")
            if kind == "location":
                name, typed = "location", "Location"
            elif kind == "person" and self.person_kinds.get(self._survivor(int(pk))) == "patient":
                name, typed = "patient", "Patient"
            elif kind == "person":
                name, typed = record.person, "Practitioner"
            else:
                continue
            if name == "patient" and record.patient is None:
                record.patient = replace(ref, type=typed)
            elif name and name != "patient" and name not in record.refs:
                record.refs[name] = replace(ref, type=typed)
        if record.patient is None:
            self.reject(
                item,
                item.resource_type,
                "no reference reaches a patient (already imported or in this file)",
            )

    @staticmethod
    def _kind_of(item: PreparedResource) -> str:
        """The kind of row an item's record becomes ("touchpoint", "appointment"...)."""
        spec = fhir_type(item.resource_type)
        if isinstance(item.record, RowRecord) and spec is not None and spec.writer is not None:
            return spec.writer.kind
        return _KINDS[type(item.record)]

    def _write_own_rows(self, items: list[PreparedResource], patient_of: dict[int, int]) -> None:
        """Rows an app writes itself, type by type: every reference resolved first (a
        reference to nothing rejects the unit), then the batch to the app's writer, which may
        refuse a row (a conflict in the schedule): the unit is then rejected, naming it."""
        stamp = ImportStamp(
            organization_id=self.organization.pk,
            acting_user=self.context.acting_user,
            origin_system=self.context.source_system,
            import_run=self.context.run.public_id,
            now=self.now,
        )
        for resource_type in sorted({i.resource_type for i in items}):
            spec = fhir_type(resource_type)
            writer = spec.writer if spec is not None else None
            assert writer is not None, resource_type
            kind = writer.kind
            batch = [i for i in items if i.resource_type == resource_type]
            rows = []
            for item in batch:
                record = item.record
                assert isinstance(record, RowRecord)
                ids = {name: self.resolve(ref) for name, ref in record.refs.items()}
                existing = item.existing or ""
                rows.append(
                    RowToWrite(
                        record=record,
                        patient_id=patient_of[id(item)],
                        ids={name: pk for name, pk in ids.items() if pk is not None},
                        existing=int(existing.partition(":")[2])
                        if existing.startswith(f"{kind}:")
                        else None,
                        public_id=self.taking_over.get(id(item)),
                        origin_id=item.origin_id,
                    )
                )
            try:
                pks = writer.write(rows, stamp)
            except RowRefused as refusal:
                self.reject(batch[refusal.index], refusal.path, refusal.message)
            for item, row, pk in zip(batch, rows, pks, strict=True):
                if isinstance(pk, RowSkipped):
                    item.outcome = "skipped"
                    self.notes.append(
                        Problem(self.unit.file, pk.message, entry=item.entry.index, path=pk.path)
                    )
                    continue
                item.target = f"{kind}:{pk}"
                item.outcome = "updated" if row.existing == pk else "imported"

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

    def _write_rows(self, items: list[PreparedResource], model: Any, kind: str, build: Any) -> None:
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
            if self.taking_over.get(id(item)) is not None:
                row.public_id = self.taking_over[id(item)]  # the same FHIR id as before
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

    def _touchpoint_row(self, item: PreparedResource, row: Touchpoint | None) -> Touchpoint:
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
        # Not imported yet: the visit waits for them (see unit_waiting).
        row.staff_id = self.resolve(record.staff, waiting=(item, "staff"))
        row.location_id = self.resolve(record.location, waiting=(item, "location"))
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

    def _history_row(self, item: PreparedResource, row: HistoryItem | None) -> HistoryItem:
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

    def _stored_row(self, item: PreparedResource, row: StoredResource | None) -> StoredResource:
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

    def _load_public_ids(self, items: list[PreparedResource]) -> None:
        targets = {
            self._lookup(reference_keys(ref, base=self.base))
            for item in items
            for ref in body_refs(getattr(item.record, "body", None))
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
