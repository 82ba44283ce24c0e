"""Writes to laddering studies: studies, the code book, respondents, ladders and CSV imports.

``check_*`` locks the study row (keys such as A3 or L2 are handed out under that lock) and
validates; ``do_*`` writes and audits in the same transaction. Writes about a respondent linked
to a person carry that person as the audit event's patient (PHI).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.people.models import Person, PersonStatus
from carebond.value_maps.models import Code, Ladder, Respondent, Rung, Segment, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User

MAX_SEGMENTS = 12


def clean_text(value: str, *, field_name: str, limit: int, required: bool = True) -> str:
    cleaned = " ".join(value.split()) if "\n" not in value else value.strip()
    if required and not cleaned:
        raise InvalidInput("This field is required.", field=field_name)
    if len(cleaned) > limit:
        raise InvalidInput(f"Keep it under {limit + 1} characters.", field=field_name)
    return cleaned


def lock_study(study: Study) -> Study:
    return Study.objects.select_for_update().select_related("organization").get(pk=study.pk)


# --- studies ----------------------------------------------------------------------------------


def clean_segment_names(names: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for name in names:
        text = " ".join(name.split())
        if not text:
            continue
        if len(text) > 80:
            raise InvalidInput("Keep a segment's name under 81 characters.", field="segments")
        if text.casefold() not in {n.casefold() for n in cleaned}:
            cleaned.append(text)
    if len(cleaned) > MAX_SEGMENTS:
        raise InvalidInput(f"At most {MAX_SEGMENTS} segments.", field="segments")
    return cleaned


def check_create_study(
    organization: Organization,
    *,
    title: str,
    question: str,
    interview_guide: str = "",
    segments: Sequence[str] = (),
    acting_user: User | None,
) -> Study:
    title = clean_text(title, field_name="title", limit=200)
    question = clean_text(question, field_name="question", limit=2000)
    guide = interview_guide.strip()
    names = clean_segment_names(segments)
    if Study.objects.filter(organization=organization, title__iexact=title).exists():
        raise InvalidInput("A study with this title already exists.", field="title")
    return do_create_study(
        organization,
        title=title,
        question=question,
        interview_guide=guide,
        segments=names,
        acting_user=acting_user,
    )


@transaction.atomic
def do_create_study(
    organization: Organization,
    *,
    title: str,
    question: str,
    interview_guide: str,
    segments: Sequence[str],
    acting_user: User | None,
) -> Study:
    """Audit: value_maps.study.created."""
    study = Study.objects.create(
        organization=organization,
        title=title,
        question=question,
        interview_guide=interview_guide,
        created_by=acting_user,
    )
    Segment.objects.bulk_create(
        Segment(organization=organization, study=study, name=name) for name in segments
    )
    record_audit(
        actor=acting_user,
        action="value_maps.study.created",
        target=study,
        changed_fields=["title", "question", "interview_guide", "segments"],
    )
    return study


@transaction.atomic
def check_update_study(
    study: Study,
    *,
    title: str,
    question: str,
    interview_guide: str,
    segment_names: Mapping[int, str],
    acting_user: User | None,
) -> Study:
    """Edit what the study asks and how its segments are called; ladders, respondents and codes
    stay as they are (a renamed segment keeps its respondents). ``segment_names`` maps a
    segment's id to its new name; segments not named keep theirs."""
    study = lock_study(study)
    title = clean_text(title, field_name="title", limit=200)
    question = clean_text(question, field_name="question", limit=2000)
    guide = interview_guide.strip()
    taken = Study.objects.filter(organization_id=study.organization_id, title__iexact=title)
    if taken.exclude(pk=study.pk).exists():
        raise InvalidInput("A study with this title already exists.", field="title")
    segments = {segment.pk: segment for segment in Segment.objects.filter(study=study)}
    renamed: dict[int, str] = {}
    for segment_id, name in segment_names.items():
        field_name = f"segment_{segment_id}"
        if segment_id not in segments:
            raise InvalidInput("This segment is not part of the study.", field=field_name)
        cleaned = " ".join(name.split())
        if not cleaned:
            raise InvalidInput("Name the segment.", field=field_name)
        if len(cleaned) > 80:
            raise InvalidInput("Keep a segment's name under 81 characters.", field=field_name)
        if cleaned != segments[segment_id].name:
            renamed[segment_id] = cleaned
    final = {pk: renamed.get(pk, segment.name) for pk, segment in segments.items()}
    seen: dict[str, int] = {}
    for pk in sorted(final, key=lambda pk: segments[pk].name.casefold()):
        earlier = seen.setdefault(final[pk].casefold(), pk)
        if earlier != pk:
            raise InvalidInput(
                f"Two segments would be called “{final[pk]}”; each needs its own name.",
                field=f"segment_{pk}" if pk in renamed else f"segment_{earlier}",
            )
    return do_update_study(
        study,
        title=title,
        question=question,
        interview_guide=guide,
        renamed={segments[pk]: name for pk, name in renamed.items()},
        acting_user=acting_user,
    )


@transaction.atomic
def do_update_study(
    study: Study,
    *,
    title: str,
    question: str,
    interview_guide: str,
    renamed: Mapping[Segment, str],
    acting_user: User | None,
) -> Study:
    """Audit: value_maps.study.updated, naming the fields changed (nothing changed, no event)."""
    changed = [
        name
        for name, value in (
            ("title", title),
            ("question", question),
            ("interview_guide", interview_guide),
        )
        if getattr(study, name) != value
    ]
    study.title, study.question, study.interview_guide = title, question, interview_guide
    if changed:
        study.save(update_fields=[*changed, "updated_at"])
    if renamed:
        # Two segments may swap names: park them first on names a cleaned name never is (a
        # leading space), then rename, so the unique name per study holds at every step.
        for segment in renamed:
            segment.name = f" renaming {segment.pk}"
        Segment.objects.bulk_update(list(renamed), ["name"])
        for segment, name in renamed.items():
            segment.name = name
        Segment.objects.bulk_update(list(renamed), ["name"])
        changed.append("segments")
    if changed:
        record_audit(
            actor=acting_user,
            action="value_maps.study.updated",
            target=study,
            changed_fields=changed,
        )
    return study


@transaction.atomic
def check_add_segment(study: Study, name: str, *, acting_user: User | None) -> Segment:
    """Audit: value_maps.segment.added."""
    study = lock_study(study)
    cleaned = clean_segment_names([name])
    if not cleaned:
        raise InvalidInput("Name the segment.", field="segment")
    existing = Segment.objects.filter(study=study, name__iexact=cleaned[0]).first()
    if existing is not None:
        return existing
    if Segment.objects.filter(study=study).count() >= MAX_SEGMENTS:
        raise RuleViolation(f"A study has at most {MAX_SEGMENTS} segments.", code="segments_full")
    segment = Segment.objects.create(
        organization_id=study.organization_id, study=study, name=cleaned[0]
    )
    record_audit(
        actor=acting_user,
        action="value_maps.segment.added",
        target=study,
        changed_fields=["segments"],
    )
    return segment


# --- respondents and ladders ------------------------------------------------------------------


_NUMBERED_LABEL = re.compile(r"^(.*?)(\d+)$")


def next_respondent_label(study: Study) -> str:
    """The label after the newest respondent's, in its pattern (C-20 -> C-21, P-007 -> P-008),
    the first number free; R1, R2... while the study has none."""
    labels = set(Respondent.objects.filter(study=study).values_list("label", flat=True))
    newest = Respondent.objects.filter(study=study).order_by("-created_at", "-pk").first()
    match = _NUMBERED_LABEL.match(newest.label) if newest else None
    prefix, digits = (match.group(1), match.group(2)) if match else ("R", "0")
    number = int(digits) + 1 if match else len(labels) + 1
    taken = {label.casefold() for label in labels}
    while f"{prefix}{number:0{len(digits)}d}".casefold() in taken:
        number += 1
    return f"{prefix}{number:0{len(digits)}d}"


@transaction.atomic
def check_create_respondent(
    study: Study,
    *,
    label: str,
    segment: Segment | None,
    person: Person | None = None,
    acting_user: User | None,
) -> Respondent:
    """Audit: value_maps.respondent.created (with the person as patient when linked)."""
    study = lock_study(study)
    label = clean_text(label, field_name="label", limit=60)
    if Respondent.objects.filter(study=study, label__iexact=label).exists():
        raise InvalidInput(f"The study already has a respondent {label}.", field="label")
    if segment is not None and segment.study_id != study.pk:
        raise InvalidInput("Choose a segment of this study.", field="segment")
    if person is not None:
        # Tenancy: a respondent may only be someone of the study's own organisation.
        if person.organization_id != study.organization_id:
            raise InvalidInput("No such person.", field="person")
        if person.status == PersonStatus.MERGED:
            raise RuleViolation(
                "This record was merged into another one; link that one.", code="person_merged"
            )
    return do_create_respondent(
        study, label=label, segment=segment, person=person, acting_user=acting_user
    )


@transaction.atomic
def do_create_respondent(
    study: Study,
    *,
    label: str,
    segment: Segment | None,
    person: Person | None,
    acting_user: User | None,
) -> Respondent:
    respondent = Respondent.objects.create(
        organization_id=study.organization_id,
        study=study,
        label=label,
        segment=segment,
        person=person,
        created_at=clock.now(),
    )
    record_audit(
        actor=acting_user,
        action="value_maps.respondent.created",
        target=respondent,
        organization=study.organization,
        patient=person,
        changed_fields=["label", "segment", *(["person"] if person else [])],
    )
    return respondent


@dataclass(frozen=True)
class RungInput:
    """A rung as captured: the code and the respondent's own words."""

    code: Code
    words: str = ""


def _next_ladder_key(respondent: Respondent) -> str:
    numbers = [
        int(match.group(1))
        for key in Ladder.objects.filter(respondent=respondent).values_list("key", flat=True)
        if (match := re.fullmatch(r"L(\d+)", key))
    ]
    return f"L{max(numbers, default=0) + 1}"


@transaction.atomic
def check_add_ladder(
    respondent: Respondent, rungs: Sequence[RungInput], *, acting_user: User | None
) -> Ladder:
    """Audit: value_maps.ladder.added. A ladder links two codes or more, all of its study."""
    lock_study(respondent.study)
    if len(rungs) < 2:
        raise InvalidInput("A ladder links two codes or more; add another rung.", field="code")
    if any(rung.code.study_id != respondent.study_id for rung in rungs):
        raise InvalidInput("Every rung must use a code of this study.", field="code")
    for rung in rungs:
        if len(rung.words) > 2000:
            raise InvalidInput("Keep the words under 2001 characters.", field="words")
    return do_add_ladder(respondent, rungs, acting_user=acting_user)


@transaction.atomic
def do_add_ladder(
    respondent: Respondent, rungs: Sequence[RungInput], *, acting_user: User | None
) -> Ladder:
    ladder = Ladder.objects.create(
        organization_id=respondent.organization_id,
        respondent=respondent,
        key=_next_ladder_key(respondent),
        created_at=clock.now(),
        created_by=acting_user,
    )
    Rung.objects.bulk_create(
        Rung(
            organization_id=respondent.organization_id,
            ladder=ladder,
            position=position,
            code=rung.code,
            words=rung.words.strip(),
        )
        for position, rung in enumerate(rungs, start=1)
    )
    record_audit(
        actor=acting_user,
        action="value_maps.ladder.added",
        target=ladder,
        organization=respondent.study.organization,
        patient=respondent.person,
        changed_fields=["rungs"],
    )
    return ladder


@transaction.atomic
def check_delete_ladder(ladder: Ladder, *, acting_user: User | None) -> None:
    """Audit: value_maps.ladder.deleted."""
    respondent = ladder.respondent
    lock_study(respondent.study)
    record_audit(
        actor=acting_user,
        action="value_maps.ladder.deleted",
        target=ladder,
        organization=respondent.study.organization,
        patient=respondent.person,
        changed_fields=["rungs"],
    )
    ladder.delete()
