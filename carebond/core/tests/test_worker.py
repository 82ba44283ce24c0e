"""`carebond worker` outlives a database that goes away: PostgreSQL restarted after a crash, a
failover, no connection to be had. The worker waits and connects again (as the web processes
do), instead of exiting and leaving queued messages and tasks to whoever restarts it."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError

from carebond.core.management.commands import worker


@pytest.fixture
def signal_handlers() -> Iterator[None]:
    """The command installs its own SIGTERM/SIGINT handlers: give the test process its own back."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.django_db
def test_the_worker_waits_for_the_database_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, signal_handlers: None
) -> None:
    # given a database that fails two turns (the server restarting), then answers
    turns: list[str] = []
    waits: list[float] = []

    def scans(found: Any) -> int:
        turns.append("turn")
        if len(turns) <= 2:
            raise OperationalError("terminating connection due to unexpected postmaster exit")
        os.kill(os.getpid(), signal.SIGTERM)  # then systemd stops it
        return 0

    monkeypatch.setattr(worker, "run_due_scans", scans)
    monkeypatch.setattr(worker.Command, "_sleep", lambda self, seconds: waits.append(seconds))
    # when the worker runs
    with caplog.at_level(logging.INFO, logger="carebond.worker"):
        call_command("worker", "--poll", "0.5")
    # then it waited 1 s, then 2 s, tried again, and went on until it was stopped
    assert turns == ["turn", "turn", "turn"]
    assert waits[:2] == [1.0, 2.0]
    said = [record.getMessage() for record in caplog.records]
    assert any("the database failed (OperationalError); trying again in 1 s" in s for s in said)
    assert any("the database answers again" in s for s in said)
    # and the log names no more than the error's kind (its text can carry a query's values)
    assert not any("postmaster" in s for s in said)


@pytest.mark.django_db
def test_a_one_off_run_fails_when_the_database_does(
    monkeypatch: pytest.MonkeyPatch, signal_handlers: None
) -> None:
    # given a database that is down
    def scans(found: Any) -> int:
        raise OperationalError("connection refused")

    monkeypatch.setattr(worker, "run_due_scans", scans)
    # when a one-off run (cron, a deploy script) runs, then it says so
    with pytest.raises(OperationalError):
        call_command("worker", "--once")
