"""What the analytics app adds to core's registry: its scans (the hourly rollup)."""

from __future__ import annotations

from datetime import timedelta

from carebond.analytics.actions import scan_rollups
from carebond.core.registry import ScanEntry, register_scan


def register() -> None:
    register_scan(ScanEntry("analytics.rollups", scan_rollups, timedelta(hours=1)))
