"""Inbound texts through the provider's signed webhook: never lost, matched to the person and
conversation, and STOP/START/HELP acted on at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client

from carebond.messaging import inbound_actions
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import (
    Conversation,
    Message,
    MessageStatus,
    RevocationRequest,
    Sender,
)
from carebond.messaging.tests.conftest import CARE_NUMBER, MARKETING_NUMBER, PATIENT_PHONE
from carebond.messaging.tests.test_outbox import reminder
from carebond.people.actions import check_record_consent
from carebond.people.models import ConsentRecord, Person
from carebond.people.selectors import consent_in_force
from carebond.people.tests.factories import make_patient
from carebond.testing.sms_provider import SmsProvider, provider_signature

URL = "http://testserver/messaging/sms/inbound"


def decided(patient: Person, purpose: str, status: str, *, method: str) -> None:
    """A decision about texts recorded by staff."""
    check_record_consent(
        patient, channel="sms", purpose=purpose, status=status, method=method, acting_user=None
    )


def text_in(body: str, *, to: str = CARE_NUMBER, sender: str = PATIENT_PHONE, sid: str = "") -> int:
    params = {
        "From": sender,
        "To": to,
        "Body": body,
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
    }
    response = Client().post(
        "/messaging/sms/inbound", params, HTTP_X_TWILIO_SIGNATURE=provider_signature(URL, params)
    )
    return response.status_code


def test_a_call_without_the_providers_signature_is_refused_and_stores_nothing(
    patient: Person, sms_provider: SmsProvider
) -> None:
    params = {"From": PATIENT_PHONE, "To": CARE_NUMBER, "Body": "STOP", "MessageSid": "SM1"}
    response = Client().post("/messaging/sms/inbound", params, HTTP_X_TWILIO_SIGNATURE="forged")
    assert response.status_code == 403
    assert not Message.objects.exists()
    assert consent_in_force(patient.pk, channel="sms", purpose="appointment") is None


def test_missing_fields_are_named(sms_provider: SmsProvider, senders: dict[str, Sender]) -> None:
    params = {"To": CARE_NUMBER, "Body": "hi"}
    response = Client().post(
        "/messaging/sms/inbound", params, HTTP_X_TWILIO_SIGNATURE=provider_signature(URL, params)
    )
    assert response.status_code == 400
    assert response.content.decode() == "Missing field(s): From, MessageSid."


def test_a_reply_lands_in_the_persons_conversation_and_on_the_timeline(
    patient: Person, sms_provider: SmsProvider
) -> None:
    assert text_in("Running 10 minutes late, sorry") == 200
    conversation = Conversation.objects.get()
    assert (conversation.person, conversation.unread) == (patient, 1)
    assert conversation.waiting_since is not None
    assert patient.touchpoints.filter(direction="inbound", kind="message").count() == 1


def test_the_providers_retry_of_one_text_is_stored_once(
    patient: Person, sms_provider: SmsProvider
) -> None:
    text_in("hello", sid="SM-retry")
    text_in("hello", sid="SM-retry")
    assert Message.objects.filter(direction="inbound").count() == 1


@pytest.mark.parametrize("word", ["STOP", "stop.", " Opt Out ", "ALTO", "cancelar!"])
def test_stop_revokes_at_once_and_confirms_exactly_once(
    word: str, patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    queued = reminder(patient)
    # when
    text_in(word)
    text_in(word)  # a second STOP changes nothing and is not confirmed again
    dispatch_due_messages()
    # then
    for purpose in ("appointment", "care", "survey"):
        record = consent_in_force(patient.pk, channel="sms", purpose=purpose)
        assert record is not None
        assert (record.status, record.method) == ("revoked", "sms_keyword")
    queued.refresh_from_db()
    assert queued.status == MessageStatus.CANCELLED
    sent = sms_provider.to(PATIENT_PHONE)
    assert [m["body"] for m in sent] == [
        f"{patient.organization.name}: you will get no more texts from this number. Reply "
        "START to receive them again."
    ]


def test_stop_to_the_marketing_number_leaves_appointment_reminders_alone(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    decided(patient, "marketing", "granted", method="written")
    text_in("STOP", to=MARKETING_NUMBER)
    marketing = consent_in_force(patient.pk, channel="sms", purpose="marketing")
    assert marketing is not None
    assert marketing.status == "revoked"
    assert consent_in_force(patient.pk, channel="sms", purpose="appointment") is None
    assert reminder(patient).status == MessageStatus.QUEUED


def test_stopall_ends_every_purpose(patient: Person, sms_provider: SmsProvider) -> None:
    text_in("STOPALL", to=MARKETING_NUMBER)
    purposes = set(
        ConsentRecord.objects.filter(person=patient, status="revoked").values_list(
            "purpose", flat=True
        )
    )
    assert purposes == {"appointment", "care", "survey", "marketing", "work"}


def test_start_resubscribes_what_stop_ended(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    text_in("STOP")
    text_in("START")
    record = consent_in_force(patient.pk, channel="sms", purpose="appointment")
    assert record is not None
    assert record.status == "granted"
    dispatch_due_messages()
    bodies = [m["body"] for m in sms_provider.to(PATIENT_PHONE)]
    assert len(bodies) == 2
    assert "again" in bodies[1]


def test_start_gives_back_only_what_stop_took(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given written consent to surveys, none to marketing, STOPALL, then START to the number
    # that sends everything
    decided(patient, "survey", "granted", method="written")
    text_in("STOPALL")
    text_in("START")
    # then surveys and the appointment texts that needed no consent are back, and no marketing
    # consent appeared from nowhere
    survey = consent_in_force(patient.pk, channel="sms", purpose="survey")
    marketing = consent_in_force(patient.pk, channel="sms", purpose="marketing")
    appointment = consent_in_force(patient.pk, channel="sms", purpose="appointment")
    assert survey is not None
    assert marketing is not None
    assert appointment is not None
    assert (survey.status, survey.method) == ("granted", "sms_keyword")
    assert appointment.status == "granted"
    assert marketing.status == "revoked"


def test_start_does_not_undo_an_opt_out_staff_recorded(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given the patient told the front desk to stop texting, then texts START
    decided(patient, "appointment", "granted", method="written")
    decided(patient, "appointment", "revoked", method="verbal")
    text_in("START")
    dispatch_due_messages()
    # then the desk's record stands and no confirmation claims otherwise
    record = consent_in_force(patient.pk, channel="sms", purpose="appointment")
    assert record is not None
    assert (record.status, record.method) == ("revoked", "verbal")
    assert sms_provider.to(PATIENT_PHONE) == []


def test_help_answers_with_the_organisations_number(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    text_in("HELP")
    dispatch_due_messages()
    [answer] = sms_provider.to(PATIENT_PHONE)
    assert "for help call +1 312 555 0100" in answer["body"]


def test_words_that_only_read_like_stop_wait_for_staff(
    patient: Person, sms_provider: SmsProvider
) -> None:
    text_in("please no more texts")
    request = RevocationRequest.objects.get()
    assert (request.person, request.status) == (patient, "pending")
    assert consent_in_force(patient.pk, channel="sms", purpose="appointment") is None


def test_a_number_nobody_has_lands_in_triage(
    sms_provider: SmsProvider, senders: dict[str, Sender]
) -> None:
    assert text_in("Who is this?", sender="+13125550999") == 200
    conversation = Conversation.objects.get()
    assert conversation.person is None
    assert conversation.messages.get().body == "Who is this?"


def test_a_shared_household_number_is_asked_which_person(
    org_a: object, patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    make_patient(patient.organization, "Tomas", "Diaz", phone=PATIENT_PHONE)
    text_in("Can we move the appointment?")
    dispatch_due_messages()
    conversation = Conversation.objects.get()
    assert conversation.person is None  # never guessed
    [question] = sms_provider.to(PATIENT_PHONE)
    assert "more than one person uses this number" in question["body"]


def test_the_providers_own_confirmation_is_not_doubled(
    patient: Person, sms_provider: SmsProvider, settings: object, afternoon: object
) -> None:
    settings.MESSAGING_PROVIDER_CONFIRMS_OPT_OUT = True  # type: ignore[attr-defined]
    text_in("STOP")
    dispatch_due_messages()
    assert sms_provider.accepted == []


def test_a_text_is_kept_when_acting_on_it_fails(
    patient: Person, senders: dict[str, Sender], sms_provider: SmsProvider
) -> None:
    # given a sending number whose stored purposes went bad
    Sender.objects.filter(pk=senders["care"].pk).update(purposes=["no-such-purpose"])
    # when the patient texts STOP to it
    assert text_in("STOP") == 200
    # then the text waits in the inbox for staff, and nothing half-done was written
    message = Message.objects.get(direction="inbound")
    assert message.body == "STOP"
    assert message.conversation is not None
    assert message.conversation.waiting_since is not None
    assert not ConsentRecord.objects.filter(person=patient).exists()


@pytest.mark.django_db(transaction=True)
def test_a_text_is_never_acknowledged_when_the_database_went_away_while_acting_on_it(
    patient: Person, sms_provider: SmsProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database that goes away while the text is acted on: the action fails, and so
    # does undoing it (the connection is gone), which dooms the whole transaction
    def lost(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound_actions, "_act_on", lost)
    monkeypatch.setattr(connection, "savepoint_rollback", lost)
    # when the provider calls the webhook, then it is not told the text arrived (it was not
    # stored: the provider retries)
    with pytest.raises(OperationalError):
        text_in("Running late", sid="SM-lost")
    assert not Message.objects.filter(direction="inbound").exists()
    # and its retry, once the database is back, stores the text once
    monkeypatch.undo()
    assert text_in("Running late", sid="SM-lost") == 200
    assert text_in("Running late", sid="SM-lost") == 200
    assert Message.objects.filter(direction="inbound").count() == 1


def test_a_message_id_longer_than_any_provider_gives_is_refused(
    patient: Person, sms_provider: SmsProvider
) -> None:
    assert text_in("hello", sid="SM" + "0" * 200) == 400
    assert not Message.objects.exists()


def test_a_delivery_report_is_recorded(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = reminder(patient)
    dispatch_due_messages()
    message.refresh_from_db()
    params = {"From": CARE_NUMBER, "MessageSid": message.provider_id, "MessageStatus": "delivered"}
    url = "http://testserver/messaging/sms/status"
    response = Client().post(
        "/messaging/sms/status", params, HTTP_X_TWILIO_SIGNATURE=provider_signature(url, params)
    )
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert message.delivered_at is not None


def test_staff_confirm_a_possible_opt_out(
    patient: Person, users_a: dict[str, Any], sms_provider: SmsProvider
) -> None:
    from carebond.messaging.revocation_actions import check_decide_revocation

    text_in("please no more texts")
    request = RevocationRequest.objects.get()
    check_decide_revocation(request, decision="confirm", acting_user=users_a["front_desk"])
    request.refresh_from_db()
    assert request.status == "confirmed"
    record = consent_in_force(patient.pk, channel="sms", purpose="appointment")
    assert record is not None
    assert record.status == "revoked"
