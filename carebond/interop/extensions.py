"""What the FHIR app adds to core's registry: the import page, its scans, and the person link a
merge moves (resources kept whole follow the patient's surviving record)."""

from __future__ import annotations

from datetime import timedelta

from carebond.core.permissions import MANAGERS
from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonRelation,
    ScanEntry,
    register_home_panel,
    register_navigation,
    register_person_relation,
    register_scan,
)
from carebond.interop.models import StoredResource
from carebond.interop.panels import recent_imports_panel
from carebond.interop.scans import scan_bulk_exports, scan_interrupted_imports


def register() -> None:
    register_navigation(NavEntry("FHIR import", "imports:fhir", MANAGERS, order=50))
    register_home_panel(
        HomePanel(
            key="interop.imports",
            title="FHIR imports",
            template="interop/panels/imports.html",
            policy=MANAGERS,
            context=recent_imports_panel,
            order=30,
        )
    )
    register_person_relation(PersonRelation(StoredResource, "person"))
    register_scan(
        ScanEntry("scan_interrupted_imports", scan_interrupted_imports, timedelta(minutes=15))
    )
    register_scan(ScanEntry("scan_bulk_exports", scan_bulk_exports, timedelta(hours=1)))
