"""Messaging's KPIs from hand-made conversations and sends, summed through the analytics rollup
the way the dashboards read them: the inbox's reply time and the share of questions answered
within a working day (in office time: weekdays 08:00-17:00 in Chicago), and the opt-out rate.
February 2026 starts on a Sunday."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from carebond.accounts.models import User
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import Filters, Period, breakdown, kpi_summary
from carebond.core.kpis import Kpi
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.core.registry import kpi
from carebond.messaging.kpi_selectors import next_working_day_end
from carebond.messaging.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    OfficeHours,
)
from carebond.messaging.office_hours import schedule_for
from carebond.people.models import ConsentMethod, ConsentRecord, ConsentStatus, Person
from carebond.people.tests.factories import make_patient

CHICAGO = ZoneInfo("America/Chicago")
FEBRUARY = date(2026, 2, 1)
_keys = count()


def _at(day: int, hour: int, minute: int = 0, month: int = 2) -> datetime:
    return datetime.combine(date(2026, month, day), time(hour, minute), tzinfo=CHICAGO)


def _registered(key: str) -> Kpi:
    found = kpi(key)
    assert found is not None
    return found


def _message(
    person: Person,
    when: datetime,
    direction: str,
    *,
    channel: str = MessageChannel.SMS,
    conversation: Conversation | None = None,
    purpose: str = "",
    status: str = MessageStatus.SENT,
    by: User | None = None,
    template_key: str = "",
) -> Message:
    return Message(
        organization_id=person.organization_id,
        person=person,
        conversation=conversation,
        direction=direction,
        channel=channel,
        purpose=purpose,
        to_address="+13125550100",
        from_address="+13125550123",
        body="words",
        status=MessageStatus.RECEIVED if direction == Direction.INBOUND else status,
        idempotency_key=f"test:{next(_keys)}",
        due_at=when,
        created_at=when,
        sent_at=when,
        created_by=by,
        template_key=template_key,
    )


def _asked(person: Person, when: datetime, conversation: Conversation) -> Message:
    return _message(
        person, when, Direction.INBOUND, channel=conversation.channel, conversation=conversation
    )


def _replied(person: Person, when: datetime, conversation: Conversation, by: User) -> Message:
    return _message(
        person,
        when,
        Direction.OUTBOUND,
        channel=conversation.channel,
        conversation=conversation,
        purpose=MessagePurpose.CARE,
        by=by,
    )


def _answered_automatically(
    person: Person, when: datetime, conversation: Conversation, template_key: str
) -> Message:
    return _message(
        person,
        when,
        Direction.OUTBOUND,
        conversation=conversation,
        purpose=MessagePurpose.REPLY,
        template_key=template_key,
    )


def _conversation(
    person: Person, channel: str = MessageChannel.SMS, waiting_since: datetime | None = None
) -> Conversation:
    return Conversation.objects.create(
        organization_id=person.organization_id,
        person=person,
        channel=channel,
        address=f"{person.pk}@example.org",
        waiting_since=waiting_since,
        status=ConversationStatus.OPEN if waiting_since else ConversationStatus.CLOSED,
    )


def _roll_up(organization: Organization, *keys: str, first: date = FEBRUARY) -> None:
    do_roll_up_days(
        organization=organization,
        first=first,
        last=date(2026, 2, 28),
        only=[_registered(key) for key in keys],
    )


def _february(
    organization: Organization, key: str, month: date = FEBRUARY
) -> tuple[float | None, int]:
    summary = kpi_summary(
        organization_id=organization.pk,
        kpi=_registered(key),
        period=Period(month),
        filters=Filters(),
    )
    return _rounded(summary.figure.value), summary.figure.n


def _by_channel(organization: Organization, key: str) -> list[tuple[str, float | None, int]]:
    units = breakdown(
        organization_id=organization.pk,
        kpi=_registered(key),
        period=Period(FEBRUARY),
        dimension="channel",
        filters=Filters(),
    )
    return [(unit.label, _rounded(unit.figure.value), unit.figure.n) for unit in units]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@pytest.fixture
def inbox(org_a: Organization, users_a: dict[str, User]) -> None:
    """February's inbox, open on weekdays 08:00-17:00:

    - Ana, Mon 2nd 10:00 and 10:05 (one question), answered 12:00: 2 office hours;
    - Ben, Fri 6th 16:00, answered Mon 9th 10:00: 3 office hours (1 on Friday, 2 on Monday);
      then Tue 10th 09:00, answered Thu 12th 09:00: 18 office hours, after Wednesday's close;
    - Cleo, Wed 4th 20:00, told the office is closed, answered Thu 5th 09:00: 1 office hour;
    - Eve, "C" on Tue 3rd (an app confirmed her visit: settled), then Wed 11th 10:00,
      answered 10:30: half an office hour (not 8 days from her "C");
    - Fay, Tue 17th 10:00, answered 22 days later (on 11 March);
    - Dan, by email, Mon 16th 11:00: still waiting;
    - Gus, Fri 13th 10:00, closed without a reply.
    """
    for weekday in range(5):
        OfficeHours.objects.create(
            organization=org_a, weekday=weekday, opens=time(8), closes=time(17)
        )
    desk = users_a[Role.FRONT_DESK]
    ana, ben, cleo, dan, eve, fay, gus = (
        make_patient(org_a, name, "Okafor")
        for name in ("Ana", "Ben", "Cleo", "Dan", "Eve", "Fay", "Gus")
    )
    with_ana, with_ben, with_cleo, with_eve, with_fay, with_gus = (
        _conversation(patient) for patient in (ana, ben, cleo, eve, fay, gus)
    )
    with_dan = _conversation(dan, MessageChannel.EMAIL, waiting_since=_at(16, 11))
    Message.objects.bulk_create(
        [
            _asked(ana, _at(2, 10), with_ana),
            _asked(ana, _at(2, 10, 5), with_ana),
            _replied(ana, _at(2, 12), with_ana, desk),
            _asked(ben, _at(6, 16), with_ben),
            _replied(ben, _at(9, 10), with_ben, desk),
            _asked(ben, _at(10, 9), with_ben),
            _replied(ben, _at(12, 9), with_ben, desk),
            _asked(cleo, _at(4, 20), with_cleo),
            _answered_automatically(cleo, _at(4, 20), with_cleo, "after_hours"),
            _replied(cleo, _at(5, 9), with_cleo, desk),
            _asked(eve, _at(3, 9), with_eve),
            _answered_automatically(eve, _at(3, 9), with_eve, "visit_confirmed"),
            _asked(eve, _at(11, 10), with_eve),
            _replied(eve, _at(11, 10, 30), with_eve, desk),
            _asked(fay, _at(17, 10), with_fay),
            _replied(fay, _at(11, 10, month=3), with_fay, desk),
            _asked(dan, _at(16, 11), with_dan),
            _asked(gus, _at(13, 10), with_gus),
        ]
    )


def test_inbox_reply_time_is_the_mean_office_hours_to_a_staff_reply(
    org_a: Organization, inbox: None
) -> None:
    # given February's inbox
    # when February is rolled up
    _roll_up(org_a, "messaging.reply_time")
    # then five questions were answered within 14 days, in 2 + 3 + 18 + 1 + 0.5 office hours
    assert _february(org_a, "messaging.reply_time") == (4.9, 5)
    # and all five were texts
    assert _by_channel(org_a, "messaging.reply_time") == [("Text message", 4.9, 5)]


def test_questions_answered_within_one_working_day(org_a: Organization, inbox: None) -> None:
    # given February's inbox
    # when February is rolled up
    _roll_up(org_a, "messaging.answered_next_working_day")
    # then of the 7 questions that waited for staff (Gus's closed one left out), Ana's, Ben's
    # Friday one, Cleo's and Eve's were answered by the next working day's close
    assert _february(org_a, "messaging.answered_next_working_day") == (57.14, 7)
    # and by channel: 4 of 6 texts, none of Dan's email
    assert _by_channel(org_a, "messaging.answered_next_working_day") == [
        ("Email", 0.0, 1),
        ("Text message", 66.67, 6),
    ]


def test_the_next_working_day_skips_the_weekend_and_closed_days(org_a: Organization) -> None:
    # given an office open on weekdays 08:00-12:00 and 13:00-17:00
    for weekday in range(5):
        for opens, closes in ((time(8), time(12)), (time(13), time(17))):
            OfficeHours.objects.create(
                organization=org_a, weekday=weekday, opens=opens, closes=closes
            )
    schedule = schedule_for(org_a)
    # when a message comes on a Friday evening, or on a Tuesday morning
    # then it is due by Monday's close, or Wednesday's
    assert next_working_day_end(schedule, _at(6, 19)) == _at(9, 17)
    assert next_working_day_end(schedule, _at(10, 9)) == _at(11, 17)
    # and without office hours, by the end of the next day
    OfficeHours.objects.all().delete()
    assert next_working_day_end(schedule_for(org_a), _at(6, 19)) == _at(8, 0)


@pytest.fixture
def outreach(org_a: Organization, users_a: dict[str, User]) -> None:
    """February's outreach:

    - Ana, an appointment text on the 2nd; STOP half an hour later;
    - Ben, marketing texts on 30 January and 5 February; STOP on the 6th (for the 5th's);
    - Cleo, a survey email on the 3rd; unsubscribed on the 12th (after 7 days);
    - Dan, two texts and an email on the 3rd; an opt-out staff recorded from a call;
    - Eve, a text that failed, and a staff reply in the inbox: no outreach;
    - Fay, a marketing email on the 27th at 23:00; unsubscribed on 2 March.
    """
    ana, ben, cleo, dan, eve, fay = (
        make_patient(org_a, name, "Nash") for name in ("Ana", "Ben", "Cleo", "Dan", "Eve", "Fay")
    )
    appointment, marketing = MessagePurpose.APPOINTMENT, MessagePurpose.MARKETING
    out, email = Direction.OUTBOUND, MessageChannel.EMAIL
    Message.objects.bulk_create(
        [
            _message(ana, _at(2, 9), out, purpose=appointment),
            _message(ben, _at(30, 10, month=1), out, purpose=marketing),
            _message(ben, _at(5, 10), out, purpose=marketing),
            _message(cleo, _at(3, 10), out, purpose=MessagePurpose.SURVEY, channel=email),
            _message(dan, _at(3, 9), out, purpose=appointment),
            _message(dan, _at(3, 15), out, purpose=appointment),
            _message(dan, _at(3, 15), out, purpose=appointment, channel=email),
            _message(eve, _at(4, 9), out, purpose=appointment, status=MessageStatus.FAILED),
            _message(
                eve,
                _at(4, 10),
                out,
                purpose=MessagePurpose.CARE,
                conversation=_conversation(eve),
                by=users_a[Role.FRONT_DESK],
            ),
            _message(fay, _at(27, 23), out, purpose=marketing, channel=email),
        ]
    )

    def revoked(person: Person, when: datetime, channel: str, method: str) -> ConsentRecord:
        return ConsentRecord(
            organization_id=person.organization_id,
            person=person,
            channel=channel,
            purpose="marketing",
            status=ConsentStatus.REVOKED,
            method=method,
            recorded_at=when,
        )

    ConsentRecord.objects.bulk_create(
        [
            revoked(ana, _at(2, 9, 30), "sms", ConsentMethod.SMS_KEYWORD),
            revoked(ana, _at(2, 9, 30) + timedelta(seconds=1), "sms", ConsentMethod.SMS_KEYWORD),
            revoked(ben, _at(6, 8), "sms", ConsentMethod.SMS_KEYWORD),
            revoked(cleo, _at(12, 10), "email", ConsentMethod.EMAIL_LINK),
            revoked(dan, _at(3, 16), "sms", ConsentMethod.PHONE),
            revoked(eve, _at(4, 11), "sms", ConsentMethod.SMS_KEYWORD),
            revoked(fay, _at(2, 8, month=3), "email", ConsentMethod.EMAIL_LINK),
        ]
    )


def test_opt_out_rate_counts_each_opt_out_once_for_the_message_it_answered(
    org_a: Organization, outreach: None
) -> None:
    # given February's outreach
    # when January and February are rolled up
    _roll_up(org_a, "messaging.opt_out_rate", first=date(2026, 1, 1))
    # then in February 6 patient-days per channel were sent outreach (Ana's, Ben's, Cleo's,
    # Dan's text and email, Fay's), and Ana, Ben and Fay opted out in answer
    assert _february(org_a, "messaging.opt_out_rate") == (50.0, 6)
    # and Ben's STOP answered his February text, not January's
    assert _february(org_a, "messaging.opt_out_rate", date(2026, 1, 1)) == (0.0, 1)
    # and by channel: 2 of 3 for texts, 1 of 3 for emails
    assert _by_channel(org_a, "messaging.opt_out_rate") == [
        ("Email", 33.33, 3),
        ("Text message", 66.67, 3),
    ]
