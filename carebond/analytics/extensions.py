"""What the analytics app adds to core's registry: its scans (the hourly rollup); and for
relationship health, its page in the navigation, the top of the at-risk list on the home page
of the roles that do outreach, a person-page panel with the patient's health, and the person
links a merge moves (overrides and outreach records)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from carebond.analytics.access import HEALTH_READERS
from carebond.analytics.actions import scan_rollups
from carebond.analytics.health_models import AtRiskAction, HealthOverride
from carebond.analytics.health_selectors import at_risk_panel, person_health_summary
from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonPage,
    PersonPanel,
    PersonRelation,
    ScanEntry,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_person_relation,
    register_scan,
)


def _person_health_panel(page: PersonPage) -> Mapping[str, Any] | None:
    found = person_health_summary(user=page.user, person=page.person)
    return None if found is None else {"found": found}


def register() -> None:
    register_scan(ScanEntry("analytics.rollups", scan_rollups, timedelta(hours=1)))
    register_navigation(
        NavEntry("Relationship health", "analytics_health:worklist", HEALTH_READERS, order=47)
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
    register_person_relation(PersonRelation(HealthOverride, "person"))
    register_person_relation(PersonRelation(AtRiskAction, "person"))
