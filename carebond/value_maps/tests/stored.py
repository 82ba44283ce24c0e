"""Stored studies for the tests: the worked example of docs/methods.md §1.5 through the actions."""

from __future__ import annotations

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.people.models import Person
from carebond.value_maps.actions import (
    RungInput,
    check_add_ladder,
    check_create_respondent,
    check_create_study,
)
from carebond.value_maps.code_actions import check_create_code
from carebond.value_maps.models import Code, Segment, Study

# §1.5: seven codes, four respondents, one ladder each.
WORKED_CODES = (
    ("A1", "same-day appointments", "A_c"),
    ("A2", "doctor explains clearly", "A_a"),
    ("C1", "less waiting", "C_f"),
    ("C2", "understand my condition", "C_f"),
    ("C3", "feel in control", "C_p"),
    ("V1", "peace of mind", "V_t"),
    ("V2", "independence", "V_i"),
)
WORKED_LADDERS = (
    ("R1", "new patient", ("A1", "C1", "C3", "V1")),
    ("R2", "chronic care", ("A2", "C2", "C3", "V1")),
    ("R3", "new patient", ("A1", "C1", "V2")),
    ("R4", "chronic care", ("A2", "C2", "C3", "V1")),
)
WORKED_CSV = "respondent,segment,ladder,position,code,label,level\n" + "".join(
    f"{respondent},{segment},L1,{position},{key},{ {k: lab for k, lab, _ in WORKED_CODES}[key] },"
    f"{ {k: v for k, _, v in WORKED_CODES}[key] }\n"
    for respondent, segment, rungs in WORKED_LADDERS
    for position, key in enumerate(rungs, start=1)
)


def make_study(
    organization: Organization, user: User | None, *, title: str = "Why patients stay"
) -> Study:
    return check_create_study(
        organization,
        title=title,
        question="What matters to you about our clinic?",
        interview_guide="Why is that important to you?",
        segments=["new patient", "chronic care"],
        acting_user=user,
    )


def worked_example(
    organization: Organization, user: User | None, *, person: Person | None = None
) -> Study:
    """The §1.5 study; R1 is linked to ``person`` when given."""
    study = make_study(organization, user)
    codes: dict[str, Code] = {
        key: check_create_code(study, key=key, label=label, level=level, acting_user=user)
        for key, label, level in WORKED_CODES
    }
    segments = {s.name: s for s in Segment.objects.filter(study=study)}
    for respondent_label, segment, rungs in WORKED_LADDERS:
        respondent = check_create_respondent(
            study,
            label=respondent_label,
            segment=segments[segment],
            person=person if respondent_label == "R1" else None,
            acting_user=user,
        )
        check_add_ladder(
            respondent,
            [RungInput(codes[key], f"{respondent_label} said {key}") for key in rungs],
            acting_user=user,
        )
    return study
