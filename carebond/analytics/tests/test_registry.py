"""Every KPI an app registers can be rolled up and read: its facts selector answers for an
organisation with no data, its dimensions are registered (so a breakdown can name its values),
its definition is there to print beside the number, and the docs name its key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from carebond.core.models import Organization
from carebond.core.registry import kpi_dimension, kpis

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_every_kpi_is_complete_and_documented(org_a: Organization) -> None:
    documented = " ".join(path.read_text() for path in DOCS.glob("*.md"))
    problems = []
    for kpi in kpis():
        if list(kpi.facts(org_a.pk, date(2026, 11, 1), date(2026, 11, 30))):
            problems.append(f"{kpi.key}: facts for an organisation with no data")
        problems += [
            f"{kpi.key}: dimension {key!r} is not registered"
            for key in kpi.dimensions
            if kpi_dimension(key) is None
        ]
        if len(kpi.definition) < 20 or not kpi.unit or not kpi.group:
            problems.append(f"{kpi.key}: a definition, unit and group are needed")
        if f"`{kpi.key}`" not in documented:
            problems.append(f"{kpi.key}: not named in docs/")
    assert problems == []
    assert len(kpis()) >= 20
