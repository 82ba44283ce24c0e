"""Who may read the KPIs and who may see the people behind them.

Figures are aggregates, so the analyst reads them too; the drill-down from a figure to the
people behind it is a read of PHI (audited) and never the analyst's."""

from __future__ import annotations

from carebond.core.permissions import AccessPolicy, Role

KPI_READERS = AccessPolicy("kpi_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST}))
KPI_DRILLERS = AccessPolicy("kpi_drillers", roles=frozenset({Role.ADMIN, Role.MANAGER}))
# Early-warning alerts: everyone who reads the KPIs sees them (no patient is named on a
# chart); the managers who answer for them, and administrators, acknowledge them.
ALERT_ACKNOWLEDGERS = AccessPolicy(
    "alert_acknowledgers", roles=frozenset({Role.ADMIN, Role.MANAGER})
)
# The monthly report by email is the managers' (a link to the report page, never its figures).
REPORT_SUBSCRIBERS = AccessPolicy("report_subscribers", roles=frozenset({Role.ADMIN, Role.MANAGER}))
