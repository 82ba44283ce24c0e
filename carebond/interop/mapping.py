"""FHIR R4 resources -> what CareBond keeps of them. Pure functions: no database.

Each ``map_*`` takes the resource as parsed JSON and returns a plain record whose references are
left as ``Ref`` for the resolver. A value that cannot be read raises ``MappingError`` with the
FHIR path of the problem ("Patient.birthDate"); the whole unit is then rejected.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from carebond.people.actions import AddressInput, ContactInput, IdentifierInput
from carebond.people.models import AdministrativeGender, HistoryCategory, RelationshipType
from carebond.touchpoints.models import TouchpointChannel, TouchpointKind

# What each resource type becomes. Types not listed are counted as skipped, never an error.
PERSON_TYPES = ("Patient", "Practitioner", "Organization", "RelatedPerson")
HISTORY_TYPES = {
    "Condition": HistoryCategory.PROBLEM,
    "AllergyIntolerance": HistoryCategory.ALLERGY,
    "MedicationRequest": HistoryCategory.MEDICATION,
    "MedicationStatement": HistoryCategory.MEDICATION,
    "Immunization": HistoryCategory.IMMUNIZATION,
}
TOUCHPOINT_TYPES = ("Encounter", "Communication")
# Kept whole for the apps that will own them (scheduling, referrals, surveys, care tasks, consent).
STORED_TYPES = (
    "Appointment",
    "ServiceRequest",
    "Questionnaire",
    "QuestionnaireResponse",
    "Task",
    "Consent",
)
MAPPED_TYPES = frozenset(
    (
        *PERSON_TYPES,
        "Location",
        "PractitionerRole",
        *HISTORY_TYPES,
        *TOUCHPOINT_TYPES,
        *STORED_TYPES,
    )
)

_REFERENCE_TYPE = re.compile(r"^(?:https?://.*?/)?([A-Z][A-Za-z]+)[/?]")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_RELATIONSHIP_CODES = set(RelationshipType.values)
_V2_RELATIONSHIP = {
    "C": RelationshipType.OTHER,
    "E": RelationshipType.OTHER,
    "N": RelationshipType.OTHER,
}
_ENCOUNTER_CHANNEL = {
    "VR": (TouchpointKind.TELEHEALTH, TouchpointChannel.VIDEO),
    "HH": (TouchpointKind.VISIT, TouchpointChannel.IN_PERSON),
}
_COMMUNICATION_CHANNEL = {
    "phone": (TouchpointKind.CALL, TouchpointChannel.PHONE),
    "sms": (TouchpointKind.MESSAGE, TouchpointChannel.SMS),
    "email": (TouchpointKind.MESSAGE, TouchpointChannel.EMAIL),
    "mail": (TouchpointKind.MESSAGE, TouchpointChannel.POST),
    "portal": (TouchpointKind.MESSAGE, TouchpointChannel.PORTAL),
    "video": (TouchpointKind.MESSAGE, TouchpointChannel.VIDEO),
}


class MappingError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Ref:
    """A reference as written: 'urn:uuid:..', 'Patient/1', 'http://x/Patient/1', a conditional
    'Practitioner?identifier=sys|val', or a bare identifier (system|value) of a given type."""

    path: str  # where it was found, for messages: "Encounter.subject"
    reference: str = ""
    type: str = ""
    identifier: str = ""  # "system|value" for identifier-only references
    display: str = ""

    @property
    def target_type(self) -> str:
        """The type pointed at, when the reference says ('' for urn:uuid and #contained)."""
        if self.type:
            return self.type
        match = _REFERENCE_TYPE.match(self.reference)
        return match.group(1) if match else ""


@dataclass
class PersonRecord:
    resource_type: str
    kind: str
    fields: dict[str, Any]  # Person scalar fields
    identifiers: list[IdentifierInput] = field(default_factory=list)
    contacts: list[ContactInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    patient: Ref | None = None  # RelatedPerson.patient
    relationship: str = RelationshipType.OTHER
    referral_type: str = ""  # practitioner / organization for referral sources


@dataclass
class LocationRecord:
    name: str
    address: str
    phone: str
    identifiers: list[IdentifierInput] = field(default_factory=list)


@dataclass
class RoleRecord:
    practitioner: Ref | None
    specialty: str
    practice_name: str


@dataclass
class TouchpointRecord:
    patient: Ref
    kind: str
    channel: str
    direction: str
    occurred_at: datetime
    moment_of_truth: str
    staff: Ref | None
    location: Ref | None
    outcome: str
    summary: str
    details: dict[str, Any]


@dataclass
class HistoryRecord:
    patient: Ref
    category: str
    code_system: str
    code: str
    display: str
    is_active: bool
    onset: date | None


@dataclass
class StoredRecord:
    patients: list[Ref]  # candidates; the first that resolves to a patient is the one
    status: str
    occurred_at: datetime | None
    body: dict[str, Any]


Record = (
    PersonRecord | LocationRecord | RoleRecord | TouchpointRecord | HistoryRecord | StoredRecord
)


# --- primitives --------------------------------------------------------------------------


def _text(value: Any, path: str, limit: int | None = None, *, strict: bool = False) -> str:
    """A FHIR string. Long display texts are cut to the column; ``strict`` values (names,
    identifiers) are refused instead, since a cut one could match somebody else's."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MappingError(path, f"expected a string, found {_json_type(value)}")
    text: str = value.replace("\x00", "").strip()
    if limit and len(text) > limit:
        if strict:
            raise MappingError(path, f"longer than {limit} characters")
        return text[:limit]
    return text


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", int: "a number"}.get(
        type(value), "a number" if isinstance(value, float) else type(value).__name__
    )


def parse_date(value: Any, path: str) -> date | None:
    """A FHIR date; a partial one ('1970', '1970-05') is stored as its first day."""
    if value is None:
        return None
    text = _text(value, path)
    match = _DATE.match(text[:10]) if len(text) <= 10 else None
    if match is None:
        if "T" in text:
            return parse_datetime(text, path).date()
        raise MappingError(path, "is not a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(match.group(i) or 1) for i in (1, 2, 3))
    try:
        return date(year, month, day)
    except ValueError as error:
        raise MappingError(path, f"is not a valid date ({error})") from error


def parse_datetime(value: Any, path: str) -> datetime:
    """A FHIR dateTime or instant, as aware UTC; a date alone means midnight UTC."""
    text = _text(value, path)
    if "T" not in text:
        day = parse_date(text, path)
        assert day is not None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise MappingError(path, "has a time but no time zone offset")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise MappingError(path, "is not a valid FHIR dateTime") from error


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MappingError(path, "expected a list")
    return value


def _object(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(path, "expected an object")
    return value


def first_coding(concept: Any, path: str) -> dict[str, str]:
    """system/code/display of a CodeableConcept's first coding (display falls back to text)."""
    concept = _object(concept, path)
    codings = _list(concept.get("coding"), f"{path}.coding")
    coding = _object(codings[0], f"{path}.coding[0]") if codings else {}
    return {
        "system": _text(coding.get("system"), f"{path}.coding[0].system", 200),
        "code": _text(coding.get("code"), f"{path}.coding[0].code", 60),
        "display": _text(coding.get("display") or concept.get("text"), f"{path}.text", 300),
    }


def reference(value: Any, path: str, *, type_hint: str = "") -> Ref | None:
    obj = _object(value, path)
    if not obj:
        return None
    ref = _text(obj.get("reference"), f"{path}.reference")
    display = _text(obj.get("display"), f"{path}.display", 200)
    if ref:
        return Ref(
            path,
            reference=ref,
            type=_text(obj.get("type"), f"{path}.type") or type_hint,
            display=display,
        )
    identifier = _object(obj.get("identifier"), f"{path}.identifier")
    system = _text(identifier.get("system"), f"{path}.identifier.system")
    id_value = _text(identifier.get("value"), f"{path}.identifier.value")
    if system and id_value:
        kind = _text(obj.get("type"), f"{path}.type") or type_hint
        return Ref(path, type=kind, identifier=f"{system}|{id_value}", display=display)
    return None


def check_id(resource: dict[str, Any], path: str) -> str:
    value = resource.get("id")
    if value is None:
        return ""
    if not isinstance(value, str) or not _FHIR_ID.match(value):
        raise MappingError(
            f"{path}.id", f"{str(value)[:80]!r} is not a FHIR id (1-64 letters, digits, '-' or '.')"
        )
    return value


def identifiers_of(resource: dict[str, Any], path: str) -> list[IdentifierInput]:
    found: list[IdentifierInput] = []
    seen: set[tuple[str, str]] = set()
    for n, raw in enumerate(_list(resource.get("identifier"), f"{path}.identifier")):
        item = _object(raw, f"{path}.identifier[{n}]")
        system = _text(item.get("system"), f"{path}.identifier[{n}].system", 200)
        value = _text(item.get("value"), f"{path}.identifier[{n}].value", 100, strict=True)
        if not system or not value or (system, value) in seen:
            continue
        seen.add((system, value))
        type_concept = item.get("type")
        coding = first_coding(type_concept, f"{path}.identifier[{n}].type") if type_concept else {}
        found.append(
            IdentifierInput(
                system=system,
                value=value,
                type_code=coding.get("code", "")[:20],
                label=(coding.get("display") or "")[:60],
            )
        )
    return found


def _contacts(resource: dict[str, Any], path: str) -> list[ContactInput]:
    contacts: list[ContactInput] = []
    for n, raw in enumerate(_list(resource.get("telecom"), f"{path}.telecom")):
        item = _object(raw, f"{path}.telecom[{n}]")
        system = _text(item.get("system"), f"{path}.telecom[{n}].system")
        value = _text(item.get("value"), f"{path}.telecom[{n}].value", 254)
        if system not in {"phone", "sms", "email"} or not value:
            continue
        use = _text(item.get("use"), f"{path}.telecom[{n}].use")
        contacts.append(
            ContactInput(
                system="email" if system == "email" else "phone",
                value=value,
                use=use if use in {"home", "work", "mobile"} else "other" if use else "home",
                rank=len(contacts) + 1,
            )
        )
    return contacts


def _address(item: dict[str, Any], path: str) -> AddressInput | None:
    lines = [_text(line, f"{path}.line", 200) for line in _list(item.get("line"), f"{path}.line")]
    text = _text(item.get("text"), f"{path}.text", 200)
    if not lines and not text and not item.get("city"):
        return None
    country = _text(item.get("country"), f"{path}.country")
    use = _text(item.get("use"), f"{path}.use")
    return AddressInput(
        line1=(lines[0] if lines else text) or "-",
        line2=" ".join(lines[1:])[:200],
        city=_text(item.get("city"), f"{path}.city", 100),
        state=_text(item.get("state"), f"{path}.state", 100),
        postal_code=_text(item.get("postalCode"), f"{path}.postalCode", 20),
        country=country.upper() if len(country) == 2 else "",
        use=use if use in {"home", "work"} else "other" if use else "home",
    )


def _addresses(resource: dict[str, Any], path: str) -> list[AddressInput]:
    value = resource.get("address")
    items = value if isinstance(value, list) else [value] if value else []
    found = [
        _address(_object(item, f"{path}.address[{n}]"), f"{path}.address[{n}]")
        for n, item in enumerate(items)
    ]
    return [a for a in found if a is not None]


def _names(resource: dict[str, Any], path: str) -> dict[str, str]:
    """Official (or usual, or first) name; a usual or nickname name becomes the preferred name;
    the maiden name is kept. Names longer than the columns are refused, never cut."""
    result = dict.fromkeys(
        ("given_name", "middle_name", "family_name", "prefix", "suffix", "preferred_name"), ""
    )
    result["maiden_name"] = ""
    names = [
        _object(n, f"{path}.name[{i}]")
        for i, n in enumerate(_list(resource.get("name"), f"{path}.name"))
    ]
    uses = [_text(n.get("use"), f"{path}.name[{i}].use") for i, n in enumerate(names)]
    chosen = next(
        (i for wanted in ("official", "usual", "") for i, use in enumerate(uses) if use == wanted),
        next((i for i, use in enumerate(uses) if use not in {"maiden", "old", "nickname"}), None),
    )
    if chosen is None and names:
        chosen = 0

    def given_of(i: int) -> list[str]:
        where = f"{path}.name[{i}].given"
        return [_text(g, where, 100, strict=True) for g in _list(names[i].get("given"), where)]

    if chosen is not None:
        name, where = names[chosen], f"{path}.name[{chosen}]"
        given = given_of(chosen)
        result["given_name"] = given[0] if given else ""
        result["middle_name"] = _text(" ".join(given[1:]), f"{where}.given", 100, strict=True)
        result["family_name"] = _text(name.get("family"), f"{where}.family", 100, strict=True)
        if not (result["given_name"] or result["family_name"]):
            result["family_name"] = _text(name.get("text"), f"{where}.text", 100, strict=True)
        for part in ("prefix", "suffix"):
            words = [_text(w, f"{where}.{part}") for w in _list(name.get(part), f"{where}.{part}")]
            result[part] = " ".join(words)[:40]
    for i, use in enumerate(uses):
        where = f"{path}.name[{i}]"
        if (use == "usual" and i != chosen and not result["preferred_name"]) or use == "nickname":
            given = given_of(i)
            text = given[0] if given else _text(names[i].get("text"), f"{where}.text")
            result["preferred_name"] = _text(text, where, 100, strict=True)
        elif use == "maiden":
            family = names[i].get("family") or names[i].get("text")
            result["maiden_name"] = _text(family, f"{where}.family", 100, strict=True)
    return result


def _person(
    resource: dict[str, Any], kind: str, fields: dict[str, Any], **extra: Any
) -> PersonRecord:
    """The parts every person-like resource has: identifiers, telecom, addresses."""
    path = resource["resourceType"]
    return PersonRecord(
        path,
        kind,
        fields,
        identifiers=identifiers_of(resource, path),
        contacts=_contacts(resource, path),
        addresses=_addresses(resource, path),
        **extra,
    )


def _gender(resource: dict[str, Any], path: str) -> str:
    value = _text(resource.get("gender"), f"{path}.gender")
    if value and value not in AdministrativeGender.values:
        raise MappingError(
            f"{path}.gender", "is not a FHIR administrative gender (male, female, other, unknown)"
        )
    return value


# --- resources ---------------------------------------------------------------------------


def map_patient(resource: dict[str, Any]) -> PersonRecord:
    path = "Patient"
    fields: dict[str, Any] = dict(_names(resource, path))
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["administrative_gender"] = _gender(resource, path)
    deceased = resource.get("deceasedBoolean") is True or resource.get("deceasedDateTime")
    if resource.get("deceasedDateTime"):
        parse_datetime(resource["deceasedDateTime"], f"{path}.deceasedDateTime")
    fields["status"] = "deceased" if deceased else "active"
    if resource.get("active") is False and not deceased:
        fields["status"] = "inactive"
    if "multipleBirthBoolean" in resource:
        fields["multiple_birth"] = "true" if resource["multipleBirthBoolean"] is True else "false"
    elif "multipleBirthInteger" in resource:
        order = resource["multipleBirthInteger"]
        if not isinstance(order, int) or isinstance(order, bool) or not 0 < order < 100:
            raise MappingError(
                f"{path}.multipleBirthInteger", "expected a birth order from 1 to 99"
            )
        fields["multiple_birth"] = str(order)
    fields["preferred_language"] = _language(resource, path)
    fields["sex_assigned_at_birth"] = _birth_sex(resource)
    if not (fields["given_name"] or fields["family_name"]):
        raise MappingError(f"{path}.name", "a patient needs a name (given or family)")
    return _person(resource, "patient", fields)


def _language(resource: dict[str, Any], path: str) -> str:
    entries = [
        _object(c, f"{path}.communication[{i}]")
        for i, c in enumerate(_list(resource.get("communication"), f"{path}.communication"))
    ]
    chosen = next(
        (c for c in entries if c.get("preferred") is True), entries[0] if entries else None
    )
    if not chosen:
        return ""
    return first_coding(chosen.get("language"), f"{path}.communication.language")["code"][:35]


def _birth_sex(resource: dict[str, Any]) -> str:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith("us-core-birthsex"):
            return {"F": "female", "M": "male", "UNK": "unknown"}.get(str(ext.get("valueCode")), "")
    return ""


def map_related_person(resource: dict[str, Any]) -> PersonRecord:
    path = "RelatedPerson"
    fields: dict[str, Any] = dict(_names(resource, path))
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["administrative_gender"] = _gender(resource, path)
    fields["status"] = "inactive" if resource.get("active") is False else "active"
    if not (fields["given_name"] or fields["family_name"]):
        raise MappingError(f"{path}.name", "a related person needs a name")
    relationship = RelationshipType.OTHER
    for n, concept in enumerate(_list(resource.get("relationship"), f"{path}.relationship")):
        code = first_coding(concept, f"{path}.relationship[{n}]")["code"]
        if code in _RELATIONSHIP_CODES:
            relationship = RelationshipType(code)
            break
        relationship = _V2_RELATIONSHIP.get(code, relationship)
    return _person(
        resource,
        "related",
        fields,
        patient=reference(resource.get("patient"), f"{path}.patient", type_hint="Patient"),
        relationship=relationship,
    )


def map_practitioner(resource: dict[str, Any]) -> PersonRecord:
    """A practitioner joins the referral network; an import never creates staff or logins."""
    path = "Practitioner"
    fields: dict[str, Any] = dict(_names(resource, path))
    fields["administrative_gender"] = _gender(resource, path)
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["status"] = "inactive" if resource.get("active") is False else "active"
    if not (fields["given_name"] or fields["family_name"]):
        raise MappingError(f"{path}.name", "a practitioner needs a name")
    return _person(resource, "referral_source", fields, referral_type="practitioner")


def map_organization(resource: dict[str, Any]) -> PersonRecord:
    path = "Organization"
    name = _text(resource.get("name"), f"{path}.name", 200)
    if not name:
        raise MappingError(f"{path}.name", "an organization needs a name")
    fields = {
        "organization_name": name,
        "status": "inactive" if resource.get("active") is False else "active",
    }
    return _person(resource, "referral_source", fields, referral_type="organization")


def map_location(resource: dict[str, Any]) -> LocationRecord:
    path = "Location"
    name = _text(resource.get("name"), f"{path}.name", 200)
    if not name:
        raise MappingError(f"{path}.name", "a location needs a name")
    addresses = _addresses(resource, path)
    address = ""
    if addresses:
        a = addresses[0]
        address = ", ".join(p for p in (a.line1, a.line2, a.city, a.state, a.postal_code) if p)[
            :300
        ]
    phones = [c.value for c in _contacts(resource, path) if c.system == "phone"]
    return LocationRecord(
        name, address, phones[0][:40] if phones else "", identifiers_of(resource, path)
    )


def map_practitioner_role(resource: dict[str, Any]) -> RoleRecord:
    path = "PractitionerRole"
    specialty = ""
    for key in ("specialty", "code"):
        concepts = _list(resource.get(key), f"{path}.{key}")
        if concepts:
            specialty = first_coding(concepts[0], f"{path}.{key}[0]")["display"][:120]
            break
    organization = reference(
        resource.get("organization"), f"{path}.organization", type_hint="Organization"
    )
    return RoleRecord(
        practitioner=reference(
            resource.get("practitioner"), f"{path}.practitioner", type_hint="Practitioner"
        ),
        specialty=specialty,
        practice_name=organization.display[:200] if organization else "",
    )


def map_encounter(resource: dict[str, Any]) -> TouchpointRecord | StoredRecord:
    """A visit on the timeline; an encounter with no start time (planned, or sent without a
    period) cannot be placed on one, so it is kept whole instead."""
    path = "Encounter"
    if not _object(resource.get("period"), f"{path}.period").get("start"):
        return map_stored(resource)
    patient = reference(resource.get("subject"), f"{path}.subject", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.subject", "a visit needs the patient (Encounter.subject)")
    period = _object(resource.get("period"), f"{path}.period")
    start = parse_datetime(period["start"], f"{path}.period.start")
    details: dict[str, Any] = {"status": _text(resource.get("status"), f"{path}.status")}
    if period.get("end"):
        end = parse_datetime(period["end"], f"{path}.period.end")
        if end < start:
            raise MappingError(f"{path}.period.end", "the visit ends before it starts")
        details["end"] = end.isoformat()
    encounter_class = _object(resource.get("class"), f"{path}.class")
    if encounter_class:
        details["class"] = {
            k: _text(encounter_class.get(k), f"{path}.class.{k}")
            for k in ("system", "code", "display")
            if encounter_class.get(k)
        }
    types = [
        first_coding(t, f"{path}.type[{n}]")
        for n, t in enumerate(_list(resource.get("type"), f"{path}.type"))
    ]
    if types:
        details["type"] = types
    kind, channel = _ENCOUNTER_CHANNEL.get(
        details.get("class", {}).get("code", ""),
        (TouchpointKind.VISIT, TouchpointChannel.IN_PERSON),
    )
    staff = None
    for n, participant in enumerate(_list(resource.get("participant"), f"{path}.participant")):
        staff = reference(
            _object(participant, f"{path}.participant[{n}]").get("individual"),
            f"{path}.participant[{n}].individual",
            type_hint="Practitioner",
        )
        if staff is not None:
            break
    location = None
    for n, item in enumerate(_list(resource.get("location"), f"{path}.location")):
        location = reference(
            _object(item, f"{path}.location[{n}]").get("location"),
            f"{path}.location[{n}].location",
            type_hint="Location",
        )
        if location is not None:
            break
    reasons = [
        first_coding(r, f"{path}.reasonCode[{n}]")["display"]
        for n, r in enumerate(_list(resource.get("reasonCode"), f"{path}.reasonCode"))
    ]
    return TouchpointRecord(
        patient=patient,
        kind=kind,
        channel=channel,
        direction="inbound",
        occurred_at=start,
        moment_of_truth="clinical_care",
        staff=staff,
        location=location,
        outcome=(types[0]["display"] if types else "")[:200],
        summary="; ".join(r for r in reasons if r),
        details=details,
    )


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
    for n, concept in enumerate(_list(resource.get("medium"), f"{path}.medium")):
        medium = first_coding(concept, f"{path}.medium[{n}]")["code"].lower()
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
    for n, payload in enumerate(_list(resource.get("payload"), f"{path}.payload")):
        item = _object(payload, f"{path}.payload[{n}]")
        if item.get("contentString"):
            texts.append(_text(item["contentString"], f"{path}.payload[{n}].contentString"))
        attachment = _object(
            item.get("contentAttachment"), f"{path}.payload[{n}].contentAttachment"
        )
        if attachment.get("title"):
            texts.append(_text(attachment["title"], f"{path}.payload[{n}].contentAttachment.title"))
        elif attachment.get("data") and str(attachment.get("contentType", "")).startswith("text/"):
            try:
                texts.append(base64.b64decode(attachment["data"]).decode("utf-8", "replace")[:2000])
            except (ValueError, TypeError) as error:
                raise MappingError(
                    f"{path}.payload[{n}].contentAttachment.data", "is not base64"
                ) from error
    categories = [
        first_coding(c, f"{path}.category[{n}]")
        for n, c in enumerate(_list(resource.get("category"), f"{path}.category"))
    ]
    details: dict[str, Any] = {"status": _text(resource.get("status"), f"{path}.status")}
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
    )


def map_history(resource: dict[str, Any]) -> HistoryRecord:
    resource_type = resource["resourceType"]
    path = resource_type
    category = HISTORY_TYPES[resource_type]
    patient_key = (
        "patient" if resource_type in {"AllergyIntolerance", "Immunization"} else "subject"
    )
    patient = reference(resource.get(patient_key), f"{path}.{patient_key}", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.{patient_key}", "a history item needs the patient")
    code_key = {
        "Immunization": "vaccineCode",
        "MedicationRequest": "medicationCodeableConcept",
        "MedicationStatement": "medicationCodeableConcept",
    }.get(resource_type, "code")
    concept = resource.get(code_key)
    if concept is None and resource_type.startswith("Medication"):
        coding = _referenced_medication(resource, path)
    else:
        coding = first_coding(concept, f"{path}.{code_key}")
    if not (coding["display"] or coding["code"]):
        raise MappingError(f"{path}.{code_key}", "a history item needs a code or text")
    status = _status(resource, resource_type, path)
    onset_key = {
        "Immunization": "occurrenceDateTime",
        "MedicationRequest": "authoredOn",
        "MedicationStatement": "effectiveDateTime",
        "AllergyIntolerance": "onsetDateTime",
    }.get(resource_type, "onsetDateTime")
    onset_value = resource.get(onset_key) or (
        resource.get("recordedDate") if resource_type != "Immunization" else None
    )
    onset = parse_datetime(onset_value, f"{path}.{onset_key}").date() if onset_value else None
    return HistoryRecord(
        patient=patient,
        category=category,
        code_system=coding["system"],
        code=coding["code"],
        display=(coding["display"] or coding["code"])[:300],
        is_active=status,
        onset=onset,
    )


def _referenced_medication(resource: dict[str, Any], path: str) -> dict[str, str]:
    """A medication given by reference: its code when contained, else the reference's words."""
    medication = reference(resource.get("medicationReference"), f"{path}.medicationReference")
    if medication is None:
        return {"system": "", "code": "", "display": ""}
    if medication.reference.startswith("#"):
        for n, contained in enumerate(_list(resource.get("contained"), f"{path}.contained")):
            item = _object(contained, f"{path}.contained[{n}]")
            if item.get("id") == medication.reference[1:] and item.get("code"):
                return first_coding(item["code"], f"{path}.contained[{n}].code")
    display = medication.display or f"Medication ({medication.reference})"
    return {"system": "", "code": "", "display": display[:300]}


def _status(resource: dict[str, Any], resource_type: str, path: str) -> bool:
    """Whether the item belongs to the active summary."""
    if resource_type in {"Condition", "AllergyIntolerance"}:
        clinical = resource.get("clinicalStatus")
        code = first_coding(clinical, f"{path}.clinicalStatus")["code"] if clinical else "active"
        return code in {"active", "recurrence", "relapse"}
    status = _text(resource.get("status"), f"{path}.status")
    if resource_type == "Immunization":
        return status != "entered-in-error"
    return status in {"active", "intended", "on-hold", ""}


def map_stored(resource: dict[str, Any]) -> StoredRecord:
    resource_type = resource["resourceType"]
    path = resource_type
    # The patient it is about: the first of these that turns out to be a patient.
    candidates: list[Ref] = []
    for key in ("subject", "patient", "for", "source"):
        ref = reference(resource.get(key), f"{path}.{key}") if key in resource else None
        if ref is not None and ref.target_type in {"Patient", ""}:
            candidates.append(ref)
    if resource_type == "Appointment":
        for n, participant in enumerate(_list(resource.get("participant"), f"{path}.participant")):
            actor = reference(
                _object(participant, f"{path}.participant[{n}]").get("actor"),
                f"{path}.participant[{n}].actor",
            )
            if actor is not None and actor.target_type in {"Patient", ""}:
                candidates.append(actor)
    occurred: datetime | None = None
    for key in ("start", "authoredOn", "authored", "dateTime", "date", "occurrenceDateTime"):
        if resource.get(key):
            occurred = parse_datetime(resource[key], f"{path}.{key}")
            break
    return StoredRecord(
        patients=candidates,
        status=_text(resource.get("status"), f"{path}.status", 40),
        occurred_at=occurred,
        body=resource,
    )


def map_resource(resource: dict[str, Any]) -> Record:
    resource_type = resource["resourceType"]
    if resource_type == "Patient":
        return map_patient(resource)
    if resource_type == "RelatedPerson":
        return map_related_person(resource)
    if resource_type == "Practitioner":
        return map_practitioner(resource)
    if resource_type == "Organization":
        return map_organization(resource)
    if resource_type == "Location":
        return map_location(resource)
    if resource_type == "PractitionerRole":
        return map_practitioner_role(resource)
    if resource_type == "Encounter":
        return map_encounter(resource)
    if resource_type == "Communication":
        return map_communication(resource)
    if resource_type in HISTORY_TYPES:
        return map_history(resource)
    return map_stored(resource)
