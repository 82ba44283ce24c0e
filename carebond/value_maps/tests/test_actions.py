"""Writes to stored studies: the code book keeps every ladder through renames and merges."""

from __future__ import annotations

from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.people.tests.factories import make_patient
from carebond.value_maps.actions import (
    RungInput,
    check_add_ladder,
    check_create_respondent,
    check_update_study,
    next_respondent_label,
)
from carebond.value_maps.analysis import analyze
from carebond.value_maps.code_actions import check_create_code, check_merge_codes, check_rename_code
from carebond.value_maps.models import Code, Ladder, Respondent, Rung, Segment
from carebond.value_maps.selectors import ladder_study
from carebond.value_maps.tests.stored import make_study, worked_example

pytestmark = pytest.mark.django_db


def test_renaming_a_code_keeps_every_ladder_that_uses_it(
    org_a: Organization, manager_a: User
) -> None:
    # given the worked example, where C3 sits on three ladders
    study = worked_example(org_a, manager_a)
    code = Code.objects.get(study=study, key="C3")
    before = ladder_study(study)
    # when C3 is renamed (label and short id)
    check_rename_code(code, label="in control of my health", key="C30", acting_user=manager_a)
    # then it is the same code, and the ladders now read C30 where they read C3
    after = ladder_study(study)
    renamed = Code.objects.get(pk=code.pk)
    assert (renamed.key, renamed.label, renamed.public_id) == (
        "C30",
        "in control of my health",
        code.public_id,
    )
    assert [la.rungs for la in after.ladders] == [
        tuple("C30" if c == "C3" else c for c in la.rungs) for la in before.ladders
    ]
    assert analyze(after, cutoff=2).matrix.count("C30", "V1") == 3
    assert AuditEvent.objects.filter(
        action="value_maps.code.renamed", target_id=str(code.public_id)
    ).exists()


def test_renaming_to_a_short_id_already_used_is_refused_naming_the_field(
    org_a: Organization, manager_a: User
) -> None:
    study = worked_example(org_a, manager_a)
    code = Code.objects.get(study=study, key="C3")
    with pytest.raises(InvalidInput) as refused:
        check_rename_code(code, label="feel in control", key="c1", acting_user=manager_a)
    assert refused.value.field == "key"
    assert Code.objects.get(pk=code.pk).key == "C3"


def test_merging_repoints_rungs_and_keeps_the_label_as_a_synonym(
    org_a: Organization, manager_a: User
) -> None:
    # given a second coder's "shorter wait" used on a ladder, the same idea as C1 "less waiting"
    study = worked_example(org_a, manager_a)
    duplicate = check_create_code(study, label="shorter wait", level="C_f", acting_user=manager_a)
    respondent = check_create_respondent(study, label="R5", segment=None, acting_user=manager_a)
    a1, v1 = (Code.objects.get(study=study, key=k) for k in ("A1", "V1"))
    check_add_ladder(
        respondent,
        [RungInput(a1), RungInput(duplicate, "no more waiting room"), RungInput(v1)],
        acting_user=manager_a,
    )
    c1 = Code.objects.get(study=study, key="C1")
    # when the duplicate is merged into C1
    check_merge_codes(duplicate, c1, acting_user=manager_a)
    # then the ladder survives with C1 (and its words), the duplicate is gone, its label kept
    ladder = Ladder.objects.get(respondent=respondent)
    assert [r.code.key for r in ladder.rungs.order_by("position")] == ["A1", "C1", "V1"]
    assert Rung.objects.get(ladder=ladder, position=2).words == "no more waiting room"
    assert not Code.objects.filter(pk=duplicate.pk).exists()
    assert "shorter wait" in Code.objects.get(pk=c1.pk).synonyms
    assert Ladder.objects.filter(respondent__study=study).count() == 5
    assert analyze(ladder_study(study), cutoff=1).matrix.count("A1", "C1") == 3


def test_codes_of_different_levels_cannot_be_merged(org_a: Organization, manager_a: User) -> None:
    study = worked_example(org_a, manager_a)
    c1, v1 = (Code.objects.get(study=study, key=k) for k in ("C1", "V1"))
    with pytest.raises(RuleViolation):
        check_merge_codes(c1, v1, acting_user=manager_a)
    assert Code.objects.filter(pk=c1.pk).exists()
    assert Rung.objects.filter(code=c1).count() == 2


def test_a_ladder_needs_two_rungs(org_a: Organization, manager_a: User) -> None:
    study = worked_example(org_a, manager_a)
    respondent = check_create_respondent(study, label="R9", segment=None, acting_user=manager_a)
    with pytest.raises(InvalidInput):
        check_add_ladder(
            respondent, [RungInput(Code.objects.get(study=study, key="A1"))], acting_user=manager_a
        )
    assert not Ladder.objects.filter(respondent=respondent).exists()


def test_a_respondent_links_only_to_a_person_of_the_same_organisation(
    org_a: Organization, org_b: Organization, manager_a: User
) -> None:
    study = make_study(org_a, manager_a)
    stranger = make_patient(org_b, "Ola", "Nordmann")
    with pytest.raises(InvalidInput) as refused:
        check_create_respondent(
            study, label="R1", segment=None, person=stranger, acting_user=manager_a
        )
    assert refused.value.field == "person"


def test_ladders_of_a_linked_respondent_are_audited_with_the_patient(
    org_a: Organization, manager_a: User
) -> None:
    patient = make_patient(org_a, "Maria", "Lopez")
    worked_example(org_a, manager_a, person=patient)
    events = AuditEvent.objects.filter(action="value_maps.ladder.added")
    assert events.count() == 4
    assert list(events.exclude(patient_id="").values_list("patient_id", flat=True)) == [
        str(patient.public_id)
    ]


def test_renaming_to_a_label_already_used_is_refused_naming_the_field(
    org_a: Organization, manager_a: User
) -> None:
    study = worked_example(org_a, manager_a)
    code = Code.objects.get(study=study, key="C3")
    with pytest.raises(InvalidInput) as refused:
        check_rename_code(code, label="Less Waiting", key="C3", acting_user=manager_a)
    assert refused.value.field == "label"
    assert "C1 'less waiting'" in refused.value.message
    assert Code.objects.get(pk=code.pk).label == "feel in control"
    # changing only the case of its own label is fine
    check_rename_code(code, label="Feel in control", key="C3", acting_user=manager_a)
    assert Code.objects.get(pk=code.pk).label == "Feel in control"


def test_a_merge_moving_rungs_of_a_linked_respondent_names_the_patient(
    org_a: Organization, manager_a: User
) -> None:
    # given the worked example with R1 (ladder A1 C1 C3 V1) linked to a patient
    patient = make_patient(org_a, "Maria", "Lopez")
    study = worked_example(org_a, manager_a, person=patient)
    c1, c2 = (Code.objects.get(study=study, key=k) for k in ("C1", "C2"))
    # when C1 is merged into C2
    check_merge_codes(c1, c2, acting_user=manager_a)
    # then the merge is audited on the code and, naming the patient, on R1's record
    events = AuditEvent.objects.filter(action="value_maps.code.merged")
    assert events.filter(target_id=str(c2.public_id), patient_id="").count() == 1
    assert list(events.exclude(patient_id="").values_list("target_type", "patient_id")) == [
        ("value_maps.respondent", str(patient.public_id))
    ]


# --- editing a study ----------------------------------------------------------------------------


def test_editing_a_study_renames_segments_keeping_their_respondents_and_audits_what_changed(
    org_a: Organization, manager_a: User
) -> None:
    # given a study with two segments and a respondent in "chronic care"
    study = make_study(org_a, manager_a)
    segments = {s.name: s for s in Segment.objects.filter(study=study)}
    respondent = check_create_respondent(
        study, label="R1", segment=segments["chronic care"], acting_user=manager_a
    )
    # when the manager rewords the question and swaps the two segments' names
    check_update_study(
        study,
        title="Why patients stay",
        question="What keeps you coming back to us?",
        interview_guide="Why is that important to you?",
        segment_names={
            segments["new patient"].pk: "chronic care",
            segments["chronic care"].pk: "new patient",
        },
        acting_user=manager_a,
    )
    # then the study reads the new question, the respondent stays with its (renamed) segment
    study.refresh_from_db()
    assert study.question == "What keeps you coming back to us?"
    moved = Respondent.objects.select_related("segment").get(pk=respondent.pk)
    assert moved.segment is not None
    assert moved.segment.name == "new patient"
    # and one audit event names exactly what changed
    event = AuditEvent.objects.get(action="value_maps.study.updated")
    assert event.target_id == str(study.public_id)
    assert sorted(event.changed_fields) == ["question", "segments"]


def test_saving_a_study_unchanged_records_nothing(org_a: Organization, manager_a: User) -> None:
    study = make_study(org_a, manager_a)
    check_update_study(
        study,
        title=study.title,
        question=study.question,
        interview_guide=study.interview_guide,
        segment_names={s.pk: s.name for s in Segment.objects.filter(study=study)},
        acting_user=manager_a,
    )
    assert not AuditEvent.objects.filter(action="value_maps.study.updated").exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "Another study"}, "title", "A study with this title already exists."),
        ({"title": "  "}, "title", "This field is required."),
        ({"segments": {"new patient": "Chronic Care"}}, "segment", "Two segments would be"),
        ({"segments": {"new patient": " "}}, "segment", "Name the segment."),
        ({"segments": {"other": "x"}}, "segment", "This segment is not part of the study."),
    ],
    ids=["title taken", "empty title", "two segments one name", "empty segment", "foreign"],
)
def test_a_bad_edit_names_the_field_and_changes_nothing(
    org_a: Organization, manager_a: User, change: dict[str, Any], field: str, message: str
) -> None:
    make_study(org_a, manager_a, title="Another study")
    study = make_study(org_a, manager_a)
    other = make_study(org_a, manager_a, title="Third study")
    by_name = {s.name: s.pk for s in Segment.objects.filter(study=study)}
    by_name["other"] = Segment.objects.filter(study=other).first().pk  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as refused:
        check_update_study(
            study,
            title=change.get("title", study.title),
            question="A new question",
            interview_guide="",
            segment_names={by_name[k]: v for k, v in change.get("segments", {}).items()},
            acting_user=manager_a,
        )
    assert (refused.value.field or "").startswith(field)
    assert message in refused.value.message
    study.refresh_from_db()
    assert study.question == "What matters to you about our clinic?"
    assert sorted(Segment.objects.filter(study=study).values_list("name", flat=True)) == [
        "chronic care",
        "new patient",
    ]


def test_the_next_respondent_label_follows_the_newest_ones_pattern(
    org_a: Organization, manager_a: User
) -> None:
    study = make_study(org_a, manager_a)
    assert next_respondent_label(study) == "R1"
    for label in ("P-008", "C-20", "P-007"):
        check_create_respondent(study, label=label, segment=None, acting_user=manager_a)
    # after P-007 comes P-008, which is taken, so P-009 (zero-padded as written)
    assert next_respondent_label(study) == "P-009"
    check_create_respondent(study, label="Anna", segment=None, acting_user=manager_a)
    assert next_respondent_label(study) == "R5"  # no number to follow: R and the count
