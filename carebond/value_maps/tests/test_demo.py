"""The demo study: two segments of 20 whose maps meet at the relationship values."""

from __future__ import annotations

import random

import pytest

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.demo.value_maps import build_value_maps
from carebond.value_maps.analysis import analyze, compare_segments
from carebond.value_maps.models import Rung, Study
from carebond.value_maps.selectors import ladder_study

pytestmark = pytest.mark.django_db


def test_the_demo_study_meets_at_trust_feeling_known_and_partnership(
    org_a: Organization, org_b: Organization, manager_a: User
) -> None:
    study = build_value_maps(
        org_a, rng=random.Random("42-value-maps"), people=None, acting_user=manager_a
    )
    stored = ladder_study(study)
    assert {
        s: sum(1 for r in stored.respondents if r.startswith(s[0].upper())) for s in stored.segments
    } == {
        "clinicians": 20,
        "patients": 20,
    }
    comparison = compare_segments(stored, "patients", "clinicians")
    shared_values = {c for c in comparison.codes_shared if c.startswith("V")}
    assert shared_values == {"V1", "V2", "V3"}
    for segment in (comparison.first, comparison.second):
        on_map = {node.code.id for node in segment.value_map.nodes}
        assert {"V1", "V2", "V3"} <= on_map
    assert analyze(stored).value_map.acyclic
    # deterministic by seed, and built once
    again = build_value_maps(
        org_b, rng=random.Random("42-value-maps"), people=None, acting_user=None
    )
    assert [la.rungs for la in ladder_study(again).ladders] == [la.rungs for la in stored.ladders]
    assert build_value_maps(org_a, rng=random.Random(1), people=None, acting_user=None) == study
    assert Study.objects.filter(organization=org_a).count() == 1


def test_in_the_demo_each_segment_speaks_in_its_own_words(
    org_a: Organization, manager_a: User
) -> None:
    study = build_value_maps(
        org_a, rng=random.Random("42-value-maps"), people=None, acting_user=manager_a
    )
    said: dict[str, set[str]] = {"patients": set(), "clinicians": set()}
    for rung in Rung.objects.filter(ladder__respondent__study=study).select_related(
        "ladder__respondent__segment"
    ):
        segment = rung.ladder.respondent.segment
        assert segment is not None
        said[segment.name].add(rung.words)
    # patients never speak as clinicians ("my patients"), nor clinicians as patients
    assert not [words for words in said["patients"] if "my patients" in words]
    assert not [words for words in said["clinicians"] if "my chart" in words]
