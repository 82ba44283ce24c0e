"""A count's interval is the exact (Garwood) Poisson interval, as the published tables give it."""

from __future__ import annotations

import pytest

from carebond.analytics.statistics import poisson_interval


@pytest.mark.parametrize(
    ("count", "low", "high"),
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (10, 4.795, 18.390)],
)
def test_a_count_has_the_exact_poisson_interval(count: int, low: float, high: float) -> None:
    # given a count of new patients in a month
    # when its 95% interval is computed
    found_low, found_high = poisson_interval(count)
    # then it is the exact interval, to the tables' precision
    assert found_low == pytest.approx(low, abs=5e-4)
    assert found_high == pytest.approx(high, abs=5e-4)
