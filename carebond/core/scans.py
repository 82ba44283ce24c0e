"""Periodic scans: plain functions the worker runs on a schedule and tests call directly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from carebond.core import clock, registry

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
    return sum(scan.run(now) for scan in scans if scan.due(now))
