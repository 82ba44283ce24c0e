"""The demo history's feedback (history.py): surveys after the two years' visits, the
detractors' service-recovery cases, "you said, we did" actions done, and the staff pulse every
quarter.

A patient is asked at most once in the organisation's gap (30 days; the recent sections'
invitations count too), by text when they agreed to survey texts, by email when they agreed to
survey emails, and not at all otherwise. After an
in-person visit most are asked the post-visit survey and some a moment-of-truth micro-survey
(the waiting room, making the appointment, being kept informed); after a video visit, half are
asked about the video visit. About six in ten answer, in English or Spanish. Northside's
answers carry the drift history.py describes.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from carebond.demo.history import DRIFTING, Context, Patient, Written
from carebond.demo.surveys import MOMENT_ANSWERS, answers_for
from carebond.people.models import StaffProfile
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.surveys.distribution_actions import month_wave, token_digest
from carebond.surveys.instrument_actions import current_version
from carebond.surveys.models import (
    AnonymousResponse,
    DistributionRule,
    FeedbackAction,
    Instrument,
    InstrumentVersion,
    Invitation,
    InvitationStatus,
    RecoveryCase,
    RecoveryOutcome,
    RecoverySource,
    RecoveryStatus,
    RecoveryStep,
    Response,
    ResponseStatus,
    SurveySettings,
    Wave,
)

# Patients' moods after a visit (happy, mixed, unhappy): what they rate and recommend.
MOODS = ("happy", "mixed", "unhappy")
MOOD_WEIGHTS = {"main": (62, 24, 14), "north": (64, 23, 13), "video": (66, 22, 12)}
DRIFT = 0.28
"""How far Northside's moods move by yesterday: this share of answers goes from happy to mixed
and unhappy (half each), so the top box falls by about 0.7 x DRIFT and the 0-100 mean by about
34 x DRIFT points."""
ANSWERED = {"post-visit": 0.68, "moment": 0.7, "pulse": 0.85}
IN_PERSON_MOMENTS = (
    ("moment-waiting-room", 45),
    ("moment-scheduling", 35),
    ("moment-communications", 20),
)
CONTACTS = (
    "Called, apologised and explained what we would change.",
    "Spoke with the patient; the clinic manager will follow up on the wait.",
    "Left a message, then reached the patient the next day.",
)
ACTIONS = (
    (
        "access_scheduling",
        "main",
        "You told us it was hard to get through on the phone to book a visit.",
        "Nos dijeron que era difícil comunicarse por teléfono para hacer una cita.",
        "We opened online booking for follow-up visits and put a second person on the phones "
        "on Monday mornings.",
        "Abrimos las citas en línea para consultas de seguimiento y pusimos a una segunda "
        "persona en los teléfonos los lunes por la mañana.",
    ),
    (
        "environment",
        "north",
        "You told us the waiting room was crowded and had nothing for children.",
        "Nos dijeron que la sala de espera estaba llena y no tenía nada para los niños.",
        "We rearranged the waiting room and added a children's corner with books and toys.",
        "Reorganizamos la sala de espera y agregamos un rincón infantil con libros y juguetes.",
    ),
    (
        "communication",
        "main",
        "You told us nobody called you back about test results.",
        "Nos dijeron que nadie les llamaba para darles los resultados.",
        "Results now reach the portal within two working days, and a nurse calls about any "
        "result that needs action.",
        "Los resultados llegan al portal en dos días hábiles y una enfermera llama si algún "
        "resultado requiere atención.",
    ),
    (
        "courtesy_respect",
        "north",
        "You told us the front desk felt rushed.",
        "Nos dijeron que la recepción se sentía apresurada.",
        "Our front desk team took a customer-service course, and a greeter helps at busy times.",
        "Nuestro equipo de recepción tomó un curso de atención al cliente y una persona recibe "
        "a los pacientes en las horas de más trabajo.",
    ),
    (
        "clinical_care",
        "main",
        "You told us visits felt too short when you had several things to discuss.",
        "Nos dijeron que las consultas eran muy cortas cuando tenían varios temas que tratar.",
        "Patients with several conditions now get 30-minute follow-up visits.",
        "Los pacientes con varias condiciones ahora tienen consultas de seguimiento de 30 minutos.",
    ),
    (
        "access_scheduling",
        "north",
        "You told us evening appointments were hard to get.",
        "Nos dijeron que era difícil conseguir citas por la tarde.",
        "Northside now stays open until 7 pm on Tuesdays and Thursdays.",
        "Northside ahora abre hasta las 7 de la noche los martes y jueves.",
    ),
)


class _Surveys:
    """The instruments, their published versions and their month waves, read once."""

    def __init__(self, context: Context) -> None:
        organization = context.organization
        self.instruments = {i.key: i for i in Instrument.objects.filter(organization=organization)}
        self.versions: dict[str, InstrumentVersion] = {}
        for key, instrument in self.instruments.items():
            version = current_version(instrument)
            if version is not None:
                self.versions[key] = version
        self.rules = {
            rule.instrument_id: rule
            for rule in DistributionRule.objects.filter(organization=organization).order_by("id")
        }
        self.waves: dict[tuple[str, date], Wave] = {}

    def wave(self, key: str, day: date) -> Wave:
        month = day.replace(day=1)
        if (key, month) not in self.waves:
            instrument = self.instruments[key]
            self.waves[(key, month)] = month_wave(instrument, self.rules.get(instrument.pk), month)
        return self.waves[(key, month)]


def write_feedback(context: Context, written: Written, rng: random.Random) -> None:
    surveys = _Surveys(context)
    if "post-visit" not in surveys.versions:
        return
    responses = _after_visits(context, written, surveys, rng)
    _recovery(context, responses, rng)
    _actions_done(context)
    _pulse(context, surveys, rng)


# --- after the visits ------------------------------------------------------------------------


def _asked_before(context: Context, rules: SurveySettings | None) -> dict[int, list[datetime]]:
    """When each patient was asked by the demo's recent sections (the gap counts them too)."""
    exempt = rules.gap_exempt_kinds if rules else []
    asked: dict[int, list[datetime]] = defaultdict(list)
    rows = (
        Invitation.objects.filter(organization=context.organization)
        .exclude(wave__instrument__kind__in=exempt)
        .values_list("person_id", "created_at")
    )
    for person_id, created_at in rows:
        asked[person_id].append(created_at)
    return asked


def _mood(context: Context, home: str, north: bool, day: date, rng: random.Random) -> str:
    happy, mixed, unhappy = (float(w) for w in MOOD_WEIGHTS.get(home, MOOD_WEIGHTS["main"]))
    if north:
        moved = 100 * DRIFT * context.drift(day)
        happy, mixed, unhappy = happy - moved, mixed + moved / 2, unhappy + moved / 2
    return rng.choices(MOODS, weights=(happy, mixed, unhappy))[0]


def _instrument(visit: Appointment, rng: random.Random) -> str:
    if visit.appointment_type.key == "telehealth":
        return "moment-telehealth" if rng.random() < 0.5 else "post-visit"
    if rng.random() < 0.82:
        return "post-visit"
    options = IN_PERSON_MOMENTS
    return rng.choices([k for k, _ in options], weights=[w for _, w in options])[0]


def _after_visits(
    context: Context, written: Written, surveys: _Surveys, rng: random.Random
) -> list[tuple[Response, Patient]]:
    rules = SurveySettings.objects.filter(organization=context.organization).first()
    gap = timedelta(days=rules.invitation_gap_days if rules else 30)
    asked_recently = _asked_before(context, rules)
    last_asked: dict[int, datetime] = {}
    first_moment = datetime.combine(context.start, time(), context.zone)
    homes = {location.pk: home for home, location in context.locations.items()}
    done = sorted(
        (
            (visit, patient)
            for visit, patient in written.visits
            if visit.status == AppointmentStatus.FULFILLED and visit.starts_at >= first_moment
        ),
        key=lambda pair: pair[0].completed_at or pair[0].starts_at,
    )
    invitations: list[Invitation] = []
    answers: list[tuple[int, Patient, dict[str, int | str], datetime, str]] = []
    for visit, patient in done:
        completed = visit.completed_at
        assert completed is not None
        person_id = patient.person.pk
        previous = last_asked.get(person_id)
        if previous is not None and completed - previous < gap:
            continue
        if any(abs(completed - other) < gap for other in asked_recently.get(person_id, ())):
            continue
        key = _instrument(visit, rng)
        if key not in surveys.versions:
            continue
        sent = completed + timedelta(hours=1 if key == "moment-telehealth" else 2)
        texts = patient.survey_texts and (
            patient.texts_stopped is None or sent < patient.texts_stopped
        )
        channel = "sms" if texts else "email" if patient.email and patient.survey_emails else ""
        if not channel or sent > context.now:
            continue
        last_asked[person_id] = completed
        token = secrets.token_urlsafe(24)
        invitation = Invitation(
            organization=context.organization,
            wave=surveys.wave(key, completed.astimezone(context.zone).date()),
            version=surveys.versions[key],
            person=patient.person,
            token_digest=token_digest(token),
            link_token=token,
            channel=channel,
            language=patient.person.preferred_language or "en",
            status=InvitationStatus.SENT,
            created_at=completed,
            send_after=sent,
            sent_at=sent,
            expires_at=sent + timedelta(days=14),
            location=visit.location,
            provider=visit.provider,
            subject_key=f"visit:{visit.public_id}",
        )
        invitations.append(invitation)
        kind = "post-visit" if key == "post-visit" else "moment"
        if rng.random() >= ANSWERED[kind]:
            continue
        answered = sent + timedelta(hours=rng.randint(1, 30), minutes=rng.randint(0, 59))
        if answered >= context.now:
            continue
        if kind == "post-visit":
            home = homes.get(visit.location_id, "main")
            north = visit.location.name == DRIFTING
            given = answers_for(rng, _mood(context, home, north, answered.date(), rng))
        else:
            choices, _comments = MOMENT_ANSWERS[key]
            link = surveys.versions[key].definition["sections"][0]["items"][0]["link_id"]
            given = {link: rng.choice(choices), "may_contact": "no"}
        answers.append((len(invitations) - 1, patient, given, answered, key))
    Invitation.objects.bulk_create(invitations, batch_size=500)
    responses = [
        Response(
            organization=context.organization,
            invitation=invitations[index],
            wave=invitations[index].wave,
            version=invitations[index].version,
            person=patient.person,
            status=ResponseStatus.COMPLETED,
            answers=given,
            language="es" if patient.spanish else "en",
            started_at=answered - timedelta(minutes=4),
            updated_at=answered,
            submitted_at=answered,
            may_contact=given.get("may_contact") == "yes",
            location=invitations[index].location,
            provider=invitations[index].provider,
        )
        for index, patient, given, answered, _key in answers
    ]
    Response.objects.bulk_create(responses, batch_size=500)
    Invitation.objects.filter(pk__in=[r.invitation_id for r in responses]).update(responded=True)
    return [
        (response, patient)
        for response, (_i, patient, _g, _a, key) in zip(responses, answers, strict=True)
        if key == "post-visit"
    ]


# --- service recovery ------------------------------------------------------------------------


def _recovery(
    context: Context, responses: list[tuple[Response, Patient]], rng: random.Random
) -> None:
    """A case for each detractor (recommend 0-6), as the app opens one: most first contacted
    within the day's target, some late (escalated), closed within days with an outcome."""
    manager, admin = context.users.get("manager"), context.users.get("admin")
    cases: list[RecoveryCase] = []
    steps: list[tuple[int, datetime, str, str, bool]] = []
    for response, patient in responses:
        recommend = response.answers.get("recommend")
        if not isinstance(recommend, int) or recommend > 6:
            continue
        opened = response.submitted_at
        assert opened is not None
        case = RecoveryCase(
            organization=context.organization,
            person=patient.person,
            source=RecoverySource.DETRACTOR,
            response=response,
            location=response.location,
            owner=manager,
            status=RecoveryStatus.OPEN,
            opened_at=opened,
            due_at=opened + timedelta(hours=24),
        )
        index = len(cases)
        cases.append(case)
        steps.append((index, opened, "opened", "", False))
        contacted = opened + timedelta(hours=rng.choice((1, 2, 3, 5, 8, 20, 22, 30, 50)))
        if contacted >= context.now:
            continue
        case.first_contact_at = contacted
        case.status = RecoveryStatus.CONTACTED
        if contacted > case.due_at:
            case.escalated_at, case.escalated_to = case.due_at, admin
            steps.append(
                (index, case.due_at, "escalated", "First contact missed its target.", False)
            )
        steps.append((index, contacted, "contact", rng.choice(CONTACTS), True))
        closed = contacted + timedelta(days=rng.choice((0.5, 1, 2, 3, 6, 12, 20)))
        if closed < context.now:
            case.status, case.closed_at = RecoveryStatus.CLOSED, closed
            case.outcome = rng.choice(
                [RecoveryOutcome.RESOLVED] * 5
                + [RecoveryOutcome.PARTLY] * 2
                + [RecoveryOutcome.NO_REPLY, RecoveryOutcome.UNRESOLVED]
            )
            steps.append((index, closed, "closed", "", True))
    RecoveryCase.objects.bulk_create(cases, batch_size=500)
    RecoveryStep.objects.bulk_create(
        [
            RecoveryStep(
                organization=context.organization,
                case=cases[index],
                at=at,
                kind=kind,
                channel="phone" if kind == "contact" else "",
                note=note,
                by=manager if by_staff else None,
            )
            for index, at, kind, note, by_staff in steps
        ],
        batch_size=500,
    )


# --- "you said, we did" ----------------------------------------------------------------------


def _actions_done(context: Context) -> None:
    """An action done about every four months, each published for its clinic."""
    manager = context.users.get("manager")
    rows = []
    for n, (theme, home, said_en, said_es, did_en, did_es) in enumerate(ACTIONS):
        done = context.start + timedelta(days=60 + 110 * n)
        if done >= context.yesterday - timedelta(days=60):
            break
        done_at = datetime.combine(done, time(16), context.zone)
        rows.append(
            (
                FeedbackAction(
                    organization=context.organization,
                    theme=theme,
                    location=context.locations[home],
                    you_said_en=said_en,
                    you_said_es=said_es,
                    we_did_en=did_en,
                    we_did_es=did_es,
                    owner=manager,
                    due_on=done + timedelta(days=3),
                    status="done",
                    evidence="Checked at the next month's team meeting.",
                    published_at=done_at + timedelta(days=2),
                    done_at=done_at,
                ),
                done_at - timedelta(days=45),
            )
        )
    FeedbackAction.objects.bulk_create([action for action, _ in rows])
    for action, created in rows:  # (created and updated are stamped now by the model)
        FeedbackAction.objects.filter(pk=action.pk).update(
            created_at=created, updated_at=action.done_at
        )


# --- the staff pulse ---------------------------------------------------------------------------


def _pulse(context: Context, surveys: _Surveys, rng: random.Random) -> None:
    """Every quarter for two years, before the recent waves the surveys section wrote: most
    staff answer, anonymously; eNPS and psychological safety hold steady, with noise."""
    version = surveys.versions.get("staff-pulse")
    if version is None:
        return
    instrument = surveys.instruments["staff-pulse"]
    rule = surveys.rules.get(instrument.pk)
    staff = list(
        StaffProfile.objects.filter(organization=context.organization)
        .select_related("person")
        .order_by("person_id")
    )
    invitations: list[Invitation] = []
    answered: list[AnonymousResponse] = []
    today = context.yesterday + timedelta(days=1)
    for quarter in range(1, 9):
        starts = today - timedelta(days=91 * quarter)
        starts -= timedelta(days=starts.weekday())
        if starts < context.start:
            break
        wave, made = Wave.objects.get_or_create(
            organization=context.organization,
            instrument=instrument,
            rule=rule,
            starts_on=starts,
            defaults={
                "ends_on": starts + timedelta(days=10),
                "label": f"Staff pulse, {starts:%d %b %Y}",
            },
        )
        if not made:
            continue
        sent = datetime.combine(starts, time(9), context.zone)
        for profile in staff:
            responded = rng.random() < ANSWERED["pulse"]
            invitations.append(
                Invitation(
                    organization=context.organization,
                    wave=wave,
                    version=version,
                    person=profile.person,
                    channel="email",
                    language="en",
                    status=InvitationStatus.SENT,
                    created_at=sent - timedelta(hours=1),
                    send_after=sent,
                    sent_at=sent,
                    expires_at=sent + timedelta(days=10),
                    responded=responded,
                    location=profile.location,
                    department=profile.department,
                    subject_key=f"wave:{wave.public_id}",
                )
            )
            if not responded:
                continue
            answers: dict[str, int | str] = {
                "enps": rng.choice((9, 10, 8, 7, 6, 9, 8, 5, 10)),
                "may_contact": "no",
            }
            for n in range(1, 8):
                good = rng.choice((4, 5, 6, 5, 6, 3, 7))
                answers[f"psych_{n}"] = 8 - good if n in (1, 3, 5) else good
            answered.append(
                AnonymousResponse(
                    organization=context.organization,
                    wave=wave,
                    version=version,
                    answers=answers,
                    language="en",
                    week_of=starts,
                    location=profile.location,
                    department=profile.department,
                    role_group="clinical" if profile.is_clinical else "non_clinical",
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=500)
    # (a random key each, and in no order that follows the invitations)
    rng.shuffle(answered)
    AnonymousResponse.objects.bulk_create(answered, batch_size=500)
