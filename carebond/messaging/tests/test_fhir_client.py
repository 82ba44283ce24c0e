"""A real FHIR client (SMART's fhirclient) reads the outbox and a sent message from a running
server, parsed by the client's own R4 models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fhirclient import client
from fhirclient.models.communication import Communication
from fhirclient.models.communicationrequest import CommunicationRequest

from carebond.accounts.actions import do_create_api_token
from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.tests.test_outbox import reminder
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db(transaction=True)


def test_fhirclient_reads_a_reminder_before_and_after_it_is_sent(
    fhir_client: Callable[[str | None], client.FHIRClient],
    patient: Person,
    sms_provider: SmsProvider,
    afternoon: Any,
    users_a: dict[str, User],
) -> None:
    # given a reminder in the outbox and a clinician's token
    message = reminder(patient)
    _, token = do_create_api_token(users_a[Role.CLINICIAN], name="ehr", acting_user=None)
    smart = fhir_client(token)

    # when the client searches the patient's requests
    found = list(
        CommunicationRequest.where(
            struct={"patient": f"Patient/{patient.public_id}", "status": "active"}
        ).perform_resources_iter(smart.server)
    )
    # then it finds the reminder, due when the outbox will send it
    assert [r.id for r in found] == [str(message.public_id)]
    assert found[0].occurrenceDateTime.datetime == message.due_at
    assert found[0].payload[0].contentString == message.body

    # when the worker sends it and the client reads the timeline's message
    dispatch_due_messages()
    touchpoint = Touchpoint.objects.get(source_id=str(message.public_id))
    sent = Communication.read(str(touchpoint.public_id), smart.server)
    request = CommunicationRequest.read(str(message.public_id), smart.server)

    # then the message says what was sent and which request it fulfils
    assert sent.status == "completed"
    assert sent.basedOn[0].reference == f"CommunicationRequest/{message.public_id}"
    assert sent.payload[0].contentString == message.body
    assert request.status == "completed"
