"""Billing questions in the inbox: the words of a bill in English and Spanish make a text or
an email a billing question, tagged "Billing" and handed to those who answer billing
questions; the everyday phrases that only borrow the words do not."""

from __future__ import annotations

import pytest

from carebond.accounts.models import User
from carebond.billing.actions import check_set_billing_handlers
from carebond.billing.questions import is_billing_question
from carebond.core.models import Organization
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.inbound_actions import do_receive_text
from carebond.messaging.models import Sender
from carebond.people.tests.factories import make_patient

PHONE = "+13125550123"


@pytest.mark.parametrize(
    "text",
    [
        "Question about my bill",
        "I got a STATEMENT in the mail",
        "Why was I charged twice?",
        "Can I make a payment online?",
        "Does my insurance cover this?",
        "what is my co-pay",
        "My balance looks wrong",
        "Tengo una pregunta sobre mi factura",
        "¿Cuánto es mi saldo?",
        "No entiendo el cobro",
        "¿Aceptan mi seguro?",
        "Quiero hacer un pago",
        "La cuenta llegó dos veces",
    ],
)
def test_the_words_of_a_bill_make_a_billing_question(text: str) -> None:
    assert is_billing_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Running ten minutes late",
        "Can I move my appointment?",
        "Me di cuenta de que olvidé mi cita",
        "Estoy segura de que era el martes",
        "Billy will bring me",  # (a word that starts like one is not it)
        "",
    ],
)
def test_other_words_are_no_billing_question(text: str) -> None:
    assert not is_billing_question(text)


@pytest.fixture
def clinic_line(org_a: Organization) -> Sender:
    ensure_built_in_templates(org_a)
    return check_add_sender(
        org_a, channel="sms", address="+13125550100", label="Clinic line", purposes=["care"]
    )


@pytest.mark.django_db
def test_a_billing_text_is_tagged_and_goes_to_who_answers_billing(
    org_a: Organization, users_a: dict[str, User], clinic_line: Sender
) -> None:
    make_patient(org_a, "Rosa", "Diaz", phone=PHONE)
    check_set_billing_handlers(
        org_a, user_ids=[users_a["front_desk"].pk], acting_user=users_a["manager"]
    )
    message = do_receive_text(
        clinic_line, from_number=PHONE, body="¿Por qué subió mi saldo?", provider_id="SM1"
    )
    conversation = message.conversation
    assert conversation is not None
    conversation.refresh_from_db()
    assert (conversation.topic, conversation.assigned_to) == ("billing", users_a["front_desk"])
    assert conversation.get_topic_display() == "Billing"


@pytest.mark.django_db
def test_without_anyone_named_it_waits_tagged_in_the_shared_inbox(
    org_a: Organization, clinic_line: Sender
) -> None:
    message = do_receive_text(
        clinic_line, from_number=PHONE, body="Question about my bill", provider_id="SM2"
    )
    assert message.conversation is not None
    message.conversation.refresh_from_db()
    assert (message.conversation.topic, message.conversation.assigned_to) == ("billing", None)
