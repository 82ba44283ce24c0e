"""Reads of relationship health (carebond/analytics/health.py, docs/analytics.md).

The facts come from the apps that own them, through their selectors only (people, scheduling,
messaging, surveys: ``relationship_selectors``); the score is computed here and nowhere else,
so no scheduling, waitlist or eligibility rule can read it (analytics sits above those apps,
and they may not import it).

- a patient's health (PHI: audited), with each dimension's inputs, change and overrides;
- the bands' calibration: who actually lapsed afterwards, per band of a past day's score;
  the 0-100 number is shown only when the bands order real lapses;
- the at-risk worklist: patients in the worst bands, why, and the next best action;
- department health (staff, aggregate only, departments under 5 hidden);
- time to lapse per segment, with death and transfer as competing risks.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import Q

from carebond.analytics import health
from carebond.analytics.access import (
    HEALTH_AGGREGATE_READERS,
    HEALTH_OVERRIDERS,
    HEALTH_READERS,
)
from carebond.analytics.health import (
    Band,
    BandOutcome,
    Calibration,
    Dimension,
    Health,
    NextAction,
    Override,
    PatientFacts,
)
from carebond.analytics.health_models import (
    AtRiskAction,
    AtRiskEntry,
    HealthOverride,
    HealthScoring,
)
from carebond.analytics.survival import LapseCurve, Subject, lapse_curve, subject
from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Location, Organization
from carebond.messaging.relationship_selectors import message_records
from carebond.people.kpi_selectors import age_band, age_band_names, language_names, language_of
from carebond.people.relationship_selectors import (
    PatientBasics,
    consent_histories,
    contact_systems,
    get_patient,
    list_patient_basics,
    list_staff_by_department,
)
from carebond.scheduling.relationship_selectors import visit_records
from carebond.surveys.relationship_selectors import pulse_by_department, recommendations
from carebond.surveys.relationship_selectors import recovery_records as recovery_records_of

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.people.models import Person

HISTORY_DAYS = health.CYCLE_HISTORY_DAYS + health.CHANGE_DAYS
"""How far back the facts of a score reach: the cycle's three years and the change's 90 days."""
SCORING_CHUNK = 2000


def local_today(organization: Organization) -> date:
    return clock.now().astimezone(ZoneInfo(organization.time_zone)).date()


# --- facts and scores ------------------------------------------------------------------------


def load_facts(
    organization_id: int, *, since: date, person_ids: Iterable[int] | None = None
) -> dict[int, PatientFacts]:
    """{patient id: their facts from ``since`` on}: one query per app, whatever the number of
    patients."""
    ids = None if person_ids is None else list(person_ids)
    visits = visit_records(organization_id, since=since, person_ids=ids)
    messages = message_records(organization_id, since=since, person_ids=ids)
    answers = recommendations(organization_id, since=since, person_ids=ids)
    cases = recovery_records_of(organization_id, since=since, person_ids=ids)
    known = set(ids) if ids is not None else set(visits) | set(messages) | set(answers)
    # Consent moments are in UTC: read in the organisation's zone, a grant made this evening is
    # in force today, not tomorrow.
    zone = ZoneInfo(Organization.objects.get(pk=organization_id).time_zone)
    consents = {
        pk: [replace(c, recorded_at=c.recorded_at.astimezone(zone)) for c in events]
        for pk, events in consent_histories(known).items()
    }
    contacts = contact_systems(known)
    return {
        pk: PatientFacts(
            visits=visits.get(pk, []),
            messages=messages.get(pk, []),
            consents=consents.get(pk, []),
            contact_systems=frozenset(contacts.get(pk, set())),
            recommendations=answers.get(pk, []),
            cases=cases.get(pk, []),
        )
        for pk in known
    }


def overrides_in_force(person_ids: Iterable[int], on: date) -> dict[int, dict[str, Override]]:
    """{person id: {part: the newest override not expired on ``on``}}. Only today is scored
    with overrides (the calibration and the change use computed scores alone), so every
    override made so far counts: its own moment is in UTC, ``on`` a local day."""
    found: dict[int, dict[str, Override]] = defaultdict(dict)
    rows = (
        HealthOverride.objects.filter(person_id__in=set(person_ids))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))
        .select_related("by")
        .order_by("at", "id")
    )
    for row in rows:
        found[row.person_id][row.part] = Override(
            float(row.score), row.comment, row.by.get_full_name() or row.by.username, row.at
        )
    return found


@dataclass(frozen=True)
class Scored:
    patient: PatientBasics
    facts: PatientFacts
    health: Health


def live_patients(organization_id: int) -> list[PatientBasics]:
    """The patients still in the practice's care: not dead, not moved away."""
    return [
        p
        for p in list_patient_basics(organization_id)
        if p.died_on is None and p.transferred_on is None
    ]


def score_patients(
    organization_id: int, *, on: date, patients: list[PatientBasics]
) -> list[Scored]:
    """``patients`` scored on ``on`` with the overrides in force."""
    ids = [p.id for p in patients]
    facts = load_facts(organization_id, since=on - timedelta(days=HISTORY_DAYS), person_ids=ids)
    overrides = overrides_in_force(ids, on)
    return [
        Scored(
            p,
            facts[p.id],
            health.score_patient(facts[p.id], on, overrides=overrides.get(p.id)),
        )
        for p in patients
    ]


def chunks(patients: list[PatientBasics]) -> Iterator[list[PatientBasics]]:
    """A hospital's patients a few thousand at a time, so their facts fit in memory."""
    for start in range(0, len(patients), SCORING_CHUNK):
        yield patients[start : start + SCORING_CHUNK]


# --- calibration -----------------------------------------------------------------------------


def health_calibration(
    organization_id: int,
    *,
    checked_on: date,
    scored_on: date | None = None,
    min_per_band: int = health.MIN_PER_BAND,
) -> Calibration:
    """Score every patient as of ``scored_on`` (a year before ``checked_on`` by default) from
    what was known then, and count who had lapsed by ``checked_on``, per band. Left out: those
    who died or moved away by then (a competing end, not a lapse), those with no completed
    visit by ``scored_on``, those already lapsed then, and those without enough evidence."""
    scored_on = scored_on or checked_on - timedelta(days=365)
    left_out: dict[str, int] = defaultdict(int)
    outcomes: list[tuple[Band, bool]] = []
    for patients in chunks(list_patient_basics(organization_id)):
        facts = load_facts(
            organization_id,
            since=scored_on - timedelta(days=HISTORY_DAYS),
            person_ids=[p.id for p in patients],
        )
        for patient in patients:
            ended = min((d for d in (patient.died_on, patient.transferred_on) if d), default=None)
            known = facts[patient.id]
            if ended is not None and ended <= checked_on:
                left_out["died or moved away"] += 1
            elif not health.completed_days(known, scored_on):
                left_out["no completed visit by then"] += 1
            elif health.lapsed_on(known, scored_on):
                left_out["already lapsed then"] += 1
            else:
                then = health.score_on(known, scored_on)
                if then.band is None:
                    left_out["insufficient evidence then"] += 1
                else:
                    outcomes.append((then.band, health.lapsed_on(known, checked_on)))
    return health.calibrate(
        outcomes,
        scored_on=scored_on,
        checked_on=checked_on,
        min_per_band=min_per_band,
        left_out=left_out,
    )


def last_scoring(organization: Organization) -> HealthScoring | None:
    return HealthScoring.objects.filter(organization=organization).first()


def band_calibration(organization: Organization) -> Calibration:
    """The bands' calibration checked by the last nightly scoring; before the first, unchecked
    (bands only)."""
    scoring = last_scoring(organization)
    if scoring is None:
        today = local_today(organization)
        return Calibration(
            scored_on=today - timedelta(days=365),
            checked_on=today,
            bands=tuple(BandOutcome(band, 0, 0) for band in Band),
            ordered=False,
            reason="The bands have not been checked yet: the worker checks them each night.",
        )
    return health.calibration_from_json(scoring.calibration)


# --- one patient ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientHealth:
    person: Person
    health: Health
    next_action: NextAction
    reasons: list[str]
    calibration: Calibration
    overrides: list[HealthOverride]
    actions: list[AtRiskAction]
    may_override: bool

    @property
    def show_numbers(self) -> bool:
        return self.calibration.ordered


def _readers_only(user: User) -> None:
    if not HEALTH_READERS.allows(user.role):
        raise NotFound("No such patient.")


def access_patient(user: User, public_id: UUID | str) -> Person:
    """A live patient of the user's organisation, for a role that reads health; missing and
    forbidden look the same."""
    _readers_only(user)
    person = get_patient(user.organization_id, public_id)
    if person is None:
        raise NotFound("No such patient.")
    return person


def patient_health_of(person: Person, on: date) -> tuple[Health, PatientFacts]:
    """The computed health of one patient, unaudited: for actions and the other selectors."""
    facts = load_facts(
        person.organization_id, since=on - timedelta(days=HISTORY_DAYS), person_ids=[person.pk]
    )[person.pk]
    overrides = overrides_in_force([person.pk], on).get(person.pk)
    return health.score_patient(facts, on, overrides=overrides), facts


def get_patient_health(*, user: User, public_id: UUID | str) -> PatientHealth:
    """A patient's health page. Audited: health.read."""
    person = access_patient(user, public_id)
    record_access(actor=user, target=person, patient=person, action="health.read")
    return _patient_health(user, person)


def _patient_health(user: User, person: Person) -> PatientHealth:
    today = local_today(user.organization)
    found, facts = patient_health_of(person, today)
    return PatientHealth(
        person=person,
        health=found,
        next_action=health.next_action(facts, today),
        reasons=health.reasons(found),
        calibration=band_calibration(user.organization),
        overrides=list(
            HealthOverride.objects.filter(person=person).select_related("by").order_by("-at")[:10]
        ),
        actions=list(
            AtRiskAction.objects.filter(person=person)
            .select_related("decided_by")
            .order_by("-decided_at")[:10]
        ),
        may_override=HEALTH_OVERRIDERS.allows(user.role),
    )


def person_health_summary(*, user: User, person: Person) -> PatientHealth | None:
    """The person page's panel (the page's own read is audited by the people app)."""
    if not HEALTH_READERS.allows(user.role) or person.organization_id != user.organization_id:
        return None
    if person.kind != "patient":
        return None
    return _patient_health(user, person)


# --- the at-risk worklist --------------------------------------------------------------------


@dataclass(frozen=True)
class AtRiskRow:
    patient: PatientBasics
    score: float
    band: Band
    reasons: list[str]
    next_action: NextAction
    last_action: AtRiskAction | None


@dataclass(frozen=True)
class Worklist:
    rows: list[AtRiskRow]
    calibration: Calibration
    total: int
    scored_on: date | None

    @property
    def show_numbers(self) -> bool:
        return self.calibration.ordered


def list_at_risk(*, user: User, limit: int = 50) -> Worklist:
    """The patients whose health was in the worst bands (at risk, lapsing) at the last
    scoring, worst first, with the reasons from their dimensions, the next best action and
    what was last done. Audited (it names patients): health.worklist_read."""
    _readers_only(user)
    scoring = last_scoring(user.organization)
    entries = AtRiskEntry.objects.filter(organization_id=user.organization_id)
    # A patient who died or moved away since the scoring leaves the list now, not tonight.
    shown = list(entries.order_by("score", "person_id")[: limit + 20])
    basics = {
        p.id: p
        for p in list_patient_basics(user.organization_id, person_ids=[e.person_id for e in shown])
        if p.died_on is None and p.transferred_on is None
    }
    shown = [e for e in shown if e.person_id in basics][:limit]
    last: dict[int, AtRiskAction] = {}
    for action in (
        AtRiskAction.objects.filter(person_id__in=[e.person_id for e in shown])
        .select_related("decided_by")
        .order_by("decided_at", "id")
    ):
        last[action.person_id] = action
    if shown:
        record_access(
            actor=user,
            target=get_patient(user.organization_id, basics[shown[0].person_id].public_id),
            action="health.worklist_read",
        )
    return Worklist(
        rows=[
            AtRiskRow(
                basics[e.person_id],
                e.score,
                Band(e.band),
                e.reasons.splitlines(),
                NextAction(e.next_action),
                last.get(e.person_id),
            )
            for e in shown
        ],
        calibration=band_calibration(user.organization),
        total=entries.count(),
        scored_on=scoring.scored_on if scoring else None,
    )


def at_risk_panel(user: User) -> Mapping[str, Any] | None:
    """The home panel: the top of the at-risk worklist, or nothing when it is empty."""
    found = list_at_risk(user=user, limit=5)
    if not found.rows:
        return None
    return {"worklist": found}


# --- department health (staff, aggregate only) ----------------------------------------------

K_DEPARTMENT = 5
"""A department is shown only with at least this many staff, and a pulse figure only from this
many answers (methods.md §3.3)."""


@dataclass(frozen=True)
class DepartmentFigure:
    dimension: Dimension
    label: str
    score: float | None
    shown: str
    reason: str = ""
    change: float | None = None


@dataclass(frozen=True)
class DepartmentHealth:
    name: str
    staff: int
    hidden: bool
    figures: list[DepartmentFigure] = field(default_factory=list)
    score: float | None = None
    reason: str = ""

    @property
    def band(self) -> Band | None:
        return health.band_of(self.score) if self.score is not None else None


def _pulse_figures(pulse: Any) -> dict[Dimension, tuple[float | None, str, str]]:
    """(score, shown, reason) per pulse dimension; nothing under K answers."""
    if pulse is None or pulse.answered < K_DEPARTMENT:
        why = f"Fewer than {K_DEPARTMENT} pulse answers"
        hidden: tuple[float | None, str, str] = (None, "hidden", why)
        return dict.fromkeys(
            (Dimension.CONNECTION, Dimension.COMMUNICATION, Dimension.TRUST), hidden
        )
    figures: dict[Dimension, tuple[float | None, str, str]] = {}
    if pulse.invited >= pulse.answered and pulse.invited:
        share = 100 * pulse.answered / pulse.invited
        figures[Dimension.CONNECTION] = (
            round(share, 1),
            f"{pulse.answered} of {pulse.invited} invited answered",
            "",
        )
    else:
        figures[Dimension.CONNECTION] = (None, "no invitations", "No pulse invitations counted")
    if len(pulse.psych_scores) >= K_DEPARTMENT:
        mean = statistics.fmean(pulse.psych_scores)
        figures[Dimension.COMMUNICATION] = (
            round((mean - 1) / 6 * 100, 1),
            f"psychological safety {mean:.2f} of 7",
            "",
        )
    else:
        figures[Dimension.COMMUNICATION] = (None, "hidden", "Too few safety answers")
    if len(pulse.enps_points) >= K_DEPARTMENT:
        enps = statistics.fmean(pulse.enps_points)
        figures[Dimension.TRUST] = (round((enps + 100) / 2, 1), f"eNPS {enps:+.0f}", "")
    else:
        figures[Dimension.TRUST] = (None, "hidden", "Too few eNPS answers")
    return figures


def _retention(rows: list[Any], today: date) -> tuple[float | None, str, str]:
    year_ago = today - timedelta(days=365)
    base = [
        r for r in rows if r.joined_on <= year_ago and (r.left_on is None or r.left_on > year_ago)
    ]
    if len(base) < K_DEPARTMENT:
        return None, "hidden", f"Fewer than {K_DEPARTMENT} staff a year ago"
    stayed = sum(1 for r in base if r.active)
    return round(100 * stayed / len(base), 1), f"{stayed} of {len(base)} still here", ""


DEPARTMENT_INPUTS = {
    Dimension.CONNECTION: "Pulse participation",
    Dimension.COMMUNICATION: "Psychological safety (speaking up, asking for help)",
    Dimension.TRUST: "eNPS (would recommend as a place to work)",
    Dimension.COMMITMENT: "Staff retention over a year",
}


def department_health(*, user: User) -> list[DepartmentHealth]:
    """Each department's relationship with its staff, from the anonymous pulse of the last 90
    days and the staff records: never a person, departments under 5 staff hidden whole, a
    pulse figure only from 5 answers. No organisation total is shown beside them, so a hidden
    department cannot be worked out by subtraction."""
    if not HEALTH_AGGREGATE_READERS.allows(user.role):
        raise NotFound("No such page.")
    today = local_today(user.organization)
    staff: dict[int, list[Any]] = defaultdict(list)
    names: dict[int, str] = {}
    for row in list_staff_by_department(user.organization_id):
        staff[row.department_id].append(row)
        names[row.department_id] = row.department
    now = pulse_by_department(user.organization_id, first=today - timedelta(days=90), last=today)
    before = pulse_by_department(
        user.organization_id, first=today - timedelta(days=180), last=today - timedelta(days=91)
    )
    found = []
    for department_id, rows in staff.items():
        active = sum(1 for r in rows if r.active)
        if active < K_DEPARTMENT:
            found.append(DepartmentHealth(names[department_id], active, hidden=True))
            continue
        current = _pulse_figures(now.get(department_id))
        earlier = _pulse_figures(before.get(department_id))
        current[Dimension.COMMITMENT] = _retention(rows, today)
        earlier[Dimension.COMMITMENT] = _retention(rows, today - timedelta(days=90))
        figures = []
        for dimension in Dimension:
            score, shown, reason = current[dimension]
            old = earlier[dimension][0]
            figures.append(
                DepartmentFigure(
                    dimension,
                    DEPARTMENT_INPUTS[dimension],
                    score,
                    shown,
                    reason,
                    round(score - old, 1) if score is not None and old is not None else None,
                )
            )
        known = [f.score for f in figures if f.score is not None]
        enough = len(known) >= health.MIN_DIMENSIONS
        found.append(
            DepartmentHealth(
                names[department_id],
                active,
                hidden=False,
                figures=figures,
                score=round(statistics.fmean(known), 1) if enough else None,
                reason="" if enough else "Insufficient evidence: fewer than 3 dimensions.",
            )
        )
    return sorted(found, key=lambda d: d.name.casefold())


# --- time to lapse ---------------------------------------------------------------------------

SEGMENTS = {
    "all": "All patients",
    "age_band": "Age band",
    "language": "Language",
    "location": "Location of the last visit",
}
MIN_SEGMENT = 10
"""A segment's curve is drawn from this many patients; smaller segments are named only."""


@dataclass(frozen=True)
class SegmentCurve:
    value: str
    label: str
    patients: int
    curve: LapseCurve | None


@dataclass(frozen=True)
class TimeToLapse:
    segment: str
    cutoff: date
    segments: list[SegmentCurve]


def lapse_subjects(organization_id: int, cutoff: date) -> list[tuple[PatientBasics, Subject, int]]:
    """(patient, their time and event, the location of their last visit) for every patient
    with a completed visit before ``cutoff``."""
    patients = list_patient_basics(organization_id)
    visits = visit_records(organization_id, since=date(1900, 1, 1))
    found = []
    for patient in patients:
        done = [
            v for v in visits.get(patient.id, []) if v.outcome == "completed" and v.day <= cutoff
        ]
        if not done:
            continue
        days = [v.day for v in done]
        interval, _ = health.expected_interval(days, cutoff)
        found.append(
            (
                patient,
                subject(
                    first_visit=days[0],
                    last_visit=days[-1],
                    gap_days=health.lapse_gap(interval),
                    cutoff=cutoff,
                    died_on=patient.died_on,
                    transferred_on=patient.transferred_on,
                ),
                done[-1].location_id,
            )
        )
    return found


def time_to_lapse(*, user: User, segment: str = "all") -> TimeToLapse:
    """Cumulative incidence of lapse per segment (Aalen-Johansen, death and transfer
    competing), beside 1 - Kaplan-Meier, at 6, 12, 24 and 36 months. Aggregate only."""
    if not HEALTH_AGGREGATE_READERS.allows(user.role):
        raise NotFound("No such page.")
    if segment not in SEGMENTS:
        raise InvalidInput(f"Segments are {', '.join(SEGMENTS)}, not {segment!r}.", field="segment")
    cutoff = local_today(user.organization)
    groups: dict[str, list[Subject]] = defaultdict(list)
    for patient, one, location_id in lapse_subjects(user.organization_id, cutoff):
        if segment == "age_band":
            key = age_band(patient.birth_date, cutoff)
        elif segment == "language":
            key = language_of(patient.language)
        elif segment == "location":
            key = str(location_id)
        else:
            key = "all"
        groups[key].append(one)
    labels = _segment_labels(user.organization_id, segment, list(groups))
    return TimeToLapse(
        segment=segment,
        cutoff=cutoff,
        segments=sorted(
            (
                SegmentCurve(
                    value,
                    labels.get(value, value),
                    len(subjects),
                    lapse_curve(subjects) if len(subjects) >= MIN_SEGMENT else None,
                )
                for value, subjects in groups.items()
            ),
            key=lambda s: s.label.casefold(),
        ),
    )


def _segment_labels(organization_id: int, segment: str, values: list[str]) -> Mapping[str, str]:
    if segment == "age_band":
        return age_band_names(organization_id, values)
    if segment == "language":
        return language_names(organization_id, values)
    if segment == "location":
        return {
            str(pk): name
            for pk, name in Location.objects.filter(
                organization_id=organization_id, pk__in=[int(v) for v in values if v.isdigit()]
            ).values_list("pk", "name")
        }
    return {"all": SEGMENTS["all"]}
