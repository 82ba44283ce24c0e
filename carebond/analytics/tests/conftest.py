"""A KPI of hand-made facts for the dashboards' tests: what the facts say is what the pages
must show, whatever the apps register."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from carebond.core.kpis import Kpi, KpiFact, KpiKind
from carebond.core.registry import registered

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)
OCTOBER = date(2026, 10, 1)


@dataclass
class HandMadeFacts:
    """Facts per organisation id; the KPI's selector reads them as an app's would read rows."""

    rows: dict[int, list[KpiFact]] = field(default_factory=dict)

    def add(self, organization_id: int, facts: list[KpiFact]) -> None:
        self.rows.setdefault(organization_id, []).extend(facts)

    def __call__(self, organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
        return iter(f for f in self.rows.get(organization_id, []) if first <= f.day <= last)


@pytest.fixture
def frozen(db: Any) -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def visits_kept(facts: HandMadeFacts) -> Kpi:
    """ "Visits kept", a proportion with a provider dimension, of these facts."""
    return Kpi(
        key="test.kept",
        title="Visits kept",
        unit="%",
        definition="Of the visits due, the share kept.",
        kind=KpiKind.PROPORTION,
        facts=facts,
        app_label="analytics",
        group="Hand-made",
        dimensions=("provider",),
        order=1,
    )


@pytest.fixture
def kept_visits(frozen: None) -> Iterator[tuple[Kpi, HandMadeFacts]]:
    """ "Visits kept", registered for the test."""
    facts = HandMadeFacts()
    kpi = visits_kept(facts)
    with registered(kpi):
        yield kpi, facts


def visits(
    day: date,
    *,
    kept: int,
    missed: int,
    location_id: int | None,
    provider: str = "",
    person_ids: list[int] | None = None,
) -> list[KpiFact]:
    """``kept`` + ``missed`` facts on ``day``; person ids taken in turn when given."""
    people = list(person_ids or [])
    return [
        KpiFact(
            day=day,
            location_id=location_id,
            dimensions={"provider": provider} if provider else {},
            x=1.0 if i < kept else 0.0,
            person_id=people[i % len(people)] if people else None,
        )
        for i in range(kept + missed)
    ]


# The scheduling tests' clinic (a Chicago location, two providers, visit types, a frozen
# Monday), for the relationship-health tests' hand-made visit histories.
from carebond.scheduling.tests.conftest import clinic, monday  # noqa: E402, F401
