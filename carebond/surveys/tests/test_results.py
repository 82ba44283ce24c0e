"""Scores read from stored responses: the worked NPS example of methods §2.7 (n = 12: 7
promoters, 3 passives, 2 detractors -> 41.7, CI -1.3 to 84.6), and satisfaction per moment of
truth beside the billing questions."""

from __future__ import annotations

from typing import Any

import pytest

from carebond.core import clock
from carebond.people.tests.factories import make_patient
from carebond.surveys.models import Response
from carebond.surveys.result_selectors import get_results, moments_summary
from carebond.surveys.tests.conftest import Practice


def answered(practice: Practice, key: str, answers: list[dict[str, Any]]) -> None:
    instrument = practice.instrument(key)
    version = instrument.versions.get()
    for n, given in enumerate(answers):
        Response.objects.create(
            organization=practice.organization,
            version=version,
            person=make_patient(practice.organization, f"R{n}", "Quist"),
            status="completed",
            answers=given,
            language="en",
            started_at=clock.now(),
            updated_at=clock.now(),
            submitted_at=clock.now(),
            location=practice.main,
        )


def test_the_worked_nps_example_from_stored_answers(practice: Practice, manager_a: Any) -> None:
    scores = [10, 9, 9, 10, 9, 10, 9, 8, 7, 8, 3, 6]
    answered(practice, "post-visit", [{"recommend": s} for s in scores])
    results = get_results(user=manager_a, instrument=practice.instrument("post-visit"), days=30)
    assert results.nps is not None
    assert (results.nps.promoters, results.nps.passives, results.nps.detractors) == (7, 3, 2)
    assert results.nps.score.value == pytest.approx(41.7, abs=0.05)
    assert results.nps.score.interval is not None
    low, high = results.nps.score.interval
    assert (round(low, 1), round(high, 1)) == (-1.3, 84.6)


def test_satisfaction_per_moment(practice: Practice, analyst_a: Any) -> None:
    answered(practice, "moment-billing", [{"billing": a} for a in (5, 4, 4, 2, 1, 2)])
    answered(practice, "moment-scheduling", [{"scheduling": a} for a in (5, 5, 4)])
    moments = moments_summary(user=analyst_a)
    assert moments is not None
    by_moment = {row.moment: row.score for row in moments.rows}
    assert by_moment["Billing"].value == pytest.approx(50.0)  # 3 of 6 agree or strongly agree
    assert by_moment["Billing"].shown
    assert not by_moment["Scheduling"].shown  # 3 responses: hidden
    assert moments.billing_questions.asked == 0
