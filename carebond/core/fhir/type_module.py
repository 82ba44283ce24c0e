"""The contract of a FHIR type module: everything CareBond does with one FHIR resource type.

A type module is a Python module of the app that owns the type. It defines ``FHIR_TYPES``, a
tuple with one ``FhirTypeModule`` per type it holds (closely related types may share a module),
and the app registers the module for each of them in core's registry from its
``AppConfig.ready()`` (``registry.register_fhir_resource_type``). The FHIR import, the /fhir/R4
facade with its CapabilityStatement, and the bulk export find types only there, so adding a type
is one module and its registration and touches none of them. A type nobody registers is
skipped by the import and unknown to the facade and the export.

Each part, and who uses it:

- ``read`` (import): the resource as parsed JSON -> the record the import writes (a person, a
  place, a visit, a history item, a resource kept whole: interop's import records; or a
  ``RowRecord`` for a type whose app writes its own rows), raising ``parsing.MappingError``
  with the FHIR path of a bad value (``parsing.NotImported``: skipped, with a note). None: the
  import skips the type.
- ``writer`` (import): for a type read into ``RowRecord``s, the app's own writer: the import
  resolves the record's references, finds the row it was before (source record or business
  identifier) and hands the batch over; the writer writes the rows and their audit events in
  the unit's transaction, leaves one out (``RowSkipped``: counted as skipped, with a note) or
  refuses one (``RowRefused``: the unit is rejected, naming it).
- ``import_rank`` (import): lower first, within a unit and across files, so that what others
  point at (organisations, places, practitioners, patients) is written before what points at it.
- ``native_rows`` (import): "person" or "location" when a reference ``Type/<CareBond id>`` (and
  for people ``Type?identifier=...``) may name a row CareBond holds of its own.
- ``sources`` (facade and export): the rows served as the type, read in turn (Consent: those
  kept as imported, then CareBond's own), each with its ``to_fhir``, its search parameters and
  the patient a row is about (named in the audit trail); ``to_fhir_many`` when a batch of rows
  needs more than the rows (one query per batch).
- ``computed`` (facade): resources worked out when asked for, never stored (Slots: open
  times), instead of ``sources``; not exported.
- ``in_facade``, ``policy``, ``documentation`` (facade): whether /fhir/R4 reads and searches the
  type, which roles may, and what the CapabilityStatement says of it.
- ``export_rank`` / ``kept_whole`` (export): exported in this order, before the rest; or, for a
  type kept whole, exported (by name) when the organisation has some. Neither: not exported.
- ``keeps_imported`` (import, facade, export): for a type an app owns without mapping what the
  import brings of it (surveys' Questionnaire and QuestionnaireResponse: an EHR's forms and
  answers are not the organisation's surveys), the import keeps those resources whole as it
  keeps types no app owns, and the facade and the export serve them after the app's own rows.
- a source's ``policy`` (facade): the roles among the type's that may read that source; for
  the others it has no rows (read: 404, search: no matches). Survey answers are for managers,
  while the clinical roles read the health questionnaires' answers an EHR sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource
from carebond.core.fhir.parsing import Ref
from carebond.core.fhir.search import SearchParam
from carebond.core.permissions import PHI_READERS, AccessPolicy

# The import rank of what points at patients (visits, messages, history, kept resources).
LATE_RANK = 6


def nobody(row: Any) -> Any:
    """A row about no patient in particular (a practitioner, a place, an audit event)."""
    return None


@dataclass(frozen=True)
class FhirRows:
    """One set of rows served as a type: every row of one organisation (prefetched so that
    ``to_fhir`` never queries), and how each becomes a resource."""

    rows: Callable[[int], QuerySet[Any]]
    to_fhir: Callable[[Any], FhirResource]
    params: tuple[SearchParam, ...] = ()
    patient_of: Callable[[Any], Any] = nobody
    # For rows whose resource needs more than the row holds (a timeline message gains what the
    # app that sent it knows): a batch of rows -> their resources, in order, with one query per
    # batch rather than one per row. Without it, ``to_fhir`` row by row.
    to_fhir_many: Callable[[list[Any]], list[FhirResource]] | None = None
    # The roles (among the type's) that may read these rows; None: every role of the type.
    policy: AccessPolicy | None = None

    def readable_by(self, role: str | None) -> bool:
        return self.policy is None or self.policy.allows(role)

    def resources(self, rows: Iterable[Any]) -> list[FhirResource]:
        """The resources of a batch of rows, in the rows' order (the facade's page, an export's
        chunk)."""
        batch = list(rows)
        if self.to_fhir_many is not None:
            return self.to_fhir_many(batch)
        return [self.to_fhir(row) for row in batch]

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass
class RowRecord:
    """What a type whose app writes its own rows makes of a resource (scheduling's
    Appointment). The import resolves ``patient`` (which must be a patient) and every reference
    in ``refs`` (by name: a person or a place, as the reference's type says); all are required.
    ``values`` are the app's, read from the resource; ``identifiers`` (system, value) make the
    same one for the same patient the same row, whatever the connection.

    References that do not say their type (``urn:uuid:...``) are ``untyped``: once resolved,
    each fills what it turns out to be, if still missing: the patient, ``location`` for a
    place, ``person`` (the name of ``refs`` a person who is not a patient fills) otherwise."""

    patient: Ref | None
    refs: dict[str, Ref]
    values: dict[str, Any]
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    untyped: list[Ref] = field(default_factory=list)
    person: str = ""


@dataclass
class RowToWrite:
    """One record handed to the app's writer, its references resolved to row ids."""

    record: RowRecord
    patient_id: int
    # The name of each of ``record.refs`` that reached a row -> the person or location id
    # (one that reached nothing, or the wrong kind of row, is left out: the writer decides).
    ids: dict[str, int]
    existing: int | None  # the row this resource became before (None: a new row)
    public_id: uuid.UUID | None  # keep this id: the resource was kept whole before
    origin_id: str  # "Appointment/123" in the source system


@dataclass(frozen=True)
class ImportStamp:
    """Who imports, from where and when: what the writer stamps and audits rows with."""

    organization_id: int
    acting_user: Any
    origin_system: str
    import_run: uuid.UUID
    now: datetime


class RowRefused(Exception):
    """The writer cannot write one of the rows (a conflict, a reference to the wrong kind of
    row): the whole unit is rejected, naming the entry, the FHIR path and the reason."""

    def __init__(self, index: int, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.index, self.path, self.message = index, path, message


@dataclass(frozen=True)
class RowSkipped:
    """A row the writer leaves out, and why (an appointment at another practice): the import
    counts the resource as skipped and notes the reason, and the rest of the unit goes in."""

    path: str
    message: str


@dataclass(frozen=True)
class RowWriter:
    """How an app writes the rows of a type it owns. ``kind`` names its rows in the import's
    bookkeeping ("appointment:12"); ``model`` and ``person_field`` let the import find rows
    deleted since and the patient a row belongs to. ``write`` returns, in order, each row's id
    (or ``RowSkipped``)."""

    kind: str
    model: Any
    person_field: str
    write: Callable[[list[RowToWrite], ImportStamp], list[int | RowSkipped]]


# (name, modifier, values) of each search parameter given, as the facade checked them.
SearchFilters = list[tuple[str, str, list[str]]]


@dataclass(frozen=True)
class ComputedResources:
    """Resources worked out when asked for, never stored (Slots: open times). ``find`` gets the
    organisation and the checked filters and returns every match, in order (the facade pages
    them); ``params`` are the parameters it understands (their ``build`` is not used)."""

    find: Callable[[int, SearchFilters], list[FhirResource]]
    params: tuple[SearchParam, ...]


@dataclass(frozen=True)
class FhirTypeModule:
    """What one type module provides for one FHIR resource type (see the module docstring)."""

    resource_type: str
    read: Callable[[dict[str, Any]], Any] | None = None
    import_rank: int = LATE_RANK
    native_rows: str = ""
    sources: tuple[FhirRows, ...] = ()
    in_facade: bool = True
    policy: AccessPolicy = PHI_READERS
    documentation: str = ""
    export_rank: int | None = None
    kept_whole: bool = False
    writer: RowWriter | None = None
    computed: ComputedResources | None = None
    keeps_imported: bool = False

    @property
    def params(self) -> tuple[SearchParam, ...]:
        """The type's search parameters (every source takes the same ones)."""
        if self.computed is not None:
            return self.computed.params
        return self.sources[0].params if self.sources else ()

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def served(self) -> bool:
        """Read and searched at /fhir/R4."""
        return self.in_facade and (bool(self.sources) or self.computed is not None)
