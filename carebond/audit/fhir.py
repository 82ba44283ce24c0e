"""AuditEvent rows as FHIR R4 AuditEvent resources (for SIEMs and EHR audit repositories)."""

from __future__ import annotations

from typing import Any

from carebond.audit.models import AuditEvent, Outcome

_EVENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-type"
_DICOM_SYSTEM = "http://dicom.nema.org/resources/ontology/DCM"
_ACTION_CODES = {
    "created": "C",
    "read": "R",
    "search": "E",
    "export": "R",
    "updated": "U",
    "deleted": "D",
    "disabled": "U",
    "enabled": "U",
    "revoked": "U",
}
_OUTCOME_CODES = {Outcome.SUCCESS: "0", Outcome.FAILURE: "4", Outcome.DENIED: "4"}
IDENTIFIER_SYSTEM = "urn:carebond:audit-event"


def _action_code(action: str) -> str:
    return _ACTION_CODES.get(action.rsplit(".", 1)[-1], "E")


def _event_type(action: str) -> dict[str, str]:
    if action.startswith("auth."):
        return {"system": _DICOM_SYSTEM, "code": "110114", "display": "User Authentication"}
    return {"system": _EVENT_TYPE_SYSTEM, "code": "rest", "display": "RESTful Operation"}


def to_fhir(event: AuditEvent) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                    "code": "humanuser" if event.actor_id else "dataprocessor",
                }
            ]
        },
        "who": {"display": event.actor_label},
        "requestor": True,
    }
    if event.actor is not None:
        agent["who"]["identifier"] = {
            "system": "urn:carebond:user",
            "value": str(event.actor.public_id),
        }
    if event.client_ip:
        agent["network"] = {"address": event.client_ip, "type": "2"}
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(event.public_id),
        "type": _event_type(event.action),
        "subtype": [{"system": "urn:carebond:audit-action", "code": event.action}],
        "action": _action_code(event.action),
        "recorded": event.occurred_at.isoformat(),
        "outcome": _OUTCOME_CODES.get(Outcome(event.outcome), "4"),
        "agent": [agent],
        "source": {
            "observer": {"display": "CareBond"},
            "type": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
    }
    entities: list[dict[str, Any]] = []
    if event.target_type:
        entities.append(
            {
                "what": {
                    "identifier": {
                        "system": f"urn:carebond:{event.target_type}",
                        "value": event.target_id,
                    }
                },
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "2",
                    "display": "System Object",
                },
                "detail": [
                    {"type": "changed-fields", "valueString": ",".join(event.changed_fields)}
                ]
                if event.changed_fields
                else [],
            }
        )
    if event.patient_id:
        entities.append(
            {
                "what": {"reference": f"Patient/{event.patient_id}"},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "1",
                    "display": "Person",
                },
            }
        )
    if event.request_id:
        entities.append(
            {
                "what": {
                    "identifier": {"system": "urn:carebond:request-id", "value": event.request_id}
                },
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "4",
                    "display": "Other",
                },
            }
        )
    for entity in entities:
        if not entity.get("detail"):
            entity.pop("detail", None)
    if entities:
        resource["entity"] = entities
    return resource
