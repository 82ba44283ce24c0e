"""Reads of no-show risk: the risk badge of each booked visit on the day's schedule, the "Visits
at risk" worklist (a PHI read: audited), and the fairness report (figures only: no patient
named, groups under five hidden)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.people.validation import language_name
from carebond.scheduling.access import NOSHOW_FAIRNESS_READERS, NOSHOW_OUTREACH, SCHEDULERS
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    HelpKind,
    HelpOffer,
    HelpOutcome,
    NoShowModel,
)
from carebond.scheduling.noshow import (
    AGE_BANDS,
    AGE_UNKNOWN,
    PerThousand,
    Risk,
    age_band,
    age_band_words,
    per_thousand,
    score_visits,
    visit_facts,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.scheduling.selectors import ProviderDay

# The worklist looks this far ahead.
WORKLIST_DAYS = 7
# The fairness report: visits due in the last this-many days and the worklist's days ahead.
FAIRNESS_PERIODS = (30, 90, 365)
# A group smaller than this is hidden (DESIGN.md §4: small groups are never shown).
SMALLEST_GROUP = 5


def get_noshow_model(*, user: User) -> NoShowModel | None:
    return NoShowModel.objects.filter(organization_id=user.organization_id).first()


def _risks(model: NoShowModel | None, appointments: Iterable[Appointment]) -> dict[int, Risk]:
    """Risks of the booked visits still to come among these (three queries at most)."""
    now = clock.now()
    ids = [a.pk for a in appointments if a.status == AppointmentStatus.BOOKED and a.starts_at > now]
    if model is None or not ids:
        return {}
    return score_visits(model, visit_facts(Appointment.objects.filter(pk__in=ids)))


def add_risk_to_day(*, user: User, columns: list[ProviderDay]) -> None:
    """Give each booked visit still to come on the day's schedule its risk and reasons."""
    if not SCHEDULERS.allows(user.role):
        return
    rows = [row for column in columns for row in column.visits]
    risks = _risks(get_noshow_model(user=user), (row.appointment for row in rows))
    for row in rows:
        row.risk = risks.get(row.appointment.pk)


@dataclass(frozen=True)
class ModelSummary:
    """The model in words a manager can check: how it was tested, and what its cut-off means."""

    auc: str
    trained_at: datetime
    trained_on: int
    tested_on: int
    history_from: datetime
    tested_from: datetime
    history_until: datetime
    threshold: str
    per_thousand: PerThousand


def summarise(model: NoShowModel) -> ModelSummary:
    return ModelSummary(
        auc=f"{model.auc:.2f}",
        trained_at=model.trained_at,
        trained_on=model.trained_on,
        tested_on=model.tested_on,
        history_from=model.history_from,
        tested_from=model.tested_from,
        history_until=model.history_until,
        threshold=f"{model.threshold:.0%}",
        per_thousand=per_thousand(
            base_rate=model.base_rate, sensitivity=model.sensitivity, ppv=model.ppv
        ),
    )


@dataclass(frozen=True)
class OfferRow:
    offer: HelpOffer
    # The answers that may still be recorded: (value, button label).
    outcomes: list[tuple[str, str]]


@dataclass(frozen=True)
class AtRiskVisit:
    appointment: Appointment
    starts: str  # "Mon 02 Mar 09:30" in the location's time zone
    risk: Risk
    offers: list[OfferRow]
    can_offer: list[tuple[str, str]]  # help not yet offered: (value, label)


@dataclass(frozen=True)
class AtRiskList:
    model: ModelSummary | None
    visits: list[AtRiskVisit]
    days: int


# A confirmation call's "accepted" is the patient confirming.
_ANSWERS: dict[str, tuple[tuple[str, str], ...]] = {
    HelpKind.CALL.value: (
        (HelpOutcome.ACCEPTED, "Confirmed"),
        (HelpOutcome.DECLINED, "Not coming"),
        (HelpOutcome.NO_ANSWER, "No answer"),
    ),
}
_DEFAULT_ANSWERS: tuple[tuple[str, str], ...] = (
    (HelpOutcome.ACCEPTED, "Accepted"),
    (HelpOutcome.DECLINED, "Declined"),
    (HelpOutcome.NO_ANSWER, "No answer"),
)


def outcome_label(kind: str, outcome: str) -> str:
    return dict(_ANSWERS.get(kind, _DEFAULT_ANSWERS))[outcome]


def list_visits_at_risk(*, user: User) -> AtRiskList:
    """The booked visits of the next days at or above the model's cut-off, in time order, with
    their reasons and the help offered so far. Audited: appointment.list."""
    if not NOSHOW_OUTREACH.allows(user.role):
        raise NotFound("No such page.")
    model = get_noshow_model(user=user)
    if model is None:
        return AtRiskList(model=None, visits=[], days=WORKLIST_DAYS)
    now = clock.now()
    upcoming = list(
        Appointment.objects.filter(
            organization_id=user.organization_id,
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=WORKLIST_DAYS),
        )
        .select_related("patient", "provider", "location", "appointment_type")
        .order_by("starts_at", "pk")
    )
    risks = _risks(model, upcoming)
    at_risk = [a for a in upcoming if a.pk in risks and risks[a.pk].at_risk]
    offers: dict[int, list[HelpOffer]] = defaultdict(list)
    for offer in HelpOffer.objects.filter(appointment_id__in=[a.pk for a in at_risk]):
        offers[offer.appointment_id].append(offer)
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    return AtRiskList(
        model=summarise(model),
        visits=[_at_risk_visit(a, risks[a.pk], offers[a.pk]) for a in at_risk],
        days=WORKLIST_DAYS,
    )


def _at_risk_visit(appointment: Appointment, risk: Risk, offers: list[HelpOffer]) -> AtRiskVisit:
    offered = {offer.kind for offer in offers}
    local = appointment.starts_at.astimezone(location_zone(appointment.location))
    return AtRiskVisit(
        appointment=appointment,
        starts=f"{local:%a %d %b %H:%M}",
        risk=risk,
        offers=[
            OfferRow(
                offer, [] if offer.outcome else list(_ANSWERS.get(offer.kind, _DEFAULT_ANSWERS))
            )
            for offer in offers
        ],
        can_offer=[(kind.value, kind.label) for kind in HelpKind if kind not in offered],
    )


# --- fairness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairnessRow:
    group: str
    visits: int | None  # None: hidden (fewer than SMALLEST_GROUP)
    mean_risk: str
    at_risk: str
    offered: str
    accepted: str


@dataclass(frozen=True)
class FairnessTable:
    title: str
    rows: list[FairnessRow]


@dataclass(frozen=True)
class FairnessReport:
    model: ModelSummary | None
    days: int
    tables: list[FairnessTable]
    not_recorded: list[str]  # attributes the people app does not record


# Race and ethnicity: the people app records neither today; the report names them as missing
# rather than guessing them from names or places.
NOT_RECORDED = ["race", "ethnicity"]


def fairness_report(*, user: User, days: int) -> FairnessReport:
    """Mean risk, the share at risk, the share offered help and the share that accepted it, by
    age band and by language, over the visits due in the last ``days`` days and the worklist's
    days ahead (booked, kept or missed: not those cancelled in time or by the practice)."""
    if not NOSHOW_FAIRNESS_READERS.allows(user.role):
        raise NotFound("No such page.")
    if days not in FAIRNESS_PERIODS:
        raise InvalidInput(
            f"Choose a period of {', '.join(str(d) for d in FAIRNESS_PERIODS)} days.",
            field="days",
        )
    model = get_noshow_model(user=user)
    if model is None:
        return FairnessReport(model=None, days=days, tables=[], not_recorded=NOT_RECORDED)
    now = clock.now()
    visits = (
        Appointment.objects.filter(
            organization_id=user.organization_id,
            starts_at__gte=now - timedelta(days=days),
            starts_at__lt=now + timedelta(days=WORKLIST_DAYS),
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.ARRIVED,
                AppointmentStatus.CHECKED_IN,
                AppointmentStatus.FULFILLED,
                AppointmentStatus.NOSHOW,
                AppointmentStatus.CANCELLED,
            ),
        )
        .exclude(status=AppointmentStatus.CANCELLED, late_cancellation=False)
        .exclude(cancelled_by__in=(CancelledBy.PROVIDER, CancelledBy.CLINIC))
    )
    facts = visit_facts(visits)
    risks = score_visits(model, facts)
    languages = dict(visits.values_list("pk", "patient__preferred_language"))
    offers: dict[int, set[str]] = defaultdict(set)
    for appointment_id, outcome in HelpOffer.objects.filter(
        appointment_id__in=[f.appointment_id for f in facts]
    ).values_list("appointment_id", "outcome"):
        offers[appointment_id].add(outcome)
    by_age: dict[str, list[int]] = defaultdict(list)
    by_language: dict[str, list[int]] = defaultdict(list)
    for fact in facts:
        by_age[age_band(fact.birth_date, fact.local.date())].append(fact.appointment_id)
        tag = languages.get(fact.appointment_id) or ""
        by_language[language_name(tag.split("-")[0]) or "Not recorded"].append(fact.appointment_id)
    age_order = [band for band, _, _ in AGE_BANDS] + [AGE_UNKNOWN]
    return FairnessReport(
        model=summarise(model),
        days=days,
        tables=[
            FairnessTable(
                "By age band",
                [
                    _fairness_row(age_band_words(band), by_age[band], risks, offers)
                    for band in age_order
                    if band in by_age
                ],
            ),
            FairnessTable(
                "By language",
                [
                    _fairness_row(name, ids, risks, offers)
                    for name, ids in sorted(by_language.items())
                ],
            ),
        ],
        not_recorded=NOT_RECORDED,
    )


def _fairness_row(
    group: str, ids: list[int], risks: dict[int, Risk], offers: dict[int, set[str]]
) -> FairnessRow:
    if len(ids) < SMALLEST_GROUP:
        return FairnessRow(group, None, "—", "—", "—", "—")
    offered = [i for i in ids if offers.get(i)]
    accepted = [i for i in offered if HelpOutcome.ACCEPTED in offers[i]]
    return FairnessRow(
        group=group,
        visits=len(ids),
        mean_risk=f"{sum(risks[i].risk for i in ids) / len(ids):.0%}",
        at_risk=f"{sum(risks[i].at_risk for i in ids) / len(ids):.0%}",
        offered=f"{len(offered) / len(ids):.0%}",
        # (over the offers only when they are enough not to tell one patient's answer)
        accepted=f"{len(accepted) / len(offered):.0%}" if len(offered) >= SMALLEST_GROUP else "—",
    )
