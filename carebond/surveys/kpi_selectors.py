"""The surveys' KPIs as facts for the analytics app (carebond/core/kpis.py, docs/surveys.md).

Every figure is scored the way the Results page scores it (carebond/surveys/scoring.py), so a
KPI tile and a survey's results never disagree:

- an answer counts on the day it was sent (in the organisation's time zone), as the Results
  page counts it; a skipped question leaves the denominator;
- satisfaction is the post-visit survey's 0-10 rating of the provider (the question marked
  ``overall``): its top box (9-10) and its linear mean on 0-100 (a rating r scores 10r);
- NPS is the post-visit survey's 0-10 recommend question (``nps``): promoters 9-10 minus
  detractors 0-6;
- a moment of truth is its micro-survey's statement, scored as the Results page's moments
  table scores it: the share agreeing (the top two of five);
- the response rate counts an invitation on the day it was sent, and as answered only when its
  answers were sent (partial answers are not responses);
- recovery: hours from a case opening to its first contact, on the day of that contact; and
  whether a case was closed within 14 days, on the day those 14 days end (so a figure never
  changes once its days are over);
- staff answers are anonymous: one fact per answer, on the week it came in, by department,
  with no person, no language, no role and no location.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from carebond.core.kpis import FactsSelector, Kpi, KpiFact, KpiKind
from carebond.core.models import Organization
from carebond.people.kpi_selectors import age_band, language_of
from carebond.scheduling.selectors import visit_appointment_types
from carebond.surveys import scoring
from carebond.surveys.builtin import MOMENTS
from carebond.surveys.definitions import items
from carebond.surveys.models import (
    ActionStatus,
    AnonymousResponse,
    FeedbackAction,
    Instrument,
    InstrumentKind,
    InstrumentVersion,
    Invitation,
    InvitationStatus,
    Moment,
    RecoveryCase,
    Response,
    ResponseStatus,
)
from carebond.surveys.result_selectors import SCORING_SCALES

PATIENT_DIMENSIONS = ("provider", "appointment_type", "language", "age_band")
RESPONSE_RATE_DIMENSIONS = ("survey", "provider", "language", "age_band")
STAFF_DIMENSIONS = ("department",)
PROVIDER_MIN_N = {"provider": scoring.INSUFFICIENT_DATA.n}
"""methods.md §2.6: a provider's experience figure needs 30 answers."""
CLOSURE_WINDOW = timedelta(days=14)
ANSWER_SETTLE_DAYS = 2
"""A sent answer never changes, and its day is over once the organisation's day is: two days
leave room for a rollup that ran late."""
RESPONSE_SETTLE_DAYS = 15
"""A link stays open 14 days by default (a rule's open days), and the invitation counts on the
day it was sent: its answer may come in up to then."""
_VISIT = "visit:"
_SEVEN = SCORING_SCALES["accuracy7"]


# --- reading ---------------------------------------------------------------------------------


def _zone(organization_id: int) -> ZoneInfo:
    name = Organization.objects.filter(pk=organization_id).values_list("time_zone", flat=True)
    return ZoneInfo(name.first() or "UTC")


def _day(moment: datetime | None, zone: ZoneInfo) -> date:
    """The organisation's day of a moment (the queries only read rows that have one)."""
    assert moment is not None
    return moment.astimezone(zone).date()


def _public_id(value: object) -> str:
    """A nullable link's public id as a dimension value ("" when there is none)."""
    return "" if value is None else str(value)


def _bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(first, time.min, zone),
        datetime.combine(last + timedelta(days=1), time.min, zone),
    )


class _Definitions:
    """Each version's questions, read once: a response is scored against the version it
    answered, whatever was published since."""

    def __init__(self) -> None:
        self._items: dict[int, list[dict[str, Any]]] = {}

    def of(self, version_id: int) -> list[dict[str, Any]]:
        if version_id not in self._items:
            definition = (
                InstrumentVersion.objects.filter(pk=version_id)
                .values_list("definition", flat=True)
                .first()
            )
            self._items[version_id] = items(definition or {})
        return self._items[version_id]


def _code(value: Any, scale: scoring.Scale | None = None) -> int | None:
    """A scored answer's code (a scale's 1..k, a rating's 0-10); None for a skip, and for a
    code outside ``scale`` (the answers were checked when saved: one bad row must not stop
    the rollup of a whole month)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if scale is not None and not scale.low <= value <= scale.high:
        return None
    return value


@dataclass(frozen=True)
class _Answered:
    """One sent identified response, as its facts need it."""

    day: date
    location_id: int | None
    person_id: int
    answers: Mapping[str, Any]
    questions: list[dict[str, Any]]
    dimensions: Mapping[str, str] = field(default_factory=dict)


def _answered(
    organization_id: int, first: date, last: date, *, kind: str, moment: str = ""
) -> Iterator[_Answered]:
    """The sent responses to the organisation's surveys of ``kind`` (and ``moment``) whose
    answers were sent on ``first``..``last``."""
    zone = _zone(organization_id)
    start, end = _bounds(zone, first, last)
    found = Response.objects.filter(
        organization_id=organization_id,
        status=ResponseStatus.COMPLETED,
        submitted_at__gte=start,
        submitted_at__lt=end,
        version__instrument__kind=kind,
    )
    if moment:
        found = found.filter(version__instrument__moment=moment)
    rows = list(
        found.values(
            "version_id",
            "answers",
            "submitted_at",
            "location_id",
            "person_id",
            "person__birth_date",
            "person__preferred_language",
            "provider__public_id",
            "invitation__subject_key",
        ).order_by()
    )
    visits = [
        str(row["invitation__subject_key"]).removeprefix(_VISIT)
        for row in rows
        if str(row["invitation__subject_key"] or "").startswith(_VISIT)
    ]
    visit_types = visit_appointment_types(organization_id, visits) if visits else {}
    definitions = _Definitions()
    for row in rows:
        day = _day(row["submitted_at"], zone)
        subject = str(row["invitation__subject_key"] or "")
        dimensions = {
            "provider": _public_id(row["provider__public_id"]),
            "appointment_type": visit_types.get(subject.removeprefix(_VISIT), "")
            if subject.startswith(_VISIT)
            else "",
            "language": language_of(str(row["person__preferred_language"] or "")),
            "age_band": age_band(row["person__birth_date"], day),
        }
        yield _Answered(
            day=day,
            location_id=row["location_id"],
            person_id=row["person_id"],
            answers=row["answers"] or {},
            questions=definitions.of(row["version_id"]),
            dimensions=dimensions,
        )


def _fact(
    answered: _Answered,
    dimensions: tuple[str, ...],
    *,
    n: float = 1.0,
    x: float = 0.0,
    x2: float = 0.0,
    y: float = 0.0,
) -> KpiFact:
    return KpiFact(
        day=answered.day,
        location_id=answered.location_id,
        dimensions={key: answered.dimensions.get(key, "") for key in dimensions},
        person_id=answered.person_id,
        n=n,
        x=x,
        x2=x2,
        y=y,
    )


def _rating(
    questions: list[dict[str, Any]], answers: Mapping[str, Any], measure: str
) -> int | None:
    """The 0-10 answer to the question marked ``measure`` (the first one), or None."""
    for item in questions:
        if item.get("measure") == measure:
            return _code(answers.get(item["link_id"]), scoring.RATING_0_10)
    return None


# --- patient experience ----------------------------------------------------------------------


def _provider_ratings(
    organization_id: int, first: date, last: date
) -> Iterator[tuple[_Answered, int]]:
    for answered in _answered(organization_id, first, last, kind=InstrumentKind.PATIENT_EXPERIENCE):
        rating = _rating(answered.questions, answered.answers, "overall")
        if rating is not None:
            yield answered, rating


def satisfaction_top_box_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    box = scoring.RATING_0_10.top_codes()
    for answered, rating in _provider_ratings(organization_id, first, last):
        yield _fact(answered, PATIENT_DIMENSIONS, x=1.0 if rating in box else 0.0)


def satisfaction_mean_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    for answered, rating in _provider_ratings(organization_id, first, last):
        score = scoring.linear_score(rating, scoring.RATING_0_10)
        yield _fact(answered, PATIENT_DIMENSIONS, x=score, x2=score * score)


def nps_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    for answered in _answered(organization_id, first, last, kind=InstrumentKind.PATIENT_EXPERIENCE):
        answer = _rating(answered.questions, answered.answers, "nps")
        if answer is None:
            continue
        yield _fact(
            answered,
            PATIENT_DIMENSIONS,
            x=1.0 if answer >= 9 else 0.0,
            y=1.0 if answer <= 6 else 0.0,
        )


def _statement(questions: list[dict[str, Any]]) -> tuple[dict[str, Any], scoring.Scale] | None:
    """A micro-survey's statement: its first scale question (as the moments table reads it)."""
    for item in questions:
        if item["type"] == "scale" and item.get("scale") in SCORING_SCALES:
            return item, SCORING_SCALES[item["scale"]]
    return None


def agreeing(scale: scoring.Scale) -> range:
    """The answers that count as satisfied with a moment: the top two of a five-point (or
    longer) scale, the top answer of a shorter one (as the Results page's moments table)."""
    return scale.top_codes(2 if scale.high >= 5 else 1)


def moment_facts(moment: str) -> FactsSelector:
    """A facts selector: x = 1 for an answer agreeing with the moment's statement."""

    def facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
        for answered in _answered(
            organization_id, first, last, kind=InstrumentKind.MOMENT, moment=moment
        ):
            statement = _statement(answered.questions)
            if statement is None:
                continue
            item, scale = statement
            answer = _code(answered.answers.get(item["link_id"]), scale)
            if answer is None:
                continue
            counted = answer in agreeing(scale)
            yield _fact(answered, PATIENT_DIMENSIONS, x=1.0 if counted else 0.0)

    return facts


def response_rate_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per invitation to an identified survey sent on ``first``..``last``: x = 1 when
    its answers were sent. Anonymous surveys (the staff pulse) are left out: their invitations
    name the person, and whether that person answered is theirs to keep."""
    zone = _zone(organization_id)
    start, end = _bounds(zone, first, last)
    rows = (
        Invitation.objects.filter(
            organization_id=organization_id,
            status=InvitationStatus.SENT,
            sent_at__gte=start,
            sent_at__lt=end,
            wave__instrument__anonymous=False,
        )
        .values(
            "sent_at",
            "responded",
            "location_id",
            "person_id",
            "person__birth_date",
            "person__preferred_language",
            "provider__public_id",
            "wave__instrument__public_id",
        )
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        day = _day(row["sent_at"], zone)
        yield KpiFact(
            day=day,
            location_id=row["location_id"],
            dimensions={
                "survey": str(row["wave__instrument__public_id"]),
                "provider": _public_id(row["provider__public_id"]),
                "language": language_of(str(row["person__preferred_language"] or "")),
                "age_band": age_band(row["person__birth_date"], day),
            },
            person_id=row["person_id"],
            x=1.0 if row["responded"] else 0.0,
        )


# --- service recovery and "you said, we did" -------------------------------------------------


def first_contact_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per recovery case first contacted on ``first``..``last``: x = the hours from
    its opening to that contact."""
    zone = _zone(organization_id)
    start, end = _bounds(zone, first, last)
    rows = (
        RecoveryCase.objects.filter(
            organization_id=organization_id,
            first_contact_at__gte=start,
            first_contact_at__lt=end,
        )
        .values("opened_at", "first_contact_at", "location_id", "person_id")
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        contacted = row["first_contact_at"]
        assert contacted is not None
        hours = max(0.0, (contacted - row["opened_at"]) / timedelta(hours=1))
        yield KpiFact(
            day=_day(contacted, zone),
            location_id=row["location_id"],
            person_id=row["person_id"],
            x=hours,
            x2=hours * hours,
        )


def closure_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per recovery case opened 14 days before ``first``..``last``, on the day its 14
    days end: x = 1 when it was closed within them."""
    zone = _zone(organization_id)
    start, end = _bounds(zone, first - CLOSURE_WINDOW, last - CLOSURE_WINDOW)
    rows = (
        RecoveryCase.objects.filter(
            organization_id=organization_id, opened_at__gte=start, opened_at__lt=end
        )
        .values("opened_at", "closed_at", "location_id", "person_id")
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        closed = row["closed_at"] is not None and (
            row["closed_at"] <= row["opened_at"] + CLOSURE_WINDOW
        )
        yield KpiFact(
            day=row["opened_at"].astimezone(zone).date() + CLOSURE_WINDOW,
            location_id=row["location_id"],
            person_id=row["person_id"],
            x=1.0 if closed else 0.0,
        )


def actions_done_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per "you said, we did" action marked done on ``first``..``last`` and done
    still (an action moved back from done counts again when it is next marked done)."""
    zone = _zone(organization_id)
    start, end = _bounds(zone, first, last)
    rows = FeedbackAction.objects.filter(
        organization_id=organization_id,
        status=ActionStatus.DONE,
        done_at__gte=start,
        done_at__lt=end,
    ).values_list("done_at", "location_id")
    for done_at, location_id in rows.order_by():
        yield KpiFact(day=_day(done_at, zone), location_id=location_id, n=0.0, x=1.0)


# --- staff (anonymous) -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Pulse:
    """One anonymous staff answer: its week and its department, and nothing else that could
    narrow it down (no language, role or location: a location's total less the departments
    shown there would give away a hidden department)."""

    week_of: date
    department: str
    answers: Mapping[str, Any]
    questions: list[dict[str, Any]]

    def fact(self, *, n: float = 1.0, x: float = 0.0, x2: float = 0.0, y: float = 0.0) -> KpiFact:
        return KpiFact(
            day=self.week_of,
            location_id=None,
            dimensions={"department": self.department},
            person_id=None,
            n=n,
            x=x,
            x2=x2,
            y=y,
        )


def _pulses(organization_id: int, first: date, last: date) -> Iterator[_Pulse]:
    rows = (
        AnonymousResponse.objects.filter(
            organization_id=organization_id,
            week_of__range=(first, last),
            wave__instrument__kind=InstrumentKind.STAFF_PULSE,
        )
        .values("version_id", "answers", "week_of", "department__public_id")
        .order_by()
    )
    definitions = _Definitions()
    for row in rows.iterator(chunk_size=5000):
        yield _Pulse(
            week_of=row["week_of"],
            department=_public_id(row["department__public_id"]),
            answers=row["answers"] or {},
            questions=definitions.of(row["version_id"]),
        )


def enps_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    for pulse in _pulses(organization_id, first, last):
        answer = _rating(pulse.questions, pulse.answers, "enps")
        if answer is None:
            continue
        yield pulse.fact(x=1.0 if answer >= 9 else 0.0, y=1.0 if answer <= 6 else 0.0)


def psychological_safety_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per staff answer with a score: the mean of the seven items after the reverse
    ones are recoded (8 - x), from five answered (scoring.psychological_safety)."""
    for pulse in _pulses(organization_id, first, last):
        questions = [item for item in pulse.questions if item.get("measure") == "psych_safety"]
        if not questions:
            continue
        score = scoring.psychological_safety(
            [_code(pulse.answers.get(item["link_id"]), _SEVEN) for item in questions],
            reversed_items=[n for n, item in enumerate(questions, start=1) if item.get("reverse")],
            min_answered=min(scoring.PSYCHOLOGICAL_SAFETY_MIN_ANSWERED, len(questions)),
        )
        if score is not None:
            yield pulse.fact(x=score, x2=score * score)


# --- names and the list ----------------------------------------------------------------------


def survey_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    rows = Instrument.objects.filter(organization_id=organization_id, public_id__in=values)
    return {str(public_id): name for public_id, name in rows.values_list("public_id", "name")}


_SENT = "Counted on the day the answers were sent; skipped questions left out."
_MOMENTS = (
    (Moment.BILLING, "the bill"),
    (Moment.SCHEDULING, "making the appointment"),
    (Moment.COMMUNICATIONS, "keeping the patient informed"),
    (Moment.WAITING_ROOM, "the wait and the waiting room"),
    (Moment.TELEHEALTH, "joining the video visit"),
)
_MICRO_SURVEYS = {instrument.moment: instrument.name for instrument in MOMENTS}


def surveys_kpis() -> list[Kpi]:
    """The surveys' KPIs, in the order the overview shows them."""

    def kpi(key: str, title: str, unit: str, definition: str, kind: KpiKind, **more: Any) -> Kpi:
        return Kpi(
            key=f"surveys.{key}",
            title=title,
            unit=unit,
            definition=definition,
            kind=kind,
            app_label="surveys",
            **more,
        )

    experience: dict[str, Any] = {
        "group": "Patient experience",
        "dimensions": PATIENT_DIMENSIONS,
        "dimension_min_n": PROVIDER_MIN_N,
        "settle_days": ANSWER_SETTLE_DAYS,
    }
    rating = (
        "the post-visit survey's 0-10 rating of the provider ('what number would you use to "
        "rate this provider?', the question marked overall)"
    )
    kpis = [
        kpi(
            "satisfaction_top_box",
            "Patient satisfaction (top box)",
            "%",
            f"Of the answers to {rating} sent in the period, the share rating 9 or 10. {_SENT}",
            KpiKind.PROPORTION,
            facts=satisfaction_top_box_facts,
            order=10,
            **experience,
        ),
        kpi(
            "satisfaction_mean",
            "Patient satisfaction (mean)",
            "points of 100",
            f"The mean of {rating}, on 0-100 (a rating r scores 10 r), over the answers sent "
            f"in the period. {_SENT}",
            KpiKind.MEAN,
            facts=satisfaction_mean_facts,
            order=11,
            **experience,
        ),
        kpi(
            "nps",
            "Net Promoter Score",
            "points",
            "Of the answers to the post-visit survey's 0-10 question 'how likely is it that you "
            "would recommend this practice to a friend or family member?' sent in the period, "
            f"the share of promoters (9-10) minus the share of detractors (0-6). {_SENT}",
            KpiKind.NET,
            facts=nps_facts,
            order=12,
            **experience,
        ),
        kpi(
            "response_rate",
            "Survey response rate",
            "%",
            "Of the invitations to identified surveys (all but anonymous ones such as the staff "
            "pulse) sent in the period, the share whose answers were sent; answers saved but "
            "never sent are not responses. Counted on the day the invitation was sent; a link "
            "stays open for its rule's open days (14 by default).",
            KpiKind.PROPORTION,
            facts=response_rate_facts,
            group="Patient experience",
            dimensions=RESPONSE_RATE_DIMENSIONS,
            settle_days=RESPONSE_SETTLE_DAYS,
            order=13,
        ),
    ]
    for order, (moment, what) in enumerate(_MOMENTS, start=14):
        kpis.append(
            kpi(
                f"moment_{moment.value}",
                f"Satisfaction with {what}",
                "%",
                f"Of the answers to the '{_MICRO_SURVEYS[moment]}' micro-survey's statement "
                "sent in the period, the share agreeing (Agree or Strongly agree: the top two of "
                f"five). {_SENT}",
                KpiKind.PROPORTION,
                facts=moment_facts(moment),
                order=order,
                **experience,
            )
        )
    recovery: dict[str, Any] = {"group": "Service recovery", "dimensions": ()}
    kpis += [
        kpi(
            "recovery_first_contact",
            "Recovery: time to first contact",
            "hours",
            "Hours from a service-recovery case opening to its first recorded contact, on "
            "average, over the cases first contacted in the period (counted on the day of that "
            "contact; cases not contacted yet count once they are).",
            KpiKind.MEAN,
            facts=first_contact_facts,
            higher_is_better=False,
            settle_days=ANSWER_SETTLE_DAYS,
            order=40,
            **recovery,
        ),
        kpi(
            "recovery_closure",
            "Recovery: closed within 14 days",
            "%",
            "Of the service-recovery cases opened 14 days before each day of the period "
            "(counted on the day their 14 days end), the share closed within those 14 days.",
            KpiKind.PROPORTION,
            facts=closure_facts,
            settle_days=ANSWER_SETTLE_DAYS,
            order=41,
            **recovery,
        ),
        kpi(
            "actions_done",
            "You said, we did: actions completed",
            "actions",
            "'You said, we did' actions marked done in the period and done still (counted on "
            "the day last marked done; one moved back and done again counts on its new day).",
            KpiKind.COUNT,
            facts=actions_done_facts,
            settle_days=7,
            order=42,
            **recovery,
        ),
    ]
    staff: dict[str, Any] = {
        "group": "Staff",
        "dimensions": STAFF_DIMENSIONS,
        "anonymous": True,
        "settle_days": 7,
    }
    kpis += [
        kpi(
            "enps",
            "Employee Net Promoter Score",
            "points",
            "Of the anonymous staff pulse answers to 'how likely is it that you would recommend "
            "this organisation as a place to work?' (0-10) in the period, the share of promoters "
            "(9-10) minus the share of detractors (0-6). Counted on the week answered; groups "
            "under 5 answers hidden.",
            KpiKind.NET,
            facts=enps_facts,
            order=60,
            **staff,
        ),
        kpi(
            "psychological_safety",
            "Team psychological safety",
            "points of 7",
            "The mean, over the anonymous staff pulse answers of the period, of each person's "
            "score on the seven team psychological-safety items (Edmondson 1999; 1-7, items 1, "
            "3 and 5 reversed as 8 - x, at least five answered). Counted on the week answered; "
            "groups under 5 answers hidden.",
            KpiKind.MEAN,
            facts=psychological_safety_facts,
            order=61,
            **staff,
        ),
    ]
    return kpis
