"""Ladders from a CSV file (ladder_csv reads and checks it): all or nothing, respondents and
codes created as the file names them. Audited per respondent linked to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit, record_audit_many
from carebond.core import clock
from carebond.value_maps.ladder_csv import Problem, read_ladder_csv
from carebond.value_maps.ladder_csv import Rung as CsvRung
from carebond.value_maps.models import Code, Ladder, Respondent, Rung, Segment, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User

from carebond.value_maps.actions import MAX_SEGMENTS, lock_study

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
    study = lock_study(study)
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
