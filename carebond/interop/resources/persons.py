"""What the person types (Patient, Practitioner, Organization, RelatedPerson) share: names,
identifiers, telecom and addresses read from FHIR into the people app's inputs and written back
out, the rows of people the facade serves, and the search parameters every person type takes.
Location reuses the reading of identifiers, telecom and addresses.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from carebond.core.fhir.building import FhirResource, coding, compact, date_text, meta, new_resource
from carebond.core.fhir.parsing import MappingError, as_list, as_object, first_coding, text
from carebond.core.fhir.search import (
    ID_PARAM,
    date_filter,
    param,
    split_token,
)
from carebond.core.fhir.systems import BCP47, V2_IDENTIFIER_TYPE
from carebond.interop.resources.records import PersonRecord
from carebond.people.actions import NPI_SYSTEM, AddressInput, ContactInput, IdentifierInput
from carebond.people.fhir import person_name_filter, profile_of
from carebond.people.models import AdministrativeGender, Identifier, Person, PersonStatus

# --- reading from FHIR ----------------------------------------------------------------------


def identifiers_from_fhir(resource: dict[str, Any], path: str) -> list[IdentifierInput]:
    found: list[IdentifierInput] = []
    seen: set[tuple[str, str]] = set()
    for n, raw in enumerate(as_list(resource.get("identifier"), f"{path}.identifier")):
        item = as_object(raw, f"{path}.identifier[{n}]")
        system = text(item.get("system"), f"{path}.identifier[{n}].system", 200)
        value = text(item.get("value"), f"{path}.identifier[{n}].value", 100, strict=True)
        if not system or not value or (system, value) in seen:
            continue
        seen.add((system, value))
        type_concept = item.get("type")
        found_coding = (
            first_coding(type_concept, f"{path}.identifier[{n}].type") if type_concept else {}
        )
        found.append(
            IdentifierInput(
                system=system,
                value=value,
                type_code=found_coding.get("code", "")[:20],
                label=(found_coding.get("display") or "")[:60],
            )
        )
    return found


def contacts_from_fhir(resource: dict[str, Any], path: str) -> list[ContactInput]:
    contacts: list[ContactInput] = []
    for n, raw in enumerate(as_list(resource.get("telecom"), f"{path}.telecom")):
        item = as_object(raw, f"{path}.telecom[{n}]")
        system = text(item.get("system"), f"{path}.telecom[{n}].system")
        value = text(item.get("value"), f"{path}.telecom[{n}].value", 254)
        if system not in {"phone", "sms", "email"} or not value:
            continue
        use = text(item.get("use"), f"{path}.telecom[{n}].use")
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
    lines = [text(line, f"{path}.line", 200) for line in as_list(item.get("line"), f"{path}.line")]
    written = text(item.get("text"), f"{path}.text", 200)
    if not lines and not written and not item.get("city"):
        return None
    country = text(item.get("country"), f"{path}.country")
    use = text(item.get("use"), f"{path}.use")
    return AddressInput(
        line1=(lines[0] if lines else written) or "-",
        line2=" ".join(lines[1:])[:200],
        city=text(item.get("city"), f"{path}.city", 100),
        state=text(item.get("state"), f"{path}.state", 100),
        postal_code=text(item.get("postalCode"), f"{path}.postalCode", 20),
        country=country.upper() if len(country) == 2 else "",
        use=use if use in {"home", "work"} else "other" if use else "home",
    )


def addresses_from_fhir(resource: dict[str, Any], path: str) -> list[AddressInput]:
    value = resource.get("address")
    items = value if isinstance(value, list) else [value] if value else []
    found = [
        _address(as_object(item, f"{path}.address[{n}]"), f"{path}.address[{n}]")
        for n, item in enumerate(items)
    ]
    return [a for a in found if a is not None]


def names_from_fhir(resource: dict[str, Any], path: str) -> dict[str, Any]:
    """Official (or usual, or first) name; a usual or nickname name becomes the preferred name;
    the maiden name is kept; every other name (old, temp, anonymous, a second official...) is
    kept as sent in ``other_names``, so each HumanName stays searchable. A name sent only as
    ``text`` is kept whole (``name_text``), never guessed into given and family parts. Names
    longer than the columns are refused, never cut."""
    result: dict[str, Any] = dict.fromkeys(
        ("given_name", "middle_name", "family_name", "prefix", "suffix", "preferred_name"), ""
    )
    result["maiden_name"] = result["name_text"] = ""
    names = [
        as_object(n, f"{path}.name[{i}]")
        for i, n in enumerate(as_list(resource.get("name"), f"{path}.name"))
    ]
    uses = [text(n.get("use"), f"{path}.name[{i}].use") for i, n in enumerate(names)]
    chosen = next(
        (i for wanted in ("official", "usual", "") for i, use in enumerate(uses) if use == wanted),
        next((i for i, use in enumerate(uses) if use not in {"maiden", "old", "nickname"}), None),
    )
    if chosen is None and names:
        chosen = 0
    kept = {chosen}

    def given_of(i: int) -> list[str]:
        where = f"{path}.name[{i}].given"
        return [text(g, where, 100, strict=True) for g in as_list(names[i].get("given"), where)]

    if chosen is not None:
        name, where = names[chosen], f"{path}.name[{chosen}]"
        given = given_of(chosen)
        result["given_name"] = given[0] if given else ""
        result["middle_name"] = text(" ".join(given[1:]), f"{where}.given", 100, strict=True)
        result["family_name"] = text(name.get("family"), f"{where}.family", 100, strict=True)
        if not (result["given_name"] or result["family_name"]):
            result["name_text"] = text(name.get("text"), f"{where}.text", 200, strict=True)
        for part in ("prefix", "suffix"):
            words = [text(w, f"{where}.{part}") for w in as_list(name.get(part), f"{where}.{part}")]
            result[part] = " ".join(words)[:40]
    for i, use in enumerate(uses):
        where = f"{path}.name[{i}]"
        if (use == "usual" and i != chosen and not result["preferred_name"]) or use == "nickname":
            given = given_of(i)
            preferred = given[0] if given else text(names[i].get("text"), f"{where}.text")
            result["preferred_name"] = text(preferred, where, 100, strict=True)
            kept.add(i)
        elif use == "maiden" and not result["maiden_name"]:
            family = names[i].get("family") or names[i].get("text")
            result["maiden_name"] = text(family, f"{where}.family", 100, strict=True)
            kept.add(i)
    others = [_other_name(n, f"{path}.name[{i}]") for i, n in enumerate(names) if i not in kept]
    result["other_names"] = [n for n in others if n][:MAX_OTHER_NAMES]
    return result


MAX_OTHER_NAMES = 10


def _other_name(name: dict[str, Any], where: str) -> dict[str, Any]:
    """A HumanName kept as sent (its use and its parts), for search and to send back out."""
    found: dict[str, Any] = {}
    for key, limit in (("use", 20), ("text", 200), ("family", 100)):
        value = text(name.get(key), f"{where}.{key}", limit, strict=key != "use")
        if value:
            found[key] = value
    for key in ("given", "prefix", "suffix"):
        where_part = f"{where}.{key}"
        values = [text(v, where_part, 100, strict=True) for v in as_list(name.get(key), where_part)]
        if any(values):
            found[key] = [v for v in values if v]
    return found if set(found) - {"use"} else {}


def gender_from_fhir(resource: dict[str, Any], path: str) -> str:
    value = text(resource.get("gender"), f"{path}.gender")
    if value and value not in AdministrativeGender.values:
        raise MappingError(
            f"{path}.gender", "is not a FHIR administrative gender (male, female, other, unknown)"
        )
    return value


def person_record(
    resource: dict[str, Any], kind: str, fields: dict[str, Any], **extra: Any
) -> PersonRecord:
    """The parts every person-like resource has: identifiers, telecom, addresses."""
    path = resource["resourceType"]
    return PersonRecord(
        path,
        kind,
        fields,
        identifiers=identifiers_from_fhir(resource, path),
        contacts=contacts_from_fhir(resource, path),
        addresses=addresses_from_fhir(resource, path),
        **extra,
    )


# --- writing to FHIR ------------------------------------------------------------------------

# FHIR ContactPoint.use and Address.use: CareBond's "other" (and "mobile" for an address) has no
# FHIR counterpart, so those go out without a use.
_CONTACT_USES = {"home", "work", "temp", "old", "mobile"}
_ADDRESS_USES = {"home", "work", "temp", "old", "billing"}


def names_to_fhir(person: Person) -> list[dict[str, Any]]:
    names: list[dict[str, Any]] = []
    if person.name_text and not (person.given_name or person.family_name):
        names.append({"text": person.name_text})
    elif person.given_name or person.family_name:
        official = compact(
            {
                "use": "official",
                "family": person.family_name,
                "given": [g for g in (person.given_name, person.middle_name) if g],
                "prefix": [person.prefix] if person.prefix else [],
                "suffix": [person.suffix] if person.suffix else [],
            }
        )
        names.append(official)
    elif person.organization_name:
        names.append({"text": person.organization_name})
    if person.preferred_name:
        names.append(
            compact(
                {"use": "usual", "given": [person.preferred_name], "family": person.family_name}
            )
        )
    if person.maiden_name:
        names.append({"use": "maiden", "family": person.maiden_name})
    names += [n for n in (person.other_names or []) if isinstance(n, dict)]
    return names


def has_a_name(fields: dict[str, Any]) -> bool:
    """A person needs a given or family name, or a name sent whole."""
    return bool(fields.get("given_name") or fields.get("family_name") or fields.get("name_text"))


def identifiers_to_fhir(person: Person) -> list[dict[str, Any]]:
    identifiers: list[dict[str, Any]] = []
    for row in person.identifiers.all():
        identifier: dict[str, Any] = {"system": row.system, "value": row.value}
        if row.type_code or row.label:
            identifier["type"] = compact(
                {
                    "coding": [coding(V2_IDENTIFIER_TYPE, row.type_code)] if row.type_code else [],
                    "text": row.label,
                }
            )
        identifiers.append(identifier)
    profile = profile_of(person, "referral_profile")
    listed = {(i["system"], i["value"]) for i in identifiers}
    if profile is not None and profile.npi and (NPI_SYSTEM, profile.npi) not in listed:
        identifiers.append(
            {
                "system": NPI_SYSTEM,
                "value": profile.npi,
                "type": {"coding": [coding(V2_IDENTIFIER_TYPE, "NPI")], "text": "NPI"},
            }
        )
    return identifiers


def telecom_to_fhir(person: Person) -> list[dict[str, Any]]:
    return [
        compact(
            {
                "system": point.system,
                "value": point.value,
                "use": point.use if point.use in _CONTACT_USES else None,
                "rank": point.rank or None,
            }
        )
        for point in person.contact_points.all()
    ]


def addresses_to_fhir(person: Person) -> list[dict[str, Any]]:
    return [
        compact(
            {
                "use": address.use if address.use in _ADDRESS_USES else None,
                "line": [line for line in (address.line1, address.line2) if line],
                "city": address.city,
                "state": address.state,
                "postalCode": address.postal_code,
                "country": address.country,
            }
        )
        for address in person.addresses.all()
    ]


def language_to_fhir(person: Person) -> list[dict[str, Any]]:
    if not person.preferred_language:
        return []
    return [{"language": {"coding": [coding(BCP47, person.preferred_language)]}}]


def person_resource(resource_type: str, person: Person) -> FhirResource:
    """What Patient, Practitioner and RelatedPerson share (prefetch identifiers,
    contact_points, addresses)."""
    resource = new_resource(
        resource_type,
        person.public_id,
        meta(origin_system=person.origin_system, last_updated=person.updated_at),
    )
    resource.update(
        {
            "identifier": identifiers_to_fhir(person),
            "active": person.status != PersonStatus.INACTIVE,
            "name": names_to_fhir(person),
            "telecom": telecom_to_fhir(person),
            "gender": person.administrative_gender,
            "birthDate": date_text(person.birth_date),
            "address": addresses_to_fhir(person),
        }
    )
    return resource


# --- rows and search ------------------------------------------------------------------------


def people_rows(organization_id: int) -> QuerySet[Person]:
    """The organisation's live people, prefetched for ``person_resource``."""
    return (
        Person.objects.filter(organization_id=organization_id)
        .live()
        .select_related("referral_profile")
        .prefetch_related("identifiers", "contact_points", "addresses")
        .order_by("pk")
    )


def _person_identifier(organization_id: int, modifier: str, values: list[str]) -> Q:
    combined = Q(pk__in=[])
    for value in values:
        system, code = split_token(value)
        if system == "" or not (system or code):
            continue  # "|value": identifiers without a system, which CareBond never has
        rows = Identifier.objects.filter(organization_id=organization_id)
        if system:
            rows = rows.filter(system=system)
        if code:
            rows = rows.filter(value=code)
        match = Q(pk__in=rows.values("person_id"))
        if code and system in (None, NPI_SYSTEM):
            match |= Q(referral_profile__npi=code)  # referring practitioners' NPI lives there
        combined |= match
    return combined


IDENTIFIER_PARAM = param(
    "identifier",
    "token",
    "system|value, or value alone (MRN, NPI and other identifiers).",
    _person_identifier,
)
PERSON_NAME_PARAM = param(
    "name",
    "string",
    "Starts a word of any of the person's names (official, preferred, maiden, old and other "
    "names), ignoring case and accents; several words must each match. Modifiers :exact "
    "(a whole name as written) and :contains.",
    person_name_filter,
    modifiers=frozenset({"exact", "contains"}),
)
BIRTHDATE_PARAM = param(
    "birthdate",
    "date",
    "Birth date, with eq, ne, lt, gt, le or ge and day, month or year precision.",
    date_filter("birth_date", "birthdate"),
)
PERSON_PARAMS = (ID_PARAM, IDENTIFIER_PARAM, PERSON_NAME_PARAM)
