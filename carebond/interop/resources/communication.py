"""Communication: a message or call on a person's timeline. Inbound, the person sent it to us;
outbound, we sent it to them. The summary (free text, PHI) is the payload, unless the app that
wrote the touchpoint knows more (a sent message: its words, status and request; see
``core.registry.TouchpointDetails``)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource, compact, concept, meta, new_resource
from carebond.core.fhir.parsing import (
    MappingError,
    as_list,
    as_object,
    business_identifiers,
    first_coding,
    parse_datetime,
    reference,
    text,
)
from carebond.core.fhir.search import ID_PARAM
from carebond.core.fhir.systems import TOUCHPOINT_KIND_SYSTEM, V3_PARTICIPATION_MODE
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.registry import touchpoint_details
from carebond.interop.resources.records import TouchpointRecord
from carebond.interop.resources.timeline import touchpoint_rows
from carebond.people.fhir import patient_params, person_if_patient, person_reference
from carebond.people.models import PersonKind
from carebond.touchpoints.models import Touchpoint, TouchpointChannel, TouchpointKind

COMMUNICATION_KINDS = (TouchpointKind.MESSAGE, TouchpointKind.CALL)
_COMMUNICATION_CHANNEL = {
    "phone": (TouchpointKind.CALL, TouchpointChannel.PHONE),
    "sms": (TouchpointKind.MESSAGE, TouchpointChannel.SMS),
    "email": (TouchpointKind.MESSAGE, TouchpointChannel.EMAIL),
    "mail": (TouchpointKind.MESSAGE, TouchpointChannel.POST),
    "portal": (TouchpointKind.MESSAGE, TouchpointChannel.PORTAL),
    "video": (TouchpointKind.MESSAGE, TouchpointChannel.VIDEO),
}
_MEDIUM = {
    TouchpointChannel.IN_PERSON: ("FACE", "face-to-face"),
    TouchpointChannel.PHONE: ("PHONE", "telephone"),
    TouchpointChannel.SMS: ("WRITTEN", "written"),
    TouchpointChannel.EMAIL: ("EMAILWRIT", "email"),
    TouchpointChannel.PORTAL: ("ONLINEWRIT", "online written"),
    TouchpointChannel.WEB: ("ONLINEWRIT", "online written"),
    TouchpointChannel.VIDEO: ("VIDEOCONF", "videoconferencing"),
    TouchpointChannel.POST: ("MAILWRIT", "mail"),
}


def map_communication(resource: dict[str, Any]) -> TouchpointRecord:
    path = "Communication"
    patient = reference(resource.get("subject"), f"{path}.subject", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.subject", "a message needs the patient (Communication.subject)")
    when = resource.get("sent") or resource.get("received")
    if not when:
        raise MappingError(f"{path}.sent", "a message needs the time it was sent or received")
    occurred = parse_datetime(when, f"{path}.{'sent' if resource.get('sent') else 'received'}")
    medium = ""
    for n, found in enumerate(as_list(resource.get("medium"), f"{path}.medium")):
        medium = first_coding(found, f"{path}.medium[{n}]")["code"].lower()
        break
    kind, channel = _COMMUNICATION_CHANNEL.get(
        {
            "PHONE": "phone",
            "SMSWRIT": "sms",
            "EMAILWRIT": "email",
            "MAILWRIT": "mail",
            "VIDEOCONF": "video",
        }.get(medium.upper(), medium),
        (TouchpointKind.MESSAGE, TouchpointChannel.PORTAL),
    )
    sender = reference(resource.get("sender"), f"{path}.sender")
    outbound = sender is not None and sender.target_type in {
        "Practitioner",
        "Organization",
        "PractitionerRole",
    }
    texts = []
    for n, payload in enumerate(as_list(resource.get("payload"), f"{path}.payload")):
        item = as_object(payload, f"{path}.payload[{n}]")
        if item.get("contentString"):
            texts.append(text(item["contentString"], f"{path}.payload[{n}].contentString"))
        attachment = as_object(
            item.get("contentAttachment"), f"{path}.payload[{n}].contentAttachment"
        )
        if attachment.get("title"):
            texts.append(text(attachment["title"], f"{path}.payload[{n}].contentAttachment.title"))
        elif attachment.get("data") and str(attachment.get("contentType", "")).startswith("text/"):
            try:
                texts.append(base64.b64decode(attachment["data"]).decode("utf-8", "replace")[:2000])
            except (ValueError, TypeError) as error:
                raise MappingError(
                    f"{path}.payload[{n}].contentAttachment.data", "is not base64"
                ) from error
    categories = [
        first_coding(c, f"{path}.category[{n}]")
        for n, c in enumerate(as_list(resource.get("category"), f"{path}.category"))
    ]
    details: dict[str, Any] = {"status": text(resource.get("status"), f"{path}.status")}
    if categories:
        details["category"] = categories
    if medium:
        details["medium"] = medium
    return TouchpointRecord(
        patient=patient,
        kind=kind,
        channel=channel,
        direction="outbound" if outbound else "inbound",
        occurred_at=occurred,
        moment_of_truth="communications",
        staff=sender if outbound and sender and sender.target_type == "Practitioner" else None,
        location=None,
        outcome=(categories[0]["display"] if categories else "")[:200],
        summary="\n".join(t for t in texts if t),
        details=details,
        identifiers=business_identifiers(resource, path),
    )


def communication_to_fhir(touchpoint: Touchpoint) -> FhirResource:
    """A message or call. Inbound: the person sent it to us; outbound: we sent it to them.
    The summary (free text, PHI) is the payload."""
    person_ref = person_reference(touchpoint.person)
    staff_ref = person_reference(touchpoint.staff)
    inbound = touchpoint.direction == "inbound"
    medium = _MEDIUM.get(TouchpointChannel(touchpoint.channel)) if touchpoint.channel else None
    resource = new_resource(
        "Communication",
        touchpoint.public_id,
        meta(origin_system=touchpoint.origin_system, last_updated=touchpoint.recorded_at),
    )
    resource.update(
        {
            "status": "completed",
            "category": [
                concept(TOUCHPOINT_KIND_SYSTEM, touchpoint.kind, touchpoint.get_kind_display())
            ],
            "medium": [concept(V3_PARTICIPATION_MODE, *medium)] if medium else [],
            "subject": person_ref if touchpoint.person.kind == PersonKind.PATIENT else None,
            "sent": touchpoint.occurred_at.isoformat(),
            "recipient": [r for r in [staff_ref if inbound else person_ref] if r],
            "sender": person_ref if inbound else staff_ref,
            "payload": [{"contentString": touchpoint.summary}] if touchpoint.summary else [],
        }
    )
    return compact(resource)


def communications_to_fhir(touchpoints: list[Touchpoint]) -> list[FhirResource]:
    """A batch of messages and calls, each with what the app that wrote it adds (a sent text's
    words, delivery status and the request it fulfils): one query per app, not per row."""
    added: dict[int, Mapping[str, Any]] = {}
    for source_type in sorted({t.source_type for t in touchpoints if t.source_type}):
        details = touchpoint_details(source_type)
        if details is not None:
            added.update(
                details.fhir_elements([t for t in touchpoints if t.source_type == source_type])
            )
    resources = []
    for touchpoint in touchpoints:
        resource = communication_to_fhir(touchpoint)
        resource.update(added.get(touchpoint.pk, {}))
        resources.append(compact(resource))
    return resources


def communication_rows(organization_id: int) -> QuerySet[Touchpoint]:
    return touchpoint_rows(organization_id, COMMUNICATION_KINDS)


FHIR_TYPES = (
    FhirTypeModule(
        "Communication",
        read=map_communication,
        sources=(
            FhirRows(
                communication_rows,
                communication_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=person_if_patient,
                to_fhir_many=communications_to_fhir,
            ),
        ),
        documentation="Messages and calls from the timeline.",
        export_rank=70,
    ),
)
