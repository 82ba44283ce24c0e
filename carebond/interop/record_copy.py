"""The patient's printed copy of their record: the same resources as their FHIR copy, told as
dated lines under plain headings, in English or Spanish (the patient reads it), followed by the
accounting of access. What a resource says is shown as it was recorded (names, codes' words,
message text); the headings, labels and the accounting's columns are translated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from carebond.core.errors import InvalidInput
from carebond.core.fhir.building import FhirResource

# The languages of the printed copy, each named in itself.
LANGUAGES = {"en": "English", "es": "Español"}

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Your health record",
        "intro": "A copy of everything {organization} keeps about you, made on {made} at your "
        "request (your right of access). The same record is available as a FHIR file.",
        "about_you": "About you",
        "name": "Name",
        "birth_date": "Date of birth",
        "identifiers": "Record numbers",
        "contacts": "Phone and email",
        "addresses": "Addresses",
        "language": "Preferred language",
        "date": "Date",
        "what": "What",
        "status": "Status",
        "nothing": "Nothing recorded.",
        "sections": {
            "RelatedPerson": "Family and caregivers",
            "Appointment": "Appointments",
            "Encounter": "Visits",
            "Communication": "Messages and calls",
            "CommunicationRequest": "Messages sent or due to be sent",
            "Condition": "Problems",
            "AllergyIntolerance": "Allergies",
            "MedicationStatement": "Medications",
            "Immunization": "Immunizations",
            "QuestionnaireResponse": "Survey and questionnaire answers",
            "Consent": "Your contact choices",
            "Practitioner": "Who cared for you",
            "Location": "Places",
            "Organization": "Organisations",
        },
        "other": "Other records",
        "accounting": "Who accessed your record",
        "accounting_intro": "Every time someone at {organization} read or changed your record "
        "from {since} to {until}, newest first (times in UTC).",
        "when": "When",
        "who": "Who",
        "where": "Part of the system",
        "why": "Why",
        "no_access": "No one accessed your record in this period.",
        "page": "Page",
        "of": "of",
    },
    "es": {
        "title": "Su expediente de salud",
        "intro": "Una copia de todo lo que {organization} guarda sobre usted, preparada el "
        "{made} a petición suya (su derecho de acceso). El mismo expediente está disponible "
        "como archivo FHIR.",
        "about_you": "Sus datos",
        "name": "Nombre",
        "birth_date": "Fecha de nacimiento",
        "identifiers": "Números de expediente",
        "contacts": "Teléfono y correo electrónico",
        "addresses": "Direcciones",
        "language": "Idioma preferido",
        "date": "Fecha",
        "what": "Qué",
        "status": "Estado",
        "nothing": "No hay nada registrado.",
        "sections": {
            "RelatedPerson": "Familia y cuidadores",
            "Appointment": "Citas",
            "Encounter": "Visitas",
            "Communication": "Mensajes y llamadas",
            "CommunicationRequest": "Mensajes enviados o por enviar",
            "Condition": "Problemas de salud",
            "AllergyIntolerance": "Alergias",
            "MedicationStatement": "Medicamentos",
            "Immunization": "Vacunas",
            "QuestionnaireResponse": "Respuestas a encuestas y cuestionarios",
            "Consent": "Sus preferencias de contacto",
            "Practitioner": "Quién le atendió",
            "Location": "Lugares",
            "Organization": "Organizaciones",
        },
        "other": "Otros registros",
        "accounting": "Quién ha consultado su expediente",
        "accounting_intro": "Cada vez que alguien de {organization} leyó o cambió su "
        "expediente entre el {since} y el {until}, del más reciente al más antiguo (horas en "
        "UTC).",
        "when": "Cuándo",
        "who": "Quién",
        "where": "Parte del sistema",
        "why": "Por qué",
        "no_access": "Nadie consultó su expediente en este periodo.",
        "page": "Página",
        "of": "de",
    },
}


def check_language(value: str | None, preferred: str) -> str:
    """The language asked for, else the patient's own (Spanish for any ``es`` tag)."""
    if value:
        if value not in LANGUAGES:
            raise InvalidInput(
                f"The language of the copy is one of {', '.join(LANGUAGES)}.", field="language"
            )
        return value
    return "es" if preferred.lower().startswith("es") else "en"


# Where each type keeps its date, and the words that say what it is, in order of preference.
_DATES = (
    "start",
    "period.start",
    "sent",
    "received",
    "occurrenceDateTime",
    "authoredOn",
    "authored",
    "dateTime",
    "onsetDateTime",
    "recordedDate",
    "effectiveDateTime",
    "effectivePeriod.start",
)
_WORDS = (
    "code",
    "vaccineCode",
    "medicationCodeableConcept",
    "serviceType",
    "appointmentType",
    "type",
    "class",
    "category",
    "relationship",
    "provision.purpose",
)


def _at(resource: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(resource, list):
            resource = resource[0] if resource else None
        if not isinstance(resource, dict):
            return None
        resource = resource.get(part)
    return resource


def _concept(value: Any) -> str:
    """The words of a CodeableConcept, Coding, or a list of either."""
    if isinstance(value, list):
        return ", ".join(filter(None, (_concept(item) for item in value)))
    if not isinstance(value, dict):
        return ""
    if value.get("text"):
        return str(value["text"])
    if value.get("display"):
        return str(value["display"])
    codings = value.get("coding") or []
    return ", ".join(str(c.get("display") or c.get("code") or "") for c in codings if c)


def _name(resource: FhirResource) -> str:
    names = resource.get("name")
    if isinstance(names, str):
        return names
    for name in names or []:
        text = name.get("text") or " ".join(
            [*name.get("prefix", []), *name.get("given", []), name.get("family", "")]
        )
        if text.strip():
            return text.strip()
    return ""


def _answers(items: Iterable[dict[str, Any]]) -> list[str]:
    lines = []
    for item in items:
        answers = []
        for answer in item.get("answer", []):
            for key, value in answer.items():
                if key.startswith("value"):
                    answers.append(_concept(value) if isinstance(value, dict) else str(value))
            lines += _answers(answer.get("item", []))
        if answers:
            lines.append(f"{item.get('text') or item.get('linkId')}: {', '.join(answers)}")
        lines += _answers(item.get("item", []))
    return lines


@dataclass(frozen=True)
class Line:
    date: str
    what: str
    status: str
    details: list[str]


def describe(resource: FhirResource) -> Line:
    """One resource as a dated line."""
    date = next((str(v) for v in (_at(resource, p) for p in _DATES) if v), "")
    what = next((w for w in (_concept(_at(resource, p)) for p in _WORDS) if w), "")
    payload = [str(p["contentString"]) for p in resource.get("payload", []) if "contentString" in p]
    if resource.get("resourceType") in {"RelatedPerson", "Practitioner", "Organization"}:
        what = ", ".join(filter(None, [_name(resource), what]))
    if resource.get("resourceType") == "Location":
        what = str(resource.get("name", ""))
    details = [*payload, *_answers(resource.get("item", []))]
    if resource.get("description"):
        details.insert(0, str(resource["description"]))
    status = resource.get("status") or _concept(_at(resource, "clinicalStatus"))
    return Line(date[:16].replace("T", " "), what or str(resource["resourceType"]), status, details)


@dataclass(frozen=True)
class Section:
    title: str
    lines: list[Line]


def sections(resources: list[FhirResource], language: str) -> list[Section]:
    """The record under headings, in the order of the words' headings; other types last."""
    words = WORDS[language]
    by_type: dict[str, list[Line]] = {}
    for resource in resources:
        if resource["resourceType"] != "Patient":
            by_type.setdefault(resource["resourceType"], []).append(describe(resource))
    found = [
        Section(title, sorted(by_type.pop(name), key=lambda line: line.date, reverse=True))
        for name, title in words["sections"].items()
        if name in by_type
    ]
    others = [line for name in sorted(by_type) for line in by_type[name]]
    if others:
        found.append(Section(words["other"], others))
    return found


@dataclass(frozen=True)
class AboutPatient:
    name: str
    birth_date: str
    identifiers: list[str]
    contacts: list[str]
    addresses: list[str]
    language: str


def about_patient(resources: list[FhirResource]) -> AboutPatient:
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return AboutPatient(
        name=_name(patient),
        birth_date=str(patient.get("birthDate", "")),
        identifiers=[
            f"{_concept(i.get('type')) or i.get('system', '')}: {i.get('value', '')}"
            for i in patient.get("identifier", [])
        ],
        contacts=[str(t.get("value", "")) for t in patient.get("telecom", [])],
        addresses=[
            a.get("text")
            or ", ".join(
                filter(
                    None, [*a.get("line", []), a.get("city"), a.get("state"), a.get("postalCode")]
                )
            )
            for a in patient.get("address", [])
        ],
        language=_concept(_at(patient, "communication.language")),
    )
