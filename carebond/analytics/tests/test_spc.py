"""The control charts of early warning against the worked examples of methods.md §4.4, the
Anhøj run-chart rules on hand-made series, and the false-alarm budget of many charts watched
together, checked by simulation on in-control data."""

from __future__ import annotations

import random

import pytest

from carebond.analytics.spc import (
    CONVENTIONAL_ALPHA,
    CROSSINGS,
    CUSUM_DOWN,
    DOWN,
    EWMA_LOW,
    OUTSIDE,
    SHIFT,
    UP,
    cusum_arl,
    cusum_chart,
    ewma_chart,
    family_limits,
    individuals_chart,
    p_chart,
    runs_analysis,
    u_chart,
)

# methods.md §4.4: monthly linear-mean satisfaction, mu_0 = 85, sigma = 2
SATISFACTION = [85, 86, 84, 85, 83, 83, 82, 82, 81, 81, 80, 80]
# methods.md §4.4: the p-chart fixture (monthly top-box answers x of n)
TOP_BOX_N = [120, 110, 130, 125, 118, 122, 115, 128, 119, 121, 117, 124]
TOP_BOX_X = [96, 86, 104, 99, 93, 97, 90, 99, 88, 87, 83, 86]


def _round(value: float | None, digits: int) -> float:
    assert value is not None
    return round(value, digits)


def test_the_shewhart_chart_of_the_slow_fall_never_signals() -> None:
    # given the worked example's twelve months against 85 ± 3·2
    # when they are charted on an individuals chart
    chart = individuals_chart(SATISFACTION, mean=85, sigma=2)
    # then the limits are [79, 91] and no month falls outside them
    assert (chart.lower[0], chart.upper[0]) == (79, 91)
    assert chart.signals == ()


def test_the_ewma_of_the_slow_fall_signals_at_month_nine() -> None:
    # given the same months, with lambda = 0.2 and L = 3
    chart = ewma_chart(SATISFACTION, mean=85, sigma=2, lam=0.2, width=3)
    # then month 8 is still inside its limit and month 9 is the first below it
    assert _round(chart.values[7], 3) == 83.446
    assert _round(chart.lower[7], 3) == 83.028
    assert _round(chart.values[8], 3) == 82.957
    assert _round(chart.lower[8], 3) == 83.018
    assert chart.rules == (EWMA_LOW,)
    assert chart.signals[0].indices[0] == 8
    assert chart.signals[0].direction == DOWN


def test_the_cusum_of_the_slow_fall_signals_at_month_nine() -> None:
    # given the same months, with K = 1 and H = 8 (half a sigma and four sigmas)
    chart = cusum_chart(SATISFACTION, target=85, k=1, h=8)
    # then C- runs 0,0,0,0,1,2,4,6,9 and month 9 is the first above H; the sum starts again
    # from zero and signals again at month 12 (3, 7, 11)
    assert chart.lower_sums == (0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 6.0, 9.0, 3.0, 7.0, 11.0)
    assert chart.upper_sums == (0.0,) * 12
    assert chart.rules == (CUSUM_DOWN,)
    assert chart.signals[0].indices == (8, 11)


def test_the_p_chart_fixture_has_no_point_outside_its_limits() -> None:
    # given twelve months of top-box answers
    # when they are charted on a p-chart
    chart = p_chart(TOP_BOX_X, TOP_BOX_N)
    # then p-bar is 0.7647, month 12 (86/124 = 0.694) sits inside [0.650, 0.879]
    assert round(chart.centre, 4) == 0.7647
    assert _round(chart.values[11], 3) == 0.694
    assert (_round(chart.lower[11], 3), _round(chart.upper[11], 3)) == (0.650, 0.879)
    assert chart.signals == ()


def test_the_run_rules_catch_the_fall_the_p_chart_misses() -> None:
    # given the same months around the p-chart's centre line
    chart = p_chart(TOP_BOX_X, TOP_BOX_N)
    # when the Anhøj rules read them
    runs = runs_analysis(chart.values, chart.centre)
    # then months 1-8 sit above p-bar (8 > round(log2(12) + 3) = 7) and the line is crossed
    # once (fewer than qbinom(0.05, 11, 0.5) = 3), the last run, months 9-12, below it
    assert (runs.longest_run, runs.run_limit) == (8, 7)
    assert (runs.crossings, runs.crossings_limit) == (1, 3)
    assert runs.rules == (SHIFT, CROSSINGS)
    shift = next(signal for signal in runs.signals if signal.rule == SHIFT)
    crossings = next(signal for signal in runs.signals if signal.rule == CROSSINGS)
    assert (shift.indices, shift.direction) == (tuple(range(8)), UP)
    assert (crossings.indices, crossings.direction) == ((8, 9, 10, 11), DOWN)


def test_a_clear_shift_is_a_run_longer_than_chance_allows() -> None:
    # given ten months around 50, then ten around 58
    values = [50, 49, 51, 48, 52, 50.5, 49.5, 51, 50, 49, 58, 57, 59, 60, 58, 57, 59, 58, 60, 59]
    # when the run rules read them around their median (54.5)
    runs = runs_analysis(values)
    # then both halves are runs of 10 (> 7): a shift up in the second half
    assert runs.centre == 54.5
    assert (runs.longest_run, runs.run_limit) == (10, 7)
    up = next(s for s in runs.signals if s.rule == SHIFT and s.direction == UP)
    assert up.indices == tuple(range(10, 20))


def test_too_few_crossings_signal_without_any_long_run() -> None:
    # given twenty months in four runs of five (none longer than 7), crossing the median 3 times
    values = [40, 41, 42, 43, 44, 60, 61, 62, 63, 64, 45, 46, 47, 48, 49, 65, 66, 67, 68, 69]
    # when the run rules read them
    runs = runs_analysis(values)
    # then there is no shift, but 3 crossings are fewer than qbinom(0.05, 19, 0.5) = 6
    assert (runs.longest_run, runs.crossings, runs.crossings_limit) == (5, 3, 6)
    assert runs.rules == (CROSSINGS,)
    assert runs.signals[0].indices == (15, 16, 17, 18, 19)


def test_a_noisy_stable_series_does_not_signal() -> None:
    # given 24 months scattered around 50 with no pattern
    values = [
        50.5, 56.3, 45.3, 55.0, 48.7, 48.7, 59.5, 50.8, 49.8, 53.6, 55.6, 49.8,
        52.9, 45.1, 48.2, 47.8, 43.3, 42.5, 41.9, 48.8, 49.1, 48.4, 50.3, 43.3,
    ]  # fmt: skip
    # when the run rules read them
    runs = runs_analysis(values)
    # then the longest run (7) and the crossings (9) are within chance (8 and 8)
    assert (runs.longest_run, runs.run_limit, runs.crossings, runs.crossings_limit) == (7, 8, 9, 8)
    assert runs.signals == ()


def test_points_on_the_centre_line_and_missing_months_neither_make_nor_break_a_run() -> None:
    # given seven points above 10, with a point on the line and a missing month among them
    values: list[float | None] = [12, 11, 10, 13, None, 12, 11, 14, 12]
    # when read around 10
    runs = runs_analysis(values, 10)
    # then the useful points are the eight off the line, all in one run
    assert (runs.useful, runs.longest_run, runs.crossings) == (7, 7, 0)


def test_laney_widens_the_limits_of_an_overdispersed_proportion() -> None:
    # given months of 1,000 visits each whose share swings far more than 1,000 explains
    x = [500, 560, 440, 550, 450, 540, 460, 530, 470, 500]
    n = [1000] * 10
    # when charted on a p-chart and on Laney's p'-chart
    plain, laney = p_chart(x, n), p_chart(x, n, laney=True)
    # then the p-chart flags four months, while p' (sigma_z = 4.49) flags none
    assert plain.signals[0].rule == OUTSIDE
    assert plain.signalling == (1, 2, 3, 4)
    assert round(laney.sigma_z, 2) == 4.49
    assert (_round(laney.lower[0], 3), _round(laney.upper[0], 3)) == (0.287, 0.713)
    assert laney.signals == ()


def test_a_rate_per_visit_is_charted_on_a_u_chart() -> None:
    # given complaints per visit: 4 in 400, 5 in 500, then 30 in 500
    chart = u_chart([4, 5, 30], [400, 500, 500])
    # then u-bar is 39/1400 and only the last month is above its limit
    assert round(chart.centre, 5) == round(39 / 1400, 5)
    assert chart.signalling == (2,)
    assert chart.signals[0].direction == UP


def test_a_few_charts_keep_the_conventional_three_sigma_limits() -> None:
    # given a single chart and a family target of 5% a month
    limits = family_limits(1, 0.05)
    # then it keeps 3-sigma limits and a CUSUM h whose in-control ARL is 1/0.0027 = 370
    assert round(limits.width, 6) == 3.0
    assert limits.chart_alpha == CONVENTIONAL_ALPHA
    assert round(cusum_arl(limits.cusum_h, 0.5)) == 370


def test_fifty_charts_share_the_five_percent_budget() -> None:
    # given fifty charts watched together
    limits = family_limits(50, 0.05)
    # then each gets 1 - 0.95^(1/50) = 0.1025% a month: L = 3.283 sigma, and h = 5.72 sigma
    assert round(limits.chart_alpha, 6) == 0.001025
    assert round(limits.width, 3) == 3.283
    assert round(limits.cusum_h, 2) == 5.72
    assert round(limits.achieved_family_alpha, 6) == 0.05


def test_the_siegmund_approximation_matches_the_published_cusum_run_lengths() -> None:
    # then h = 4 and h = 5 (k = 0.5) give 169 and 469 months (the tables say 168 and 465)
    assert round(cusum_arl(4, 0.5)) == 169
    assert round(cusum_arl(5, 0.5)) == 469


@pytest.mark.parametrize("chart", ["individuals", "ewma", "cusum"])
def test_on_in_control_data_the_family_false_alarm_rate_is_near_its_target(chart: str) -> None:
    # given fifty in-control charts (mean 0, sigma 1) over 2,000 months, seeded
    charts, months = 50, 2000
    rng = random.Random(20261101)
    series = [[rng.gauss(0, 1) for _ in range(months)] for _ in range(charts)]
    limits = family_limits(charts, 0.05)
    # when each is watched with the family's limits
    alarms: set[int] = set()
    for values in series:
        if chart == "individuals":
            result = individuals_chart(values, mean=0, sigma=1, width=limits.width)
        elif chart == "ewma":
            result = ewma_chart(values, mean=0, sigma=1, width=limits.width)
        else:
            result = cusum_chart(values, target=0, k=limits.cusum_k, h=limits.cusum_h)
        alarms.update(result.signalling)
    # then about 5% of months have a false alarm somewhere (3-sigma limits would give 12.6%)
    assert abs(len(alarms) / months - 0.05) < 0.02
