"""Writes of relationship health: the nightly scoring of every patient (the at-risk list and
the bands' calibration the pages read), a manager's override of a computed score (a comment is
required), and whether the next step suggested for a patient on the at-risk list was taken.
Each is audited in the same transaction (health.scored, health.overridden,
health.at_risk_action)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.analytics import health
from carebond.analytics.access import HEALTH_OVERRIDERS, HEALTH_READERS
from carebond.analytics.health import Health, PatientFacts
from carebond.analytics.health_models import (
    AtRiskAction,
    AtRiskEntry,
    HealthOverride,
    HealthPart,
    HealthScoring,
)
from carebond.analytics.health_selectors import (
    chunks,
    health_calibration,
    last_scoring,
    live_patients,
    local_today,
    patient_health_of,
    score_patients,
)
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, PermissionDenied
from carebond.core.models import Organization

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.people.models import Person

COMMENT_LENGTH = 1000


# --- the nightly scoring ---------------------------------------------------------------------


def scan_health_scores() -> int:
    """The worker's hourly check: an organisation not yet scored on its own local today is
    scored now (so each is scored once a day, soon after its midnight). Returns how many."""
    scored = 0
    for organization in Organization.objects.order_by("id"):
        today = local_today(organization)
        scoring = last_scoring(organization)
        if scoring is None or scoring.scored_on != today:
            do_score_patients(organization, on=today)
            scored += 1
    return scored


def do_score_patients(organization: Organization, *, on: date) -> HealthScoring:
    """Score every patient in the practice's care on ``on``, keep those in the worst bands as
    the at-risk list, and check the bands against who really lapsed. A few thousand patients
    per transaction, so a hospital's scoring holds neither all their facts in memory nor a lock
    for minutes; a patient no longer in care (died, moved away, merged) leaves the list at the
    end. Audit: health.scored (how many patients, no names)."""
    patients = live_patients(organization.id)
    for chunk in chunks(patients):
        scored = score_patients(organization.id, on=on, patients=chunk)
        with transaction.atomic():
            AtRiskEntry.objects.filter(person_id__in=[p.id for p in chunk]).delete()
            entries = (_entry(organization.id, s.patient.id, s.health, s.facts, on) for s in scored)
            AtRiskEntry.objects.bulk_create([e for e in entries if e is not None])
    calibration = health_calibration(organization.id, checked_on=on)
    with transaction.atomic():
        AtRiskEntry.objects.filter(organization=organization).exclude(scored_on=on).delete()
        scoring, _ = HealthScoring.objects.update_or_create(
            organization=organization,
            defaults={
                "scored_on": on,
                "patients": len(patients),
                "calibration": health.calibration_as_json(calibration),
                "finished_at": clock.now(),
            },
        )
        record_audit(
            actor=None,
            action="health.scored",
            target=scoring,
            organization=organization,
            changed_fields=["scored_on", "patients", "calibration"],
            actor_label="worker",
        )
    return scoring


def _entry(
    organization_id: int, person_id: int, found: Health, facts: PatientFacts, on: date
) -> AtRiskEntry | None:
    """The patient's row on the at-risk list, or None when they are not at risk."""
    if found.score is None or found.band not in health.WORST_BANDS:
        return None
    return AtRiskEntry(
        organization_id=organization_id,
        person_id=person_id,
        scored_on=on,
        score=found.score,
        band=found.band.value,
        next_action=health.next_action(facts, on).value,
        reasons="\n".join(health.reasons(found)),
    )


def _rescore(person: Person, on: date) -> None:
    """One patient scored again (after an override): on the list or off it at once, not
    tomorrow."""
    found, facts = patient_health_of(person, on)
    AtRiskEntry.objects.filter(person=person).delete()
    entry = _entry(person.organization_id, person.pk, found, facts, on)
    if entry is not None:
        entry.save()


# --- overrides and outreach ------------------------------------------------------------------


def check_override_health(
    person: Person,
    *,
    part: str,
    score: int | None,
    comment: str,
    expires_on: date | None,
    acting_user: User,
) -> HealthOverride:
    """A score from 0 to 100 for one dimension or the whole, with the reason, and when it
    lapses (if it should)."""
    if not HEALTH_OVERRIDERS.allows(acting_user.role):
        raise PermissionDenied("Only a manager may override a health score.", code="forbidden_role")
    if part not in HealthPart.values:
        raise InvalidInput(
            "Choose what the score replaces: a dimension or the whole.", field="part"
        )
    if score is None or not 0 <= score <= 100:
        raise InvalidInput("A score is a whole number from 0 to 100.", field="score")
    comment = comment.strip()
    if not comment:
        raise InvalidInput(
            "Say why: an override needs a comment that explains it.", field="comment"
        )
    if len(comment) > COMMENT_LENGTH:
        raise InvalidInput(f"Keep the comment under {COMMENT_LENGTH} characters.", field="comment")
    if expires_on is not None and expires_on <= local_today(acting_user.organization):
        raise InvalidInput("An override ends on a day still to come.", field="expires_on")
    return do_override_health(
        person,
        part=part,
        score=score,
        comment=comment,
        expires_on=expires_on,
        acting_user=acting_user,
    )


@transaction.atomic
def do_override_health(
    person: Person,
    *,
    part: str,
    score: int,
    comment: str,
    expires_on: date | None,
    acting_user: User,
) -> HealthOverride:
    """Audit: health.overridden (the part and score, never the comment's words)."""
    if not comment.strip():  # the one rule that makes an override worth reading: never skipped
        raise InvalidInput("An override needs a comment.", field="comment")
    override = HealthOverride.objects.create(
        organization_id=person.organization_id,
        person=person,
        part=part,
        score=score,
        comment=comment.strip(),
        by=acting_user,
        at=clock.now(),
        expires_on=expires_on,
    )
    record_audit(
        actor=acting_user,
        action="health.overridden",
        target=override,
        patient=person,
        changed_fields=["part", "score", "comment", "expires_on"],
    )
    _rescore(person, local_today(person.organization))
    return override


def check_record_at_risk_action(
    person: Person, *, taken: bool, note: str = "", acting_user: User
) -> AtRiskAction:
    """Whether the suggested next step (call, message, recovery) was taken; the suggestion and
    its reasons are written as they stand now, so the record says what was asked."""
    if not HEALTH_READERS.allows(acting_user.role):
        raise PermissionDenied("Your role does not work the at-risk list.", code="forbidden_role")
    if len(note) > COMMENT_LENGTH:
        raise InvalidInput(f"Keep the note under {COMMENT_LENGTH} characters.", field="note")
    today = local_today(acting_user.organization)
    found, facts = patient_health_of(person, today)
    return do_record_at_risk_action(
        person,
        reason="; ".join(health.reasons(found))[:500] or "No weak input",
        band=found.band.value if found.band else "",
        suggested=health.next_action(facts, today).value,
        taken=taken,
        note=note.strip(),
        acting_user=acting_user,
    )


@transaction.atomic
def do_record_at_risk_action(
    person: Person,
    *,
    reason: str,
    band: str,
    suggested: str,
    taken: bool,
    note: str,
    acting_user: User,
) -> AtRiskAction:
    """Audit: health.at_risk_action."""
    action = AtRiskAction.objects.create(
        organization_id=person.organization_id,
        person=person,
        reason=reason,
        band=band,
        suggested=suggested,
        taken=taken,
        decided_at=clock.now(),
        decided_by=acting_user,
        note=note,
    )
    record_audit(
        actor=acting_user,
        action="health.at_risk_action",
        target=action,
        patient=person,
        changed_fields=["suggested", "taken", "note"],
    )
    return action
