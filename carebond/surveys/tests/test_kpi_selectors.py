"""The surveys' KPIs from hand-made answers, invitations, recovery cases and actions, summed
through the analytics rollup the way the dashboards read them: the worked numbers of methods.md
§2.4, §2.7 and §3.2, a provider's figure hidden under 30 answers (§2.6), and the staff pulse's
departments hidden under 5 answers with the next smallest beside them (§3.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import Filters, Period, Unit, breakdown, kpi_summary
from carebond.analytics.statistics import Figure
from carebond.core.kpis import Kpi
from carebond.core.models import Department
from carebond.core.registry import kpi
from carebond.people.models import Person
from carebond.people.tests.factories import make_staff
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.surveys.kpi_selectors import enps_facts
from carebond.surveys.models import (
    AnonymousResponse,
    FeedbackAction,
    Invitation,
    RecoveryCase,
    Response,
)
from carebond.surveys.tests.answers import answer
from carebond.surveys.tests.conftest import CHICAGO, Practice, department

FEBRUARY = date(2026, 2, 1)
END_OF_FEBRUARY = date(2026, 2, 28)
# The worked example of methods.md §3.2 (items 1, 3 and 5 reversed): an individual score of 40/7.
WORKED_PSYCH = [2, 6, 3, 6, 2, 5, 6]


def at(day: int, hour: int = 10, *, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CHICAGO)


def registered(key: str) -> Kpi:
    found = kpi(key)
    assert found is not None
    return found


def roll_up(practice: Practice, *keys: str) -> None:
    do_roll_up_days(
        organization=practice.organization,
        first=FEBRUARY,
        last=END_OF_FEBRUARY,
        only=[registered(key) for key in keys],
    )


def february(practice: Practice, key: str, **filters: Any) -> Figure:
    return kpi_summary(
        organization_id=practice.organization.pk,
        kpi=registered(key),
        period=Period(FEBRUARY),
        filters=Filters(**filters),
    ).figure


def by(practice: Practice, key: str, dimension: str) -> dict[str, Unit]:
    units = breakdown(
        organization_id=practice.organization.pk,
        kpi=registered(key),
        period=Period(FEBRUARY),
        dimension=dimension,
        filters=Filters(),
    )
    return {unit.label: unit for unit in units}


def sent(
    practice: Practice,
    key: str,
    answers: list[dict[str, Any]],
    *,
    person: Person | None = None,
    provider: Person | None = None,
    on: datetime | None = None,
    invitations: list[Invitation] | None = None,
) -> None:
    """Responses to the survey ``key``, sent ``on`` (10 February by default), one per answers."""
    version = practice.instrument(key).versions.get()
    moment = on or at(10)
    Response.objects.bulk_create(
        Response(
            organization=practice.organization,
            version=version,
            invitation=invitations[n] if invitations else None,
            person=person or practice.patient,
            provider=provider,
            status="completed",
            answers=given,
            language="en",
            started_at=moment,
            updated_at=moment,
            submitted_at=moment,
            location=practice.main,
        )
        for n, given in enumerate(answers)
    )


def nps_answers(promoters: int, passives: int, detractors: int) -> list[dict[str, Any]]:
    return (
        [{"recommend": 10}] * promoters
        + [{"recommend": 8}] * passives
        + [{"recommend": 4}] * (detractors)
    )


# --- patient experience ----------------------------------------------------------------------


def test_satisfaction_is_the_provider_rating_top_box_and_its_linear_mean(
    practice: Practice,
) -> None:
    # given ten ratings of the provider sent in February, one answer that skipped it, and
    # one rating sent in March
    ratings = [10, 10, 9, 9, 9, 8, 8, 7, 5, 3]
    sent(practice, "post-visit", [{"provider_rating": r, "recommend": 0} for r in ratings])
    sent(practice, "post-visit", [{"recommend": 10}])
    sent(practice, "post-visit", [{"provider_rating": 0}], on=at(2, month=3))
    # when February is rolled up
    roll_up(practice, "surveys.satisfaction_top_box", "surveys.satisfaction_mean")
    # then 5 of the 10 rated 9 or 10, and the mean of 10 r is 78
    top_box = february(practice, "surveys.satisfaction_top_box")
    assert (top_box.value, top_box.n, top_box.shown) == (50.0, 10, True)
    mean = february(practice, "surveys.satisfaction_mean")
    assert mean.value == pytest.approx(78.0)
    assert mean.n == 10


def test_nps_from_promoters_passives_and_detractors(practice: Practice) -> None:
    # given 7 promoters, 2 passives and 1 detractor, and an answer that skipped the question
    sent(practice, "post-visit", [*nps_answers(7, 2, 1), {"provider_rating": 9}])
    # when February is rolled up
    roll_up(practice, "surveys.nps")
    # then NPS = 70% - 10% = 60 over the 10 who answered it
    nps = february(practice, "surveys.nps")
    assert nps.value == pytest.approx(60.0)
    assert nps.n == 10


def test_a_providers_figure_needs_thirty_answers(practice: Practice) -> None:
    # given 30 answers about Dr Raman (NPS 60) and 10 about Dr Okafor (NPS 20)
    raman = make_staff(practice.organization, "Priya", "Raman")
    okafor = make_staff(practice.organization, "Tom", "Okafor")
    sent(practice, "post-visit", nps_answers(21, 6, 3), provider=raman)
    sent(practice, "post-visit", nps_answers(4, 4, 2), provider=okafor)
    # when February is rolled up and broken down by provider
    roll_up(practice, "surveys.nps")
    providers = by(practice, "surveys.nps", "provider")
    # then Dr Raman's 30 answers are shown and Dr Okafor's 10 are not, for too few
    assert providers["Priya Raman"].figure.shown
    assert providers["Priya Raman"].figure.value == pytest.approx(60.0)
    assert not providers["Tom Okafor"].figure.shown
    assert providers["Tom Okafor"].figure.reason == "fewer than 30"
    # and the practice's own figure counts all 40: (25 - 5) / 40
    assert february(practice, "surveys.nps").value == pytest.approx(50.0)


def test_answers_about_a_visit_are_broken_down_by_its_type(practice: Practice) -> None:
    # given five answers about follow-up visits and five sent without a visit
    organization = practice.organization
    follow_up = AppointmentType.objects.create(
        organization=organization, key="follow-up", name="Follow-up", duration_minutes=15
    )
    doctor = make_staff(organization, "Priya", "Raman")
    visits = Appointment.objects.bulk_create(
        Appointment(
            organization=organization,
            patient=practice.patient,
            provider=doctor,
            location=practice.main,
            appointment_type=follow_up,
            starts_at=at(day, 9),
            ends_at=at(day, 9) + timedelta(minutes=15),
            duration_minutes=15,
            time_zone="America/Chicago",
            status="fulfilled",
            group_key=f"visit-{day}",
            booked_at=at(1, 8),
        )
        for day in range(2, 7)
    )
    invitations = Invitation.objects.bulk_create(
        invitation(practice, subject=f"visit:{visit.public_id}") for visit in visits
    )
    sent(practice, "post-visit", [{"provider_rating": 10}] * 5, invitations=invitations)
    sent(practice, "post-visit", [{"provider_rating": 6}] * 5)
    # when February is rolled up and broken down by appointment type
    roll_up(practice, "surveys.satisfaction_top_box")
    types = by(practice, "surveys.satisfaction_top_box", "appointment_type")
    # then the follow-ups are a row of their own, all rated 9 or 10
    assert list(types) == ["Follow-up"]
    assert (types["Follow-up"].figure.value, types["Follow-up"].figure.n) == (100.0, 5)
    assert february(practice, "surveys.satisfaction_top_box").value == pytest.approx(50.0)


def test_satisfaction_per_moment_is_the_share_agreeing(practice: Practice) -> None:
    # given six answers on the bill (Strongly agree, Agree, Agree, Disagree, Strongly
    # disagree, Disagree) and five on scheduling (5, 5, 4, 3, 1)
    sent(practice, "moment-billing", [{"billing": a} for a in (5, 4, 4, 2, 1, 2)])
    sent(practice, "moment-scheduling", [{"scheduling": a} for a in (5, 5, 4, 3, 1)])
    # when February is rolled up
    roll_up(practice, "surveys.moment_billing", "surveys.moment_scheduling")
    # then 3 of 6 agree with the bill's statement and 3 of 5 with scheduling's
    assert february(practice, "surveys.moment_billing").value == pytest.approx(50.0)
    assert february(practice, "surveys.moment_scheduling").value == pytest.approx(60.0)
    # and no one answered the waiting room's
    roll_up(practice, "surveys.moment_waiting_room")
    assert february(practice, "surveys.moment_waiting_room").n == 0


def invitation(
    practice: Practice,
    *,
    subject: str,
    key: str = "post-visit",
    person: Person | None = None,
    status: str = "sent",
    responded: bool = False,
    on: datetime | None = None,
) -> Invitation:
    moment = on or at(9)
    instrument = practice.instrument(key)
    return Invitation(
        organization=practice.organization,
        wave=practice.wave(key),
        version=instrument.versions.get(),
        person=person or practice.patient,
        channel="sms",
        language="en",
        status=status,
        created_at=moment,
        send_after=moment,
        sent_at=moment if status == "sent" else None,
        expires_at=moment + timedelta(days=14),
        responded=responded,
        location=practice.main,
        subject_key=subject,
    )


def test_response_rate_is_answers_sent_over_invitations_sent(practice: Practice) -> None:
    # given eight invitations sent in February: three answered, one half-answered (saved,
    # never sent), four not answered; one refused by the rules, one sent in March, and a
    # staff pulse (anonymous) invitation, which is not counted
    made = [
        invitation(practice, subject=f"visit:{n}", responded=n < 3, on=at(3 + n)) for n in range(8)
    ]
    made += [
        invitation(practice, subject="visit:refused", status="not_sent"),
        invitation(practice, subject="visit:march", on=at(2, month=3)),
        invitation(practice, subject="wave:pulse", key="staff-pulse", responded=True),
    ]
    invitations = Invitation.objects.bulk_create(made)
    Response.objects.create(
        organization=practice.organization,
        invitation=invitations[3],
        version=invitations[3].version,
        person=practice.patient,
        status="in-progress",
        answers={"provider_rating": 9},
        language="en",
        started_at=at(7),
        updated_at=at(7),
    )
    # when February is rolled up
    roll_up(practice, "surveys.response_rate")
    # then 3 of the 8 answered
    rate = february(practice, "surveys.response_rate")
    assert rate.value == pytest.approx(37.5)
    assert rate.n == 8
    surveys = by(practice, "surveys.response_rate", "survey")
    assert list(surveys) == ["Post-visit patient experience"]


def test_answers_sent_through_the_link_count_on_the_day_sent(practice: Practice) -> None:
    # given two patients asked on Tuesday 3 March: one sends a 9 for the provider and a 3 for
    # recommending us, the other saves the same answers and never sends them
    answer(practice, practice.patient, send=True)
    answer(practice, practice.patient_named("Ana", "Ruiz", phone="+13125550124"), send=False)
    # when March is rolled up
    march = date(2026, 3, 1)
    keys = ("surveys.satisfaction_top_box", "surveys.nps", "surveys.response_rate")
    do_roll_up_days(
        organization=practice.organization,
        first=march,
        last=date(2026, 3, 31),
        only=[registered(key) for key in keys],
    )

    def parts(key: str) -> tuple[float, float, float]:
        point = kpi_summary(
            organization_id=practice.organization.pk,
            kpi=registered(key),
            period=Period(march),
            filters=Filters(),
        ).series[-1]
        return point.parts.n, point.parts.x, point.parts.y

    # then the sent answer is one top-box rating and one detractor, and one of the two
    # invitations was answered
    assert parts("surveys.satisfaction_top_box") == (1.0, 1.0, 0.0)
    assert parts("surveys.nps") == (1.0, 0.0, 1.0)
    assert parts("surveys.response_rate") == (2.0, 1.0, 0.0)


# --- service recovery and "you said, we did" -------------------------------------------------


def case(practice: Practice, opened: datetime, **more: Any) -> RecoveryCase:
    return RecoveryCase(
        organization=practice.organization,
        person=practice.patient,
        source="detractor",
        status="closed" if more.get("closed_at") else "open",
        opened_at=opened,
        due_at=opened + timedelta(hours=24),
        location=more.pop("location", practice.main),
        **more,
    )


def test_first_contact_hours_on_the_day_of_the_contact(practice: Practice) -> None:
    # given five cases at the main clinic first contacted in February after 6, 30, 12, 2 and
    # 50 hours; one at the north clinic after 4 hours; one never contacted; and one opened in
    # February but first contacted in March
    hours = [6, 30, 12, 2, 50]
    cases = [
        case(practice, at(2 + n), first_contact_at=at(2 + n) + timedelta(hours=h))
        for n, h in enumerate(hours)
    ]
    cases += [
        case(practice, at(9), first_contact_at=at(9, 14), location=practice.north),
        case(practice, at(10)),
        case(practice, at(27), first_contact_at=at(2, month=3)),
    ]
    RecoveryCase.objects.bulk_create(cases)
    # when February is rolled up
    roll_up(practice, "surveys.recovery_first_contact")
    # then the six contacted in February took 104 / 6 hours on average
    first_contact = february(practice, "surveys.recovery_first_contact")
    assert first_contact.value == pytest.approx(104 / 6)
    assert first_contact.n == 6
    # and the main clinic's five took 20 hours; the north clinic's one is too few to show
    locations = by(practice, "surveys.recovery_first_contact", "location")
    assert locations["Main clinic"].figure.value == pytest.approx(20.0)
    assert not locations["North clinic"].figure.shown


def test_closure_within_14_days_counts_on_the_day_the_14_days_end(practice: Practice) -> None:
    # given cases whose 14 days end in February (opened 18 January to 14 February): closed
    # after 5 days, after exactly 14, after 1; after 21 days, and never; and cases whose 14
    # days end in January (opened 10 January) or in March (opened 20 February)
    RecoveryCase.objects.bulk_create(
        [
            case(practice, at(20, month=1), closed_at=at(25, month=1)),
            case(practice, at(1), closed_at=at(15)),
            case(practice, at(10), closed_at=at(11)),
            case(practice, at(20, month=1), closed_at=at(10)),
            case(practice, at(1)),
            case(practice, at(10, month=1), closed_at=at(11, month=1)),
            case(practice, at(20), closed_at=at(21)),
        ]
    )
    # when February is rolled up
    roll_up(practice, "surveys.recovery_closure")
    # then 3 of the 5 were closed within their 14 days
    closure = february(practice, "surveys.recovery_closure")
    assert closure.value == pytest.approx(60.0)
    assert closure.n == 5


def action(practice: Practice, status: str, done_at: datetime | None) -> FeedbackAction:
    return FeedbackAction(
        organization=practice.organization,
        theme="wait_time",
        location=practice.main,
        you_said_en="We waited too long.",
        you_said_es="Esperamos demasiado.",
        we_did_en="We call when the doctor runs late.",
        we_did_es="Llamamos cuando el médico se retrasa.",
        due_on=date(2026, 2, 27),
        status=status,
        done_at=done_at,
    )


def test_actions_completed_counts_the_actions_done_in_the_period(practice: Practice) -> None:
    # given three actions marked done in February, one in March, one moved back from done,
    # and one planned
    FeedbackAction.objects.bulk_create(
        [
            action(practice, "done", at(3)),
            action(practice, "done", at(17)),
            action(practice, "done", at(28, 23)),
            action(practice, "done", at(1, 0, month=3)),
            action(practice, "in_progress", None),
            action(practice, "planned", None),
        ]
    )
    # when February is rolled up
    roll_up(practice, "surveys.actions_done")
    # then three were completed, all at the main clinic
    assert february(practice, "surveys.actions_done").value == 3.0
    assert february(practice, "surveys.actions_done", location_id=practice.main.pk).value == 3.0


# --- staff (anonymous) -----------------------------------------------------------------------


def pulse(practice: Practice, team: Department | None, answers: list[dict[str, Any]]) -> None:
    """Anonymous staff pulse answers from ``team``, in the week of 2 February."""
    instrument = practice.instrument("staff-pulse")
    wave = practice.wave("staff-pulse")
    version = instrument.versions.get()
    AnonymousResponse.objects.bulk_create(
        AnonymousResponse(
            organization=practice.organization,
            wave=wave,
            version=version,
            answers=given,
            language="en",
            week_of=date(2026, 2, 2),
            location=practice.north,
            department=team,
            role_group="clinical",
        )
        for given in answers
    )


def enps(score: int) -> dict[str, Any]:
    return {"enps": score}


def psych(answers: Sequence[int | None]) -> dict[str, Any]:
    return {f"psych_{n}": a for n, a in enumerate(answers, start=1) if a is not None}


def test_enps_by_department_hides_small_teams_and_the_next_smallest(practice: Practice) -> None:
    # given nursing's 9 answers (5 promoters, 2 passives, 2 detractors), the front desk's 3
    # and billing's 6
    nursing = department(practice.organization, "Nursing", practice.main)
    desk = department(practice.organization, "Front desk", practice.main)
    billing = department(practice.organization, "Billing", practice.north)
    pulse(practice, nursing, [enps(10)] * 5 + [enps(7)] * 2 + [enps(3)] * 2)
    pulse(practice, desk, [enps(0)] * 3)
    pulse(practice, billing, [enps(9)] * 6)
    # when February is rolled up and broken down by department
    roll_up(practice, "surveys.enps")
    teams = by(practice, "surveys.enps", "department")
    # then nursing shows eNPS 33.3; the front desk is hidden for too few, and billing with it,
    # or the front desk would be the total less nursing and billing
    assert teams["Nursing"].figure.value == pytest.approx(100 * 3 / 9)
    assert not teams["Front desk"].figure.shown
    assert teams["Front desk"].figure.reason == "fewer than 5 responses"
    assert not teams["Billing"].figure.shown
    assert teams["Billing"].figure.reason == "hidden so that a smaller group cannot be worked out"
    # and the organisation's eNPS counts all 18: (11 - 5) / 18
    assert february(practice, "surveys.enps").value == pytest.approx(100 * 6 / 18)


def test_answers_with_no_department_cannot_be_worked_out_either(practice: Practice) -> None:
    # given nursing's 9 answers, billing's 6, and 3 from staff with no department
    nursing = department(practice.organization, "Nursing", practice.main)
    billing = department(practice.organization, "Billing", practice.north)
    pulse(practice, nursing, [enps(10)] * 9)
    pulse(practice, billing, [enps(9)] * 6)
    pulse(practice, None, [enps(2)] * 3)
    # when February is rolled up and broken down by department
    roll_up(practice, "surveys.enps")
    teams = by(practice, "surveys.enps", "department")
    # then billing, the smallest, is hidden: the total (18) less nursing and billing would
    # otherwise give the three unnamed answers
    assert february(practice, "surveys.enps").n == 18
    assert teams["Nursing"].figure.shown
    assert not teams["Billing"].figure.shown


def test_staff_facts_carry_no_one_and_only_the_department(practice: Practice) -> None:
    # given two staff answers from nursing, at the main clinic
    nursing = department(practice.organization, "Nursing", practice.main)
    pulse(practice, nursing, [enps(10), enps(2)])
    # when their facts are read
    facts = list(enps_facts(practice.organization.pk, FEBRUARY, END_OF_FEBRUARY))
    # then they name no person, carry the department alone and the week, and no location (a
    # location's total less its departments shown would give a hidden department away)
    assert [(f.person_id, dict(f.dimensions)) for f in facts] == [
        (None, {"department": str(nursing.public_id)}),
        (None, {"department": str(nursing.public_id)}),
    ]
    assert {(f.day, f.location_id) for f in facts} == {(date(2026, 2, 2), None)}


def test_psychological_safety_is_the_mean_of_each_persons_score(practice: Practice) -> None:
    # given four people answering as methods §3.2's example (40/7 each), one answering the
    # safest way on every item (7 after reversing), and one answering only four items
    nursing = department(practice.organization, "Nursing", practice.main)
    safest = [1, 7, 1, 7, 1, 7, 7]
    pulse(
        practice,
        nursing,
        [psych(WORKED_PSYCH)] * 4 + [psych(safest), psych([5, 5, 5, 5, None, None, None])],
    )
    # when February is rolled up
    roll_up(practice, "surveys.psychological_safety")
    # then the five scored average (4 x 40/7 + 7) / 5, on 1-7
    safety = february(practice, "surveys.psychological_safety")
    assert safety.n == 5
    assert safety.value == pytest.approx((4 * 40 / 7 + 7) / 5)
    assert round(safety.value or 0, 2) == 5.97


def test_every_survey_kpi_says_what_it_counts() -> None:
    # given the surveys' KPIs as registered
    keys = [
        "surveys.satisfaction_top_box",
        "surveys.satisfaction_mean",
        "surveys.nps",
        "surveys.response_rate",
        *(f"surveys.moment_{m}" for m in ("billing", "scheduling", "communications")),
        *(f"surveys.moment_{m}" for m in ("waiting_room", "telehealth")),
        "surveys.recovery_first_contact",
        "surveys.recovery_closure",
        "surveys.actions_done",
        "surveys.enps",
        "surveys.psychological_safety",
    ]
    # then each has its definition, and the staff ones are anonymous with no patient dimension
    for key in keys:
        assert registered(key).definition.endswith(".")
    assert registered("surveys.enps").anonymous
    assert registered("surveys.psychological_safety").dimensions == ("department",)
    assert registered("surveys.nps").dimension_min_n == {"provider": 30}
