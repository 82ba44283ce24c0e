"""What the analytics app adds to core's registry: the Key figures page and home panel (the
managers' and the analyst's), the Early warning page and its home panel, and its scans (the
hourly rollup, the daily early-warning charts, and the monthly report's emails, checked hourly
so each goes at 08:00 in its recipient's time zone); and for relationship health, its page in
the navigation, the top of the at-risk list on the home page of the roles that do outreach, a
person-page panel with the patient's health, the nightly scoring of every patient (checked
hourly, so each organisation is scored soon after its own midnight), and the person links a
merge moves (overrides and outreach records)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from carebond.analytics.access import (
    ALERT_ACKNOWLEDGERS,
    HEALTH_AGGREGATE_READERS,
    HEALTH_READERS,
    KPI_READERS,
)
from carebond.analytics.actions import scan_rollups
from carebond.analytics.health_actions import scan_health_scores
from carebond.analytics.health_models import AtRiskAction, AtRiskEntry, HealthOverride
from carebond.analytics.health_selectors import at_risk_panel, person_health_summary
from carebond.analytics.panels import key_figures_panel
from carebond.analytics.report_actions import scan_report_emails
from carebond.analytics.warning_actions import scan_early_warning
from carebond.analytics.warning_panels import early_warning_panel
from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonLinkExemption,
    PersonPage,
    PersonPanel,
    PersonRelation,
    ScanEntry,
    exempt_person_link,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_scan,
)


def register() -> None:
    register_navigation(NavEntry("Key figures", "analytics:overview", KPI_READERS, order=45))
    register_home_panel(
        HomePanel(
            key="analytics.key_figures",
            title="Key figures",
            template="analytics/panels/key_figures.html",
            policy=KPI_READERS,
            context=key_figures_panel,
            order=3,
        )
    )
    register_scan(ScanEntry("analytics.rollups", scan_rollups, timedelta(hours=1)))
    _register_early_warning()
    _register_relationship_health()


def _register_early_warning() -> None:
    register_scan(ScanEntry("analytics.early_warning", scan_early_warning, timedelta(days=1)))
    register_navigation(NavEntry("Early warning", "analytics:early_warning", KPI_READERS, order=46))
    register_home_panel(
        HomePanel(
            key="analytics.early_warning",
            title="Early warning",
            template="analytics/panels/early_warning.html",
            policy=ALERT_ACKNOWLEDGERS,
            context=early_warning_panel,
            order=30,
        )
    )
    register_scan(ScanEntry("analytics.report_emails", scan_report_emails, timedelta(hours=1)))


def _person_health_panel(page: PersonPage) -> Mapping[str, Any] | None:
    found = person_health_summary(user=page.user, person=page.person)
    return None if found is None else {"found": found}


def _register_relationship_health() -> None:
    register_navigation(
        NavEntry("Relationship health", "analytics_health:worklist", HEALTH_READERS, order=47)
    )
    # The analyst's way in: the aggregates (departments, time to lapse), never the worklist.
    register_navigation(
        NavEntry(
            "Department health",
            "analytics_health:departments",
            HEALTH_AGGREGATE_READERS,
            order=48,
        )
    )
    register_home_panel(
        HomePanel(
            key="analytics.at_risk",
            title="Patients at risk",
            template="analytics/panels/at_risk.html",
            policy=HEALTH_READERS,
            context=at_risk_panel,
            order=34,
        )
    )
    register_person_panel(
        PersonPanel(
            key="analytics.health",
            title="Relationship health",
            template="analytics/panels/person_health.html",
            policy=HEALTH_READERS,
            context=_person_health_panel,
            order=46,
        )
    )
    register_scan(ScanEntry("analytics.health_scores", scan_health_scores, timedelta(hours=1)))
    register_person_relation(PersonRelation(HealthOverride, "person"))
    exempt_person_link(
        PersonLinkExemption(
            AtRiskEntry,
            "person",
            "a computed score of the merged record, dropped at the next scoring",
        )
    )
    register_person_relation(PersonRelation(AtRiskAction, "person"))
