"""The demo practice's last two years: visits, feedback, texts and staff pulses up to
yesterday, so that every KPI tile and chart, every health score and the early warning show
something true on first load (docs/analytics.md, "The demo's history").

The sections before this one build today and the last few months through the product's
actions. This one writes the two years before as history: rows as they would stand now, written
at once (``bulk_create``), each one valid (constraints, the no-double-booking triggers, encrypted
fields), but no audit events, because nobody did anything today.

- **Patients on cycles.** Each patient has a home (Riverbend Main Clinic, Northside Family
  Clinic, or video visits with the behavioral health counselor) and a rhythm: a yearly physical,
  a follow-up every three months, a visit about every month (Northside's children, video
  therapy), or new to the practice during the two years. Established patients had a visit before
  the two years began (so they are not counted as new). Some lapse and stop coming; two died and
  two moved away (their records say so, and their visits stop then). Sick visits come on top,
  more in winter, fewer in summer.
- **Visits.** Booked ahead by realistic lead times (a sick visit that day or the next, a physical
  weeks ahead, a follow-up often at the last checkout); completed with arrival, rooming, seen and
  completed times; no-shows (more for patients who often miss, young adults, visits booked long
  ahead, Monday and late-afternoon visits), late and timely cancellations; a missed follow-up is
  booked again. Each visit is on the patient's timeline.
- **Feedback.** After completed visits, within the organisation's one-invitation-a-month rule,
  the post-visit survey or a moment-of-truth micro-survey (waiting room, scheduling,
  communications, the video visit), in English or Spanish; detractors' service-recovery cases
  opened, contacted and closed; a "you said, we did" action done every few months; the staff
  pulse every quarter (anonymous; ``history_feedback.py``).
- **Texts.** Reminders the day before each visit, patients' questions and staff replies in
  office hours, and a few patients who answered a reminder with STOP (``history_messages.py``).

**The drift.** At Northside Family Clinic patient satisfaction slowly erodes over the last
``DRIFT_MONTHS`` months: the share of happy patients slides month by month, so the provider
rating's top box and its mean fall by about one standard deviation of a monthly mean on average
over those months (about two by the last one). No single month falls outside a Shewhart chart's
limits, but an EWMA or CUSUM chart (docs/methods.md §4.4) signals. Northside's no-show rate
creeps up a little over the same months. Everywhere else the figures are stable, with noise.

Volumes scale with the demo's size (its patients); the two years stay two years.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from carebond.accounts.models import User
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.health_actions import do_score_patients
from carebond.analytics.health_selectors import local_today
from carebond.analytics.warning_actions import scan_organization
from carebond.analytics.warning_selectors import scan_month
from carebond.core import clock
from carebond.core.bulk import insert_rows
from carebond.core.models import Location, Organization
from carebond.demo.people import DemoPeople
from carebond.people.models import (
    ConsentRecord,
    ContactPoint,
    Person,
    PersonKind,
    PersonStatus,
)
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BookedVia,
    CancelledBy,
)
from carebond.surveys.models import Invitation
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import Direction, MomentOfTruth, Touchpoint, TouchpointChannel

MONTHS = 24
DRIFT_MONTHS = 8
DRIFTING = "Northside Family Clinic"
GROUP_PREFIX = "history-"
"""Every visit this section writes has a group key starting so: the demo's visits of the last
few months (scheduling.py, noshow.py) have their own."""

MAIN, NORTH, VIDEO = "main", "north", "video"
HOMES = {
    MAIN: "Riverbend Main Clinic",
    NORTH: "Northside Family Clinic",
    VIDEO: "Riverbend Telehealth",
}
# Who sees a home's patients: the first is the usual provider, the others cover.
PROVIDERS = {
    MAIN: ("Raman", "Ruiz", "Becker", "Owusu"),
    NORTH: ("Bell", "Owusu"),
    VIDEO: ("Harris", "Raman"),
}
# (home weight, then the rhythms' weights): Northside sees children, often.
HOME_WEIGHTS = ((MAIN, 36), (NORTH, 54), (VIDEO, 10))
RHYTHMS = {
    MAIN: (("annual", 40), ("quarterly", 45), ("monthly", 10), ("new", 5)),
    NORTH: (("annual", 10), ("quarterly", 30), ("monthly", 52), ("new", 8)),
    VIDEO: (("monthly", 80), ("quarterly", 20)),
}
# Days between visits of a rhythm (mean, spread); video therapy every five weeks or so.
INTERVALS = {"annual": (365, 25), "quarterly": (91, 12), "monthly": (31, 6), "new": (91, 12)}
VIDEO_INTERVAL = (35, 7)
SICK_VISITS_A_YEAR = {MAIN: 0.8, NORTH: 1.2, VIDEO: 0.0}
# More sick visits in winter, fewer in summer (January first).
SEASON = (1.5, 1.45, 1.15, 1.0, 0.85, 0.7, 0.65, 0.75, 1.0, 1.05, 1.2, 1.45)
# Minutes from arriving to being roomed, on average (winter adds a little).
WAIT_MINUTES = {MAIN: 14.0, NORTH: 11.0}
# Probabilities, of the visits due: no-shows (before the patient's own adjustments), late and
# timely cancellations.
NOSHOW_BASE = {MAIN: 0.05, NORTH: 0.055, VIDEO: 0.04}
NORTHSIDE_NOSHOW_CREEP = 0.05
LATE_CANCEL = 0.035
TIMELY_CANCEL = 0.07
SLOTS = tuple(time(8 + (30 + 20 * n) // 60, (30 + 20 * n) % 60) for n in range(25))  # 8:30-16:30
CANCEL_REASONS = ("Feeling better", "Work conflict", "Childcare", "Transport fell through")
VISIT_SUMMARIES = {
    "physical": ("Annual physical.", "Well visit; vaccines up to date."),
    "follow-up": (
        "Follow-up on blood pressure.",
        "Diabetes check; A1c improving.",
        "Asthma review; inhaler technique checked.",
        "Medication review.",
    ),
    "sick": ("Sick visit: sore throat.", "Sick visit: fever and cough.", "Sick visit: ear pain."),
    "new-patient": ("New patient visit.",),
    "telehealth": ("Video follow-up on medication.", "Video counseling session."),
}


@dataclass
class Patient:
    """What the history knows of one demo patient."""

    person: Person
    home: str
    rhythm: str
    provider: Person
    phone: str = ""
    email: str = ""
    often_misses: bool = False
    joined: date | None = None  # new to the practice on this day
    left: date | None = None  # lapsed, died or moved away after this day
    ending: str = ""  # "deceased" | "moved" | "lapsed"
    texts_stopped: datetime | None = None  # answered a reminder with STOP then
    texted_recently: bool = False  # the demo's recent sections texted them
    # Consent in force: appointment texts, survey emails (the registry's), and survey texts
    # (asked at the desk during the two years: history_messages.py).
    appointment_texts: bool = False
    survey_emails: bool = False
    survey_texts: bool = False

    @property
    def spanish(self) -> bool:
        return self.person.preferred_language.startswith("es")


@dataclass
class Context:
    """The practice as the history needs it."""

    organization: Organization
    zone: ZoneInfo
    start: date  # the first day of the two years
    yesterday: date
    now: datetime
    locations: dict[str, Location]
    types: dict[str, AppointmentType]
    staff: dict[str, Person]  # by family name
    users: dict[str, User]
    people: list[Person] = field(default_factory=list)  # the active patients
    patients: list[Patient] = field(default_factory=list)
    busy: dict[tuple[int, date], list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def drift(self, day: date) -> float:
        """How far Northside's erosion has gone on a day: 0 before the last DRIFT_MONTHS
        months, then growing steadily to 1 over five months, and holding there."""
        began = self.yesterday - timedelta(days=round(DRIFT_MONTHS * 30.44))
        if day <= began:
            return 0.0
        return float(min(1.0, (day - began).days / (5 * 30.44)))


@dataclass
class Written:
    """The visits written, each with its patient."""

    visits: list[tuple[Appointment, Patient]] = field(default_factory=list)


def build_history(
    organization: Organization,
    *,
    rng: random.Random,
    people: DemoPeople,
    users: dict[str, User],
    locations: dict[str, Location],
) -> None:
    """Write the two years, then roll them up for the dashboards and score every patient's
    relationship health."""
    from carebond.demo.history_feedback import write_feedback
    from carebond.demo.history_messages import write_texts

    if Appointment.objects.filter(
        organization=organization, group_key__startswith=GROUP_PREFIX
    ).exists():
        return  # built before: the demo is built once per database
    context = _context(organization, people, users, locations)
    if "follow-up" not in context.types or not context.people:
        return  # a demo without a schedule: nothing to write history for
    streams = {
        name: random.Random(rng.getrandbits(64)) for name in ("who", "visits", "say", "text")
    }
    context.patients = _patients(context, streams["who"])
    written = _visits(context, streams["visits"])
    write_texts(context, written, streams["text"])  # (before feedback: STOP ends survey texts)
    write_feedback(context, written, streams["say"])
    _leavers(context)
    first = min(context.start, context.yesterday - timedelta(days=730))
    do_roll_up_days(organization=organization, first=first, last=context.yesterday)
    # The worker's early-warning pass as it would have run at the end of each of the last six
    # months: Northside's erosion is caught in the month it signalled (the alert the managers
    # see on their home and on Early warning).
    latest = scan_month(organization)
    for months_back in range(5, -1, -1):
        scan_organization(organization, month=_month_start(latest, months_back))
    # And tonight's scoring, done now: the at-risk list and the bands' check are there at once.
    do_score_patients(organization, on=local_today(organization))


# --- the practice and its patients -----------------------------------------------------------


def _month_start(day: date, months_back: int) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _context(
    organization: Organization,
    people: DemoPeople,
    users: dict[str, User],
    locations: dict[str, Location],
) -> Context:
    zone = ZoneInfo(organization.time_zone)
    now = clock.now()
    today = now.astimezone(zone).date()
    context = Context(
        organization=organization,
        zone=zone,
        start=_month_start(today, MONTHS),
        yesterday=today - timedelta(days=1),
        now=now,
        locations={home: locations[name] for home, name in HOMES.items()},
        types={t.key: t for t in AppointmentType.objects.filter(organization=organization)},
        staff={p.family_name: p for p in people.staff if p.family_name},
        users=users,
    )
    context.people = list(
        Person.objects.filter(
            organization=organization, kind=PersonKind.PATIENT, status=PersonStatus.ACTIVE
        ).order_by("id")
    )
    return context


def _weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _patients(context: Context, rng: random.Random) -> list[Patient]:
    """Each patient's home and rhythm. Those the demo's recent sections never touched (no visit,
    no text, no survey) are the ones who lapse, die or move away, so nothing recent says
    otherwise."""
    people = context.people
    ids = [p.pk for p in people]
    seen = set(Appointment.objects.filter(patient_id__in=ids).values_list("patient_id", flat=True))
    asked = set(Invitation.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
    from carebond.messaging.models import Message

    texted = set(Message.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
    contacts: dict[int, dict[str, str]] = defaultdict(dict)
    for person_id, system, value in (
        ContactPoint.objects.filter(person_id__in=ids)
        .order_by("person_id", "system", "rank")
        .values_list("person_id", "system", "value")
    ):
        contacts[person_id].setdefault(system, value)
    consents = _consents(ids)
    missing = _often_missing(ids)
    untouched = [p for p in people if p.pk not in seen | asked | texted]
    quiet = [p for p in people if p.pk not in seen | texted and p not in untouched]
    endings = {p.pk: "deceased" for p in untouched[:2]}
    endings |= {p.pk: "moved" for p in untouched[2:4]}
    endings |= {p.pk: "lapsed" for p in (untouched[4:] + quiet[:4])}
    span = (context.yesterday - context.start).days
    patients = []
    for person in people:
        home = _weighted(rng, HOME_WEIGHTS)
        rhythm = _weighted(rng, RHYTHMS[home])
        names = PROVIDERS[home]
        provider = context.staff.get(names[0] if rng.random() < 0.8 else rng.choice(names))
        if provider is None:
            continue
        patient = Patient(
            person=person,
            home=home,
            rhythm=rhythm,
            provider=provider,
            phone=contacts[person.pk].get("phone", ""),
            email=contacts[person.pk].get("email", ""),
            often_misses=person.pk in missing,
            texted_recently=person.pk in texted,
            appointment_texts=consents.get((person.pk, "sms", "appointment")) == "granted",
            survey_emails=consents.get((person.pk, "email", "survey")) == "granted",
        )
        if rhythm == "new":
            patient.joined = context.start + timedelta(days=rng.randint(30, span - 120))
        ending = endings.get(person.pk, "")
        if ending:
            patient.ending = ending
            patient.rhythm = "quarterly" if rhythm == "monthly" else rhythm
            patient.joined = None
            patient.left = context.start + timedelta(days=rng.randint(150, span - 150))
        patients.append(patient)
    return patients


def _consents(ids: list[int]) -> dict[tuple[int, str, str], str]:
    """The decision in force for each person, channel and purpose (the newest)."""
    rows = (
        ConsentRecord.objects.filter(person_id__in=ids)
        .order_by("recorded_at", "id")
        .values_list("person_id", "channel", "purpose", "status")
    )
    return {(person_id, channel, purpose): status for person_id, channel, purpose, status in rows}


def _often_missing(ids: list[int]) -> set[int]:
    """Patients who missed at least a third of their visits in the demo's recent months: they
    missed as often before."""
    outcomes: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows = Appointment.objects.filter(
        patient_id__in=ids,
        status__in=[AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW],
    ).values_list("patient_id", "status")
    for patient_id, status in rows:
        outcomes[patient_id][status == AppointmentStatus.NOSHOW] += 1
    return {pk for pk, (kept, missed) in outcomes.items() if missed >= 3 and missed * 2 >= kept}


# --- visits ----------------------------------------------------------------------------------


def _visits(context: Context, rng: random.Random) -> Written:
    """Plan each patient's visits, write them, and put them on the timelines."""
    _note_busy(context)
    written = Written()
    for patient in context.patients:
        for day, kind in _wanted(context, patient, rng):
            _book(context, rng, patient, day, kind, written, again=kind != "sick")
    _insert([visit for visit, _ in written.visits])
    _timelines(context, rng, written)
    return written


def _insert(objects: list[Appointment]) -> None:
    """Like bulk_create, each value prepared by its field (times, encrypted text), but sent as
    one prepared statement (core.bulk): SQLite's limit on parameters would otherwise cut two
    years of visits into a hundred statements, each assembled anew. No ids come back: nothing
    the history writes points at a visit by its id (surveys and the timeline use its public
    id)."""
    fields = [f for f in Appointment._meta.concrete_fields if not f.primary_key]
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(visit, True), connection) for f in fields)
        for visit in objects
    ]
    insert_rows(Appointment, [str(f.column) for f in fields], rows)


def _note_busy(context: Context) -> None:
    """The provider's and the patient's time the demo's recent visits already hold."""
    rows = Appointment.objects.filter(
        organization=context.organization,
        starts_at__gte=datetime.combine(context.start, time(), context.zone) - timedelta(days=400),
        starts_at__lt=context.now,
    ).exclude(status=AppointmentStatus.CANCELLED)
    for provider_id, patient_id, starts, ends in rows.values_list(
        "provider_id", "patient_id", "starts_at", "ends_at"
    ):
        day = starts.astimezone(context.zone).date()
        context.busy[(provider_id, day)].append((starts, ends))
        context.busy[(patient_id, day)].append((starts, ends))


def _wanted(context: Context, patient: Patient, rng: random.Random) -> list[tuple[date, str]]:
    """(day, kind) of the visits a patient would book: the rhythm's, and sick visits."""
    first = patient.joined or context.start
    last = min(context.yesterday, patient.left or context.yesterday)
    wanted: list[tuple[date, str]] = []
    if patient.home == VIDEO:
        mean, spread = VIDEO_INTERVAL
        routine = "telehealth"
    else:
        mean, spread = INTERVALS[patient.rhythm]
        routine = "physical" if patient.rhythm == "annual" else "follow-up"
    if patient.joined is not None:
        wanted.append((patient.joined, "new-patient"))
        due = patient.joined + timedelta(days=round(rng.gauss(mean, spread)))
    else:
        # established: seen before the two years began, somewhere in one cycle before
        wanted.append((first - timedelta(days=rng.randint(20, mean + 30)), "before"))
        due = first + timedelta(days=rng.randint(0, mean))
    while due <= last:
        wanted.append((due, routine))
        due += timedelta(days=max(7, round(rng.gauss(mean, spread))))
    rate = SICK_VISITS_A_YEAR[patient.home]
    day = first
    while rate and day <= last:
        if rng.random() < rate / 365 * SEASON[day.month - 1]:
            wanted.append((day, "sick"))
        day += timedelta(days=1)
    return sorted(wanted)


def _book(
    context: Context,
    rng: random.Random,
    patient: Patient,
    day: date,
    kind: str,
    written: Written,
    *,
    again: bool,
) -> None:
    type_key = {"sick": "follow-up", "before": "follow-up"}.get(kind, kind)
    visit_type = context.types.get(type_key) or context.types["follow-up"]
    home = VIDEO if visit_type.key == "telehealth" else patient.home
    if home == VIDEO and visit_type.key != "telehealth":
        home = MAIN
    found = _free_time(context, rng, patient, day, visit_type, home)
    if found is None:
        return
    starts, provider = found
    visit = _appointment(context, rng, patient, kind, visit_type, home, starts, provider)
    for person_id in (provider.pk, patient.person.pk):
        context.busy[(person_id, starts.astimezone(context.zone).date())].append(
            (visit.starts_at, visit.ends_at)
        )
    written.visits.append((visit, patient))
    if again and visit.status != AppointmentStatus.FULFILLED and kind != "before":
        later = starts.astimezone(context.zone).date() + timedelta(days=rng.randint(5, 21))
        if later <= min(context.yesterday, patient.left or context.yesterday):
            _book(context, rng, patient, later, kind, written, again=False)


def _free_time(
    context: Context,
    rng: random.Random,
    patient: Patient,
    day: date,
    visit_type: AppointmentType,
    home: str,
) -> tuple[datetime, Person] | None:
    """The first weekday near ``day`` with a time free for the patient and a provider of the
    home (the usual one first)."""
    providers = [patient.provider] + [
        context.staff[name]
        for name in PROVIDERS[home]
        if name in context.staff and context.staff[name] != patient.provider
    ]
    length = visit_type.duration
    for shift in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6, 7):
        when = day + timedelta(days=shift)
        if when.weekday() >= 5 or when > context.yesterday:
            continue
        for provider in providers:
            slots = rng.sample(SLOTS, 6)
            for slot in slots:
                starts = datetime.combine(when, slot, context.zone)
                ends = starts + length
                if ends.astimezone(context.zone).time() > time(17):
                    continue
                if _free(context, provider.pk, when, starts, ends) and _free(
                    context, patient.person.pk, when, starts, ends
                ):
                    return starts, provider
    return None


def _free(context: Context, person_id: int, day: date, starts: datetime, ends: datetime) -> bool:
    return all(
        ends <= taken_start or taken_end <= starts
        for taken_start, taken_end in context.busy.get((person_id, day), ())
    )


def _lead_days(rng: random.Random, kind: str) -> float:
    """Days from booking to the visit: a sick visit that day or the next; a follow-up often
    booked at the last checkout; a physical or a first visit weeks ahead."""
    if kind == "sick":
        return rng.choice((0.1, 0.2, 0.5, 1, 1, 2))
    if kind in ("physical", "new-patient"):
        return rng.choice((7, 10, 14, 21, 30, 45, 60))
    return rng.choice((2, 5, 7, 10, 14, 21, 28, 35, 60, 85))


def _noshow_chance(context: Context, patient: Patient, starts: datetime, lead: float) -> float:
    home = patient.home if patient.home in NOSHOW_BASE else MAIN
    chance = NOSHOW_BASE[home] + 0.3 * patient.often_misses
    born = patient.person.birth_date
    if born is not None and 18 <= (starts.date() - born).days // 365 < 30:
        chance += 0.06
    chance += 0.05 * (lead >= 30) + 0.02 * (starts.weekday() == 0) + 0.02 * (starts.hour >= 15)
    if home == NORTH:
        chance += NORTHSIDE_NOSHOW_CREEP * context.drift(starts.date())
    return chance


def _appointment(
    context: Context,
    rng: random.Random,
    patient: Patient,
    kind: str,
    visit_type: AppointmentType,
    home: str,
    starts: datetime,
    provider: Person,
) -> Appointment:
    lead = _lead_days(rng, kind)
    booked = starts - timedelta(days=lead, minutes=rng.randint(0, 120))
    visit = Appointment(
        organization=context.organization,
        patient=patient.person,
        provider=provider,
        location=context.locations[home],
        appointment_type=visit_type,
        starts_at=starts,
        ends_at=starts + visit_type.duration,
        duration_minutes=visit_type.duration_minutes,
        time_zone=str(context.zone),
        group_key=f"{GROUP_PREFIX}{patient.person.pk}-{starts:%Y%m%d%H%M}",
        booked_via=BookedVia.ONLINE if kind != "sick" and rng.random() < 0.15 else BookedVia.STAFF,
        booked_at=booked,
        status=AppointmentStatus.FULFILLED,
    )
    if visit.booked_via == BookedVia.STAFF:
        visit.booked_by = context.users.get("frontdesk")
    roll = rng.random()
    if kind != "before" and roll < TIMELY_CANCEL and lead >= 3:
        visit.status = AppointmentStatus.CANCELLED
        visit.cancelled_by = rng.choice(
            [CancelledBy.PATIENT] * 7 + [CancelledBy.PROVIDER] * 2 + [CancelledBy.CLINIC]
        )
        days_before = rng.randint(2, max(2, int(lead) - 1))
        visit.cancelled_at = _office_moment(context, rng, starts.date() - timedelta(days_before))
        visit.cancel_reason = rng.choice(CANCEL_REASONS)
    elif kind != "before" and roll < TIMELY_CANCEL + LATE_CANCEL and lead >= 2:
        # within the day before: that morning, or the afternoon before an early visit
        visit.status = AppointmentStatus.CANCELLED
        visit.cancelled_by = CancelledBy.PATIENT
        morning = datetime.combine(starts.date(), time(8), context.zone)
        if starts - morning >= timedelta(minutes=45):
            visit.cancelled_at = morning + timedelta(minutes=rng.randint(0, 30))
        else:
            visit.cancelled_at = morning - timedelta(hours=16, minutes=-rng.randint(0, 55))
        visit.cancel_reason = rng.choice(CANCEL_REASONS)
        visit.late_cancellation = True
    elif kind != "before" and rng.random() < _noshow_chance(context, patient, starts, lead):
        visit.status = AppointmentStatus.NOSHOW
    else:
        _steps(visit, rng, home)
    return visit


def _office_moment(context: Context, rng: random.Random, day: date) -> datetime:
    """A moment of the practice's day (a patient calling to cancel, 08:00 to 16:55)."""
    minutes = rng.randrange(8 * 60, 17 * 60, 5)
    return datetime.combine(day, time(minutes // 60, minutes % 60), context.zone)


def _steps(visit: Appointment, rng: random.Random, home: str) -> None:
    """A completed visit's moments: arrived (a few late), roomed after a wait, seen, done."""
    starts = visit.starts_at
    arrived = starts - timedelta(minutes=rng.randint(0, 15))
    if rng.random() < 0.1:
        arrived = starts + timedelta(minutes=rng.randint(1, 12))
    visit.arrived_at = arrived
    if home == VIDEO:
        visit.seen_at = max(starts, arrived) + timedelta(minutes=rng.randint(0, 6))
    else:
        winter = 4.0 if starts.month in (12, 1, 2) else 0.0
        wait = max(1.0, rng.gauss(WAIT_MINUTES[home] + winter, 6.0))
        visit.roomed_at = arrived + timedelta(minutes=round(wait))
        visit.seen_at = visit.roomed_at + timedelta(minutes=rng.randint(1, 8))
    visit.completed_at = visit.seen_at + timedelta(
        minutes=max(8, visit.duration_minutes - rng.randint(0, 6))
    )


def _timelines(context: Context, rng: random.Random, written: Written) -> None:
    """Each visit on the patient's timeline: the visit itself, or what became of it."""
    rows = []
    for visit, patient in written.visits:
        video = visit.appointment_type.key == "telehealth"
        if visit.status == AppointmentStatus.FULFILLED:
            assert visit.completed_at is not None
            key = visit.appointment_type.key
            if key == "follow-up" and visit.booked_at > visit.starts_at - timedelta(days=2):
                key = "sick"
            rows.append(
                Touchpoint(
                    organization=context.organization,
                    person=patient.person,
                    kind="telehealth" if video else "visit",
                    channel=TouchpointChannel.VIDEO if video else TouchpointChannel.IN_PERSON,
                    direction=Direction.INBOUND,
                    occurred_at=visit.seen_at or visit.starts_at,
                    staff=visit.provider,
                    location=visit.location,
                    moment_of_truth=MomentOfTruth.CLINICAL_CARE,
                    summary=rng.choice(VISIT_SUMMARIES.get(key, VISIT_SUMMARIES["follow-up"])),
                    source_type="scheduling.appointment",
                    source_id=str(visit.public_id),
                    recorded_at=visit.completed_at,
                )
            )
            continue
        when = visit.cancelled_at or visit.starts_at + timedelta(minutes=15)
        if visit.status == AppointmentStatus.NOSHOW:
            summary = f"Did not come: {visit.appointment_type.name}, {visit.location.name}"
        else:
            summary = f"Cancelled ({visit.cancel_reason}): {visit.appointment_type.name}"
        by_patient = visit.cancelled_by == CancelledBy.PATIENT
        rows.append(
            Touchpoint(
                organization=context.organization,
                person=patient.person,
                kind="scheduling",
                channel=TouchpointChannel.PHONE if by_patient else TouchpointChannel.IN_PERSON,
                direction=Direction.INBOUND if by_patient else Direction.OUTBOUND,
                occurred_at=when,
                staff=visit.provider,
                location=visit.location,
                moment_of_truth=MomentOfTruth.SCHEDULING,
                summary=summary,
                source_type="scheduling.appointment",
                source_id=str(visit.public_id),
                recorded_by=context.users.get("frontdesk"),
                recorded_at=when,
            )
        )
    record_touchpoints(rows)


# --- leavers ---------------------------------------------------------------------------------


def _leavers(context: Context) -> None:
    """Two patients died and two moved away: their records say so from that day, and the
    timeline the demo gave them stops there."""
    for patient in context.patients:
        if patient.left is None or patient.ending not in ("deceased", "moved"):
            continue
        ended = datetime.combine(patient.left + timedelta(days=20), time(10), context.zone)
        Touchpoint.objects.filter(person=patient.person, occurred_at__gt=ended).delete()
        if patient.ending == "deceased":
            Person.objects.filter(pk=patient.person.pk).update(
                status=PersonStatus.DECEASED,
                deceased_date=patient.left + timedelta(days=20),
                updated_at=ended,
            )
        else:  # the record made inactive: care transferred to a practice near the new home
            Person.objects.filter(pk=patient.person.pk).update(
                status=PersonStatus.INACTIVE, updated_at=ended
            )
