"""What the audit app adds to core's registry: the audit trail page, its home panel, the
chain scan, its own table of history, and the scans that keep every table of history
(partitions ahead, retention)."""

from __future__ import annotations

from datetime import timedelta

from carebond.audit.access import AUDIT_READERS
from carebond.audit.history_actions import scan_history_partitions, scan_retention
from carebond.audit.models import AuditEvent
from carebond.audit.panels import access_log_panel, audit_day_panel
from carebond.audit.scans import scan_audit_chain
from carebond.core.registry import (
    HistoryTable,
    HomePanel,
    NavEntry,
    PersonPanel,
    ScanEntry,
    register_history_table,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_scan,
)


def register() -> None:
    register_navigation(NavEntry("Audit trail", "audit:events", AUDIT_READERS, order=90))
    register_home_panel(
        HomePanel(
            key="audit.day",
            title="Audit trail",
            template="audit/panels/day.html",
            policy=AUDIT_READERS,
            context=audit_day_panel,
            order=20,
        )
    )
    register_person_panel(
        PersonPanel(
            key="audit.access_log",
            title="Access log",
            template="audit/panels/access_log.html",
            policy=AUDIT_READERS,
            context=access_log_panel,
            order=90,
        )
    )
    register_scan(ScanEntry("scan_audit_chain", scan_audit_chain, timedelta(days=1)))
    register_history_table(
        HistoryTable(AuditEvent, "occurred_at", retention="audit", move_parked=False)
    )
    register_scan(ScanEntry("history_partitions", scan_history_partitions, timedelta(hours=6)))
    register_scan(ScanEntry("retention", scan_retention, timedelta(days=1)))
