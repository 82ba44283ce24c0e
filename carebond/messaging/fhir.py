"""Messages in FHIR R4. Every message CareBond sends is first a request to send it (a row in the
outbox): served as ``CommunicationRequest``, scheduled for its due time, active until a worker
sends it. A message sent or received is a touchpoint on the person's timeline, which interop
serves as ``Communication``; this module adds what the message row knows to it (its words,
delivery status, purpose and the request it fulfils), a batch at a time.

Read and searched at /fhir/R4 and exported like every type; not imported (a message another
system meant to send is not ours to send).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Q, QuerySet

from carebond.core.fhir.building import FhirResource, compact, concept, instant, meta, new_resource
from carebond.core.fhir.search import ID_PARAM, InvalidSearch, date_filter, param
from carebond.core.fhir.systems import TOUCHPOINT_KIND_SYSTEM, V3_PARTICIPATION_MODE
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.messaging.models import Direction, Message, MessageChannel, MessageStatus
from carebond.people.fhir import patient_params, person_if_patient, person_reference
from carebond.people.models import PersonStatus

# CareBond's own code system for why a message is sent (appointment, care, survey...).
MESSAGE_PURPOSE_SYSTEM = "urn:carebond:message-purpose"
# The provider's id for a sent text, or the email's Message-ID: what the other side calls it.
PROVIDER_MESSAGE_SYSTEM = "urn:carebond:provider-message-id"
EMAIL_MESSAGE_ID_SYSTEM = "urn:ietf:rfc:5322:message-id"

_MEDIUM = {
    MessageChannel.SMS: ("WRITTEN", "written"),
    MessageChannel.EMAIL: ("EMAILWRIT", "email"),
}

# FHIR CommunicationRequest.status (request-status) for each state of the outbox.
REQUEST_STATUS = {
    MessageStatus.QUEUED: "active",
    MessageStatus.SENDING: "active",
    MessageStatus.SENT: "completed",
    MessageStatus.DELIVERED: "completed",
    MessageStatus.FAILED: "revoked",
    MessageStatus.UNCERTAIN: "unknown",
    MessageStatus.BLOCKED: "revoked",
    MessageStatus.CANCELLED: "revoked",
}

# FHIR Communication.status (event-status) once a message has gone or come.
_EVENT_STATUS = {
    MessageStatus.SENT: "completed",
    MessageStatus.DELIVERED: "completed",
    MessageStatus.RECEIVED: "completed",
    MessageStatus.FAILED: "not-done",  # the carrier reported it undelivered after sending
}


def _purpose(message: Message) -> list[dict[str, Any]]:
    if not message.purpose:
        return []
    return [concept(MESSAGE_PURPOSE_SYSTEM, message.purpose, message.get_purpose_display())]


def _medium(message: Message) -> list[dict[str, Any]]:
    return [concept(V3_PARTICIPATION_MODE, *_MEDIUM[MessageChannel(message.channel)])]


def _payload(message: Message) -> list[dict[str, Any]]:
    return [{"contentString": message.body}] if message.body else []


def _identifiers(message: Message) -> list[dict[str, str]]:
    found = []
    if message.provider_id:
        found.append({"system": PROVIDER_MESSAGE_SYSTEM, "value": message.provider_id})
    if message.message_id_header:
        found.append({"system": EMAIL_MESSAGE_ID_SYSTEM, "value": message.message_id_header})
    return found


def _ours(message: Message) -> dict[str, str]:
    """The organisation's side of a message: named, not a resource of the facade."""
    return {"display": message.organization.name}


def _reason(message: Message) -> dict[str, str] | None:
    why = " ".join(p for p in (message.status_reason, message.error_code) if p)
    return {"text": why[:300]} if why else None


# --- CommunicationRequest: the outbox ---------------------------------------------------------


def communication_request_to_fhir(message: Message) -> FhirResource:
    """A message CareBond was asked to send: when, to whom, why, and what became of it."""
    changed = [message.created_at, message.handed_over_at, message.sent_at, message.delivered_at]
    resource = new_resource(
        "CommunicationRequest",
        message.public_id,
        meta(origin_system="", last_updated=max(t for t in changed if t is not None)),
    )
    patient = person_if_patient(message)
    resource.update(
        {
            "identifier": [
                {"system": "urn:carebond:idempotency-key", "value": message.idempotency_key}
            ],
            "status": REQUEST_STATUS.get(MessageStatus(message.status), "unknown"),
            "statusReason": _reason(message)
            if message.status
            in (MessageStatus.FAILED, MessageStatus.BLOCKED, MessageStatus.CANCELLED)
            else None,
            "category": _purpose(message),
            "priority": "urgent" if message.urgent else "routine",
            "medium": _medium(message),
            "subject": person_reference(patient),
            "recipient": [r for r in [person_reference(message.person)] if r],
            "sender": _ours(message),
            "payload": _payload(message),
            "occurrenceDateTime": instant(message.due_at),
            "authoredOn": instant(message.created_at),
        }
    )
    return compact(resource)


def communication_request_rows(organization_id: int) -> QuerySet[Message]:
    """Every message the organisation sent or meant to send (not those it received)."""
    return (
        Message.objects.filter(organization_id=organization_id, direction=Direction.OUTBOUND)
        .exclude(person__status=PersonStatus.MERGED)
        .select_related("organization", "person__referral_profile")
        .order_by("pk")
    )


def _by_status(organization_id: int, modifier: str, values: list[str]) -> Q:
    known = set(REQUEST_STATUS.values())
    wanted = {v.strip() for v in values if v.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise InvalidSearch(
            f"'status' takes one of {', '.join(sorted(known))}; {unknown[0][:40]!r} is not one.",
            field="status",
        )
    statuses = [s for s, fhir in REQUEST_STATUS.items() if fhir in wanted]
    return Q(status__in=statuses)


STATUS_PARAM = param(
    "status", "token", "active (waiting to be sent), completed, revoked or unknown.", _by_status
)
OCCURRENCE_PARAM = param(
    "occurrence",
    "date",
    "The day it is due (UTC), e.g. ge2026-12-01.",
    date_filter("due_at__date", "occurrence"),
)


# --- Communication: what the outbox adds to a message's touchpoint -----------------------------


def communication_elements(touchpoints: list[Any]) -> Mapping[int, Mapping[str, Any]]:
    """For each touchpoint a message wrote, the Communication's elements that the message
    knows better than the timeline: its words, status, purpose and request. One query."""
    by_id = {str(t.source_id): t.pk for t in touchpoints}
    messages = Message.objects.filter(public_id__in=list(by_id)).select_related("organization")
    found: dict[int, Mapping[str, Any]] = {}
    for message in messages:
        inbound = message.direction == Direction.INBOUND
        found[by_id[str(message.public_id)]] = compact(
            {
                "identifier": _identifiers(message),
                "basedOn": None
                if inbound
                else [{"reference": f"CommunicationRequest/{message.public_id}"}],
                "status": _EVENT_STATUS.get(MessageStatus(message.status), "unknown"),
                "statusReason": _reason(message)
                if message.status == MessageStatus.FAILED
                else None,
                # the timeline's kind first (the importer reads it back), then why it was sent
                "category": [
                    concept(TOUCHPOINT_KIND_SYSTEM, "message", "Message"),
                    *_purpose(message),
                ],
                "medium": _medium(message),
                "topic": {"text": message.subject} if message.subject else None,
                "sent": instant(message.sent_at or message.created_at),
                "received": instant(message.delivered_at if not inbound else message.created_at),
                # the person's side is the timeline's (sender when inbound, recipient when outbound)
                "sender": None if inbound else _ours(message),
                "recipient": [_ours(message)] if inbound else None,
                "payload": _payload(message),
            }
        )
    return found


FHIR_TYPES = (
    FhirTypeModule(
        "CommunicationRequest",
        sources=(
            FhirRows(
                communication_request_rows,
                communication_request_to_fhir,
                params=(ID_PARAM, *patient_params("person"), STATUS_PARAM, OCCURRENCE_PARAM),
                patient_of=person_if_patient,
            ),
        ),
        documentation="Messages CareBond sends or is due to send (the outbox).",
        export_rank=65,
    ),
)
