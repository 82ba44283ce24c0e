"""Writing one import unit (a Bundle, or a slice of an NDJSON file) in one transaction.

The unit is read, checked and mapped before anything is written; then, in dependency order
(organisations, locations, practitioners, roles, patients, related persons, then what points at
patients), rows are written in bulk. A bad entry rejects the unit whole: nothing of it stays.

Idempotency: every mapped resource leaves a SourceRecord (source system + "Type/id" -> the row it
became + a content hash). Importing the same content again finds the record and writes nothing;
changed content updates the same row. A resource not seen before may still be someone CareBond
knows: a person is matched by identifier only when the given and family names (and the birth
date, for patients) agree as well, because identifiers such as NPIs repeat across sources.

The unit's writer is assembled from unit_references (state, reference resolution),
unit_people (persons, locations, roles) and unit_patient_data (visits, history, kept
resources); this module runs the phases and writes the bookkeeping and the audit.

Audit: person.imported / person.import_updated per person, and interop.patient_data_imported per
patient whose visits, messages, history or kept resources changed, all in the unit's
transaction (record_audit_many).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction

from carebond.audit.recording import record_audit_many
from carebond.core import clock
from carebond.core.bulk import insert_rows
from carebond.core.models import Location
from carebond.interop.fhir_types import row_writers
from carebond.interop.importing.actions import ImportContext, add_counts
from carebond.interop.importing.copies import choose_version
from carebond.interop.importing.reading import Unit
from carebond.interop.importing.unit_patient_data import PatientDataWriting
from carebond.interop.importing.unit_people import PeopleWriting
from carebond.interop.importing.unit_waiting import WaitingReferences
from carebond.interop.importing.units import (
    PreparedResource,
    Problem,
    UnitRejected,
    entry_type,
    prepare_unit,
)
from carebond.interop.models import (
    ImportRun,
    SourceKey,
    SourceRecord,
    StoredResource,
)
from carebond.interop.resources.records import LocationRecord, PersonRecord, RoleRecord
from carebond.people.models import (
    HistoryItem,
    Person,
)
from carebond.people.search import index_new_people, reindex_people
from carebond.touchpoints.models import Touchpoint


class _UnitWriter(PeopleWriting, PatientDataWriting, WaitingReferences):
    def run(self) -> None:
        known = SourceRecord.objects.filter(
            organization=self.organization,
            origin_system=self.context.source_system,
            origin_id__in=[i.origin_id for i in self.items],
        ).values_list(
            "origin_id", "target", "content_hash", "source_updated", "import_run", "superseded"
        )
        previous = {origin: rest for origin, *rest in known}
        for item in self.items:
            if item.origin_id in previous:
                item.recorded = True
                item.existing, item.stored_hash, when, run, superseded = previous[item.origin_id]
                if item.stored_hash != item.content_hash:
                    self._choose(item, when, run, superseded)
        self._check_targets()
        # In phases by the types' import rank: what others point at is written first.
        for rank in sorted({i.import_rank for i in self.items}):
            batch = [i for i in self.items if i.import_rank == rank]
            unchanged = [i for i in batch if i.existing and i.stored_hash == i.content_hash]
            for item in unchanged:
                item.target, item.outcome = item.existing, "unchanged"
                self._register(item)
            todo = [i for i in batch if i.outcome != "unchanged"]
            if not todo:
                continue
            self.prefetch(self._refs(todo))
            self._write(todo)
        self.write_bookkeeping()

    def _choose(self, item: PreparedResource, when: Any, run: Any, superseded: Any) -> None:
        """Another copy of a resource already imported: keep it or take this one (copies)."""
        choice = choose_version(
            content_hash=item.content_hash,
            updated=item.source_updated,
            stored_hash=item.stored_hash,
            stored_updated=when,
            stored_run=run,
            superseded=superseded,
            run=self.context.run.public_id,
        )
        if choice.keep_stored:
            item.stored_hash = item.content_hash  # written as unchanged
        item.superseded = choice.superseded
        if choice.note:
            self.notes.append(
                Problem(
                    self.unit.file, choice.note, entry=item.entry.index, path=item.resource_type
                )
            )

    def _write(self, items: list[PreparedResource]) -> None:
        """Each kind of record by its writer; the rest point at patients."""
        people = [i for i in items if isinstance(i.record, PersonRecord)]
        locations = [i for i in items if isinstance(i.record, LocationRecord)]
        roles = [i for i in items if isinstance(i.record, RoleRecord)]
        rest = [
            i for i in items if not isinstance(i.record, (PersonRecord, LocationRecord, RoleRecord))
        ]
        if people:
            self.write_people(people)
        if locations:
            self.write_locations(locations)
        if roles:
            self.write_roles(roles)
        if rest:
            self.write_patient_data(rest)

    def _check_targets(self) -> None:
        """What the source records point at may have changed since: a row deleted by hand is
        imported again, and a person merged away is the surviving record now."""
        tables: dict[str, Any] = {
            "person": Person,
            "location": Location,
            "touchpoint": Touchpoint,
            "history": HistoryItem,
            "stored": StoredResource,
            **{kind: writer.model for kind, writer in row_writers().items()},
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

    def _write_keys(self, done: list[PreparedResource]) -> None:
        """Identifiers of what was imported or updated, for later conditional references."""
        org, system = self.organization, self.context.source_system
        wanted = {
            (key[:400], item.target or "")
            for item in done
            for key in item.identifier_keys
            if item.target
        }
        replaced = {i.replaced for i in done if i.replaced}
        if replaced:  # keys of a row that is gone (the resource became another kind of row)
            SourceKey.objects.filter(
                organization=org, origin_system=system, target__in=replaced
            ).delete()
        updated_targets = {
            i.target for i in done if (i.outcome == "updated" or i.record_only) and i.target
        }
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
        rewritten = [*done, *(i for i in self.items if i.record_only)]
        changed_records = SourceRecord.objects.filter(
            organization=org,
            origin_system=system,
            origin_id__in=[i.origin_id for i in rewritten if i.recorded],
        )
        by_origin = {r.origin_id: r for r in changed_records}
        fresh: list[tuple[Any, ...]] = []
        refreshed = []
        when_field = SourceRecord._meta.get_field("source_updated")
        for item in rewritten:
            record = by_origin.get(item.origin_id)
            if record is None:
                when = when_field.get_db_prep_save(item.source_updated, connection)
                target = item.target or ""
                fresh.append((org.pk, system, item.origin_id, item.content_hash, target, when))
            else:
                record.content_hash, record.target = item.content_hash, item.target or ""
                record.import_run, record.imported_at = self.context.run.public_id, self.now
                record.source_updated = item.source_updated
                if item.superseded is not None:
                    record.superseded = item.superseded
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
            ["content_hash", "target", "import_run", "imported_at", "source_updated", "superseded"],
            batch_size=500,
        )
        self._write_keys(rewritten)
        self.write_business_identifiers(done)
        self.fill_waiting(done)
        self.record_waiting(done)
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
        if self.filled:
            filled = Person.objects.in_bulk(list(self.filled))
            record_audit_many(
                actor=actor,
                action="interop.references_filled",
                organization=org,
                targets=[(filled[pk], filled[pk], sorted(f)) for pk, f in self.filled.items()],
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


def do_import_unit(
    context: ImportContext, unit: Unit, *, last_of_file: bool = True
) -> Counter[tuple[str, str]]:
    """Import one unit atomically. Returns counts by (type, outcome); raises UnitRejected.
    The file's last unit also counts the file done (one commit less per file)."""
    items, skipped, notes = prepare_unit(unit, region=context.organization.country)
    all_types: Counter[str] = Counter(i.resource_type for i in items) + skipped
    try:
        with transaction.atomic():
            writer = _UnitWriter(context, unit, items)
            writer.run()
            notes += writer.notes
            counts = writer.counts + Counter({(t, "skipped"): n for t, n in skipped.items()})
            run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
            run.resources_read += len(unit.entries)
            run.bundles_committed += 1
            run.heartbeat_at = clock.now()
            run.files_done += 1 if last_of_file else 0
            add_counts(run, counts)
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
    for note in notes:
        context.add_note(note)
    results = {i.entry.index: (i.resource_type, i.outcome, i.target or "") for i in items}
    context.last_unit = [
        (e.index, *results.get(e.index, (entry_type(e), "skipped", ""))) for e in unit.entries
    ]
    # Only what other files point at (people, locations) is remembered for the rest of the run,
    # so memory stays bounded however many patient bundles follow.
    for table in (writer.local, writer.db):
        context.known.update(
            (k, v) for k, v in table.items() if v and v.startswith(("person:", "location:"))
        )
    return counts
