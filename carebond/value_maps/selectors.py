"""Reads of laddering studies, always within the acting user's organisation.

``ladder_study`` turns a stored study into the pure ``analysis.LadderStudy``, so the map page,
the API and ``carebond ladder analyze`` compute with the same code. Respondents linked to a
person are named only for roles that may see PHI (never the analyst), and naming them is an
audited read. So are respondents' own words: only editors get them (the analyst's rows carry
none, and the column is not even read), and reading them is an audited read too.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Count, QuerySet

from carebond.audit.recording import record_access
from carebond.core.ids import is_uuid
from carebond.value_maps.access import VALUE_MAP_READERS, may_read_words, may_see_people
from carebond.value_maps.analysis import Code as AnalysisCode
from carebond.value_maps.analysis import (
    CountUnit,
    LadderAnalysis,
    LadderStudy,
    MatrixChoice,
    abstraction_order,
    analyze,
    level_rank,
    natural_key,
)
from carebond.value_maps.analysis import Ladder as AnalysisLadder
from carebond.value_maps.models import Code, Ladder, Respondent, Rung, Segment, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.people.models import Person


def list_studies(*, user: User) -> QuerySet[Study]:
    if not VALUE_MAP_READERS.allows(user.role):
        return Study.objects.none()
    return Study.objects.filter(organization_id=user.organization_id).annotate(
        respondent_count=Count("respondents", distinct=True),
        code_count=Count("codes", distinct=True),
    )


def list_studies_of_person(*, user: User, person: Person) -> list[Respondent]:
    """The interviews a person gave, for a person page's panel: only for those who may see who
    a respondent is (never the analyst). The page's own read is the audited one."""
    if not may_see_people(user) or person.organization_id != user.organization_id:
        return []
    return list(
        Respondent.objects.filter(organization_id=user.organization_id, person=person)
        .select_related("study", "segment")
        .annotate(ladder_count=Count("ladders"))
        .order_by("-created_at")
    )


def list_segments(study: Study) -> list[Segment]:
    return list(Segment.objects.filter(study=study))


def list_codes(study: Study) -> list[Code]:
    """The code book, attributes first, with how many rungs use each code."""
    codes = list(Code.objects.filter(study=study).annotate(rung_count=Count("rungs")))
    return sorted(codes, key=lambda c: (level_rank(c.level), natural_key(c.key)))


def _rungs(study: Study) -> QuerySet[Rung]:
    return Rung.objects.filter(ladder__respondent__study=study).select_related(
        "code", "ladder", "ladder__respondent", "ladder__respondent__segment"
    )


def ladder_study(study: Study) -> LadderStudy:
    """The stored study as the analysis sees it: codes by short id, ladders by respondent label
    and ladder id, each with its respondent's segment. Three queries whatever the size."""
    codes = tuple(
        AnalysisCode(code.key, code.label, code.level) for code in Code.objects.filter(study=study)
    )
    by_ladder: dict[int, list[Rung]] = defaultdict(list)
    for rung in _rungs(study).order_by("ladder_id", "position"):
        by_ladder[rung.ladder_id].append(rung)
    ladders = tuple(
        AnalysisLadder(
            respondent=rungs[0].ladder.respondent.label,
            id=rungs[0].ladder.key,
            rungs=tuple(rung.code.key for rung in rungs),
            segment=(
                rungs[0].ladder.respondent.segment.name
                if rungs[0].ladder.respondent.segment
                else ""
            ),
        )
        for rungs in by_ladder.values()
    )
    return LadderStudy(codes=codes, ladders=ladders)


def ladder_warnings(study: LadderStudy) -> list[str]:
    """What ``read_ladder_csv`` would warn about in the stored ladders: a ladder going down in
    level, or repeating a code (that link is not counted)."""
    levels = {code.id: code.level for code in study.codes}
    warnings: list[str] = []
    for ladder in study.ladders:
        where = f"ladder {ladder.id} of respondent {ladder.respondent}"
        for position, (lower, upper) in enumerate(itertools.pairwise(ladder.rungs), start=1):
            if abstraction_order(levels[lower], levels[upper]) > 0:
                warnings.append(
                    f"{where} goes down in level from {lower} ({levels[lower]}, position "
                    f"{position}) to {upper} ({levels[upper]}, position {position + 1})."
                )
        repeated = sorted({code for code in ladder.rungs if ladder.rungs.count(code) > 1})
        for code in repeated:
            warnings.append(
                f"{where} repeats code {code}; a code does not imply itself, so that link is "
                "not counted."
            )
    return warnings


@dataclass(frozen=True)
class RungRow:
    code: str
    label: str
    level: str
    words: str


@dataclass(frozen=True)
class LadderRow:
    """A ladder as the pages list it. ``person`` is empty for anonymous respondents and for
    users who may not see who a respondent is."""

    public_id: str
    respondent: str
    person: str
    segment: str
    key: str
    rungs: tuple[RungRow, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(rung.code for rung in self.rungs)


def list_ladders(
    *,
    user: User,
    study: Study,
    segment: str | None = None,
    respondent: Respondent | None = None,
    name_people: bool = True,
) -> list[LadderRow]:
    """Every ladder of the study (or a segment, or a respondent). Naming linked people
    (``name_people``, PHI roles only) is an audited read (value_maps.respondents.read).

    The respondents' words come only to users who may read them (editors); reading them is an
    audited read (value_maps.words.read, naming the patient when the ladders are those of one
    linked respondent). Everyone else gets rows with empty words, and the column is not read."""
    show_people = name_people and may_see_people(user)
    with_words = may_read_words(user)
    rungs = _rungs(study)
    if not with_words:
        rungs = rungs.defer("words")
    if show_people:
        rungs = rungs.select_related("ladder__respondent__person")
    if segment is not None:
        rungs = rungs.filter(ladder__respondent__segment__name=segment)
    if respondent is not None:
        rungs = rungs.filter(ladder__respondent=respondent)
    by_ladder: dict[int, list[Rung]] = defaultdict(list)
    for rung in rungs.order_by("ladder_id", "position"):
        by_ladder[rung.ladder_id].append(rung)
    rows = []
    named = False
    for ladder_rungs in by_ladder.values():
        ladder = ladder_rungs[0].ladder
        who = ladder.respondent
        person = who.person.display_name if show_people and who.person_id and who.person else ""
        named = named or bool(person)
        rows.append(
            LadderRow(
                public_id=str(ladder.public_id),
                respondent=who.label,
                person=person,
                segment=who.segment.name if who.segment else "",
                key=ladder.key,
                rungs=tuple(
                    RungRow(
                        rung.code.key,
                        rung.code.label,
                        rung.code.level,
                        rung.words if with_words else "",
                    )
                    for rung in ladder_rungs
                ),
            )
        )
    if named:
        record_access(actor=user, target=study, action="value_maps.respondents.read")
    if any(rung.words for row in rows for rung in row.rungs):
        record_access(
            actor=user,
            target=study,
            action="value_maps.words.read",
            patient=respondent.person if respondent is not None and respondent.person_id else None,
        )
    rows.sort(key=lambda row: (natural_key(row.respondent), natural_key(row.key)))
    return rows


def words_by_code(
    ladders: list[LadderRow], *, segment: str | None = None
) -> dict[str, list[tuple[str, str]]]:
    """For each code, the (respondent label, words) said at its rungs (of one segment's
    ladders when ``segment`` is given): the map's tooltips. Labels only, never names; the words
    are there only when ``list_ladders`` gave them (editors)."""
    words: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ladder in ladders:
        if segment is not None and ladder.segment != segment:
            continue
        for rung in ladder.rungs:
            if rung.words:
                words[rung.code].append((ladder.respondent, rung.words))
    return dict(words)


@dataclass(frozen=True)
class RespondentRow:
    respondent: Respondent
    person: str
    ladders: int


def list_respondents(*, user: User, study: Study) -> list[RespondentRow]:
    """The study's respondents with their ladder counts; names for PHI roles only (audited)."""
    show_people = may_see_people(user)
    respondents = (
        Respondent.objects.filter(study=study)
        .select_related("segment", *(["person"] if show_people else []))
        .annotate(ladder_count=Count("ladders"))
    )
    rows = [
        RespondentRow(
            respondent=r,
            person=r.person.display_name if show_people and r.person else "",
            ladders=r.ladder_count,
        )
        for r in respondents
    ]
    if any(row.person for row in rows):
        record_access(actor=user, target=study, action="value_maps.respondents.read")
    rows.sort(key=lambda row: natural_key(row.respondent.label))
    return rows


def get_segment(study: Study, public_name: str) -> Segment | None:
    return Segment.objects.filter(study=study, name=public_name).first()


def get_ladder(respondent: Respondent, public_id: str) -> Ladder | None:
    try:
        UUID(public_id)
    except ValueError:
        return None
    return (
        Ladder.objects.filter(respondent=respondent, public_id=public_id)
        .select_related("respondent__study__organization", "respondent__person")
        .first()
    )


def codes_by_public_id(study: Study, public_ids: list[str]) -> dict[str, Code]:
    public_ids = [pid for pid in public_ids if is_uuid(pid)]
    return {str(c.public_id): c for c in Code.objects.filter(study=study, public_id__in=public_ids)}


def current_codes(study: Study, wanted: list[tuple[str, str]]) -> list[Code | None]:
    """For each (public id, label) a code had when it was picked, that code now: by its id, or,
    when it was merged away since, the code it was merged into (the merge kept its label as a
    synonym there; used only when exactly one code has it). None when it cannot be found."""
    found = codes_by_public_id(study, [public_id for public_id, _ in wanted])
    missing = {label.casefold() for public_id, label in wanted if public_id not in found and label}
    by_synonym: dict[str, list[Code]] = defaultdict(list)
    if missing:
        for candidate in Code.objects.filter(study=study):
            for synonym in candidate.synonyms:
                if synonym.casefold() in missing:
                    by_synonym[synonym.casefold()].append(candidate)
    resolved: list[Code | None] = []
    for public_id, label in wanted:
        code = found.get(public_id)
        if code is None:
            candidates = by_synonym.get(label.casefold(), [])
            code = candidates[0] if len(candidates) == 1 else None
        resolved.append(code)
    return resolved


def get_analysis(
    study: Study,
    *,
    segment: str | None = None,
    cutoff: int | None = None,
    count_unit: CountUnit = "respondent",
    cutoff_on: MatrixChoice = "direct",
    indices_on: MatrixChoice = "direct",
) -> tuple[LadderStudy, LadderAnalysis]:
    """The stored study's analysis (InvalidInput naming ``segment`` when it has no ladders).
    Cut-off and indices are on the direct matrix D unless asked for on T = D + I."""
    stored = ladder_study(study)
    return stored, analyze(
        stored,
        segment=segment,
        cutoff=cutoff,
        count_unit=count_unit,
        cutoff_on=cutoff_on,
        indices_on=indices_on,
    )


def study_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    """Public id -> title, for the audit trail."""
    studies = Study.objects.filter(organization_id=organization_id, public_id__in=public_ids)
    return {str(study.public_id): study.title for study in studies}
