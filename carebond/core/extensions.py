"""What core itself adds to the registry: the page shell's own entries and its own scans."""

from __future__ import annotations

from carebond.core.kpis import KpiDimension
from carebond.core.permissions import ANY_STAFF, MANAGERS
from carebond.core.registry import (
    AuditNames,
    NavEntry,
    register_audit_names,
    register_kpi_dimension,
    register_navigation,
)
from carebond.core.selectors import department_names, location_names


def register() -> None:
    register_navigation(NavEntry("Home", "core:home", ANY_STAFF, order=0))
    register_navigation(NavEntry("Organisation", "core:organization", MANAGERS, order=40))
    register_navigation(NavEntry("API", "api-1.0.0:openapi-view", ANY_STAFF, order=100))
    register_audit_names(AuditNames("core.location", location_names))
    register_audit_names(AuditNames("core.department", department_names))
    register_kpi_dimension(KpiDimension("department", "Department", department_names, "core"))
