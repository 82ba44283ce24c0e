"""Writes to laddering studies: studies, the code book, respondents, ladders and CSV imports.

``check_*`` locks the study row (keys such as A3 or L2 are handed out under that lock) and
validates; ``do_*`` writes and audits in the same transaction. Writes about a respondent linked
to a person carry that person as the audit event's patient (PHI).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit, record_audit_many
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.people.models import Person, PersonStatus
from carebond.value_maps.analysis import main_level
from carebond.value_maps.ladder_csv import CODE_KEY_PATTERN, Problem, read_ladder_csv
from carebond.value_maps.ladder_csv import Rung as CsvRung
from carebond.value_maps.models import Code, Ladder, Level, Respondent, Rung, Segment, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User

MAX_SEGMENTS = 12
_KEY_PATTERN = CODE_KEY_PATTERN  # the CSV reader checks imported codes with the same pattern


def _text(value: str, *, field_name: str, limit: int, required: bool = True) -> str:
    cleaned = " ".join(value.split()) if "\n" not in value else value.strip()
    if required and not cleaned:
        raise InvalidInput("This field is required.", field=field_name)
    if len(cleaned) > limit:
        raise InvalidInput(f"Keep it under {limit + 1} characters.", field=field_name)
    return cleaned


def _lock_study(study: Study) -> Study:
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
    title = _text(title, field_name="title", limit=200)
    question = _text(question, field_name="question", limit=2000)
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
def check_add_segment(study: Study, name: str, *, acting_user: User | None) -> Segment:
    """Audit: value_maps.segment.added."""
    study = _lock_study(study)
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


# --- the code book ----------------------------------------------------------------------------


def _clean_level(level: str) -> str:
    spelled = {value.casefold(): value for value in Level.values}
    found = spelled.get(level.strip().casefold())
    if found is None:
        raise InvalidInput(
            f"{level!r} is not a level; use A, C, V or a subtype A_c, A_a, C_f, C_p, V_i, V_t.",
            field="level",
        )
    return found


def _clean_key(study: Study, key: str, *, exclude: Code | None = None) -> str:
    key = key.strip()
    if not _KEY_PATTERN.match(key):
        raise InvalidInput(
            "A code's short id is 1 to 20 letters, digits, '-', '_' or '.', e.g. C3.", field="key"
        )
    taken = Code.objects.filter(study=study, key__iexact=key)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise InvalidInput(f"The study already has a code {key}.", field="key")
    return key


def next_code_key(study: Study, level: str) -> str:
    """A1, A2… per main level: one more than the highest number in use."""
    letter = main_level(level)
    numbers = [
        int(match.group(1))
        for key in Code.objects.filter(study=study, key__istartswith=letter).values_list(
            "key", flat=True
        )
        if (match := re.fullmatch(rf"{letter}(\d+)", key, flags=re.IGNORECASE))
    ]
    return f"{letter}{max(numbers, default=0) + 1}"


def _synonyms(values: Sequence[str], *, label: str) -> list[str]:
    kept: list[str] = []
    for value in values:
        text = " ".join(value.split())
        if (
            text
            and text.casefold() != label.casefold()
            and text.casefold() not in {k.casefold() for k in kept}
        ):
            kept.append(text[:120])
    return kept


def _check_label_free(study: Study, label: str, *, exclude: Code | None = None) -> None:
    same_label = Code.objects.filter(study=study, label__iexact=label)
    if exclude is not None:
        same_label = same_label.exclude(pk=exclude.pk)
    found = same_label.first()
    if found is not None:
        raise InvalidInput(
            f"The code book already has {found.key} '{found.label}'; pick it instead.",
            field="label",
        )


@transaction.atomic
def check_create_code(
    study: Study,
    *,
    label: str,
    level: str,
    key: str = "",
    definition: str = "",
    synonyms: Sequence[str] = (),
    acting_user: User | None,
) -> Code:
    """Audit: value_maps.code.created. Without a key, the next one of its level (C4)."""
    study = _lock_study(study)
    label = _text(label, field_name="label", limit=120)
    level = _clean_level(level)
    key = _clean_key(study, key) if key.strip() else next_code_key(study, level)
    _check_label_free(study, label)
    code = Code.objects.create(
        organization_id=study.organization_id,
        study=study,
        key=key,
        label=label,
        level=level,
        definition=definition.strip(),
        synonyms=_synonyms(synonyms, label=label),
    )
    record_audit(
        actor=acting_user,
        action="value_maps.code.created",
        target=code,
        organization=study.organization,
        changed_fields=["key", "label", "level", "definition", "synonyms"],
    )
    return code


@transaction.atomic
def check_rename_code(
    code: Code,
    *,
    label: str,
    key: str | None = None,
    definition: str | None = None,
    acting_user: User | None,
) -> Code:
    """Audit: value_maps.code.renamed. The code keeps its row, so every rung keeps it."""
    study = _lock_study(code.study)
    code = Code.objects.select_for_update().get(pk=code.pk)
    changes: dict[str, str] = {}
    new_label = _text(label, field_name="label", limit=120)
    if new_label != code.label:
        _check_label_free(study, new_label, exclude=code)
        changes["label"] = new_label
    if key is not None and key.strip() != code.key:
        changes["key"] = _clean_key(study, key, exclude=code)
    if definition is not None and definition.strip() != code.definition:
        changes["definition"] = definition.strip()
    if not changes:
        return code
    for name, value in changes.items():
        setattr(code, name, value)
    code.synonyms = _synonyms(code.synonyms, label=code.label)
    code.save(update_fields=[*changes, "synonyms"])
    record_audit(
        actor=acting_user,
        action="value_maps.code.renamed",
        target=code,
        organization=study.organization,
        changed_fields=list(changes),
    )
    return code


@transaction.atomic
def check_merge_codes(merged: Code, into: Code, *, acting_user: User | None) -> Code:
    """Audit: value_maps.code.merged (on ``into``), plus one per respondent linked to a person
    whose rungs moved, with the person as patient. Every rung of ``merged`` now points at
    ``into``; the merged code's label (and synonyms) become synonyms of ``into``; ``merged`` is
    deleted."""
    if merged.study_id != into.study_id:
        raise RuleViolation("Both codes must belong to the same study.", code="other_study")
    if merged.pk == into.pk:
        raise InvalidInput("Choose another code to merge into.", field="into")
    study = _lock_study(into.study)
    merged, into = (Code.objects.select_for_update().get(pk=c.pk) for c in (merged, into))
    if main_level(merged.level) != main_level(into.level):
        raise RuleViolation(
            f"{merged.key} is a {merged.get_level_display().lower()} and {into.key} a "
            f"{into.get_level_display().lower()}; merge codes of the same level only.",
            code="level_mismatch",
        )
    linked = list(
        Respondent.objects.filter(ladders__rungs__code=merged, person__isnull=False)
        .select_related("person")
        .distinct()
    )
    moved = Rung.objects.filter(code=merged).update(code=into)
    into.synonyms = _synonyms([*into.synonyms, merged.label, *merged.synonyms], label=into.label)
    into.save(update_fields=["synonyms"])
    merged.delete()
    record_audit(
        actor=acting_user,
        action="value_maps.code.merged",
        target=into,
        organization=study.organization,
        changed_fields=["synonyms", *(["rungs"] if moved else [])],
    )
    if linked:
        # Ladders of people changed: one event per respondent, naming the patient.
        record_audit_many(
            actor=acting_user,
            action="value_maps.code.merged",
            organization=study.organization,
            targets=[(respondent, respondent.person, ["rungs"]) for respondent in linked],
        )
    return into


# --- respondents and ladders ------------------------------------------------------------------


def next_respondent_label(study: Study) -> str:
    return f"R{Respondent.objects.filter(study=study).count() + 1}"


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
    study = _lock_study(study)
    label = _text(label, field_name="label", limit=60)
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
    _lock_study(respondent.study)
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
    _lock_study(respondent.study)
    record_audit(
        actor=acting_user,
        action="value_maps.ladder.deleted",
        target=ladder,
        organization=respondent.study.organization,
        patient=respondent.person,
        changed_fields=["rungs"],
    )
    ladder.delete()


# --- CSV import -------------------------------------------------------------------------------


@dataclass
class LadderImport:
    """What an import did or would do. ``errors`` non-empty: nothing was written."""

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    dry_run: bool = False
    ladders: int = 0
    rungs: int = 0
    new_codes: list[str] = field(default_factory=list)
    new_respondents: list[str] = field(default_factory=list)
    new_segments: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run


@transaction.atomic
def check_import_ladders(
    study: Study, data: bytes, *, dry_run: bool = False, acting_user: User | None
) -> LadderImport:
    """Read a CSV of ladders (ladder_csv) and add it to the study, all or nothing.

    On top of the file's own checks, rows must agree with what the study already holds: a code
    keeps its level, a respondent stays in one segment, and a ladder id is not imported twice.
    Audit: value_maps.ladders.imported (the study), plus one value_maps.ladder.added per
    respondent linked to a person.
    """
    study = _lock_study(study)
    read = read_ladder_csv(data)
    if read.study is None:
        return LadderImport(errors=read.errors, warnings=read.warnings, dry_run=dry_run)
    codes = {code.key.casefold(): code for code in Code.objects.filter(study=study)}
    respondents = {
        r.label.casefold(): r
        for r in Respondent.objects.filter(study=study).select_related("segment", "person")
    }
    segments = {s.name.casefold(): s for s in Segment.objects.filter(study=study)}
    existing_ladders = {
        (label.casefold(), key.casefold())
        for label, key in Ladder.objects.filter(respondent__study=study).values_list(
            "respondent__label", "key"
        )
    }
    errors: list[Problem] = []
    reported: set[tuple[str, ...]] = set()
    for rung in read.rungs:
        for column, value, limit in (
            ("respondent", rung.respondent, 60),
            ("segment", rung.segment, 80),
            ("ladder", rung.ladder, 20),
            ("code", rung.code, 20),
            ("label", rung.label, 120),
        ):
            if len(value) > limit:
                errors.append(Problem(rung.row, f"is longer than {limit} characters.", column))
        code = codes.get(rung.code.casefold())
        if (
            code is not None
            and code.level != rung.level
            and ("level", rung.code.casefold()) not in reported
        ):
            reported.add(("level", rung.code.casefold()))
            errors.append(
                Problem(
                    rung.row,
                    f"code {rung.code} is {code.level} in the study's code book, not {rung.level}.",
                    "level",
                )
            )
        respondent = respondents.get(rung.respondent.casefold())
        if respondent is not None:
            current = respondent.segment.name if respondent.segment else ""
            if current.casefold() != rung.segment.casefold() and (
                ("segment", rung.respondent.casefold()) not in reported
            ):
                reported.add(("segment", rung.respondent.casefold()))
                errors.append(
                    Problem(
                        rung.row,
                        f"respondent {rung.respondent} is in segment {current!r} in the study, "
                        f"not {rung.segment!r}.",
                        "segment",
                    )
                )
        ladder_key = (rung.respondent.casefold(), rung.ladder.casefold())
        if ladder_key in existing_ladders and ("ladder", *ladder_key) not in reported:
            reported.add(("ladder", *ladder_key))
            errors.append(
                Problem(
                    rung.row,
                    f"ladder {rung.ladder} of respondent {rung.respondent} is already in the "
                    "study (imported before?).",
                    "ladder",
                )
            )
    new_segment_names = sorted(
        {r.segment for r in read.rungs if r.segment and r.segment.casefold() not in segments}
    )
    if len(segments) + len(new_segment_names) > MAX_SEGMENTS:
        errors.append(Problem(1, f"A study has at most {MAX_SEGMENTS} segments.", "segment"))
    outcome = LadderImport(
        errors=tuple(sorted(errors, key=lambda p: p.row)),
        warnings=read.warnings,
        dry_run=dry_run,
        ladders=len(read.study.ladders),
        rungs=len(read.rungs),
        new_codes=sorted({r.code for r in read.rungs if r.code.casefold() not in codes}),
        new_respondents=sorted(
            {r.respondent for r in read.rungs if r.respondent.casefold() not in respondents}
        ),
        new_segments=new_segment_names,
    )
    if outcome.rejected or dry_run:
        return outcome
    _write_import(study, read.rungs, codes, respondents, segments, acting_user)
    return outcome


def _write_import(
    study: Study,
    csv_rungs: Sequence[CsvRung],
    codes: dict[str, Code],
    respondents: dict[str, Respondent],
    segments: dict[str, Segment],
    acting_user: User | None,
) -> None:
    org_id = study.organization_id
    labels: dict[str, str] = {}
    for rung in csv_rungs:
        if rung.label and rung.code.casefold() not in labels:
            labels[rung.code.casefold()] = rung.label
    for rung in csv_rungs:
        if rung.segment and rung.segment.casefold() not in segments:
            segments[rung.segment.casefold()] = Segment.objects.create(
                organization_id=org_id, study=study, name=rung.segment
            )
        if rung.code.casefold() not in codes:
            codes[rung.code.casefold()] = Code.objects.create(
                organization_id=org_id,
                study=study,
                key=rung.code,
                label=labels.get(rung.code.casefold(), rung.code),
                level=rung.level,
            )
        if rung.respondent.casefold() not in respondents:
            respondents[rung.respondent.casefold()] = Respondent.objects.create(
                organization_id=org_id,
                study=study,
                label=rung.respondent,
                segment=segments.get(rung.segment.casefold()) if rung.segment else None,
                created_at=clock.now(),
            )
    now = clock.now()
    by_ladder: dict[tuple[str, str], list[CsvRung]] = {}
    for rung in csv_rungs:
        by_ladder.setdefault((rung.respondent.casefold(), rung.ladder), []).append(rung)
    ladders = Ladder.objects.bulk_create(
        Ladder(
            organization_id=org_id,
            respondent=respondents[respondent],
            key=key,
            created_at=now,
            created_by=acting_user,
        )
        for respondent, key in by_ladder
    )
    Rung.objects.bulk_create(
        (
            Rung(
                organization_id=org_id,
                ladder=ladder,
                position=rung.position,
                code=codes[rung.code.casefold()],
            )
            for ladder, ladder_rungs in zip(ladders, by_ladder.values(), strict=True)
            for rung in ladder_rungs
        ),
        batch_size=500,
    )
    record_audit(
        actor=acting_user,
        action="value_maps.ladders.imported",
        target=study,
        changed_fields=["codes", "respondents", "ladders"],
    )
    linked = {
        ladder.respondent.pk: ladder.respondent
        for ladder in ladders
        if ladder.respondent.person_id is not None
    }
    if linked:
        record_audit_many(
            actor=acting_user,
            action="value_maps.ladder.added",
            organization=study.organization,
            targets=[(r, r.person, ["ladders"]) for r in linked.values()],
        )
