"""What the FHIR app adds to core's registry: the FHIR types its own type modules map, the
import page, its home panel, the right-of-access panel on a patient's page, its scans, and the
person link a merge moves (resources kept whole follow the patient's surviving record)."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from carebond.audit.access import PATIENT_RIGHTS_HANDLERS
from carebond.core.registry import (
    FhirResourceType,
    HomePanel,
    NavEntry,
    PersonPanel,
    PersonRelation,
    ScanEntry,
    register_fhir_resource_type,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_scan,
)
from carebond.interop.access import FHIR_IMPORTERS
from carebond.interop.models import StoredResource
from carebond.interop.panels import recent_imports_panel, right_of_access_panel
from carebond.interop.scans import scan_bulk_exports, scan_interrupted_imports

# Interop's type modules (carebond/interop/resources/), in the order the CapabilityStatement
# lists the types they serve.
_TYPE_MODULES = (
    "patient",
    "practitioner",
    "organization",
    "related_person",
    "location",
    "encounter",
    "communication",
    "kept_whole",
    "consent",
    "audit_event",
    "history",
    "practitioner_role",
)


def _register_fhir_types() -> None:
    """Every FHIR type interop's own type modules define."""
    for name in _TYPE_MODULES:
        module = import_module(f"carebond.interop.resources.{name}")
        for spec in module.FHIR_TYPES:
            register_fhir_resource_type(
                FhirResourceType(spec.resource_type, module.__name__, "interop")
            )


def register() -> None:
    _register_fhir_types()
    register_navigation(NavEntry("FHIR import", "imports:fhir", FHIR_IMPORTERS, order=50))
    register_home_panel(
        HomePanel(
            key="interop.imports",
            title="FHIR imports",
            template="interop/panels/imports.html",
            policy=FHIR_IMPORTERS,
            context=recent_imports_panel,
            order=30,
        )
    )
    register_person_panel(
        PersonPanel(
            key="interop.right_of_access",
            title="Right of access",
            template="interop/panels/right_of_access.html",
            policy=PATIENT_RIGHTS_HANDLERS,
            context=right_of_access_panel,
            order=95,
        )
    )
    register_person_relation(PersonRelation(StoredResource, "person"))
    register_scan(
        ScanEntry("scan_interrupted_imports", scan_interrupted_imports, timedelta(minutes=15))
    )
    register_scan(ScanEntry("scan_bulk_exports", scan_bulk_exports, timedelta(hours=1)))
