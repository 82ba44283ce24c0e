"""Messages at /fhir/R4: the outbox as CommunicationRequest, sent and received messages as
Communication with their words, status and the request they fulfil; valid R4, searchable,
audited, in the bulk export, and never another organisation's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.permissions import Role
from carebond.interop.exporting.export import iter_export_resources
from carebond.interop.tests.conftest import validate_fhir
from carebond.messaging.actions import cancel_queued_messages
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.fhir import MESSAGE_PURPOSE_SYSTEM
from carebond.messaging.inbound_actions import do_receive_text, do_record_delivery
from carebond.messaging.models import Message, Sender
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.messaging.tests.test_outbox import reminder
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4/"


@pytest.fixture
def clinician(users_a: dict[str, User], fhir_for: Callable[[User], Client]) -> Client:
    return fhir_for(users_a[Role.CLINICIAN])


def _get(client: Client, path: str) -> dict[str, Any]:
    response = client.get(BASE + path)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def _touchpoint_of(message: Message) -> Touchpoint:
    return Touchpoint.objects.get(source_type="messaging.message", source_id=str(message.public_id))


def _sent_and_reported(patient: Person, status: str, *, error_code: str = "") -> Message:
    """A reminder the worker sent, and the carrier's delivery report on it."""
    message = reminder(patient)
    dispatch_due_messages()
    message.refresh_from_db()
    do_record_delivery(
        message.organization_id,
        provider_id=message.provider_id,
        status=status,
        error_code=error_code,
    )
    message.refresh_from_db()
    return message


def test_a_queued_reminder_is_an_active_request_due_at_its_time(
    clinician: Client, patient: Person, afternoon: object
) -> None:
    # given a reminder waiting in the outbox
    message = reminder(patient)
    # when an EHR reads it
    resource = _get(clinician, f"CommunicationRequest/{message.public_id}")
    # then it is a valid request, active, for the patient, due when the outbox will send it
    validate_fhir(resource)
    assert resource["status"] == "active"
    assert resource["subject"] == {"reference": f"Patient/{patient.public_id}"}
    assert resource["occurrenceDateTime"] == message.due_at.isoformat()
    assert resource["category"][0]["coding"][0] == {
        "system": MESSAGE_PURPOSE_SYSTEM,
        "code": "appointment",
        "display": "Appointment",
    }
    assert resource["payload"] == [{"contentString": message.body}]
    assert resource["medium"][0]["coding"][0]["code"] == "WRITTEN"
    # and the read is audited with the patient named
    read = AuditEvent.objects.get(action="fhir.communicationrequest.read")
    assert read.patient_id == str(patient.public_id)


def test_requests_are_searched_by_patient_status_and_day(
    clinician: Client, patient: Person, afternoon: object
) -> None:
    # given one reminder waiting and one cancelled (its visit was rebooked)
    waiting = reminder(patient, "appt-1:72h")
    cancelled = reminder(patient, "appt-2:72h")
    cancel_queued_messages(Message.objects.filter(pk=cancelled.pk), reason="Visit rebooked")
    today = clock.now().date()

    def ids(query: str) -> set[str]:
        bundle = _get(clinician, f"CommunicationRequest?{query}")
        validate_fhir(bundle)
        return {r["id"] for r in _resources(bundle)}

    # then each search finds exactly what it names
    assert ids(f"patient=Patient/{patient.public_id}") == {
        str(waiting.public_id),
        str(cancelled.public_id),
    }
    assert ids("status=active") == {str(waiting.public_id)}
    assert ids("status=revoked") == {str(cancelled.public_id)}
    assert ids(f"occurrence=ge{today.isoformat()}&status=active") == {str(waiting.public_id)}
    assert ids(f"occurrence=lt{today.isoformat()}") == set()
    revoked = _get(clinician, f"CommunicationRequest/{cancelled.public_id}")
    assert revoked["statusReason"]["text"]
    # and a status FHIR does not have is a precise 400, naming the parameter
    response = clinician.get(BASE + "CommunicationRequest?status=sent")
    assert response.status_code == 400
    assert "status" in response.json()["issue"][0]["diagnostics"]


def test_a_sent_reminder_is_a_communication_with_its_words_fulfilling_the_request(
    clinician: Client, patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    # given a reminder the worker sent and the carrier delivered
    message = _sent_and_reported(patient, "delivered")
    touchpoint = _touchpoint_of(message)
    # when an EHR reads the timeline's message
    resource = _get(clinician, f"Communication/{touchpoint.public_id}")
    # then it carries what was sent, when, and the request it completes
    validate_fhir(resource)
    assert resource["status"] == "completed"
    assert resource["basedOn"] == [{"reference": f"CommunicationRequest/{message.public_id}"}]
    assert resource["payload"] == [{"contentString": message.body}]
    assert message.sent_at is not None
    assert message.delivered_at is not None
    assert resource["sent"] == message.sent_at.isoformat()
    assert resource["received"] == message.delivered_at.isoformat()
    assert resource["recipient"] == [{"reference": f"Patient/{patient.public_id}"}]
    assert resource["sender"] == {"display": patient.organization.name}
    assert {"system": "urn:carebond:provider-message-id", "value": message.provider_id} in (
        resource["identifier"]
    )
    codes = [c["coding"][0]["code"] for c in resource["category"]]
    assert codes == ["message", "appointment"]
    # and the request itself is completed
    request = _get(clinician, f"CommunicationRequest/{message.public_id}")
    assert request["status"] == "completed"


def test_an_undelivered_text_is_not_done_with_the_carriers_reason(
    clinician: Client, patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = _sent_and_reported(patient, "undelivered", error_code="30003")
    resource = _get(clinician, f"Communication/{_touchpoint_of(message).public_id}")
    validate_fhir(resource)
    assert resource["status"] == "not-done"
    assert "30003" in resource["statusReason"]["text"]


def test_a_text_received_is_a_communication_from_the_patient(
    clinician: Client, patient: Person, senders: dict[str, Sender], afternoon: object
) -> None:
    # given a text the patient sent
    message = do_receive_text(
        senders["care"],
        from_number=PATIENT_PHONE,
        body="Can I come at 4 instead?",
        provider_id="SM-in-1",
    )
    # when an EHR searches the patient's communications
    bundle = _get(clinician, f"Communication?patient=Patient/{patient.public_id}")
    validate_fhir(bundle)
    (resource,) = _resources(bundle)
    # then it is the patient's message, received by the clinic, in their words, on no request
    assert resource["sender"] == {"reference": f"Patient/{patient.public_id}"}
    assert resource["recipient"] == [{"display": patient.organization.name}]
    assert resource["payload"] == [{"contentString": "Can I come at 4 instead?"}]
    assert resource["received"] == message.created_at.isoformat()
    assert "basedOn" not in resource
    # and the outbox has no request for a message it did not send
    assert _resources(_get(clinician, "CommunicationRequest")) == []


def test_a_page_of_messages_costs_the_same_queries_as_one(
    clinician: Client,
    patient: Person,
    sms_provider: SmsProvider,
    afternoon: Any,
    django_assert_max_num_queries: Any,
) -> None:
    # given three reminders sent, a day apart (the exempt cap allows one a day)
    for day in range(3):
        reminder(patient, f"appt-{day}:72h")
        dispatch_due_messages()
        afternoon.shift(timedelta(days=1))
    assert Touchpoint.objects.filter(source_type="messaging.message").count() == 3
    # then one search reads the messages behind the page in one query, not one per message
    with django_assert_max_num_queries(12) as first:
        one = _get(clinician, "Communication?_count=1")
    with django_assert_max_num_queries(len(first.captured_queries)):
        three = _get(clinician, "Communication?_count=3")
    assert len(_resources(one)) == 1
    assert all("payload" in r and "basedOn" in r for r in _resources(three))


def test_the_bulk_export_holds_the_requests_and_the_enriched_messages(
    patient: Person, sms_provider: SmsProvider, afternoon: object
) -> None:
    message = reminder(patient)
    dispatch_due_messages()
    message.refresh_from_db()
    requests = list(iter_export_resources(patient.organization_id, "CommunicationRequest"))
    communications = list(iter_export_resources(patient.organization_id, "Communication"))
    assert [r["id"] for r in requests] == [str(message.public_id)]
    (sent,) = communications
    assert sent["basedOn"] == [{"reference": f"CommunicationRequest/{message.public_id}"}]
    for resource in (*requests, *communications):
        validate_fhir(resource)


def test_another_organisation_never_sees_the_request(
    patient: Person,
    afternoon: object,
    users_b: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    message = reminder(patient)
    outsider = api_for(users_b[Role.CLINICIAN])
    assert outsider.get(BASE + f"CommunicationRequest/{message.public_id}").status_code == 404
    bundle = outsider.get(BASE + "CommunicationRequest").json()
    assert bundle["total"] == 0
