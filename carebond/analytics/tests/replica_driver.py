"""A CareBond process on a primary and its streaming replica, driven by test_replica.py one step
at a time: a JSON line in on stdin ({"step": ..., "args": {...}}), a JSON line out on stdout.
It runs apart from the suite because its database is the replica pair, not the suite's.

    CAREBOND_DATABASE_URL=... CAREBOND_REPLICA_URL=... \
        python -m carebond.analytics.tests.replica_driver
"""

# ruff: noqa: E402  (Django is set up before the app's modules are imported)
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.core.management import call_command
from django.db import DatabaseError, connections
from django.test import Client

from carebond.accounts.actions import do_create_location
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.tests.conftest import HandMadeFacts, visits, visits_kept
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.core.registry import registered
from carebond.testing.fixtures import make_organization, make_user, sign_in


@contextmanager
def rollup_reads() -> Iterator[Counter[str]]:
    """How many queries of the rollups each database alias ran inside the block."""
    counts: Counter[str] = Counter()

    def counting(alias: str) -> Callable[..., Any]:
        def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            if "analytics_dailyrollup" in sql and sql.lstrip().upper().startswith("SELECT"):
                counts[alias] += 1
            return execute(sql, *args)

        return wrapper

    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(counting(alias)))
        yield counts


@contextmanager
def replica_dies_at_the_rollups() -> Iterator[None]:
    """The replica's server ends this process's connection as the page starts on the rollups."""

    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if "analytics_dailyrollup" in sql:
            with suppress(DatabaseError):  # the server's answer: the connection is terminated
                execute("SELECT pg_terminate_backend(pg_backend_pid())", None, *args[1:])
        return execute(sql, *args)

    with connections["replica"].execute_wrapper(wrapper):
        yield


class Driver:
    """A practice with one location and two managers, Ana and Ben, signed in."""

    def __init__(self, facts: HandMadeFacts) -> None:
        self.facts = facts
        self.organization = make_organization("org-a", "Alder Family Practice")
        self.location = do_create_location(
            self.organization, name="Alder Main", address="1 Alder Way", acting_user=None
        )
        self.clients = {
            name: sign_in(Client(), make_user(self.organization, Role.MANAGER, username=name))
            for name in ("ana", "ben")
        }
        # The overview shows the last complete month by default.
        self.month = (clock.now().date().replace(day=1) - timedelta(days=1)).replace(day=1)

    def visits(self, kept: int, missed: int) -> dict[str, Any]:
        """More visits in the month, rolled up as the worker would."""
        self.facts.add(
            self.organization.pk,
            visits(self.month, kept=kept, missed=missed, location_id=self.location.pk),
        )
        last = (self.month + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        do_roll_up_days(organization=self.organization, first=self.month, last=last)
        return {}

    def key_figures(self, user: str) -> dict[str, Any]:
        with rollup_reads() as reads:
            page = self.clients[user].get("/analytics/")
        return {"status": page.status_code, "html": page.content.decode(), "reads": reads}

    def key_figures_as_the_replica_dies(self, user: str) -> dict[str, Any]:
        with replica_dies_at_the_rollups():
            return self.key_figures(user)

    def subscribe(self, user: str) -> dict[str, Any]:
        page = self.clients[user].post(
            "/analytics/reports/subscribe/",
            {"location": str(self.location.public_id), "next": "/analytics/reports/"},
        )
        return {"status": page.status_code}

    def reports(self, user: str) -> dict[str, Any]:
        page = self.clients[user].get("/analytics/reports/")
        return {"status": page.status_code, "html": page.content.decode()}

    def audit_events(self, action: str) -> dict[str, Any]:
        """Counted on the primary, where every audit row is written."""
        return {"count": AuditEvent.objects.using("default").filter(action=action).count()}


def answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    call_command("migrate", verbosity=0)
    facts = HandMadeFacts()
    with registered(visits_kept(facts)):
        driver = Driver(facts)
        answer({"ready": True})
        for line in sys.stdin:
            command = json.loads(line)
            step: Callable[..., dict[str, Any]] = getattr(driver, command["step"])
            answer(step(**command.get("args", {})))


if __name__ == "__main__":
    main()
