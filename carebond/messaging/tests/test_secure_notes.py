"""Secure replies: sensitive words stay in CareBond; the person gets a link and reads them
after confirming their birth date; wrong dates are counted and lock the link; it expires."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.messaging.models import Conversation, Message, SecureNote
from carebond.messaging.tests.test_inbound import text_in
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider

RESULT = "Your biopsy result is benign. No further treatment is needed."


def _birth_date(patient: Person) -> str:
    assert patient.birth_date is not None
    return patient.birth_date.isoformat()


def _secure_reply(client: Client, conversation: Conversation) -> Any:
    return client.post(
        f"/messaging/inbox/{conversation.public_id}/reply/",
        {"body": RESULT, "secure": "on", "key": "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"},
    )


def test_a_secure_reply_sends_only_a_link_and_opens_with_the_birth_date(
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
    settings: Any,
) -> None:
    text_in("Any news on my biopsy?")
    settings.BASE_URL = "https://crm.alder.example"  # (after: the webhook signs its own URL)
    conversation = Conversation.objects.get()
    # when the clinician answers securely
    response = _secure_reply(client_for(users_a["clinician"]), conversation)
    assert response.status_code == 302
    # then the text carries a link and none of the words
    reply = Message.objects.get(direction="outbound")
    note = SecureNote.objects.get()
    assert f"https://crm.alder.example/messaging/secure/{note.public_id}/" in reply.body
    assert "biopsy" not in reply.body
    assert reply.to_address == conversation.address
    # and the patient reads it only with the right birth date
    page = f"/messaging/secure/{note.public_id}/"
    visitor = Client()
    first = visitor.get(page).content.decode()
    assert "confirm your date of birth" in first
    assert "biopsy" not in first
    wrong = visitor.post(page, {"birth_date": "1990-01-01"})
    assert wrong.status_code == 422
    assert "does not match" in wrong.content.decode()
    right = visitor.post(page, {"birth_date": _birth_date(patient)})
    assert RESULT in right.content.decode()
    assert AuditEvent.objects.filter(
        action="secure_note.opened", patient_id=str(patient.public_id)
    ).exists()


def test_five_wrong_dates_lock_the_link_and_it_expires(
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    text_in("Results?")
    _secure_reply(client_for(users_a["clinician"]), Conversation.objects.get())
    note = SecureNote.objects.get()
    page = f"/messaging/secure/{note.public_id}/"
    for _ in range(5):
        Client().post(page, {"birth_date": "1990-01-01"})
    locked = Client().post(page, {"birth_date": _birth_date(patient)})
    assert locked.status_code == 409
    assert "locked" in locked.content.decode()
    assert RESULT not in locked.content.decode()
    SecureNote.objects.filter(pk=note.pk).update(failed_attempts=0)
    with time_machine.travel(clock.now() + timedelta(days=15)):
        expired = Client().post(page, {"birth_date": _birth_date(patient)})
    assert "expired" in expired.content.decode()
    assert RESULT not in expired.content.decode()


def test_the_page_speaks_spanish_and_an_unknown_link_reveals_nothing(
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    Person.objects.filter(pk=patient.pk).update(preferred_language="es")
    text_in("Resultados?")
    _secure_reply(client_for(users_a["clinician"]), Conversation.objects.get())
    note = SecureNote.objects.get()
    page = Client().get(f"/messaging/secure/{note.public_id}/").content.decode()
    assert '<html lang="es">' in page
    assert "confirme su fecha de nacimiento" in page
    unknown = Client().get("/messaging/secure/00000000-0000-4000-8000-000000000000/")
    assert unknown.status_code == 404
    assert "not valid" in unknown.content.decode()
