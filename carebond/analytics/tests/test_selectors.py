"""Months are sums of their days: a day counts in its own calendar month, the last day of a
month and the first of the next never mix, and a month is keyed by its first day."""

from __future__ import annotations

from datetime import date

from carebond.analytics.models import DailyRollup
from carebond.analytics.selectors import Filters, monthly_parts
from carebond.analytics.statistics import Parts
from carebond.core.models import Organization


def test_each_day_counts_in_its_own_month(org_a: Organization) -> None:
    # given visits due on the edges of October, November and December, and one the year before
    DailyRollup.objects.bulk_create(
        DailyRollup(organization=org_a, kpi="test.kept", day=day, n=n, x=x)
        for day, n, x in (
            (date(2025, 11, 30), 9, 9),
            (date(2026, 10, 31), 4, 1),
            (date(2026, 11, 1), 5, 2),
            (date(2026, 11, 30), 6, 3),
            (date(2026, 12, 1), 7, 7),
        )
    )
    # when October to December 2026 are summed by month
    months = monthly_parts(
        org_a.id, ["test.kept"], date(2026, 10, 1), date(2026, 12, 31), Filters()
    )
    # then each month holds its own days only, keyed by its first day
    assert months == {
        "test.kept": {
            date(2026, 10, 1): Parts(4, 1, 0, 0),
            date(2026, 11, 1): Parts(11, 5, 0, 0),
            date(2026, 12, 1): Parts(7, 7, 0, 0),
        }
    }
