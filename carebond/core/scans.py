"""Periodic scans: plain functions the worker runs on a schedule and tests call directly.

Several workers may share one database: a scan with an interval runs in one of them per
interval (the one that takes its turn in ``ScanLease``), so an hourly rollup is rolled once an
hour, not once per worker, and two workers never roll the same days at once. A scan run every
turn (``every`` zero, message dispatch) claims its own rows and runs in every worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from carebond.core import clock, registry
from carebond.core.claims import claim
from carebond.core.models import ScanLease

logger = logging.getLogger("carebond.scans")


@dataclass
class Scan:
    name: str
    function: Callable[[], int]
    every: timedelta
    last_run: datetime | None = None

    def due(self, now: datetime) -> bool:
        return self.last_run is None or now - self.last_run >= self.every

    def run(self, now: datetime) -> int:
        """Run once; a failing scan is logged (ids only) and retried at its next turn."""
        self.last_run = now
        try:
            handled = self.function()
        except Exception:
            logger.exception("Scan %s failed", self.name)
            return 0
        if handled:
            logger.info("Scan %s handled %d items", self.name, handled)
        return handled


def registered_scans() -> list[Scan]:
    """Every scan an app registered in core's registry, each with its own schedule."""
    return [
        Scan(name=entry.name, function=entry.function, every=entry.every)
        for entry in registry.scans()
    ]


def run_due_scans(scans: list[Scan]) -> int:
    now = clock.now()
    return sum(scan.run(now) for scan in scans if scan.due(now) and take_turn(scan, now))


def take_turn(scan: Scan, now: datetime) -> bool:
    """True when this worker runs the scan now; False when another took this interval (this
    worker then looks again after one interval). A worker that dies mid-scan holds the turn
    until the interval ends."""
    if not scan.every:
        return True
    ScanLease.objects.bulk_create([ScanLease(name=scan.name, due_at=now)], ignore_conflicts=True)
    lease = ScanLease.objects.only("pk").get(name=scan.name)
    if claim(ScanLease, lease.pk, where={"due_at__lte": now}, change={"due_at": now + scan.every}):
        return True
    scan.last_run = now
    return False
