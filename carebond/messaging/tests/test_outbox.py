"""The outbox: a message is a row written with the action, sent once by the worker through a
real SMTP server or the local text provider, retried when the failure is transient, given up
with a reason when not, and reconciled after a worker dies mid-send."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.messaging import compliance, dispatch_actions
from carebond.messaging.actions import check_add_sender, check_queue_message
from carebond.messaging.dispatch_actions import (
    claim_due,
    dispatch_due_messages,
    hand_over,
    scan_stale_sends,
    send_one,
)
from carebond.messaging.models import Message, MessageStatus, Sender
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.people.actions import check_record_consent
from carebond.people.models import ConsentRecord, Person
from carebond.people.tests.factories import make_patient
from carebond.testing.concurrency import at_once
from carebond.testing.fixtures import Mailbox
from carebond.testing.sms_provider import SmsProvider
from carebond.touchpoints.models import Touchpoint


def reminder(patient: Person, key: str = "appt-1:72h") -> Message:
    return check_queue_message(
        patient,
        purpose="appointment",
        channel="sms",
        template_key="appointment_reminder",
        idempotency_key=key,
        extra={"location": "Main clinic", "appointment_time": clock.now() + timedelta(days=3)},
        acting_user=None,
    )


def test_a_reminder_is_sent_once_through_the_provider_and_lands_on_the_timeline(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given
    message = reminder(patient)
    assert reminder(patient).pk == message.pk  # the same key never makes a second message
    # when
    dispatch_due_messages()
    dispatch_due_messages()
    # then
    message.refresh_from_db()
    sent = sms_provider.to(PATIENT_PHONE)
    assert len(sent) == 1
    assert sent[0]["body"].startswith("Hi Rosa, a reminder of your visit at Main clinic on ")
    assert message.status == MessageStatus.SENT
    assert message.provider_id == sent[0]["sid"]
    assert message.exempt  # no consent record: the healthcare exemption
    touchpoint = Touchpoint.objects.get(person=patient, source_id=str(message.public_id))
    assert (touchpoint.kind, touchpoint.channel, touchpoint.direction) == (
        "message",
        "sms",
        "outbound",
    )
    actions = list(
        AuditEvent.objects.filter(target_id=str(message.public_id)).values_list("action", flat=True)
    )
    assert actions == ["message.queued", "message.sent"]


def test_the_reminder_is_in_the_persons_language(
    org_a: object, patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    Person.objects.filter(pk=patient.pk).update(preferred_language="es-MX")
    patient.refresh_from_db()
    reminder(patient)
    dispatch_due_messages()
    assert sms_provider.to(PATIENT_PHONE)[0]["body"].startswith("Hola Rosa, le recordamos su cita")


def test_email_goes_through_a_real_smtp_server(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    message = check_queue_message(
        patient,
        purpose="appointment",
        channel="email",
        template_key="appointment_reminder",
        idempotency_key="appt-1:email",
        extra={"location": "Main clinic"},
        acting_user=None,
    )
    dispatch_due_messages()
    message.refresh_from_db()
    [received] = smtp_server.to("rosa.diaz@example.org")
    assert received["Subject"] == f"Your visit at {patient.organization.name}"
    assert received["Message-ID"] == message.message_id_header  # replies thread on it
    assert message.message_id_header.endswith("@example.org>")
    assert message.status == MessageStatus.SENT


def test_a_transient_failure_is_retried_later_with_backoff(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = reminder(patient)
    sms_provider.fail_next = 1
    dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert "Attempt 1 failed" in message.status_reason
    delay = message.due_at - clock.now()
    assert timedelta(seconds=10) < delay <= timedelta(seconds=30)
    with time_machine.travel(message.due_at + timedelta(seconds=1)):
        dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(sms_provider.to(PATIENT_PHONE)) == 1


def test_a_lost_answer_is_never_sent_again_blindly(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given the provider takes the text but its answer is lost (a 500 after creating it)
    message = reminder(patient)
    sms_provider.lose_answer_next = 1
    dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING  # outcome unknown: not queued again
    dispatch_due_messages()
    assert len(sms_provider.to(PATIENT_PHONE)) == 1
    # when the stale-send scan asks the provider
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    # then it is recorded as sent under the provider's id, and went once
    message.refresh_from_db()
    [sent] = sms_provider.to(PATIENT_PHONE)
    assert (message.status, message.provider_id) == (MessageStatus.SENT, sent["sid"])


def test_an_invalid_number_is_given_up_at_once_with_the_reason(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    sms_provider.refuse[PATIENT_PHONE] = (400, 21211)
    message = reminder(patient)
    dispatch_due_messages()
    message.refresh_from_db()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, "21211")
    assert message.status_reason == "The text provider refused the message (400, code 21211)."


def test_the_providers_opt_out_error_is_recorded_as_a_revocation(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    sms_provider.refuse[PATIENT_PHONE] = (400, 21610)
    reminder(patient)
    dispatch_due_messages()
    revoked = ConsentRecord.objects.filter(person=patient, channel="sms", status="revoked")
    assert set(revoked.values_list("purpose", flat=True)) == {"appointment", "care", "survey"}
    assert set(revoked.values_list("method", flat=True)) == {"provider"}
    # and the next reminder is blocked before it reaches the provider
    blocked = reminder(patient, key="appt-2:72h")
    assert (blocked.status, blocked.error_code) == (MessageStatus.BLOCKED, "opted_out")


def test_an_opt_out_after_queueing_stops_the_message_before_sending(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = reminder(patient)
    check_record_consent(
        patient,
        channel="sms",
        purpose="appointment",
        status="revoked",
        method="phone",
        acting_user=None,
    )
    dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.BLOCKED
    assert sms_provider.accepted == []


def test_a_message_the_rules_refuse_is_kept_as_blocked_with_the_reason(
    patient: Person, afternoon: object
) -> None:
    message = check_queue_message(
        patient,
        purpose="marketing",
        channel="sms",
        template_key="recall",
        idempotency_key="recall-1",
        acting_user=None,
    )
    assert message.status == MessageStatus.BLOCKED
    assert message.status_reason == "No consent for marketing by text message."


def test_a_worker_killed_after_the_provider_took_a_text_never_sends_it_twice(
    patient: Person, sms_provider: SmsProvider, afternoon: object, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a worker claimed the message and handed it over, then died before writing it down
    message = reminder(patient)
    assert claim_due() == [message.pk]
    from carebond.messaging.channels import channel_for
    from carebond.messaging.dispatch_actions import outgoing

    message.refresh_from_db()
    assert hand_over([message])
    sid = channel_for("sms").send(outgoing(message))
    # when: the stale-send scan runs once the claim has expired
    caplog.set_level(logging.INFO)
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    # then
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, sid)
    assert len(sms_provider.to(PATIENT_PHONE)) == 1
    # and asking the provider about the number left no trace of it in the application log
    assert PATIENT_PHONE not in caplog.text


def test_a_text_taken_before_many_later_ones_to_the_same_number_is_still_recognised(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given a worker that handed a reminder to the provider and died before writing it down,
    # and a busy number: sixty more texts reached it before the stale-send scan came round
    message = reminder(patient)
    assert claim_due() == [message.pk]
    from carebond.messaging.channels import channel_for
    from carebond.messaging.dispatch_actions import outgoing

    message.refresh_from_db()
    assert hand_over([message])
    channel = channel_for("sms")
    sid = channel.send(outgoing(message))
    for n in range(60):
        channel.send(replace(outgoing(message), text=f"Your lab results are ready ({n})."))
    # when the scan asks the provider
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    # then the reminder is recognised as sent, and never sent a second time
    message.refresh_from_db()
    assert (message.status, message.provider_id) == (MessageStatus.SENT, sid)
    assert [m["body"] for m in sms_provider.to(PATIENT_PHONE)].count(message.body) == 1


def test_a_worker_killed_before_handing_a_text_over_sends_it_after_all(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = reminder(patient)
    claim_due()
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(sms_provider.to(PATIENT_PHONE)) == 1


def test_a_twin_text_already_recorded_is_not_taken_for_the_one_that_never_went(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given two texts with the same words to one number: the first sent and recorded, the
    # second claimed by a worker that died before handing it over
    check_record_consent(
        patient,
        channel="sms",
        purpose="care",
        status="granted",
        method="written",
        acting_user=None,
    )
    first, second = (
        check_queue_message(
            patient,
            purpose="care",
            channel="sms",
            template_key="care_message",
            idempotency_key=f"care-{n}",
            extra={"message": "Your forms are ready at the front desk."},
            acting_user=None,
        )
        for n in (1, 2)
    )
    assert claim_due(limit=1) == [first.pk]
    first.refresh_from_db()
    send_one(first, {})
    assert claim_due() == [second.pk]
    second.refresh_from_db()
    assert hand_over([second])  # handed over, then the worker died: did the provider take it?
    # when the stale-send scan asks the provider about the second
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    # then the second is sent after all, under its own id
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == MessageStatus.SENT
    assert second.provider_id != first.provider_id
    assert len(sms_provider.to(PATIENT_PHONE)) == 2


def test_an_email_interrupted_mid_send_is_marked_uncertain_never_resent(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    message = check_queue_message(
        patient,
        purpose="appointment",
        channel="email",
        template_key="appointment_reminder",
        idempotency_key="appt-1:email",
        acting_user=None,
    )
    # given a worker that handed the email to the mail server and died before the answer
    claim_due()
    message.refresh_from_db()
    assert hand_over([message])
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.UNCERTAIN
    assert smtp_server.messages == []


def test_an_email_a_dead_worker_never_handed_over_is_sent_after_all(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    message = check_queue_message(
        patient,
        purpose="appointment",
        channel="email",
        template_key="appointment_reminder",
        idempotency_key="appt-1:email",
        acting_user=None,
    )
    claim_due()  # claimed in a batch; the worker died before reaching it
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_two_claimers_never_take_the_same_message(patient: Person, afternoon: object) -> None:
    message = reminder(patient)
    first, second = claim_due(), claim_due()
    assert (first, second) == ([message.pk], [])


def test_messages_held_until_morning_go_no_faster_than_the_senders_rate(
    org_a: Organization, senders: dict[str, Sender], sms_provider: SmsProvider
) -> None:
    # given a line the carrier allows two texts a second, and six reminders held by quiet
    # hours that all come due at 08:00
    Sender.objects.filter(pk=senders["care"].pk).update(per_second=2)
    # (no time zone on file: the most restrictive of the US zones, so 08:00 in Honolulu)
    eight = clock.now().replace(hour=18, minute=0, second=0, microsecond=0)
    for n in range(6):
        reminder(make_patient(org_a, f"Pat{n}", "Lee", phone=f"+1312555{2100 + n:04d}"), f"a{n}")
    Message.objects.update(due_at=eight)
    sent_by = {}
    # when the worker runs at 08:00, a moment later, a second later and three seconds later
    for after in (0.0, 0.3, 1.0, 3.0):
        with time_machine.travel(eight + timedelta(seconds=after), tick=False):
            dispatch_due_messages()
        sent_by[after] = len(sms_provider.accepted)
    # then a second's worth goes at once, then one each half second
    assert sent_by == {0.0: 2, 0.3: 2, 1.0: 4, 3.0: 6}


@pytest.mark.django_db(transaction=True)
def test_two_workers_dispatching_at_once_send_each_message_once(
    org_a: Organization, senders: dict[str, Sender], sms_provider: SmsProvider, afternoon: object
) -> None:
    # given twenty patients with a reminder each
    phones = [f"+1312555{2000 + n:04d}" for n in range(20)]
    for n, phone in enumerate(phones):
        reminder(make_patient(org_a, f"Pat{n}", "Lee", phone=phone), key=f"appt-{n}:72h")
    # when two workers dispatch at the same moment (on the suite's in-memory SQLite one may
    # meet the other's lock and leave a message claimed, as a killed worker would)
    errors = at_once(dispatch_due_messages)
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()
        dispatch_due_messages()
    # then every reminder went exactly once
    assert errors == []
    assert sorted(m["to"] for m in sms_provider.accepted) == phones
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 20


def test_a_worker_whose_claim_was_taken_back_does_not_send(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given a worker that claimed a reminder, then stalled past the claim's time
    reminder(patient)
    [pk] = claim_due()
    stalled = Message.objects.get(pk=pk)
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        scan_stale_sends()  # the provider never took it: queued again
        # when the stalled worker wakes up and carries on with what it held
        send_one(stalled, {})
        dispatch_due_messages()  # and a live worker sends the queued one
    # then the patient got it once
    assert len(sms_provider.to(PATIENT_PHONE)) == 1


def test_a_worker_stalled_while_handing_a_text_over_does_not_send_it_on_the_old_claim(
    patient: Person,
    sms_provider: SmsProvider,
    afternoon: object,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    # given a worker that stalls while it notes the hand-over of a reminder, long enough for
    # another worker's stale-send scan to find the claim old, ask the provider (which has not
    # got it) and queue it again
    settings.MESSAGING_CLAIM_SECONDS = 1
    reminder(patient)
    real_hand_over = dispatch_actions.hand_over
    stalls: list[list[Message]] = []

    def stalling_hand_over(messages: list[Message]) -> list[Message]:
        held = real_hand_over(messages)
        if not stalls:
            stalls.append(held)
            time.sleep(2 * dispatch_actions.fresh_seconds())
            with time_machine.travel(clock.now() + timedelta(minutes=5)):
                scan_stale_sends()
        return held

    monkeypatch.setattr(dispatch_actions, "hand_over", stalling_hand_over)
    # when the stalled worker carries on, and later a worker sends what is queued
    dispatch_due_messages()
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        dispatch_due_messages()
    # then the patient got the reminder once
    assert stalls
    assert len(sms_provider.to(PATIENT_PHONE)) == 1
    assert Message.objects.get(person=patient).status == MessageStatus.SENT


def test_a_message_that_breaks_sending_does_not_stop_the_others_and_is_given_up_in_time(
    org_a: Organization,
    patient: Person,
    sms_provider: SmsProvider,
    afternoon: object,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    # given two reminders, and a fault that breaks the rules check for one patient only
    other = make_patient(org_a, "Ben", "Okoro", phone="+13125550177")
    reminder(patient)
    reminder(other, key="appt-2:72h")
    real_decide = compliance.decide

    def broken_for_rosa(person: Person, **kwargs: Any) -> compliance.Decision:
        if person.pk == patient.pk:
            raise RuntimeError("fault")
        return real_decide(person, **kwargs)

    monkeypatch.setattr(compliance, "decide", broken_for_rosa)
    # when the worker dispatches
    dispatch_due_messages()
    # then the other reminder went, and the broken one waits for the stale-send scan
    assert [m["to"] for m in sms_provider.accepted] == ["+13125550177"]
    broken = Message.objects.get(person=patient)
    assert broken.status == MessageStatus.SENDING
    # and after the attempts run out it is given up with the reason, never left looping
    settings.MESSAGING_MAX_ATTEMPTS = 2
    for minutes in (5, 10):
        with time_machine.travel(clock.now() + timedelta(minutes=minutes)):
            scan_stale_sends()
            dispatch_due_messages()
    broken.refresh_from_db()
    assert broken.status == MessageStatus.FAILED
    assert broken.status_reason == "Gave up after 2 attempts: sending never finished."


def test_a_new_organisation_gets_the_built_in_templates_when_it_first_needs_one(
    db: None, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given an organisation made after the built-ins shipped, with no template rows yet
    from carebond.messaging.models import MessageTemplate
    from carebond.people.tests.factories import make_patient
    from carebond.testing.fixtures import make_organization

    organization = make_organization("birch", "Birch Clinic")
    check_add_sender(
        organization,
        channel="sms",
        address="+13125550111",
        label="Line",
        purposes=["appointment"],
    )
    patient = make_patient(organization, "Ana", "Ruiz", phone="+13125550133")
    assert not MessageTemplate.objects.filter(organization=organization).exists()
    # when a reminder is queued
    message = reminder(patient)
    # then it is written from the built-in template, and every built-in is there now
    assert message.body.startswith("Hi Ana, a reminder of your visit")
    assert MessageTemplate.objects.filter(organization=organization, built_in=True).count() > 20
