"""The demo laddering study: why patients and clinicians stay with the practice.

Two segments of 20 respondents each. Patients climb from continuity, clear explanations and
quick answers; clinicians from protected time, shared care plans and prepared patients. Both
hierarchies meet at the relationship values, trust, feeling known and partnership, which is
what the side-by-side comparison shows. Written through the value-map actions (validated and
audited); deterministic by seed, and built once (a second run finds the study and stops).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from carebond.value_maps.actions import (
    RungInput,
    check_add_ladder,
    check_create_respondent,
    check_create_study,
)
from carebond.value_maps.code_actions import check_create_code
from carebond.value_maps.models import Code, Segment, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.core.models import Organization
    from carebond.demo.people import DemoPeople

TITLE = "Why people stay with Riverbend"
RESPONDENTS_PER_SEGMENT = 20
LINKED_PATIENTS = 4  # a few respondents are linked to demo patients: analysts never see who

# key, label, level, definition, what respondents said (and, for the values both segments reach,
# what clinicians said, when it differs).
CODES: tuple[tuple[str, str, str, str, tuple[str, ...], *tuple[tuple[str, ...], ...]], ...] = (
    (
        "A1",
        "same-day appointments",
        "A_c",
        "Can be seen the day they call.",
        ("I called at eight and was seen by eleven", "they always find me a slot the same day"),
    ),
    (
        "A2",
        "same doctor every visit",
        "A_a",
        "Continuity with one clinician.",
        ("I see Dr. Raman every time", "it's the same doctor, not whoever is free"),
    ),
    (
        "A3",
        "portal messages answered",
        "A_c",
        "Messages in the patient portal get a reply.",
        (
            "I message through the portal and hear back the next morning",
            "the nurse answers my portal questions",
        ),
    ),
    (
        "A4",
        "doctor explains clearly",
        "A_a",
        "Explanations in plain words.",
        ("she draws it out for me", "no jargon, he explains what the numbers mean"),
    ),
    (
        "A5",
        "reminder calls",
        "A_c",
        "A call or text before each visit.",
        ("they text me the day before", "a reminder call so I don't forget"),
    ),
    (
        "A6",
        "staff remember me",
        "A_a",
        "Front desk and nurses know the patient.",
        ("the front desk knows my name", "they ask about my grandson"),
    ),
    (
        "A7",
        "protected time per visit",
        "A_c",
        "Clinician's view: visits not cut short.",
        ("twenty minutes I can actually use", "nobody double-books my complex patients"),
    ),
    (
        "A8",
        "shared care plans",
        "A_c",
        "A plan the patient and team both see.",
        ("the plan is in the portal for both of us", "we write the goals down together"),
    ),
    (
        "A9",
        "patients come prepared",
        "A_a",
        "Patients bring questions and readings.",
        ("they bring their blood-pressure log", "a list of questions on their phone"),
    ),
    (
        "A10",
        "good handover notes",
        "A_c",
        "Clear notes between colleagues.",
        ("I can pick up where my colleague left off", "the notes tell me what matters to them"),
    ),
    (
        "C1",
        "less waiting",
        "C_f",
        "Time saved before and at the visit.",
        ("I'm not stuck in the waiting room", "I don't wait a week with the worry"),
    ),
    (
        "C2",
        "understand my condition",
        "C_f",
        "The patient knows what is going on.",
        ("now I know what my sugar numbers mean", "I understand why I take each pill"),
    ),
    (
        "C3",
        "questions answered quickly",
        "C_f",
        "Doubts cleared between visits.",
        ("I don't sit on a question for a month", "small worries get sorted fast"),
    ),
    (
        "C4",
        "feel listened to",
        "C_p",
        "Being heard, not rushed.",
        ("he lets me finish", "she listens before she types"),
    ),
    (
        "C5",
        "feel in control",
        "C_p",
        "Managing one's own health.",
        ("I can manage it myself now", "I feel like I'm in charge of my health"),
    ),
    (
        "C6",
        "less anxious",
        "C_p",
        "Less worry about health.",
        ("I sleep better", "I'm not scared every time I feel a twinge"),
    ),
    (
        "C7",
        "can explore what matters",
        "C_f",
        "Time to ask about goals and life.",
        ("I get to ask what they want from treatment", "we talk about more than the lab values"),
    ),
    (
        "C8",
        "patients follow through",
        "C_f",
        "Plans are carried out.",
        ("they actually take the medication", "they come back for the follow-up"),
    ),
    (
        "C9",
        "fewer repeat visits",
        "C_f",
        "Problems solved the first time.",
        ("I don't see the same problem three times", "fewer emergency bookings"),
    ),
    (
        "C10",
        "feel effective",
        "C_p",
        "The clinician sees the care working.",
        ("I can see I made a difference", "it feels like real medicine"),
    ),
    (
        "C11",
        "less burnout",
        "C_p",
        "Sustainable work for clinicians.",
        ("I go home less drained", "I still like this job"),
    ),
    (
        "V1",
        "trust",
        "V_t",
        "Confidence in each other.",
        ("I trust them with my family", "trust goes both ways"),
        ("my patients trust me", "trust goes both ways"),
    ),
    (
        "V2",
        "feeling known",
        "V_t",
        "Being known as a person.",
        ("they know me, not just my chart", "they remember my story"),
        ("knowing my patients as people", "I know their families"),
    ),
    (
        "V3",
        "partnership in care",
        "V_i",
        "Working together on health.",
        ("we're a team", "it's a partnership, not orders"),
    ),
    ("V4", "peace of mind", "V_t", "Security about health.", ("peace of mind", "I feel safe")),
    (
        "V5",
        "professional pride",
        "V_i",
        "Pride in doing good work.",
        ("I'm proud of the care we give", "this is why I became a doctor"),
    ),
)

# Typical chains per segment, with how often they come up (weights).
CHAINS: dict[str, tuple[tuple[tuple[str, ...], int], ...]] = {
    "patients": (
        (("A2", "C4", "V2"), 6),
        (("A2", "C4", "V1"), 5),
        (("A4", "C2", "C5", "V3"), 5),
        (("A4", "C2", "C6", "V4"), 4),
        (("A1", "C1", "C6", "V4"), 4),
        (("A3", "C3", "C5", "V3"), 3),
        (("A6", "C4", "V2"), 3),
        (("A4", "C4", "V1"), 3),
        (("A5", "C1", "V4"), 2),
        (("A3", "C3", "C6", "V1"), 1),
    ),
    "clinicians": (
        (("A7", "C7", "V2"), 6),
        (("A7", "C7", "C10", "V3"), 4),
        (("A8", "C8", "V3"), 5),
        (("A8", "C8", "C10", "V5"), 3),
        (("A9", "C8", "C9", "V5"), 3),
        (("A7", "C7", "V1"), 4),
        (("A10", "C9", "C11", "V5"), 2),
        (("A8", "C7", "V1"), 2),
        (("A10", "C7", "V2"), 2),
        (("A9", "C10", "V3"), 1),
    ),
}


def build_value_maps(
    organization: Organization,
    *,
    rng: random.Random,
    people: DemoPeople | None,
    acting_user: User | None,
) -> Study:
    existing = Study.objects.filter(organization=organization, title=TITLE).first()
    if existing is not None:
        return existing
    study = check_create_study(
        organization,
        title=TITLE,
        question="What matters most to you about the care at Riverbend, and why?",
        interview_guide="Why is that important to you?\nWhat does that give you?\n"
        "What would happen if it were missing?\nHow would you feel then?",
        segments=list(CHAINS),
        acting_user=acting_user,
    )
    codes: dict[str, Code] = {}
    words: dict[tuple[str, str], tuple[str, ...]] = {}
    for key, label, level, definition, said, *clinicians_said in CODES:
        codes[key] = check_create_code(
            study, key=key, label=label, level=level, definition=definition, acting_user=acting_user
        )
        words[(key, "patients")] = said
        words[(key, "clinicians")] = clinicians_said[0] if clinicians_said else said
    segments = {s.name: s for s in Segment.objects.filter(study=study)}
    patients = list(people.patients) if people is not None else []
    for segment, chains in CHAINS.items():
        prefix = "P" if segment == "patients" else "C"
        templates = [chain for chain, _ in chains]
        weights = [weight for _, weight in chains]
        for number in range(1, RESPONDENTS_PER_SEGMENT + 1):
            person = (
                patients[number - 1]
                if segment == "patients" and number <= LINKED_PATIENTS and number <= len(patients)
                else None
            )
            respondent = check_create_respondent(
                study,
                label=f"{prefix}-{number:02d}",
                segment=segments[segment],
                person=person,
                acting_user=acting_user,
            )
            picked: list[tuple[str, ...]] = []
            for chain in rng.choices(templates, weights=weights, k=rng.randint(2, 4)):
                if chain not in picked:
                    picked.append(chain)
            for chain in picked:
                check_add_ladder(
                    respondent,
                    [RungInput(codes[key], rng.choice(words[(key, segment)])) for key in chain],
                    acting_user=acting_user,
                )
    return study
