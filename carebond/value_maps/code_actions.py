"""The code book of a study: codes created (with level, definition and synonyms), renamed and
merged, so that the ladders using them are never lost. Audited like every study write.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit, record_audit_many
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.value_maps.analysis import main_level
from carebond.value_maps.models import Code, Level, Respondent, Rung, Study

if TYPE_CHECKING:
    from carebond.accounts.models import User

from carebond.value_maps.actions import clean_text, lock_study
from carebond.value_maps.ladder_csv import CODE_KEY_PATTERN  # the CSV reader's pattern too

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
    if not CODE_KEY_PATTERN.match(key):
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
    study = lock_study(study)
    label = clean_text(label, field_name="label", limit=120)
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
    study = lock_study(code.study)
    code = Code.objects.select_for_update().get(pk=code.pk)
    changes: dict[str, str] = {}
    new_label = clean_text(label, field_name="label", limit=120)
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
    study = lock_study(into.study)
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
