"""What the analytics app adds to core's registry: the Key figures page and home panel (the
managers' and the analyst's), and its scans (the hourly rollup; the monthly report's emails,
checked hourly so each goes at 08:00 in its recipient's time zone)."""

from __future__ import annotations

from datetime import timedelta

from carebond.analytics.access import KPI_READERS
from carebond.analytics.actions import scan_rollups
from carebond.analytics.panels import key_figures_panel
from carebond.analytics.report_actions import scan_report_emails
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
    register_scan(ScanEntry("analytics.report_emails", scan_report_emails, timedelta(hours=1)))
