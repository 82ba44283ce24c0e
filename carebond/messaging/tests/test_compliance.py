"""The rules every send passes: consent or the healthcare exemption, opt-outs, deaths and
merges, caps, and quiet hours in the recipient's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from carebond.core import clock
from carebond.messaging.actions import check_queue_message
from carebond.messaging.compliance import decide, first_time_in_window, in_window
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import CONSENT_PURPOSE, Message, MessageStatus
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.people.actions import check_record_consent
from carebond.people.models import Address, Person, PersonStatus

CHICAGO = ZoneInfo("America/Chicago")


def grant(person: Person, purpose: str, channel: str = "sms") -> None:
    check_record_consent(
        person,
        channel=channel,
        purpose=purpose,
        status="granted",
        method="written",
        acting_user=None,
    )


def revoke(person: Person, purpose: str, channel: str = "sms") -> None:
    check_record_consent(
        person,
        channel=channel,
        purpose=purpose,
        status="revoked",
        method="sms_keyword",
        acting_user=None,
    )


def test_marketing_needs_a_consent_record(patient: Person, afternoon: object) -> None:
    verdict = decide(patient, channel="sms", purpose="marketing", body="Hi", at=clock.now())
    assert (verdict.allowed, verdict.code) == (False, "no_consent")
    grant(patient, "marketing")
    assert decide(patient, channel="sms", purpose="marketing", body="Hi", at=clock.now()).allowed


def test_a_short_appointment_reminder_goes_under_the_exemption(
    patient: Person, afternoon: object
) -> None:
    verdict = decide(patient, channel="sms", purpose="appointment", body="x" * 160, at=clock.now())
    assert (verdict.allowed, verdict.code) == (True, "exempt")
    too_long = decide(patient, channel="sms", purpose="appointment", body="x" * 161, at=clock.now())
    assert (too_long.allowed, too_long.code) == (False, "too_long")


def test_surveys_billing_and_marketing_never_qualify_for_the_exemption(
    patient: Person, afternoon: object
) -> None:
    for purpose in ("survey", "marketing", "recovery"):
        assert not decide(
            patient, channel="sms", purpose=purpose, body="Hi", at=clock.now()
        ).allowed


def _sent(patient: Person, at: datetime, *, purpose: str, exempt: bool) -> None:
    """A text already sent to the patient at ``at`` (what the caps count)."""
    Message.objects.create(
        organization_id=patient.organization_id,
        person=patient,
        direction="outbound",
        channel="sms",
        purpose=purpose,
        to_address="+1",
        from_address="+1",
        body="x",
        exempt=exempt,
        status=MessageStatus.SENT,
        idempotency_key=f"{purpose}:{at.isoformat()}",
        due_at=at,
        created_at=at,
    )


def _sent_exempt(patient: Person, at: datetime) -> None:
    _sent(patient, at, purpose="appointment", exempt=True)


def test_the_exemption_allows_one_a_day_and_three_a_week(
    patient: Person, afternoon: object
) -> None:
    now = clock.now()
    _sent_exempt(patient, now - timedelta(hours=2))
    today = decide(patient, channel="sms", purpose="appointment", body="Hi", at=now)
    assert (today.allowed, today.code) == (False, "cap")
    tomorrow = now + timedelta(days=1)
    assert decide(patient, channel="sms", purpose="appointment", body="Hi", at=tomorrow).allowed
    _sent_exempt(patient, now - timedelta(days=2))
    _sent_exempt(patient, now - timedelta(days=4))
    week = decide(patient, channel="sms", purpose="appointment", body="Hi", at=tomorrow)
    assert (week.allowed, week.reason) == (
        False,
        "Already three reminders without consent this week.",
    )


def test_a_revocation_wins_over_the_exemption_and_over_older_consent(
    patient: Person, afternoon: object
) -> None:
    grant(patient, "appointment")
    revoke(patient, "appointment")
    verdict = decide(patient, channel="sms", purpose="appointment", body="Hi", at=clock.now())
    assert (verdict.allowed, verdict.code) == (False, "opted_out")
    # other channels and purposes are untouched
    assert decide(
        patient, channel="email", purpose="appointment", body="Hi", at=clock.now()
    ).allowed


def test_deceased_and_merged_people_never_receive(patient: Person, afternoon: object) -> None:
    grant(patient, "care")
    Person.objects.filter(pk=patient.pk).update(deceased_date=date(2026, 1, 2))
    patient.refresh_from_db()
    assert (
        decide(patient, channel="sms", purpose="care", body="Hi", at=clock.now()).code == "deceased"
    )
    Person.objects.filter(pk=patient.pk).update(deceased_date=None, status=PersonStatus.MERGED)
    patient.refresh_from_db()
    assert (
        decide(patient, channel="sms", purpose="care", body="Hi", at=clock.now()).code == "merged"
    )


def test_the_frequency_cap_per_person_and_purpose(
    patient: Person, afternoon: object, settings: object
) -> None:
    grant(patient, "marketing")
    settings.MESSAGING_CAPS = {"marketing": (1, 30)}  # type: ignore[attr-defined]
    now = clock.now()
    _sent(patient, now - timedelta(days=3), purpose="marketing", exempt=False)
    verdict = decide(patient, channel="sms", purpose="marketing", body="Hi", at=now)
    assert (verdict.allowed, verdict.code) == (False, "cap")


def test_quiet_hours_defer_to_eight_in_the_morning_local_time(patient: Person) -> None:
    grant(patient, "care")
    late = datetime(2026, 3, 4, 22, 30, tzinfo=CHICAGO)
    verdict = decide(patient, channel="sms", purpose="care", body="Hi", at=late)
    assert verdict.allowed
    assert verdict.send_at == datetime(2026, 3, 5, 8, 0, tzinfo=CHICAGO)
    urgent = decide(patient, channel="sms", purpose="care", body="Hi", at=late, urgent=True)
    assert urgent.send_at == late


def test_florida_marketing_stops_at_eight_in_the_evening(patient: Person) -> None:
    grant(patient, "marketing")
    Person.objects.filter(pk=patient.pk).update(time_zone="America/New_York")
    patient.refresh_from_db()
    Address.objects.create(
        organization_id=patient.organization_id,
        person=patient,
        line1="1 Ocean Dr",
        city="Miami",
        state="FL",
        country="US",
    )
    evening = datetime(2026, 3, 4, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    marketing = decide(patient, channel="sms", purpose="marketing", body="Hi", at=evening)
    care = decide(patient, channel="sms", purpose="care", body="Hi", at=evening)
    assert marketing.send_at == datetime(2026, 3, 5, 8, 0, tzinfo=ZoneInfo("America/New_York"))
    assert care.send_at == evening  # Florida's hours narrow marketing only


def test_an_unknown_time_zone_takes_the_most_restrictive_window(patient: Person) -> None:
    grant(patient, "care")
    Person.objects.filter(pk=patient.pk).update(time_zone="")
    patient.refresh_from_db()
    # 9:00 in New York is 3:00 in Honolulu: too early for someone who might be there.
    morning_east = datetime(2026, 3, 4, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    verdict = decide(patient, channel="sms", purpose="care", body="Hi", at=morning_east)
    honolulu = verdict.send_at.astimezone(ZoneInfo("Pacific/Honolulu"))  # type: ignore[union-attr]
    new_york = verdict.send_at.astimezone(ZoneInfo("America/New_York"))  # type: ignore[union-attr]
    assert honolulu.time() >= time(8)
    assert new_york.time() < time(21)


ZONES = st.sampled_from(
    [
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "Pacific/Honolulu",
        "Europe/Madrid",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2028, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    zones=st.lists(ZONES, min_size=1, max_size=3, unique=True),
    start=st.integers(min_value=7, max_value=9),
    end=st.integers(min_value=19, max_value=21),
)
def test_no_non_urgent_send_falls_in_quiet_hours_across_zones_and_dst(
    at: datetime, zones: list[str], start: int, end: int
) -> None:
    tzs = tuple(ZoneInfo(z) for z in zones)
    window = (time(start), time(end))
    try:
        chosen = first_time_in_window(at, tzs, window)
    except ValueError:
        return  # zones so far apart that no moment suits them all
    assert chosen >= at
    assert in_window(chosen, tzs, window)
    # and it is the first such moment: five minutes earlier was still quiet somewhere
    earlier = chosen - timedelta(minutes=5)
    assert chosen == at or earlier < at or not in_window(earlier, tzs, window)


TEMPLATE_FOR = {"care": "care_message", "marketing": "recall", "survey": "survey_invitation"}


@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["queue", "queue", "revoke", "grant", "dispatch"]),
            st.sampled_from(["sms", "email"]),
            st.sampled_from(["care", "marketing", "survey"]),
        ),
        min_size=1,
        max_size=14,
    )
)
@example(  # an opt-out between queueing and sending; then a send that may go
    steps=[
        ("grant", "sms", "marketing"),
        ("queue", "sms", "marketing"),
        ("revoke", "sms", "marketing"),
        ("dispatch", "sms", "marketing"),
        ("grant", "email", "survey"),
        ("queue", "email", "survey"),
        ("dispatch", "email", "survey"),
    ]
)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_after_an_opt_out_nothing_of_that_channel_and_purpose_is_sent(
    steps: list[tuple[str, str, str]],
    patient: Person,
    sms_provider: Any,
    smtp_server: Any,
    afternoon: object,
) -> None:
    """Queue, revoke, grant and dispatch in any order: every message the worker sends goes out
    while its channel and purpose are consented to."""
    with transaction.atomic():
        allowed: dict[tuple[str, str], bool] = {}
        sent_before: set[tuple[int, str]] = set()
        for n, (step, channel, purpose) in enumerate(steps):
            key = (channel, purpose)
            if step == "queue":
                check_queue_message(
                    patient,
                    purpose=purpose,
                    channel=channel,
                    template_key=TEMPLATE_FOR[purpose],
                    idempotency_key=f"property-{n}",
                    extra={"link": "https://alder.example/x", "free_text": "Hello"},
                    acting_user=None,
                )
            elif step in ("revoke", "grant"):
                check_record_consent(
                    patient,
                    channel=channel,
                    purpose=purpose,
                    status="revoked" if step == "revoke" else "granted",
                    method="phone",
                    acting_user=None,
                )
                allowed[key] = step == "grant"
            else:
                dispatch_due_messages()
                sent = set(
                    Message.objects.filter(status=MessageStatus.SENT).values_list("pk", "channel")
                )
                for pk, sent_channel in sent - sent_before:
                    message = Message.objects.get(pk=pk)
                    consent = allowed.get((sent_channel, CONSENT_PURPOSE[message.purpose]))
                    assert consent is not False, f"{message.purpose} {sent_channel} sent after STOP"
                sent_before = sent
        transaction.set_rollback(True)


def test_a_number_disconnected_since_consent_is_not_texted(
    patient: Person, afternoon: object, settings: Any
) -> None:
    from carebond.testing import reassigned

    check_record_consent(
        patient,
        channel="sms",
        purpose="marketing",
        status="granted",
        method="written",
        acting_user=None,
    )
    body, now = "News", clock.now()
    # without the check configured, nothing is asked
    assert decide(
        patient, channel="sms", purpose="marketing", body=body, at=now, address=PATIENT_PHONE
    ).allowed
    settings.MESSAGING_REASSIGNED_CHECK = "carebond.testing.reassigned.check"
    reassigned.DISCONNECTED[PATIENT_PHONE] = (now + timedelta(days=1)).date()
    try:
        refused = decide(
            patient,
            channel="sms",
            purpose="marketing",
            body=body,
            at=now + timedelta(days=2),
            address=PATIENT_PHONE,
        )
        assert (refused.allowed, refused.code) == (False, "reassigned")
        # a disconnection before the consent does not count
        reassigned.DISCONNECTED[PATIENT_PHONE] = (now - timedelta(days=30)).date()
        assert decide(
            patient, channel="sms", purpose="marketing", body=body, at=now, address=PATIENT_PHONE
        ).allowed
    finally:
        reassigned.DISCONNECTED.clear()


def test_urgent_never_lets_marketing_or_a_survey_into_quiet_hours(patient: Person) -> None:
    late = datetime(2026, 3, 4, 23, 0, tzinfo=ZoneInfo("America/Chicago"))
    for purpose in ("marketing", "survey"):
        check_record_consent(
            patient,
            channel="sms",
            purpose=purpose,
            status="granted",
            method="written",
            acting_user=None,
        )
        decision = decide(patient, channel="sms", purpose=purpose, body="Hi", at=late, urgent=True)
        assert decision.send_at is not None
        assert decision.send_at.astimezone(ZoneInfo("America/Chicago")).hour == 8
    care = decide(patient, channel="sms", purpose="care", body="Hi", at=late, urgent=True)
    assert care.send_at == late


def test_a_failing_reassigned_service_does_not_stop_sending(
    patient: Person, afternoon: object, settings: Any
) -> None:
    check_record_consent(
        patient,
        channel="sms",
        purpose="care",
        status="granted",
        method="written",
        acting_user=None,
    )
    settings.MESSAGING_REASSIGNED_CHECK = "carebond.testing.reassigned.broken"
    assert decide(
        patient, channel="sms", purpose="care", body="Hi", at=clock.now(), address=PATIENT_PHONE
    ).allowed
