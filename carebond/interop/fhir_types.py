"""The FHIR types registered in core's registry, with their type modules loaded: the only way
the import, the facade and the export learn which types exist and what each one does.

Loaded once per state of the registry, so a type registered for a while (a test's) appears and
disappears with its registration.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from types import MappingProxyType

from django.core.exceptions import ImproperlyConfigured

from carebond.core.fhir.type_module import FhirTypeModule, RowWriter
from carebond.core.registry import FhirResourceType, fhir_resource_types
from carebond.interop.resources.kept_whole import keeping_imports


def fhir_types() -> Mapping[str, FhirTypeModule]:
    """Every registered type by name, in the order registered."""
    return _load(fhir_resource_types())


@functools.lru_cache(maxsize=8)
def _load(entries: tuple[FhirResourceType, ...]) -> Mapping[str, FhirTypeModule]:
    loaded: dict[str, FhirTypeModule] = {}
    for entry in entries:
        module = importlib.import_module(entry.module)
        found = [
            spec
            for spec in getattr(module, "FHIR_TYPES", ())
            if isinstance(spec, FhirTypeModule) and spec.resource_type == entry.resource_type
        ]
        if len(found) != 1:
            raise ImproperlyConfigured(
                f"{entry.module} must define the FHIR type {entry.resource_type} once in "
                "FHIR_TYPES."
            )
        spec = found[0]
        loaded[entry.resource_type] = keeping_imports(spec) if spec.keeps_imported else spec
    return MappingProxyType(loaded)


def fhir_type(resource_type: str) -> FhirTypeModule | None:
    return fhir_types().get(resource_type)


def imported_types() -> dict[str, FhirTypeModule]:
    """The types the import reads; any other is counted as skipped."""
    return {name: spec for name, spec in fhir_types().items() if spec.read is not None}


def served_types() -> list[FhirTypeModule]:
    """The types /fhir/R4 reads and searches, in the order registered."""
    return [spec for spec in fhir_types().values() if spec.served]


def ranked_export_types() -> list[str]:
    """The types every export holds, in the order an importer needs them."""
    ranked = [spec for spec in fhir_types().values() if spec.export_rank is not None]
    return [spec.resource_type for spec in sorted(ranked, key=lambda s: s.export_rank or 0)]


def kept_whole_types() -> list[FhirTypeModule]:
    """The types kept as imported: exported when the organisation has some."""
    return [spec for spec in fhir_types().values() if spec.kept_whole and spec.sources]


def row_writers() -> dict[str, RowWriter]:
    """The writers of the types whose apps write their own rows, by the kind of row they write
    ("appointment")."""
    return {spec.writer.kind: spec.writer for spec in fhir_types().values() if spec.writer}
