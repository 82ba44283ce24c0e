"""A text from a number nobody has (or several people share): a STOP still stops the number,
and staff link the conversation to the person it turns out to be."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Conversation, Message, MessageStatus, OptedOutNumber, Sender
from carebond.messaging.tests.test_inbound import text_in
from carebond.messaging.tests.test_outbox import reminder
from carebond.people.models import Person
from carebond.people.selectors import consent_in_force
from carebond.people.tests.factories import make_patient
from carebond.testing.sms_provider import SmsProvider

STRANGER = "+13125550188"


def test_stop_from_an_unknown_number_stops_the_number_for_whoever_has_it_later(
    org_a: Organization, senders: dict[str, Sender], sms_provider: SmsProvider, afternoon: object
) -> None:
    # given a STOP from a number nobody in the records has
    text_in("STOP", sender=STRANGER)
    dispatch_due_messages()
    [confirmation] = sms_provider.to(STRANGER)
    assert confirmation["body"].endswith("Reply START to receive them again.")
    # when a patient with that number is added and a reminder is due
    newcomer = make_patient(org_a, "Lena", "Hart", phone=STRANGER)
    message = reminder(newcomer)
    # then it is not sent, and the reason says why
    assert message.status == MessageStatus.BLOCKED
    assert message.status_reason.startswith(f"The number {STRANGER} texted STOP on ")
    # and START from the number lifts it
    text_in("START", sender=STRANGER)
    assert not OptedOutNumber.objects.exists()
    assert reminder(newcomer, key="appt-2:72h").status == MessageStatus.QUEUED


def test_linking_a_triage_conversation_puts_it_on_the_timeline_and_records_the_stop(
    org_a: Organization,
    senders: dict[str, Sender],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
    afternoon: object,
) -> None:
    # given texts from an unknown number, one of them STOP
    text_in("Hi, this is Lena, my new number", sender=STRANGER)
    text_in("STOP", sender=STRANGER)
    conversation = Conversation.objects.get()
    lena = make_patient(org_a, "Lena", "Hart")
    desk = client_for(users_a["front_desk"])
    # when the desk finds her and links the conversation
    page = desk.get(f"/messaging/inbox/{conversation.public_id}/", {"find": "Lena Hart"})
    assert "Link to Lena Hart" in page.content.decode()
    response = desk.post(
        f"/messaging/inbox/{conversation.public_id}/link/", {"person": str(lena.public_id)}
    )
    # then the conversation and its texts are hers, on her timeline, with her opt-out
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.person == lena
    assert set(Message.objects.filter(direction="inbound").values_list("person", flat=True)) == {
        lena.pk
    }
    assert lena.touchpoints.filter(kind="message", direction="inbound").count() == 2
    record = consent_in_force(lena.pk, channel="sms", purpose="appointment")
    assert record is not None
    assert (record.status, record.method) == ("revoked", "sms_keyword")
    assert AuditEvent.objects.filter(
        action="conversation.linked", actor=users_a["front_desk"], patient_id=str(lena.public_id)
    ).exists()
    # and it cannot be linked a second time
    again = desk.post(
        f"/messaging/inbox/{conversation.public_id}/link/", {"person": str(lena.public_id)}
    )
    assert again.status_code == 409
    assert "already linked" in again.content.decode()


def test_a_household_number_offers_its_people_and_another_organisations_person_is_missing(
    org_a: Organization,
    org_b: Organization,
    senders: dict[str, Sender],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    shared = "+13125550166"
    make_patient(org_a, "Ana", "Ruiz", phone=shared)
    make_patient(org_a, "Tomas", "Ruiz", phone=shared)
    text_in("Is my appointment tomorrow?", sender=shared)
    conversation = Conversation.objects.get()
    desk = client_for(users_a["front_desk"])
    page = desk.get(f"/messaging/inbox/{conversation.public_id}/").content.decode()
    assert "Link to Ana Ruiz" in page
    assert "Link to Tomas Ruiz" in page
    stranger = make_patient(org_b, "Ana", "Ruiz")
    response = desk.post(
        f"/messaging/inbox/{conversation.public_id}/link/", {"person": str(stranger.public_id)}
    )
    assert response.status_code == 404
    conversation.refresh_from_db()
    assert conversation.person is None


def test_a_search_too_short_is_explained_beside_the_field(
    org_a: Organization,
    senders: dict[str, Sender],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    text_in("hello", sender=STRANGER)
    conversation = Conversation.objects.get()
    page = client_for(users_a["front_desk"]).get(
        f"/messaging/inbox/{conversation.public_id}/", {"find": "L"}
    )
    assert "Type at least" in page.content.decode()


def test_stop_cancels_queued_texts_and_audits_each_and_the_confirmation(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    queued = reminder(patient)
    text_in("STOP")
    assert AuditEvent.objects.filter(action="message.cancelled", target_id=str(queued.public_id))
    confirmation = Message.objects.get(template_key="opt_out_confirmation")
    assert AuditEvent.objects.filter(
        action="message.queued", target_id=str(confirmation.public_id)
    ).exists()
