"""Periodic scans with several workers on one database: an interval's scan runs in one worker
per interval; a scan run every turn runs in each (it claims its own rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from carebond.core.scans import Scan, run_due_scans

pytestmark = pytest.mark.django_db

NOON = datetime.fromisoformat("2026-12-05T12:00:00+00:00")


def worker_scans(runs: list[str], worker: str) -> list[Scan]:
    """One worker's copy of two scans (each worker process keeps its own schedule)."""

    def hourly() -> int:
        runs.append(f"hourly by {worker}")
        return 1

    def every_turn() -> int:
        runs.append(f"every turn by {worker}")
        return 1

    return [
        Scan(name="test.hourly", function=hourly, every=timedelta(hours=1)),
        Scan(name="test.every_turn", function=every_turn, every=timedelta(0)),
    ]


def test_an_hourly_scan_runs_in_one_of_two_workers_each_hour() -> None:
    runs: list[str] = []
    first, second = worker_scans(runs, "first"), worker_scans(runs, "second")
    # given two workers looking at the same moment
    with time_machine.travel(NOON, tick=False):
        run_due_scans(first)
        run_due_scans(second)
    # then the hourly scan ran once, the every-turn scan in both
    assert runs == ["hourly by first", "every turn by first", "every turn by second"]
    # when half an hour passes: nobody's turn for the hourly scan
    runs.clear()
    with time_machine.travel(NOON + timedelta(minutes=30), tick=False):
        run_due_scans(first)
        run_due_scans(second)
    assert runs == ["every turn by first", "every turn by second"]
    # when the hour is over, the second worker looks first: its turn now, once
    runs.clear()
    with time_machine.travel(NOON + timedelta(hours=1, minutes=1), tick=False):
        run_due_scans(second)
        run_due_scans(first)
    assert runs == ["hourly by second", "every turn by second", "every turn by first"]
