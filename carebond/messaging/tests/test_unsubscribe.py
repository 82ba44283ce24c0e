"""One-click unsubscribe (RFC 8058): every email carries a signed link for its person and
purpose, in its headers and its words; following it revokes that purpose for email at once."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client

from carebond.core import clock
from carebond.messaging.actions import check_queue_message
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Message, MessageStatus
from carebond.messaging.unsubscribe_links import read_token
from carebond.people.actions import check_record_consent
from carebond.people.models import Person
from carebond.people.selectors import consent_in_force
from carebond.testing.fixtures import Mailbox


def _recall_email(patient: Person, key: str = "recall-1") -> Message:
    return check_queue_message(
        patient,
        purpose="marketing",
        channel="email",
        template_key="recall",
        idempotency_key=key,
        extra={"link": "https://alder.example/book"},
        acting_user=None,
    )


def _email_consent(patient: Person) -> None:
    for purpose in ("marketing", "appointment"):
        check_record_consent(
            patient,
            channel="email",
            purpose=purpose,
            status="granted",
            method="written",
            acting_user=None,
        )


def _link(mailbox: Mailbox) -> str:
    [email] = mailbox.messages
    found: list[str] = re.findall(r"<([^>]+)>", email["List-Unsubscribe"])
    return found[0]


def test_a_mail_clients_one_click_post_unsubscribes_that_purpose_at_once(
    patient: Person, smtp_server: Mailbox, afternoon: object, settings: Any
) -> None:
    settings.BASE_URL = "https://crm.alder.example"
    _email_consent(patient)
    _recall_email(patient)
    dispatch_due_messages()
    # the email says how to leave, in its headers and in its words
    [email] = smtp_server.messages
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = _link(smtp_server)
    assert link.startswith("https://crm.alder.example/messaging/unsubscribe/")
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    # (the words' link was signed when queued, the header's when sent: both name the same)
    [in_words] = re.findall(r"https://\S+/messaging/unsubscribe/(\S+)/", body.get_content())
    assert read_token(in_words) == read_token(link.rstrip("/").rsplit("/", 1)[1])
    # given another news email waiting, and an appointment email
    waiting = _recall_email(patient, key="recall-2")
    # when the mail client posts the one-click request
    response = Client().post(
        link.removeprefix("https://crm.alder.example"), {"List-Unsubscribe": "One-Click"}
    )
    # then news emails stop at once; appointment emails are untouched
    assert response.status_code == 200
    record = consent_in_force(patient.pk, channel="email", purpose="marketing")
    assert record is not None
    assert (record.status, record.method) == ("revoked", "email_link")
    waiting.refresh_from_db()
    assert waiting.status == MessageStatus.CANCELLED
    appointment = consent_in_force(patient.pk, channel="email", purpose="appointment")
    assert appointment is not None
    assert appointment.status == "granted"


def test_the_page_asks_in_the_persons_language_and_a_second_visit_changes_nothing(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    Person.objects.filter(pk=patient.pk).update(preferred_language="es")
    patient.refresh_from_db()
    _email_consent(patient)
    _recall_email(patient)
    dispatch_due_messages()
    path = "/messaging/unsubscribe/" + _link(smtp_server).split("/messaging/unsubscribe/")[1]
    client = Client()
    page = client.get(path).content.decode()
    assert '<html lang="es">' in page
    assert "¿Dejar de recibir correos de novedades y revisiones" in page
    assert "Stop news and recall emails" in client.get(path + "?lang=en").content.decode()
    assert "no recibirá más correos" in client.post(path).content.decode()
    assert "Ya no recibe correos" in client.post(path).content.decode()
    assert patient.consents.filter(channel="email", status="revoked").count() == 1


def test_a_forged_or_expired_link_says_so_and_changes_nothing(
    patient: Person, smtp_server: Mailbox, afternoon: object
) -> None:
    _email_consent(patient)
    _recall_email(patient)
    dispatch_due_messages()
    path = "/messaging/unsubscribe/" + _link(smtp_server).split("/messaging/unsubscribe/")[1]
    forged = Client().post(path.replace("/messaging/unsubscribe/", "/messaging/unsubscribe/x"))
    assert forged.status_code == 400
    assert "not valid" in forged.content.decode()
    # (a campaign may be queued 90 days ahead: the link still works 59 days after that)
    with time_machine.travel(clock.now() + timedelta(days=149)):
        assert Client().get(path).status_code == 200
    with time_machine.travel(clock.now() + timedelta(days=151)):
        expired = Client().post(path)
    assert expired.status_code == 400
    assert "expired" in expired.content.decode()
    record = consent_in_force(patient.pk, channel="email", purpose="marketing")
    assert record is not None
    assert record.status == "granted"


def test_check_deploy_warns_without_a_public_address(settings: Any) -> None:
    from django.core import checks

    settings.BASE_URL = ""
    found = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "carebond.messaging.W001" in found
    settings.BASE_URL = "https://crm.alder.example"
    found = [m.id for m in checks.run_checks(include_deployment_checks=True)]
    assert "carebond.messaging.W001" not in found
