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
  place, a visit, a history item, a resource kept whole: interop's import records), raising
  ``parsing.MappingError`` with the FHIR path of a bad value. None: the import skips the type.
- ``import_rank`` (import): lower first, within a unit and across files, so that what others
  point at (organisations, places, practitioners, patients) is written before what points at it.
- ``native_rows`` (import): "person" or "location" when a reference ``Type/<CareBond id>`` (and
  for people ``Type?identifier=...``) may name a row CareBond holds of its own.
- ``sources`` (facade and export): the rows served as the type, read in turn (Consent: those
  kept as imported, then CareBond's own), each with its ``to_fhir``, its search parameters and
  the patient a row is about (named in the audit trail); ``to_fhir_many`` when a batch of rows
  needs more than the rows (one query per batch).
- ``in_facade``, ``policy``, ``documentation`` (facade): whether /fhir/R4 reads and searches the
  type, which roles may, and what the CapabilityStatement says of it.
- ``export_rank`` / ``kept_whole`` (export): exported in this order, before the rest; or, for a
  type kept whole, exported (by name) when the organisation has some. Neither: not exported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource
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

    def resources(self, rows: Iterable[Any]) -> list[FhirResource]:
        """The resources of a batch of rows, in the rows' order (the facade's page, an export's
        chunk)."""
        batch = list(rows)
        if self.to_fhir_many is not None:
            return self.to_fhir_many(batch)
        return [self.to_fhir(row) for row in batch]

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)


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

    @property
    def params(self) -> tuple[SearchParam, ...]:
        """The type's search parameters (every source takes the same ones)."""
        return self.sources[0].params if self.sources else ()

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def served(self) -> bool:
        """Read and searched at /fhir/R4."""
        return self.in_facade and bool(self.sources)
