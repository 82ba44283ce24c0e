"""Who may read the KPIs and who may see the people behind them.

Figures are aggregates, so the analyst reads them too; the drill-down from a figure to the
people behind it is a read of PHI (audited) and never the analyst's."""

from __future__ import annotations

from carebond.core.permissions import AccessPolicy, Role

KPI_READERS = AccessPolicy("kpi_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST}))
KPI_DRILLERS = AccessPolicy("kpi_drillers", roles=frozenset({Role.ADMIN, Role.MANAGER}))

# Relationship health (health_selectors.py). A patient's score names the patient, so it is PHI,
# and it exists to tailor outreach: it is read by the roles that do outreach (the front desk
# makes the calls and sends the messages; managers and administrators run recall and service
# recovery). Not by clinicians (the score must never colour care or booking), not by liaisons
# (referral sources, not patients), and never by the analyst, who reads aggregates only.
HEALTH_READERS = AccessPolicy(
    "health_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.FRONT_DESK})
)
# Replacing a computed score is a judgement a manager answers for.
HEALTH_OVERRIDERS = AccessPolicy("health_overriders", roles=frozenset({Role.ADMIN, Role.MANAGER}))
# Department health (staff, aggregate only, small departments hidden) and time to lapse per
# segment are figures about groups: the analyst reads them too; the front desk has no use.
HEALTH_AGGREGATE_READERS = AccessPolicy(
    "health_aggregate_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
)
# Early-warning alerts: everyone who reads the KPIs sees them (no patient is named on a
# chart); the managers who answer for them, and administrators, acknowledge them.
ALERT_ACKNOWLEDGERS = AccessPolicy(
    "alert_acknowledgers", roles=frozenset({Role.ADMIN, Role.MANAGER})
)
# The monthly report by email is the managers' (a link to the report page, never its figures).
REPORT_SUBSCRIBERS = AccessPolicy("report_subscribers", roles=frozenset({Role.ADMIN, Role.MANAGER}))
