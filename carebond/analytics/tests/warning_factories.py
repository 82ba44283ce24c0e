"""Hand-made monthly rollups and alerts for early warning's tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from carebond.accounts.models import User
from carebond.analytics.models import DailyRollup
from carebond.analytics.warning_models import EarlyWarningAlert, UnitKind
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.people.models import Person, StaffProfile
from carebond.people.tests.factories import make_staff

SCAN_DAY = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
"""The scan runs in December 2026: November is the month just ended, and the window of 24
months starts in December 2024."""
FIRST_MONTH = date(2024, 12, 1)


def month(index: int) -> date:
    """The window's month ``index`` (0: December 2024, 23: November 2026)."""
    number = FIRST_MONTH.month - 1 + index
    return date(FIRST_MONTH.year + number // 12, number % 12 + 1, 1)


def monthly_rollups(
    organization: Organization,
    kpi: str,
    months: Sequence[tuple[float, float]],
    *,
    location: Location | None = None,
    dimension: str = "",
    value: str = "",
    first: int = 0,
) -> None:
    """One rollup row on the 15th of each month from the window's month ``first``: (n, x)
    per month."""
    DailyRollup.objects.bulk_create(
        DailyRollup(
            organization=organization,
            kpi=kpi,
            day=month(first + index).replace(day=15),
            location=location,
            dimension=dimension,
            value=value,
            n=n,
            x=x,
            x2=x * x / n if n else 0.0,
        )
        for index, (n, x) in enumerate(months)
    )


def staff_at(
    organization: Organization, location: Location, given: str, user: User | None = None
) -> Person:
    """A staff member working at ``location``, signed in as ``user`` when given."""
    person = make_staff(organization, given, "Okafor")
    StaffProfile.objects.filter(person=person).update(location=location, user=user)
    return person


SNAPSHOT_ROWS = [
    # month, n, value, lower, upper, triggered: a no-show rate jumping in the last month
    ("2026-08", 210, 5.2, 0.5, 9.9, False),
    ("2026-09", 190, 4.7, 0.3, 10.1, False),
    ("2026-10", 12, None, None, None, False),
    ("2026-11", 200, 20.0, 0.4, 10.0, True),
]


def make_alert(
    organization: Organization,
    location: Location,
    *,
    responsible: User | None,
    rule: str = "outside limits",
) -> EarlyWarningAlert:
    rows = [
        {
            "month": at,
            "n": n,
            "value": value,
            "plotted": value,
            "lower": lower,
            "upper": upper,
            "triggered": triggered,
        }
        for at, n, value, lower, upper, triggered in SNAPSHOT_ROWS
    ]
    return EarlyWarningAlert.objects.create(
        organization=organization,
        kpi="scheduling.no_show_rate",
        kpi_title="No-show rate",
        unit_kind=UnitKind.LOCATION,
        unit_value=str(location.pk),
        unit_label=location.name,
        location=location,
        rule=rule,
        direction="up",
        month=date(2026, 11, 1),
        months=["2026-11"],
        chart={
            "chart": "p-chart",
            "statistic": "Value",
            "unit": "%",
            "centre": 5.2,
            "phase": "Centre line and limits from the first 12 months charted.",
            "width": 3.0,
            "min_n": 30,
            "rows": rows,
        },
        responsible=responsible,
        raised_at=clock.now(),
    )
