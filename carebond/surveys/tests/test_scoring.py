"""Survey scoring against docs/methods.md §2 and §3, to the printed decimals, plus its edges
and invariants. Pure functions: no database."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carebond.surveys.scoring import (
    AGREE_5,
    ANONYMITY,
    EDMONDSON_REVERSED,
    FREQUENCY_4,
    PROVIDER_MINIMA,
    RATING_0_10,
    RECOMMEND_4,
    THREE_POINT,
    YES_NO,
    Minimum,
    Scale,
    Score,
    Summary,
    compare_mean_scores,
    compare_means,
    compare_proportions,
    composite,
    employee_net_promoter,
    favourability,
    linear_mean,
    linear_score,
    minimum_detectable_change,
    net_promoter,
    net_promoter_counts,
    proportion,
    psychological_safety,
    reliability,
    respondents_for_reliability,
    t_critical,
    t_two_sided_p,
    team_psychological_safety,
    top_box,
    wilson_interval,
)


def answers(scale: Scale, **counts: int) -> list[int | None]:
    """Answers by label: answers(FREQUENCY_4, Always=30, Usually=10), and ``skipped`` for None."""
    result: list[int | None] = [None] * counts.pop("skipped", 0)
    for label, count in counts.items():
        result += [scale.code(label.replace("_", " "))] * count
    return result


def percent(interval: tuple[float, float] | None, decimals: int = 1) -> tuple[float, float]:
    assert interval is not None
    return round(interval[0], decimals), round(interval[1], decimals)


# --- Wilson interval (§2.3) -------------------------------------------------------------------


def test_wilson_interval_is_the_printed_one() -> None:
    # then 30/40 gives [59.8%, 85.8%] and 4/5 gives [37.6%, 96.4%]
    low, high = wilson_interval(30, 40)
    assert percent((100 * low, 100 * high)) == (59.8, 85.8)
    low, high = wilson_interval(4, 5)
    assert percent((100 * low, 100 * high)) == (37.6, 96.4)


def test_wilson_interval_at_the_edges_stays_inside_0_and_1() -> None:
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert 0 < wilson_interval(0, 10)[1] < 0.35


@pytest.mark.parametrize(("successes", "n"), [(0, 0), (5, 4), (-1, 4)])
def test_wilson_interval_refuses_what_is_no_proportion(successes: int, n: int) -> None:
    with pytest.raises(ValueError, match="proportion"):
        wilson_interval(successes, n)


@given(n=st.integers(1, 5000), data=st.data())
def test_wilson_interval_holds_the_estimate(n: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(0, n))
    low, high = wilson_interval(successes, n)
    assert 0 <= low <= successes / n <= high <= 1


# --- top box, composite, favourability (§2.3, §3.1) -------------------------------------------


def test_the_provider_communication_composite_is_the_printed_one() -> None:
    # given the four items of §2.3's worked example, as answers with skips
    items = [
        answers(FREQUENCY_4, Always=30, Usually=6, Sometimes=3, Never=1, skipped=2),
        answers(FREQUENCY_4, Always=32, Usually=6, skipped=4),
        answers(FREQUENCY_4, Always=34, Usually=5, Never=1),
        answers(FREQUENCY_4, Always=27, Usually=10, Sometimes=2, skipped=1),
    ]
    # when each item is scored
    scores = [top_box(item, FREQUENCY_4) for item in items]
    # then skips left the denominators, and the items and composite are the printed ones
    assert [score.n for score in scores] == [40, 38, 40, 39]
    assert [round(score.value or 0, 2) for score in scores] == [75.00, 84.21, 85.00, 69.23]
    result = composite(scores)
    assert result.value is not None
    assert round(result.value, 2) == 78.36
    assert result.n == 38
    assert result.shown
    assert result.interval is None


def test_top_box_carries_its_wilson_interval_in_percent() -> None:
    score = top_box(answers(FREQUENCY_4, Always=30, Usually=10), FREQUENCY_4)
    assert score.value == 75.0
    assert percent(score.interval) == (59.8, 85.8)


@pytest.mark.parametrize(
    ("scale", "counts", "expected"),
    [
        (YES_NO, {"Yes": 3, "No": 1}, 75.0),
        (RATING_0_10, {"10": 2, "9": 2, "8": 3, "0": 1}, 50.0),  # 9-10 is the top box
        (THREE_POINT, {"Yes, definitely": 1, "Yes, somewhat": 3}, 25.0),
        (FREQUENCY_4, {"Always": 2, "Usually": 2, "Sometimes": 1}, 40.0),
        (AGREE_5, {"Strongly agree": 1, "Agree": 4}, 20.0),  # Agree is not the top box
        (RECOMMEND_4, {"Definitely yes": 4, "Probably yes": 1}, 80.0),
    ],
)
def test_the_top_box_of_each_scale_is_its_best_answer(
    scale: Scale, counts: dict[str, int], expected: float
) -> None:
    coded = [scale.code(label) for label, count in counts.items() for _ in range(count)]
    assert top_box([*coded, None, None], scale).value == expected


def test_favourability_counts_the_top_two_of_five() -> None:
    given_answers = answers(
        AGREE_5, Strongly_agree=3, Agree=4, Neither_agree_nor_disagree=2, Disagree=1, skipped=3
    )
    score = favourability(given_answers)
    assert score.n == 10
    assert score.value == 70.0
    assert top_box(given_answers, AGREE_5).value == 30.0


def test_an_item_nobody_answered_has_no_score_and_leaves_the_composite() -> None:
    # given an item where every answer is "not applicable"
    empty = top_box([None, None, None], FREQUENCY_4)
    # then it has no value, no interval, and says why
    assert empty == Score(None, 0, None, shown=False, reason="no answers")
    assert top_box([], YES_NO).value is None
    # and a composite averages the items that were answered
    answered = top_box(answers(FREQUENCY_4, Always=8, Never=2), FREQUENCY_4)
    assert composite([answered, empty]).value == 80.0
    assert composite([empty]).value is None


def test_an_answer_outside_the_scale_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"Answer 11 is outside the 0-10 rating scale \(0 to 10\)"):
        top_box([9, 11], RATING_0_10)
    with pytest.raises(ValueError, match=r"Answer 0 is outside the 4-point frequency scale"):
        top_box([0], FREQUENCY_4)
    with pytest.raises(ValueError, match="is not a code"):
        top_box([True], YES_NO)
    with pytest.raises(ValueError, match='"Often" is not an answer on the 4-point frequency'):
        FREQUENCY_4.code("Often")
    with pytest.raises(ValueError, match="top box of 5 answers does not fit"):
        top_box([1], AGREE_5, top=5)


def test_a_scale_labels_its_codes() -> None:
    assert FREQUENCY_4.code("Always") == 4
    assert FREQUENCY_4.label(1) == "Never"
    assert RATING_0_10.code("9") == 9
    assert (RATING_0_10.low, RATING_0_10.high) == (0, 10)
    assert list(RATING_0_10.top_codes()) == [9, 10]
    with pytest.raises(ValueError, match="at least two answers"):
        Scale("one", ("Yes",))


@given(st.lists(st.one_of(st.none(), st.integers(0, 10)), max_size=300))
def test_top_box_lies_in_its_interval(given_answers: list[int | None]) -> None:
    score = top_box(given_answers, RATING_0_10)
    assert score.n == sum(1 for answer in given_answers if answer is not None)
    if score.value is None:
        assert score.n == 0
    else:
        assert score.interval is not None
        assert 0 <= score.interval[0] <= score.value <= score.interval[1] <= 100


# --- shown or not (§2.6) ----------------------------------------------------------------------


def test_a_figure_under_five_is_hidden_for_anonymity() -> None:
    hidden = proportion(3, 4)
    assert (hidden.shown, hidden.reason) == (False, "fewer than 5 responses")
    assert hidden.value == 75.0  # kept for arithmetic; shown says not to display it
    shown = proportion(4, 5)
    assert (shown.shown, shown.reason) == (True, None)


def test_a_provider_percentage_needs_thirty() -> None:
    assert proportion(3, 4, minima=PROVIDER_MINIMA).reason == "fewer than 5 responses"
    short = proportion(10, 12, minima=PROVIDER_MINIMA)
    assert (short.shown, short.reason) == (False, "insufficient data (fewer than 30 responses)")
    assert proportion(20, 30, minima=PROVIDER_MINIMA).shown


def test_thresholds_are_configurable() -> None:
    tenant = Minimum(8, "fewer than {n} responses")
    assert proportion(5, 7, minima=(tenant,)).reason == "fewer than 8 responses"
    assert proportion(5, 7, minima=()).shown
    assert ANONYMITY.n == 5
    with pytest.raises(ValueError, match="at least 1"):
        Minimum(0, "never")


# --- linear mean scores (§2.4) ----------------------------------------------------------------


def test_the_linear_mean_is_the_printed_one() -> None:
    # given Never 1, Sometimes 2, Usually 7, Always 30 (n = 40)
    given_answers = answers(FREQUENCY_4, Never=1, Sometimes=2, Usually=7, Always=30, skipped=3)
    score = linear_mean(given_answers, FREQUENCY_4)
    # then the mean on 0-100 is 88.33
    assert score.value is not None
    assert round(score.value, 2) == 88.33
    assert score.n == 40
    assert score.interval is not None
    assert score.interval[0] < score.value < score.interval[1] <= 100


def test_the_linear_transform_is_the_hcahps_mapping() -> None:
    assert [round(linear_score(x, FREQUENCY_4), 2) for x in (1, 2, 3, 4)] == [
        0.0,
        33.33,
        66.67,
        100.0,
    ]
    assert [linear_score(x, YES_NO) for x in (1, 2)] == [0.0, 100.0]
    assert [linear_score(r, RATING_0_10) for r in (0, 7, 10)] == [0.0, 70.0, 100.0]
    assert linear_score(RECOMMEND_4.code("Definitely yes"), RECOMMEND_4) == 100.0
    with pytest.raises(ValueError, match="Answer 5 is outside"):
        linear_score(5, FREQUENCY_4)


def test_a_linear_mean_of_one_answer_has_no_interval_and_none_of_none() -> None:
    single = linear_mean([4], FREQUENCY_4)
    assert (single.value, single.interval) == (100.0, None)
    assert linear_mean([None], FREQUENCY_4).value is None


# --- NPS and eNPS (§2.7, §3.1) ----------------------------------------------------------------


def test_nps_of_200_is_the_printed_one() -> None:
    result = net_promoter_counts(110, 50, 40)
    assert result.score.value == 35.0
    assert result.se is not None
    assert round(result.se, 2) == 5.60
    assert percent(result.score.interval) == (24.0, 46.0)
    assert result.n == 200


def test_nps_of_12_is_the_printed_one() -> None:
    result = net_promoter_counts(7, 3, 2)
    assert result.score.value is not None
    assert round(result.score.value, 1) == 41.7
    assert result.se is not None
    assert round(result.se, 1) == 21.9
    assert percent(result.score.interval) == (-1.3, 84.6)


def test_nps_from_answers_sorts_them_into_the_three_groups() -> None:
    # given 7 promoters (9-10), 3 passives (7-8), 2 detractors (0-6) and two skips
    given_answers: list[int | None] = [10, 10, 9, 9, 9, 10, 9, 8, 7, 7, 6, 0, None, None]
    result = net_promoter(given_answers)
    assert (result.promoters, result.passives, result.detractors) == (7, 3, 2)
    assert result == net_promoter_counts(7, 3, 2)
    # and eNPS is the same arithmetic
    assert employee_net_promoter(given_answers) == result


def test_nps_without_answers_and_out_of_range() -> None:
    empty = net_promoter([None, None])
    assert (empty.score.value, empty.se, empty.score.reason) == (None, None, "no answers")
    with pytest.raises(ValueError, match="Answer 11 is outside the 0-10 rating scale"):
        net_promoter([10, 11])
    with pytest.raises(ValueError, match="cannot be negative"):
        net_promoter_counts(1, -1, 0)


@given(st.integers(0, 400), st.integers(0, 400), st.integers(0, 400))
def test_nps_stays_on_its_scale_inside_its_interval(p: int, pa: int, d: int) -> None:
    result = net_promoter_counts(p, pa, d)
    if p + pa + d == 0:
        assert result.score.value is None
        return
    value, interval = result.score.value, result.score.interval
    assert value is not None
    assert interval is not None
    assert -100 <= interval[0] <= value <= interval[1] <= 100


# --- psychological safety (§3.2) --------------------------------------------------------------


def test_the_individual_score_is_the_printed_one() -> None:
    # given [2, 6, 3, 6, 2, 5, 6], items 1, 3 and 5 reverse-worded: [6, 6, 5, 6, 6, 5, 6]
    score = psychological_safety([2, 6, 3, 6, 2, 5, 6])
    assert score is not None
    assert round(score, 3) == 5.714


def test_the_reverse_items_are_a_parameter() -> None:
    given_answers: list[int | None] = [2, 6, 3, 6, 2, 5, 6]
    assert EDMONDSON_REVERSED == (1, 3, 5)
    assert psychological_safety(given_answers, reversed_items=()) == pytest.approx(30 / 7)
    assert psychological_safety(given_answers, reversed_items=(2,)) == pytest.approx(26 / 7)
    # a 5-point version of a three-item scale: x' = 6 - x
    assert psychological_safety([1, 5, 5], reversed_items=(1,), low=1, high=5, min_answered=3) == 5


def test_an_individual_score_needs_five_of_seven_answers() -> None:
    assert psychological_safety([2, 6, None, 6, 2, None, 6]) == pytest.approx(6.0)
    assert psychological_safety([2, None, None, 6, 2, None, 6]) is None
    assert psychological_safety([None] * 7) is None


def test_psychological_safety_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="Answer 8 is outside the psychological safety scale"):
        psychological_safety([8, 6, 3, 6, 2, 5, 6])
    with pytest.raises(ValueError, match=r"Reverse items \[9\] are not among the 7 items"):
        psychological_safety([2, 6, 3, 6, 2, 5, 6], reversed_items=(1, 9))
    with pytest.raises(ValueError, match="at most 7 answers"):
        psychological_safety([2, 6, 3, 6, 2, 5, 6], min_answered=8)


def test_the_team_score_is_the_mean_of_its_members() -> None:
    members = [
        psychological_safety([2, 6, 3, 6, 2, 5, 6]),  # 5.714
        psychological_safety([1, 7, 1, 7, 1, 7, 7]),  # 7.0
        psychological_safety([4, 4, 4, 4, 4, 4, 4]),  # 4.0
        psychological_safety([7, 1, 7, 1, 7, 1, 1]),  # 1.0
        psychological_safety([3, 5, 3, 5, 3, 5, 5]),  # 5.0
        psychological_safety([None, None, None, 5, 3, 5, 5]),  # too few answers: not counted
    ]
    team = team_psychological_safety(members)
    assert team.n == 5
    assert team.value == pytest.approx((40 / 7 + 7 + 4 + 1 + 5) / 5)
    assert team.shown
    assert team.interval is not None
    assert team.value is not None
    assert 1 <= team.interval[0] < team.value < team.interval[1] <= 7
    # and four members are too few to show
    assert team_psychological_safety(members[:4]).reason == "fewer than 5 responses"


@given(st.lists(st.one_of(st.none(), st.integers(1, 7)), min_size=7, max_size=7))
def test_an_individual_score_stays_on_the_scale(given_answers: list[int | None]) -> None:
    score = psychological_safety(given_answers)
    answered = sum(1 for answer in given_answers if answer is not None)
    assert (score is None) == (answered < 5)
    if score is not None:
        assert 1 <= score <= 7


# --- trends (§3.4) ----------------------------------------------------------------------------


def test_the_two_waves_of_favourability_are_the_printed_ones() -> None:
    # given wave 1 60/80 = 75.0% and wave 2 48/76 = 63.2%
    result = compare_proportions(60, 80, 48, 76)
    # then the 12-point drop has |z| = 1.60 and p = 0.11: not significant. §3.4 prints
    # z for p1 - p2; we report the change from wave 1 to wave 2, so a drop is negative
    assert (result.first, round(result.second, 1)) == (75.0, 63.2)
    assert round(result.change) == -12
    assert round(result.statistic, 2) == -1.60
    assert round(result.p_value, 2) == 0.11
    assert not result.significant
    assert result.interval[0] < result.change < result.interval[1]
    assert result.interval[0] < 0 < result.interval[1]


def test_a_large_change_between_large_waves_is_significant() -> None:
    result = compare_proportions(300, 400, 240, 400)
    assert result.statistic < -4
    assert result.significant


def test_two_unanimous_waves_have_nothing_to_test() -> None:
    assert compare_proportions(10, 10, 8, 8).p_value == 1.0
    with pytest.raises(ValueError, match="not a proportion"):
        compare_proportions(5, 4, 1, 2)


def test_welch_agrees_with_the_reference_implementation() -> None:
    # given two waves of linear scores (reference: Welch's unequal-variance t test in a
    # standard statistics package gives t = -3.60555, df = 10.6962, p = 0.0043156)
    first = [60.0, 70.0, 80.0, 75.0, 90.0, 85.0]
    second = [50.0, 55.0, 70.0, 40.0, 65.0, 60.0, 45.0]
    result = compare_mean_scores(first, second)
    assert result.change == pytest.approx(55.0 - 460 / 6)
    assert result.statistic == pytest.approx(-3.60555127546399, rel=1e-9)
    assert result.df == pytest.approx(10.696202531645568, rel=1e-9)
    assert result.p_value == pytest.approx(0.004315556140893338, rel=1e-6)
    assert result.significant
    assert result.interval[1] < 0


def test_welch_calls_a_small_team_swing_noise() -> None:
    # given a 10-point swing in a team of 6, with the spread of real answers
    result = compare_means(Summary(70.0, 20.0, 6), Summary(80.0, 20.0, 6))
    assert result.df == pytest.approx(10.0)
    assert not result.significant
    # a z test would have used 1.96, not t's 2.228, and called more swings a change
    assert result.interval[1] - result.change == pytest.approx(2.2281388 * 20 / math.sqrt(3))


def test_welch_without_spread() -> None:
    same = compare_means(Summary(80.0, 0.0, 5), Summary(80.0, 0.0, 5))
    assert (same.p_value, same.statistic, same.significant) == (1.0, 0.0, False)
    moved = compare_means(Summary(80.0, 0.0, 5), Summary(60.0, 0.0, 5))
    assert (moved.p_value, moved.statistic) == (0.0, -math.inf)
    with pytest.raises(ValueError, match="at least 2 answers"):
        compare_mean_scores([80.0], [60.0, 70.0])


def test_the_minimum_detectable_change_of_a_small_team() -> None:
    # p = 0.7, n = 12 per wave: about 37 points
    assert round(minimum_detectable_change(0.7, 12)) == 37
    assert minimum_detectable_change(0.7, 1200) < 4
    with pytest.raises(ValueError, match="between 0 and 1"):
        minimum_detectable_change(70, 12)


# --- Student's t ------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [0.0, 0.5, 1.0, 2.0, 7.5])
def test_t_p_values_match_closed_forms(t: float) -> None:
    # 1 df is the Cauchy distribution; 2 df has P(|T| >= t) = 1 - t / sqrt(2 + t²)
    assert t_two_sided_p(t, 1) == pytest.approx(1 - 2 * math.atan(t) / math.pi, abs=1e-12)
    assert t_two_sided_p(-t, 2) == pytest.approx(1 - t / math.sqrt(2 + t * t), abs=1e-12)


def test_t_critical_values_are_the_table_ones() -> None:
    assert [round(t_critical(df), 3) for df in (1, 2, 5, 10, 30)] == [
        12.706,
        4.303,
        2.571,
        2.228,
        2.042,
    ]
    assert round(t_critical(10, confidence=0.99), 3) == 3.169
    assert t_critical(1e6) == pytest.approx(1.959966, abs=1e-5)
    with pytest.raises(ValueError, match="Degrees of freedom"):
        t_two_sided_p(1.0, 0)


@given(st.floats(0, 50), st.floats(0, 50), st.floats(0.5, 1e4))
def test_t_p_values_are_probabilities_falling_with_t(t1: float, t2: float, df: float) -> None:
    p1, p2 = t_two_sided_p(t1, df), t_two_sided_p(t2, df)
    assert 0 <= p1 <= 1
    if t1 <= t2:
        assert p1 >= p2 - 1e-12


# --- reliability (§2.6) -----------------------------------------------------------------------


def test_spearman_brown_gives_45_per_provider() -> None:
    assert respondents_for_reliability(0.05, 0.70) == 45
    assert reliability(45, 0.05) >= 0.70 > reliability(44, 0.05)
    assert reliability(1, 0.05) == 0.05


def test_spearman_brown_rounds_an_exact_answer_down_to_itself() -> None:
    # ICC 0.5, R 0.8 -> n* = 0.8 * 0.5 / (0.5 * 0.2) = 4 exactly
    assert respondents_for_reliability(0.5, 0.8) == 4


@pytest.mark.parametrize(("icc", "target"), [(0.0, 0.7), (1.0, 0.7), (0.05, 1.0), (0.05, -0.1)])
def test_spearman_brown_refuses_impossible_inputs(icc: float, target: float) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        respondents_for_reliability(icc, target)
