"""Scores: what the results page, the managers' home panels and the API show.

Every figure comes with its n and a 95% interval (``scoring.Score``), is hidden below the
organisation's anonymity threshold (5 by default; a provider's percentage also below 30), and
every breakdown goes through complementary suppression (``suppression.suppress_cells``) so that
no hidden group can be worked out by subtracting shown ones from the total. Period-over-period
change is tested (z for top-box shares, Welch t for means), never read by eye.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.surveys import scoring
from carebond.surveys.access import SURVEY_READERS
from carebond.surveys.definitions import items, text_in
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.models import (
    AnonymousResponse,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Response,
    ResponseStatus,
    VersionStatus,
    Wave,
)
from carebond.surveys.suppression import suppress_cells

if TYPE_CHECKING:
    from carebond.accounts.models import User

ACCURACY_7 = scoring.Scale(
    "7-point accuracy",
    (
        "Very inaccurate",
        "Inaccurate",
        "Somewhat inaccurate",
        "Neither accurate nor inaccurate",
        "Somewhat accurate",
        "Accurate",
        "Very accurate",
    ),
    top=2,
)
SCORING_SCALES: dict[str, scoring.Scale] = {
    "frequency4": scoring.FREQUENCY_4,
    "agree5": scoring.AGREE_5,
    "accuracy7": ACCURACY_7,
    "yes3": scoring.THREE_POINT,
}
BREAKDOWNS = {
    "location": "Location",
    "provider": "Provider",
    "department": "Department",
    "role_group": "Role group",
    "language": "Language",
}
PERIODS = (30, 90, 180, 365)


@dataclass(frozen=True)
class Answered:
    """One sent response, as scoring needs it: answers and the slices it may be cut by."""

    answers: dict[str, Any]
    location: str
    provider: str
    department: str
    role_group: str
    language: str


def _scale_for(item: dict[str, Any]) -> scoring.Scale | None:
    if item["type"] == "scale":
        return SCORING_SCALES.get(item.get("scale", ""))
    if item["type"] == "rating":
        return scoring.RATING_0_10
    if item["type"] == "yes_no":
        return scoring.YES_NO
    return None


def _code(item: dict[str, Any], value: Any) -> int | None:
    if item["type"] == "yes_no":
        return {"no": 1, "yes": 2}.get(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _bounds(organization_zone: str, since: date, until: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(organization_zone)
    return (
        datetime.combine(since, time(), zone),
        datetime.combine(until + timedelta(days=1), time(), zone),
    )


def _waves(instrument: Instrument, wave: Wave | None) -> tuple[Wave | None, Wave | None]:
    """The wave asked for (else the latest) and the one before it from the same rule."""
    waves = Wave.objects.filter(instrument=instrument).order_by("-starts_on", "-id")
    chosen = wave or waves.first()
    if chosen is None:
        return None, None
    before = waves.filter(rule=chosen.rule, starts_on__lt=chosen.starts_on).first()
    return chosen, before


def _anonymous_rows(wave: Wave | None) -> list[Answered]:
    if wave is None:
        return []
    rows = AnonymousResponse.objects.filter(wave=wave).select_related("location", "department")
    return [
        Answered(
            r.answers,
            r.location.name if r.location else "",
            "",
            r.department.name if r.department else "",
            r.role_group,
            r.language,
        )
        for r in rows
    ]


def responses_between(instrument: Instrument, since: date, until: date) -> list[Answered]:
    """The sent identified responses to any version of the instrument in [since, until]
    (days in the organisation's zone)."""
    versions = InstrumentVersion.objects.filter(instrument=instrument)
    start, end = _bounds(instrument.organization.time_zone, since, until)
    found = Response.objects.filter(
        version__in=versions,
        status=ResponseStatus.COMPLETED,
        submitted_at__gte=start,
        submitted_at__lt=end,
    ).select_related("location", "provider", "department")
    return [
        Answered(
            r.answers,
            r.location.name if r.location else "",
            r.provider.display_name if r.provider else "",
            r.department.name if r.department else "",
            "",
            r.language,
        )
        for r in found
    ]


@dataclass(frozen=True)
class ItemResult:
    link_id: str
    text: str
    composite: str
    top_box: scoring.Score
    mean: scoring.Score
    change: scoring.Comparison | None


@dataclass(frozen=True)
class CompositeResult:
    key: str
    title: str
    score: scoring.Score
    items: list[ItemResult]


@dataclass(frozen=True)
class SliceRow:
    key: str
    n: int
    shown: bool
    reason: str
    headline: scoring.Score | None


@dataclass
class Results:
    instrument: Instrument
    since: date
    until: date
    n: int
    composites: list[CompositeResult] = field(default_factory=list)
    nps: scoring.NetPromoter | None = None
    nps_change: scoring.Comparison | None = None
    nps_label: str = "NPS"
    psych_safety: scoring.Score | None = None
    psych_change: scoring.Comparison | None = None
    breakdown: str = ""
    slices: list[SliceRow] = field(default_factory=list)
    k: int = 5
    hidden_reason: str = ""
    previous_n: int = 0
    wave: Wave | None = None


def _definition(instrument: Instrument) -> dict[str, Any]:
    version = (
        InstrumentVersion.objects.filter(instrument=instrument)
        .exclude(status=VersionStatus.DRAFT)
        .order_by("-number")
        .first()
    )
    return version.definition if version else {"sections": []}


def _values(rows: Iterable[Answered], link_id: str, item: dict[str, Any]) -> list[int | None]:
    return [_code(item, row.answers.get(link_id)) for row in rows]


def _nps_points(values: Iterable[int | None]) -> list[float]:
    return [100.0 if v >= 9 else (0.0 if v >= 7 else -100.0) for v in values if v is not None]


def _psych(rows: Iterable[Answered], psych_items: list[dict[str, Any]]) -> list[float | None]:
    reversed_positions = [n for n, item in enumerate(psych_items, start=1) if item.get("reverse")]
    scores = []
    for row in rows:
        answers = [_code(item, row.answers.get(item["link_id"])) for item in psych_items]
        scores.append(
            scoring.psychological_safety(
                answers,
                reversed_items=reversed_positions,
                min_answered=min(scoring.PSYCHOLOGICAL_SAFETY_MIN_ANSWERED, len(psych_items)),
            )
        )
    return scores


def _compare_means(first: list[float], second: list[float]) -> scoring.Comparison | None:
    if len(first) < 2 or len(second) < 2:
        return None
    return scoring.compare_mean_scores(first, second)


def _compare_top(
    item: dict[str, Any], before: list[int | None], now: list[int | None]
) -> scoring.Comparison | None:
    scale = _scale_for(item)
    if scale is None:
        return None
    box = scale.top_codes()
    a = [v for v in before if v is not None]
    b = [v for v in now if v is not None]
    if not a or not b:
        return None
    return scoring.compare_proportions(
        sum(1 for v in a if v in box), len(a), sum(1 for v in b if v in box), len(b)
    )


def score_rows(
    instrument: Instrument,
    rows: list[Answered],
    previous: list[Answered],
    *,
    minima: tuple[scoring.Minimum, ...],
) -> Results:
    definition = _definition(instrument)
    results = Results(instrument, date.min, date.max, len(rows), previous_n=len(previous))
    grouped: dict[str, list[ItemResult]] = defaultdict(list)
    psych_items = []
    comparable = len(rows) >= minima[0].n and len(previous) >= minima[0].n
    for item in items(definition):
        scale = _scale_for(item)
        measure = item.get("measure", "")
        if measure == "psych_safety":
            psych_items.append(item)
        if scale is None or measure in ("nps", "enps", "contact"):
            if measure in ("nps", "enps"):
                values = _values(rows, item["link_id"], item)
                results.nps = scoring.net_promoter(values, minima=minima)
                results.nps_label = "eNPS" if measure == "enps" else "NPS"
                if comparable:
                    results.nps_change = _compare_means(
                        _nps_points(_values(previous, item["link_id"], item)), _nps_points(values)
                    )
            continue
        values = _values(rows, item["link_id"], item)
        result = ItemResult(
            link_id=item["link_id"],
            text=text_in(item["text"], "en", "es"),
            composite=item.get("composite") or item["link_id"],
            top_box=scoring.top_box(values, scale, minima=minima),
            mean=scoring.linear_mean(values, scale, minima=minima),
            change=_compare_top(item, _values(previous, item["link_id"], item), values)
            if comparable
            else None,
        )
        grouped[result.composite].append(result)
    for key, members in grouped.items():
        results.composites.append(
            CompositeResult(
                key=key,
                title=key.replace("_", " ").capitalize(),
                score=scoring.composite([m.top_box for m in members], minima=minima),
                items=members,
            )
        )
    if psych_items:
        individual = _psych(rows, psych_items)
        results.psych_safety = scoring.team_psychological_safety(individual, minima=minima)
        if comparable:
            results.psych_change = _compare_means(
                [s for s in _psych(previous, psych_items) if s is not None],
                [s for s in individual if s is not None],
            )
    return results


def _headline(
    instrument: Instrument, rows: list[Answered], minima: tuple[scoring.Minimum, ...]
) -> scoring.Score | None:
    """The figure a breakdown shows per group: NPS when the instrument has one, else the mean
    of its items' top-box shares."""
    scored = score_rows(instrument, rows, [], minima=minima)
    if scored.nps is not None:
        return scored.nps.score
    if scored.psych_safety is not None:
        return scored.psych_safety
    return scoring.composite([c.score for c in scored.composites], minima=minima)


def get_results(
    *,
    user: User,
    instrument: Instrument,
    days: int = 90,
    breakdown: str = "",
    until: date | None = None,
    wave: Wave | None = None,
) -> Results:
    """The instrument's scores over the last ``days`` against the ``days`` before, and, when
    asked, one breakdown with small groups hidden (and enough others that none can be
    worked out)."""
    if not SURVEY_READERS.allows(user.role) or instrument.organization_id != user.organization_id:
        raise NotFound("No such survey.")
    if days not in PERIODS:
        raise InvalidInput(f"Choose a period of {', '.join(map(str, PERIODS))} days.", field="days")
    if breakdown and breakdown not in BREAKDOWNS:
        raise InvalidInput("Choose one of the offered breakdowns.", field="breakdown")
    if instrument.anonymous and breakdown == "provider":
        raise InvalidInput("Anonymous surveys are not broken down by provider.", field="breakdown")
    rules = survey_settings(user.organization_id)
    minima = (scoring.Minimum(rules.k_metric, "fewer than {n} responses"),)
    if instrument.anonymous:
        # Anonymous results go by whole waves, which never overlap: two overlapping periods
        # could be subtracted to reveal the few answers between their ends.
        chosen, before = _waves(instrument, wave)
        rows = _anonymous_rows(chosen)
        previous = _anonymous_rows(before)
        since = chosen.starts_on if chosen else clock.now().date()
        end = chosen.ends_on if chosen else since
    else:
        end = until or clock.now().date()
        since = end - timedelta(days=days - 1)
        rows = responses_between(instrument, since, end)
        previous = responses_between(
            instrument, since - timedelta(days=days), since - timedelta(days=1)
        )
    results = score_rows(instrument, rows, previous, minima=minima)
    results.since, results.until, results.k = since, end, rules.k_metric
    results.wave = chosen if instrument.anonymous else None
    if len(rows) < rules.k_metric:
        results.hidden_reason = f"Fewer than {rules.k_metric} responses in this period."
    if breakdown:
        results.breakdown = breakdown
        results.slices = _slices(instrument, rows, breakdown, rules, minima)
    return results


def _slices(
    instrument: Instrument,
    rows: list[Answered],
    breakdown: str,
    rules: Any,
    minima: tuple[scoring.Minimum, ...],
) -> list[SliceRow]:
    groups: dict[str, list[Answered]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, breakdown) or "Not recorded"].append(row)
    decided = suppress_cells(
        len(rows), {key: len(members) for key, members in groups.items()}, k=rules.k_metric
    )
    provider_minima = minima
    if breakdown == "provider":
        provider_minima = (
            *minima,
            scoring.Minimum(rules.provider_min_n, "insufficient data (fewer than {n} responses)"),
        )
    out = []
    for cell in decided.children:
        members = groups.get(cell.key, [])
        out.append(
            SliceRow(
                key=cell.key,
                n=cell.n,
                shown=cell.shown,
                reason=cell.reason or "",
                headline=_headline(instrument, members, provider_minima) if cell.shown else None,
            )
        )
    return sorted(out, key=lambda row: row.key)


def list_scored_instruments(*, user: User) -> list[Instrument]:
    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such survey.")
    return list(
        Instrument.objects.filter(organization_id=user.organization_id).exclude(
            kind=InstrumentKind.RECOVERY_FOLLOW_UP
        )
    )


def instrument_by_kind(user: User, kind: str) -> Instrument | None:
    return (
        Instrument.objects.filter(organization_id=user.organization_id, kind=kind)
        .order_by("id")
        .first()
    )


@dataclass(frozen=True)
class MomentRow:
    """One moment of truth: the share agreeing with its micro-survey's statement."""

    moment: str
    instrument: Instrument
    score: scoring.Score


@dataclass(frozen=True)
class Moments:
    rows: list[MomentRow]
    days: int
    billing_questions: Any  # billing.selectors.QuestionFigures


def moments_summary(*, user: User, days: int = 90) -> Moments | None:
    """Satisfaction per moment of truth (Agree or Strongly agree with each micro-survey's
    statement, last ``days``; hidden below the threshold), with the billing questions the
    inbox took and how long they waited, beside them. None when no micro-survey was answered."""
    from carebond.billing.selectors import billing_question_figures

    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such survey.")
    rules = survey_settings(user.organization_id)
    minima = (scoring.Minimum(rules.k_metric, "fewer than {n} responses"),)
    end = clock.now().date()
    since = end - timedelta(days=days - 1)
    rows = []
    for instrument in Instrument.objects.filter(
        organization_id=user.organization_id, kind=InstrumentKind.MOMENT
    ).order_by("id"):
        statement = next((i for i in items(_definition(instrument)) if i["type"] == "scale"), None)
        if statement is None:
            continue
        answers = [
            _code(statement, row.answers.get(statement["link_id"]))
            for row in responses_between(instrument, since, end)
        ]
        scale = _scale_for(statement)
        if scale is None or not any(a is not None for a in answers):
            continue
        rows.append(
            MomentRow(
                instrument.get_moment_display(),
                instrument,
                scoring.top_box(answers, scale, top=2 if scale.high >= 5 else 1, minima=minima),
            )
        )
    if not rows:
        return None
    now = clock.now()
    figures = billing_question_figures(
        user.organization_id, since=now - timedelta(days=days), until=now
    )
    return Moments(rows, days, figures)
