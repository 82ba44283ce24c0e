"""Training an organisation's no-show model, and the help staff offer to a visit at risk.

Training reads the organisation's own past visits and replaces its model (audit:
noshow_model.trained). An offer of help (a confirmation call, transport, a switch to
telehealth) is written with the risk it was offered at, audited and put on the patient's
timeline; its outcome is recorded later. Nothing here refuses a booking or overbooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.scheduling.actions import _record as record_change
from carebond.scheduling.actions import describe
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    HelpKind,
    HelpOffer,
    HelpOutcome,
    NoShowModel,
)
from carebond.scheduling.noshow import (
    Trained,
    history_problem,
    score_visits,
    train,
    visit_facts,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User


def check_train_noshow_model(
    organization: Organization, *, acting_user: User | None, actor_label: str | None = None
) -> NoShowModel:
    """Train on the visits that have already happened; refuse (saying how much is needed) when
    there are too few. Audit: noshow_model.trained."""
    facts = visit_facts(
        Appointment.objects.filter(organization=organization, starts_at__lt=clock.now())
    )
    problem = history_problem(facts)
    if problem:
        raise RuleViolation(problem, code="too_little_history")
    return do_train_noshow_model(
        organization, train(facts), acting_user=acting_user, actor_label=actor_label
    )


@transaction.atomic
def do_train_noshow_model(
    organization: Organization,
    trained: Trained,
    *,
    acting_user: User | None,
    actor_label: str | None = None,
) -> NoShowModel:
    model, _ = NoShowModel.objects.update_or_create(
        organization=organization,
        defaults={
            "feature_names": trained.feature_names,
            "coefficients": trained.coefficients,
            "means": trained.means,
            "scales": trained.scales,
            "intercept": trained.intercept,
            "base_rate": trained.base_rate,
            "threshold": trained.threshold,
            "auc": trained.auc,
            "sensitivity": trained.sensitivity,
            "ppv": trained.ppv,
            "trained_on": trained.trained_on,
            "tested_on": trained.tested_on,
            "history_from": trained.history_from,
            "tested_from": trained.tested_from,
            "history_until": trained.history_until,
            "trained_at": clock.now(),
        },
    )
    record_audit(
        actor=acting_user,
        action="noshow_model.trained",
        target=model,
        organization=organization,
        changed_fields=["coefficients", "intercept", "auc"],
        actor_label=actor_label,
    )
    return model


def check_offer_help(appointment: Appointment, *, kind: str, acting_user: User) -> HelpOffer:
    """Offer help to a booked visit still to come, once per kind. Audit:
    appointment.help_offered; a touchpoint on the patient's timeline."""
    if kind not in HelpKind.values:
        raise InvalidInput(
            "Choose the help offered: a confirmation call, transport or a switch to telehealth.",
            field="kind",
        )
    if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= clock.now():
        raise RuleViolation("Help is offered for booked visits still to come.", code="not_upcoming")
    if HelpOffer.objects.filter(appointment=appointment, kind=kind).exists():
        raise RuleViolation(
            f"{HelpKind(kind).label} was already offered for this visit.", code="offered"
        )
    return do_offer_help(
        appointment, kind=kind, risk=current_risk(appointment), acting_user=acting_user
    )


def current_risk(appointment: Appointment) -> float | None:
    """The visit's risk now, kept with the offer (None: no model yet)."""
    model = NoShowModel.objects.filter(organization_id=appointment.organization_id).first()
    if model is None:
        return None
    facts = visit_facts(Appointment.objects.filter(pk=appointment.pk))
    return score_visits(model, facts)[appointment.pk].risk


def do_offer_help(
    appointment: Appointment, *, kind: str, risk: float | None, acting_user: User
) -> HelpOffer:
    try:
        with transaction.atomic():
            offer = HelpOffer.objects.create(
                organization_id=appointment.organization_id,
                appointment=appointment,
                kind=kind,
                risk=risk,
                offered_at=clock.now(),
                offered_by=acting_user,
            )
            _record(offer, action="appointment.help_offered", acting_user=acting_user)
    except IntegrityError:
        # a colleague offered the same help a moment ago (the unique constraint)
        raise RuleViolation(
            f"{HelpKind(kind).label} was already offered for this visit.", code="offered"
        ) from None
    return offer


def check_record_help_outcome(offer: HelpOffer, *, outcome: str, acting_user: User) -> HelpOffer:
    """What the patient said: accepted, declined, or no answer. Once. Audit:
    appointment.help_outcome."""
    if outcome not in HelpOutcome.values:
        raise InvalidInput("Choose accepted, declined or no answer.", field="outcome")
    if offer.outcome:
        raise RuleViolation(
            f"The outcome is already recorded: {offer.get_outcome_display().lower()}.",
            code="outcome_recorded",
        )
    return do_record_help_outcome(offer, outcome=outcome, acting_user=acting_user)


@transaction.atomic
def do_record_help_outcome(offer: HelpOffer, *, outcome: str, acting_user: User) -> HelpOffer:
    changed = HelpOffer.objects.filter(pk=offer.pk, outcome="").update(
        outcome=outcome, outcome_at=clock.now(), outcome_by=acting_user
    )
    if not changed:
        raise RuleViolation("This offer was changed a moment ago: look again.", code="stale")
    offer.refresh_from_db()
    _record(offer, action="appointment.help_outcome", acting_user=acting_user)
    return offer


def _record(offer: HelpOffer, *, action: str, acting_user: User) -> None:
    """The audit event (the patient named) and the timeline's entry, as every change to a visit."""
    said = f": {offer.get_outcome_display().lower()}" if offer.outcome else ""
    record_change(
        offer.appointment,
        action=action,
        acting_user=acting_user,
        summary=f"Offered {offer.get_kind_display().lower()}{said} ({describe(offer.appointment)})",
        channel="phone",
        changed_fields=["outcome"] if offer.outcome else ["kind"],
    )
