"""The accounting of access (HIPAA 164.528, HITECH): who read or changed one patient's record,
when, from which part of the product and why, told from the audit trail in plain words.

Only the trail is read: every read and write of a patient's data already lands there, naming
the patient. Reading the accounting is itself recorded, once per page shown or file written
(``accounting.read``, ``accounting.downloaded``); the patient's printed copy of their record
holds the accounting too and records its own single disclosure instead (``entries_for``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.db.models import QuerySet

from carebond.audit.models import AuditEvent, Outcome
from carebond.audit.recording import record_access
from carebond.audit.selectors import name_events
from carebond.core import clock
from carebond.core.errors import InvalidInput

if TYPE_CHECKING:
    from carebond.accounts.models import User

# HIPAA keeps the accounting (and the audit trail behind it) for six years.
SPAN_YEARS = 6
PAGE_SIZE = 50

# The parts of the product, by the first word of an action code.
PARTS: dict[str, str] = {
    "person": "Patient record",
    "people": "Patient record",
    "touchpoint": "Timeline",
    "touchpoints": "Timeline",
    "appointment": "Scheduling",
    "waitlist_entry": "Scheduling",
    "waitlist_offer": "Scheduling",
    "self_booking": "Online booking",
    "message": "Messaging",
    "messages": "Messaging",
    "conversation": "Messaging",
    "conversations": "Messaging",
    "secure_note": "Messaging",
    "campaign": "Messaging",
    "survey": "Surveys",
    "survey_response": "Surveys",
    "response": "Surveys",
    "invitation": "Surveys",
    "recovery": "Service recovery",
    "feedback_action": "Surveys",
    "comment": "Surveys",
    "billing": "Billing",
    "billingstatement": "Billing",
    "health": "Relationship health",
    "kpi": "Analytics",
    "analytics": "Analytics",
    "value_maps": "Value maps",
    "fhir": "FHIR interface",
    "interop": "FHIR import",
    "right_of_access": "Right of access",
    "accounting": "Right of access",
    "audit": "Audit trail",
}

# Action codes a sentence says better than their words do.
PHRASES: dict[str, str] = {
    "person.read": "Opened the patient's record",
    "person.panels_read": "Opened the notes, history and care team on the record",
    "person.timeline_read": "Read the timeline",
    "person.created": "Created the record",
    "person.updated": "Changed the record",
    "person.imported": "Created the record by import",
    "person.import_updated": "Changed the record by import",
    "person.merged": "Merged a duplicate record into this one",
    "person.merged_away": "Merged this record into another",
    "person.unmerged": "Undid a merge of this record",
    "person.contact_added": "Added a phone number or email",
    "person.relationship_added": "Added a family member or caregiver",
    "person.care_team_added": "Added a member of the care team",
    "person.previewed_in_template": "Previewed a message to the patient",
    "people.search": "Searched for patients",
    "touchpoint.created": "Added to the timeline",
    "appointment.read": "Opened an appointment",
    "appointment.booked": "Booked an appointment",
    "appointment.cancelled": "Cancelled an appointment",
    "appointment.rescheduled": "Moved an appointment",
    "appointment.confirmed": "Confirmed an appointment",
    "appointment.noshow": "Marked an appointment as missed",
    "message.queued": "Queued a message to the patient",
    "message.sent": "Sent a message to the patient",
    "message.received": "Received a message from the patient",
    "message.cancelled": "Cancelled a message to the patient",
    "conversation.viewed": "Read a conversation with the patient",
    "secure_note.opened": "The patient opened a secure message",
    "survey_response.read": "Read a survey answer",
    "fhir.export": "Exported every record over FHIR",
    "fhir.export.downloaded": "Downloaded a bulk FHIR export",
    "health.read": "Read the relationship health score",
    "right_of_access.fhir_disclosed": "Gave the patient a copy of their record (FHIR)",
    "right_of_access.pdf_disclosed": "Gave the patient a copy of their record (PDF)",
    "accounting.read": "Read this accounting of access",
    "accounting.downloaded": "Downloaded this accounting of access",
}

# Why, for the acts whose purpose the code itself records.
PURPOSES: dict[str, str] = {
    "right_of_access.fhir_disclosed": "At the patient's request (right of access)",
    "right_of_access.pdf_disclosed": "At the patient's request (right of access)",
    "accounting.read": "At the patient's request (accounting of access)",
    "accounting.downloaded": "At the patient's request (accounting of access)",
}

# The last word of a code, as a verb, for codes without a phrase.
VERBS: dict[str, str] = {
    "read": "Read",
    "search": "Searched",
    "listed": "Listed",
    "viewed": "Viewed",
    "opened": "Opened",
    "created": "Created",
    "added": "Added",
    "updated": "Changed",
    "changed": "Changed",
    "edited": "Changed",
    "deleted": "Deleted",
    "removed": "Removed",
    "imported": "Imported",
    "exported": "Exported",
    "downloaded": "Downloaded",
    "sent": "Sent",
    "cancelled": "Cancelled",
}


# The same words in Spanish, for the patient's printed copy of their record. A code without a
# Spanish phrase reads from its verb, then from its own words.
SPANISH: dict[str, dict[str, str]] = {
    "parts": {
        "Patient record": "Expediente del paciente",
        "Timeline": "Historial de contactos",
        "Scheduling": "Citas",
        "Online booking": "Citas en línea",
        "Messaging": "Mensajes",
        "Surveys": "Encuestas",
        "Service recovery": "Atención de quejas",
        "Billing": "Facturación",
        "Relationship health": "Seguimiento de la relación",
        "Analytics": "Estadísticas",
        "Value maps": "Mapas de valores",
        "FHIR interface": "Interfaz FHIR",
        "FHIR import": "Importación FHIR",
        "Right of access": "Derecho de acceso",
        "Audit trail": "Registro de auditoría",
        "Other": "Otra",
    },
    "phrases": {
        "person.read": "Abrió su expediente",
        "person.panels_read": "Abrió las notas, el historial y el equipo de atención",
        "person.timeline_read": "Leyó su historial de contactos",
        "person.created": "Creó su expediente",
        "person.updated": "Cambió su expediente",
        "person.imported": "Creó su expediente por importación",
        "person.import_updated": "Cambió su expediente por importación",
        "person.merged": "Unió un expediente duplicado con el suyo",
        "person.contact_added": "Añadió un teléfono o correo electrónico",
        "person.relationship_added": "Añadió un familiar o cuidador",
        "person.care_team_added": "Añadió un miembro del equipo de atención",
        "people.search": "Buscó pacientes",
        "touchpoint.created": "Añadió un contacto a su historial",
        "appointment.read": "Abrió una cita",
        "appointment.booked": "Reservó una cita",
        "appointment.cancelled": "Canceló una cita",
        "appointment.rescheduled": "Cambió una cita de hora",
        "appointment.confirmed": "Confirmó una cita",
        "appointment.noshow": "Marcó una cita como no atendida",
        "message.queued": "Preparó un mensaje para usted",
        "message.sent": "Le envió un mensaje",
        "message.received": "Recibió un mensaje suyo",
        "message.cancelled": "Canceló un mensaje para usted",
        "conversation.viewed": "Leyó una conversación con usted",
        "secure_note.opened": "Usted abrió un mensaje seguro",
        "survey_response.read": "Leyó una respuesta a una encuesta",
        "health.read": "Leyó el seguimiento de la relación",
        "right_of_access.fhir_disclosed": "Le dio una copia de su expediente (FHIR)",
        "right_of_access.pdf_disclosed": "Le dio una copia de su expediente (PDF)",
        "accounting.read": "Leyó este registro de accesos",
        "accounting.downloaded": "Descargó este registro de accesos",
    },
    "purposes": {
        "At the patient's request (right of access)": "A petición suya (derecho de acceso)",
        "At the patient's request (accounting of access)": (
            "A petición suya (registro de accesos)"
        ),
        "Refused": "Denegado",
    },
    "verbs": {
        "read": "Leyó",
        "search": "Buscó",
        "listed": "Listó",
        "viewed": "Vio",
        "opened": "Abrió",
        "created": "Creó",
        "added": "Añadió",
        "updated": "Cambió",
        "changed": "Cambió",
        "edited": "Cambió",
        "deleted": "Borró",
        "removed": "Quitó",
        "imported": "Importó",
        "exported": "Exportó",
        "downloaded": "Descargó",
        "sent": "Envió",
        "cancelled": "Canceló",
    },
}


def part_of(code: str, language: str = "en") -> str:
    part = PARTS.get(code.split(".", 1)[0], "Other")
    return SPANISH["parts"].get(part, part) if language == "es" else part


def phrase_of(code: str, language: str = "en") -> str:
    """Plain words for an action code: its phrase, else its verb and object ("fhir.consent.read"
    -> "Read consent (FHIR)"), else the code's own words. ``language``: "en" or "es"."""
    phrases, verbs = (
        (SPANISH["phrases"], SPANISH["verbs"]) if language == "es" else (PHRASES, VERBS)
    )
    if code in phrases:
        return phrases[code]
    words = code.split(".")
    if code.startswith("fhir.") and len(words) == 3 and words[2] in verbs:
        return f"{verbs[words[2]]} {words[1]} (FHIR)"
    if len(words) >= 2 and words[-1] in verbs:
        thing = " ".join(words[:-1]).replace("_", " ")
        return f"{verbs[words[-1]]} {thing}"
    return code.replace(".", ": ").replace("_", " ").capitalize()


def purpose_of(code: str, outcome: str, language: str = "en") -> str:
    """Why, where the code records it, and whether it was refused."""
    why = PURPOSES.get(code, "")
    if outcome != Outcome.SUCCESS:
        why = f"{why}; refused" if why else "Refused"
    if language == "es":
        return "; ".join(SPANISH["purposes"].get(part, part) for part in why.split("; ") if part)
    return why


@dataclass(frozen=True)
class Period:
    """From ``since`` to ``until``, whole days in UTC, both included."""

    since: date
    until: date


def default_period() -> Period:
    today = clock.now().astimezone(UTC).date()
    try:
        since = today.replace(year=today.year - SPAN_YEARS)
    except ValueError:  # 29 February
        since = today.replace(year=today.year - SPAN_YEARS, day=28)
    return Period(since, today)


def check_period(since: date | None, until: date | None) -> Period:
    """The period asked for, each end defaulting to the last six years'."""
    default = default_period()
    period = Period(since or default.since, until or default.until)
    if period.since > period.until:
        raise InvalidInput("“To” must be on or after “From”.", field="until")
    return period


@dataclass(frozen=True)
class AccessEntry:
    """One line of the accounting."""

    at: datetime
    who: str
    what: str
    part: str
    why: str
    action: str
    outcome: str


def _events(organization_id: int, patient_ids: list[str], period: Period) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            organization_id=organization_id,
            patient_id__in=patient_ids,
            occurred_at__gte=datetime.combine(period.since, time.min, UTC),
            occurred_at__lte=datetime.combine(period.until, time.max, UTC),
        )
        .select_related("actor")
        .order_by("-id")
    )


def _entries(
    events: list[AuditEvent], organization_id: int, language: str = "en"
) -> list[AccessEntry]:
    entries = []
    for named in name_events(events, organization_id=organization_id):
        event = named.event
        entries.append(
            AccessEntry(
                at=event.occurred_at,
                who=named.actor,
                what=phrase_of(event.action, language),
                part=part_of(event.action, language),
                why=purpose_of(event.action, event.outcome, language),
                action=event.action,
                outcome=event.outcome,
            )
        )
    return entries


@dataclass(frozen=True)
class AccountingPage:
    entries: list[AccessEntry]
    number: int
    pages: int
    total: int
    period: Period


def get_accounting_page(
    *,
    user: User,
    patient_public_id: str,
    merged_ids: list[str],
    period: Period,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AccountingPage:
    """One page of the accounting, newest first, including the records merged into this one.
    Audited: accounting.read (about the patient, so it shows in the accounting itself)."""
    record_access(actor=user, target=None, patient=patient_public_id, action="accounting.read")
    events = _events(user.organization_id, [patient_public_id, *merged_ids], period)
    shown = Paginator(events, page_size).get_page(page)
    return AccountingPage(
        entries=_entries(list(shown.object_list), user.organization_id),
        number=shown.number,
        pages=shown.paginator.num_pages,
        total=shown.paginator.count,
        period=period,
    )


def iter_accounting(
    *, user: User, patient_public_id: str, merged_ids: list[str], period: Period
) -> Iterator[AccessEntry]:
    """Every line of the period (the CSV file). Audited once: accounting.downloaded."""
    record_access(
        actor=user, target=None, patient=patient_public_id, action="accounting.downloaded"
    )
    return entries_for(user=user, patient_ids=[patient_public_id, *merged_ids], period=period)


def entries_for(
    *, user: User, patient_ids: list[str], period: Period, language: str = "en"
) -> Iterator[AccessEntry]:
    """Every line of the period, in chunks, without recording a read: for a caller that records
    its own (the patient's printed record, in their language)."""
    events = _events(user.organization_id, patient_ids, period)
    chunk: list[AuditEvent] = []
    for event in events.iterator(chunk_size=500):
        chunk.append(event)
        if len(chunk) == 500:
            yield from _entries(chunk, user.organization_id, language)
            chunk = []
    yield from _entries(chunk, user.organization_id, language)
