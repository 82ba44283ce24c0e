"""Relationship health from hand-made facts (no database): each dimension from its inputs,
"insufficient evidence" instead of a guess, the overall rule, the change over 90 days,
overrides, the lapse gap, the bands' calibration and the next best action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from carebond.analytics import health
from carebond.analytics.health import (
    Band,
    Dimension,
    NextAction,
    Override,
    PatientFacts,
    calibrate,
    score_on,
    score_patient,
)

TODAY = date(2026, 11, 30)


@dataclass(frozen=True)
class Visit:
    day: date
    outcome: str = "completed"
    cancelled_by: str = ""
    booked_on: date = date(2000, 1, 1)


@dataclass(frozen=True)
class Message:
    day: date
    inbound: bool = False
    reached: bool = True


@dataclass(frozen=True)
class Consent:
    channel: str
    purpose: str
    status: str
    recorded_at: datetime


@dataclass(frozen=True)
class Answer:
    day: date
    score: int


@dataclass(frozen=True)
class Case:
    opened_on: date
    source: str = "complaint"
    outcome: str = ""
    closed_on: date | None = None


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def granted(channel: str = "sms", status: str = "granted", days: int = 400) -> Consent:
    return Consent(
        channel, "appointment", status, datetime.combine(ago(days), datetime.min.time(), UTC)
    )


def loyal_patient() -> PatientFacts:
    """Seen every 90 days for two years, all kept, messages reach them and they reply, consent
    granted, recommends at 9 and 10."""
    return PatientFacts(
        visits=[Visit(ago(days)) for days in (720, 630, 540, 450, 360, 270, 180, 90, 30)],
        messages=[Message(ago(200)), Message(ago(100)), Message(ago(99), inbound=True)],
        consents=[granted()],
        contact_systems=frozenset({"phone"}),
        recommendations=[Answer(ago(300), 9), Answer(ago(60), 10)],
    )


def test_a_loyal_patient_scores_every_dimension_from_its_inputs_and_is_strong() -> None:
    # when a patient seen every 90 days, who replies and recommends, is scored
    found = score_on(loyal_patient(), TODAY)
    # then their cycle is their own (90 days) and each dimension says what it came from
    connection = found.dimension(Dimension.CONNECTION)
    assert found.interval_days == 90
    assert [(i.key, i.score) for i in connection.inputs] == [
        ("cycle", None),
        ("recency", 100.0),  # 30 days = 0.3 x the cycle
        ("frequency", 100.0),  # 8 of about 8 expected in two years
    ]
    assert found.dimension(Dimension.COMMUNICATION).score == 100.0
    # trust: recommend 95 (x0.3), no complaint 100 (x0.2), no case closed (no evidence),
    # came back within a year 100 (x0.3): (28.5 + 20 + 30) / 0.8 = 98.1
    assert found.dimension(Dimension.TRUST).score == 98.1
    assert found.dimension(Dimension.COMMITMENT).score == 100.0
    assert found.score == 99.5
    assert found.band is Band.STRONG


def test_the_overdue_ratio_uses_fixed_bins_against_the_patients_own_cycle() -> None:
    # given an annual patient (two visits: the default yearly cycle) last seen 180 days ago
    facts = PatientFacts(visits=[Visit(ago(545)), Visit(ago(180))])
    # then 180 days is under half the cycle: not overdue at all ("not lapsed at 200 days")
    recency = score_on(facts, TODAY).dimension(Dimension.CONNECTION).inputs[1]
    assert (recency.shown, recency.score) == ("180 days, 0.5 x the expected cycle", 100.0)
    # and the bins: 0.5 -> 100, 1.0 -> 75, 1.5 -> 50, 2.0 -> 25, beyond -> 0
    assert [health.overdue_score(r) for r in (0.5, 0.51, 1.0, 1.5, 2.0, 2.01)] == [
        100.0,
        75.0,
        75.0,
        50.0,
        25.0,
        0.0,
    ]


def test_a_dimension_without_evidence_says_so_instead_of_guessing() -> None:
    # given a patient known only by a phone number: no visit, no message, no answer
    found = score_on(PatientFacts(contact_systems=frozenset({"phone"})), TODAY)
    # then no dimension has a number, and each says what is missing
    assert [d.score for d in found.dimensions] == [None, None, None, None]
    assert found.dimension(Dimension.CONNECTION).reason == (
        "Insufficient evidence: no completed visit yet."
    )
    assert found.dimension(Dimension.COMMUNICATION).reason == (
        "Insufficient evidence: nothing yet on messages that reached them, messages from them, "
        "consent to messages (appointments, care)."
    )
    # and the overall score follows the rule: three of four dimensions, or none
    assert found.score is None
    assert found.band is None
    assert found.reason == (
        "Insufficient evidence: 0 of 4 dimensions have evidence; the overall score needs 3."
    )


def test_the_overall_score_needs_three_dimensions_with_evidence() -> None:
    # given visits but no message, consent or answer: connection, trust (no complaint, came
    # back within a year) and commitment only
    facts = PatientFacts(visits=[Visit(ago(d)) for d in (700, 400, 100)])
    found = score_on(facts, TODAY)
    # then communication has none, and the overall is the mean of the other three
    assert found.dimension(Dimension.COMMUNICATION).score is None
    known = [d.score for d in found.dimensions if d.score is not None]
    assert len(known) == 3
    assert found.score == round(sum(known) / 3, 1)


def test_each_dimension_shows_its_change_against_90_days_earlier() -> None:
    # given a patient who kept every visit until two no-shows in the last 90 days
    visits = [Visit(ago(d)) for d in (600, 500, 400, 300, 200, 150)]
    visits += [Visit(ago(60), "noshow"), Visit(ago(20), "noshow")]
    found = score_patient(PatientFacts(visits=visits), TODAY)
    commitment = found.dimension(Dimension.COMMITMENT)
    # then kept 6 of 8 (75) and not rebooked after the first miss (0 of 1): 52.5, against
    # 6 of 6 kept and nothing missed 90 days before: 100
    assert commitment.inputs[0].shown == "6 of 8 due in two years"
    assert commitment.inputs[1].shown == "0 of 1"
    assert commitment.computed == 52.5
    assert commitment.change == -47.5


def test_an_override_replaces_the_computed_score_and_feeds_the_overall() -> None:
    # given a strong patient whose manager knows they are moving away
    at = datetime(2026, 11, 29, 10, tzinfo=UTC)
    overrides = {
        "connection": Override(10.0, "Moving to Denver in December", "Ana Manager", at),
    }
    # when scored with the override
    found = score_patient(loyal_patient(), TODAY, overrides=overrides)
    # then connection is the override's, its computed value is kept, and the overall follows
    connection = found.dimension(Dimension.CONNECTION)
    assert (connection.computed, connection.score) == (100.0, 10.0)
    assert found.score == 77.0  # (10 + 100 + 98.1 + 100) / 4
    # and an overall override replaces the whole
    whole = score_patient(loyal_patient(), TODAY, overrides={"overall": overrides["connection"]})
    assert (whole.score, whole.band) == (10.0, Band.LAPSING)


def test_the_lapse_gap_is_eighteen_months_or_one_and_a_half_cycles() -> None:
    # then a yearly patient lapses after 548 days, a two-yearly one after 1.5 cycles
    assert health.lapse_gap(365) == 548
    assert health.lapse_gap(400) == 600
    # and an annual patient 547 days after their visit has not lapsed; at 548 they have
    facts = PatientFacts(visits=[Visit(ago(548))])
    assert health.lapsed_on(facts, TODAY)
    assert not health.lapsed_on(facts, TODAY - timedelta(days=1))


def _outcomes(rates: dict[Band, tuple[int, int]]) -> list[tuple[Band, bool]]:
    return [
        (band, i < lapsed) for band, (patients, lapsed) in rates.items() for i in range(patients)
    ]


def test_bands_that_order_real_lapses_let_the_number_be_shown() -> None:
    # given 10 patients per band who lapsed 1, 2, 4 and 7 times out of 10
    outcomes = _outcomes(
        {Band.STRONG: (10, 1), Band.STEADY: (10, 2), Band.AT_RISK: (10, 4), Band.LAPSING: (10, 7)}
    )
    # when checked with 10 patients needed per band
    found = calibrate(outcomes, scored_on=ago(365), checked_on=TODAY, min_per_band=10)
    # then the rates rise as the band worsens: the number may be shown
    assert [b.rate for b in found.bands] == [10.0, 20.0, 40.0, 70.0]
    assert found.ordered
    assert found.reason == ""


def test_bands_out_of_order_or_too_small_show_bands_only_and_say_why() -> None:
    # given steady patients lapsing no more often than strong ones
    unordered = calibrate(
        _outcomes(
            {
                Band.STRONG: (10, 2),
                Band.STEADY: (10, 2),
                Band.AT_RISK: (10, 4),
                Band.LAPSING: (10, 7),
            }
        ),
        scored_on=ago(365),
        checked_on=TODAY,
        min_per_band=10,
    )
    # then the number is not shown, and the page says which bands
    assert not unordered.ordered
    assert unordered.reason == (
        "The bands do not order real lapses: Steady lapsed 20.0% against 20.0% for Strong."
    )
    # and a band with too few patients is no evidence either way
    small = calibrate(
        _outcomes(
            {
                Band.STRONG: (10, 1),
                Band.STEADY: (10, 2),
                Band.AT_RISK: (9, 4),
                Band.LAPSING: (10, 7),
            }
        ),
        scored_on=date(2025, 11, 30),
        checked_on=TODAY,
        min_per_band=10,
    )
    assert not small.ordered
    assert small.reason == (
        "Too few patients to check the bands: At risk had fewer than 10 on 30 Nov 2025."
    )


def test_the_next_best_action_is_recovery_then_a_call_then_a_message() -> None:
    reachable = loyal_patient()
    # a patient messages reach, with consent: a message
    assert health.next_action(reachable, TODAY) is NextAction.MESSAGE
    # with an open complaint: recovery first
    complaint = PatientFacts(**{**reachable.__dict__, "cases": [Case(ago(10))]})
    assert health.next_action(complaint, TODAY) is NextAction.RECOVERY
    # a recent detractor answer: recovery too
    detractor = PatientFacts(**{**reachable.__dict__, "recommendations": [Answer(ago(30), 4)]})
    assert health.next_action(detractor, TODAY) is NextAction.RECOVERY
    # consent revoked, or the last message failed: a call
    revoked = PatientFacts(**{**reachable.__dict__, "consents": [granted(status="revoked")]})
    assert health.next_action(revoked, TODAY) is NextAction.CALL
    failed = PatientFacts(
        **{**reachable.__dict__, "messages": [*reachable.messages, Message(ago(5), reached=False)]}
    )
    assert health.next_action(failed, TODAY) is NextAction.CALL


def test_the_reasons_name_each_dimensions_weakest_input() -> None:
    # given an annual patient last seen 800 days ago who missed two visits since
    facts = PatientFacts(
        visits=[Visit(ago(800)), Visit(ago(400), "noshow"), Visit(ago(200), "noshow")],
        contact_systems=frozenset({"email"}),
    )
    found = score_on(facts, TODAY)
    # then the reasons say what is weak, in words
    assert health.reasons(found) == [
        "Connection: time since the last visit 800 days, 2.2 x the expected cycle",
        "Commitment: visits kept 0 of 2 due in two years",
    ]
