"""What the analytics app adds to core's registry: the Key figures page and home panel (the
managers' and the analyst's), the Early warning page and its home panel, and its scans (the
hourly rollup, the daily early-warning charts, and the monthly report's emails, checked hourly
so each goes at 08:00 in its recipient's time zone)."""

from __future__ import annotations

from datetime import timedelta

from carebond.analytics.access import ALERT_ACKNOWLEDGERS, KPI_READERS
from carebond.analytics.actions import scan_rollups
from carebond.analytics.panels import key_figures_panel
from carebond.analytics.report_actions import scan_report_emails
from carebond.analytics.warning_actions import scan_early_warning
from carebond.analytics.warning_panels import early_warning_panel
from carebond.core.registry import (
    HomePanel,
    NavEntry,
    ScanEntry,
    register_home_panel,
    register_navigation,
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
