"""CSV import of patients and referral sources: column mapping, dry run, a per-row error report
and an all-or-nothing commit.

A file is read whole (UTF-8, with or without a byte-order mark), every cell is checked with the
same validators forms and the API use, and every problem is reported as (row, column, reason),
the header counting as row 1. A file with any error writes nothing. A row whose identifier (MRN,
NPI or any mapped identifier column) already belongs to a person of the same organisation
updates that person instead of creating a duplicate; blank cells leave what is stored alone.
Rows without an identifier are always created. Writes go through the people actions, so each
created or updated person is audited like an edit made on a page, plus one ``people.imported``
event for the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

import langcodes
from django.db import IntegrityError, transaction

from carebond.core.csv_files import CsvTable, read_csv
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.models import Organization
from carebond.people import actions, validation
from carebond.people.actions import (
    MRN_SYSTEM,
    NPI_SYSTEM,
    PERSON_FIELDS,
    AddressInput,
    ContactInput,
    IdentifierInput,
    PersonInput,
    ReferralInput,
)
from carebond.people.models import (
    Address,
    AdministrativeGender,
    ContactPoint,
    ContactSystem,
    ContactUse,
    Identifier,
    Person,
    PersonKind,
    PersonStatus,
    ReferralSourceProfile,
    ReferralSourceType,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

_T = TypeVar("_T")

IGNORE = "ignore"
# A column mapped to "identifier:<system URI>" becomes an identifier of that system.
IDENTIFIER_PREFIX = "identifier:"
IMPORT_KINDS: tuple[str, ...] = (PersonKind.PATIENT, PersonKind.REFERRAL_SOURCE)

# The CareBond fields a column can be mapped to, with the label the upload page shows.
FIELDS: dict[str, str] = {
    "kind": "Kind (patient or referral_source)",
    "mrn": "MRN (medical record number)",
    "npi": "NPI (referral sources)",
    "prefix": "Name prefix",
    "given_name": "Given (first) name",
    "middle_name": "Middle name",
    "family_name": "Family (last) name",
    "suffix": "Name suffix",
    "preferred_name": "Preferred name",
    "organization_name": "Organisation name (referring organisations)",
    "pronouns": "Pronouns",
    "birth_date": "Birth date",
    "administrative_gender": "Sex (female, male, other, unknown)",
    "preferred_language": "Preferred language",
    "time_zone": "Time zone",
    "interpreter_needed": "Interpreter needed (yes/no)",
    "phone": "Home phone",
    "mobile": "Mobile phone",
    "work_phone": "Work phone",
    "email": "Email",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country (ISO 2-letter code)",
    "source_type": "Referral source type (practitioner or organization)",
    "specialty": "Specialty (referral sources)",
    "practice_name": "Practice name (referral sources)",
    "affiliations": "Affiliations (referral sources)",
}

# Headers recognised without a mapping, compared after _header_key() (case, spaces, dashes).
_ALIASES: dict[str, tuple[str, ...]] = {
    "kind": ("kind", "person_kind", "record_type"),
    "mrn": ("mrn", "medical_record_number", "mr_number", "chart_number", "patient_mrn"),
    "npi": ("npi", "npi_number"),
    "prefix": ("prefix", "name_prefix"),
    "given_name": ("given_name", "first_name", "firstname", "first", "given"),
    "middle_name": ("middle_name", "middle", "middle_initial"),
    "family_name": ("family_name", "last_name", "lastname", "surname", "last"),
    "suffix": ("suffix", "name_suffix"),
    "preferred_name": ("preferred_name", "nickname", "goes_by"),
    "organization_name": (
        "organization_name",
        "organisation_name",
        "organization",
        "organisation",
        "org_name",
    ),
    "pronouns": ("pronouns",),
    "birth_date": ("birth_date", "birthdate", "dob", "date_of_birth", "birthday"),
    "administrative_gender": ("sex", "gender", "administrative_gender"),
    "preferred_language": ("language", "preferred_language", "lang", "primary_language"),
    "time_zone": ("time_zone", "timezone"),
    "interpreter_needed": ("interpreter_needed", "interpreter", "needs_interpreter"),
    "phone": ("phone", "home_phone", "telephone", "phone_number"),
    "mobile": ("mobile", "mobile_phone", "cell", "cell_phone", "cellphone"),
    "work_phone": ("work_phone", "office_phone", "business_phone"),
    "email": ("email", "email_address", "e_mail"),
    "address_line1": (
        "address",
        "address1",
        "address_1",
        "address_line1",
        "address_line_1",
        "street",
        "street_address",
    ),
    "address_line2": ("address2", "address_2", "address_line2", "address_line_2"),
    "city": ("city", "town"),
    "state": ("state", "province", "state_province"),
    "postal_code": ("postal_code", "zip", "zip_code", "zipcode", "postcode"),
    "country": ("country", "country_code"),
    "source_type": ("source_type", "referral_source_type"),
    "specialty": ("specialty", "speciality"),
    "practice_name": ("practice", "practice_name"),
    "affiliations": ("affiliations", "affiliation"),
}

_PHONE_FIELDS = {
    "phone": ContactUse.HOME,
    "mobile": ContactUse.MOBILE,
    "work_phone": ContactUse.WORK,
}
_ADDRESS_FIELDS = {
    "address_line1": "line1",
    "address_line2": "line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
}
_REFERRAL_FIELDS = ("source_type", "specialty", "practice_name", "affiliations")
_REFERRAL_ONLY = ("npi", "organization_name", *_REFERRAL_FIELDS)
_BOOLEAN_FIELDS = ("interpreter_needed",)
# Person fields a column can set directly (names, birth date, language...).
_SCALAR_FIELDS = tuple(n for n in PERSON_FIELDS if n in FIELDS and n != "kind")

_SEX = {
    "f": AdministrativeGender.FEMALE,
    "female": AdministrativeGender.FEMALE,
    "m": AdministrativeGender.MALE,
    "male": AdministrativeGender.MALE,
    "o": AdministrativeGender.OTHER,
    "other": AdministrativeGender.OTHER,
    "u": AdministrativeGender.UNKNOWN,
    "unknown": AdministrativeGender.UNKNOWN,
}
_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class RowError:
    """One problem: the row (the header is row 1), the column header, and what to fix."""

    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    """What an import did, or (``dry_run``) would do.

    ``created``/``updated``/``unchanged`` count the rows that passed their checks. A file with
    any error writes nothing: a rejected import (not a dry run) reports zero for all three.
    """

    kind: str
    dry_run: bool
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run


@dataclass
class _Column:
    index: int
    header: str
    target: str


@dataclass
class _Row:
    number: int
    kind: str
    values: dict[str, Any]  # target -> cleaned, non-blank value
    identifiers: list[tuple[str, IdentifierInput]]  # (header, identifier)
    contacts: list[ContactInput]
    address: AddressInput | None


@dataclass
class _Create:
    row: int
    data: PersonInput


@dataclass
class _Update:
    row: int
    person_id: int
    changes: dict[str, Any]
    identifiers: list[IdentifierInput]
    contacts: list[ContactInput]
    address: AddressInput | None
    referral_changes: dict[str, str]


class _Rollback(Exception):
    """Raised inside the import's transaction to undo every row written before the error."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.reason)
        self.error = error


# --- reading the file --------------------------------------------------------------------


def read_headers(data: bytes) -> list[str]:
    return read_csv(data).headers


def _header_key(header: str) -> str:
    return re.sub(r"[\s\-./]+", "_", header.strip().casefold()).strip("_")


_ALIAS_INDEX = {alias: target for target, aliases in _ALIASES.items() for alias in aliases}


def default_mapping(headers: Iterable[str]) -> dict[str, str]:
    """The CareBond field each recognised header maps to; unrecognised headers are left out."""
    mapping: dict[str, str] = {}
    for header in headers:
        target = _ALIAS_INDEX.get(_header_key(header))
        if target is not None:
            mapping[header] = target
    return mapping


def is_known_target(target: str) -> bool:
    if target.startswith(IDENTIFIER_PREFIX):
        return bool(target[len(IDENTIFIER_PREFIX) :].strip())
    return target == IGNORE or target in FIELDS


# --- the header ----------------------------------------------------------------------------


def _resolve_columns(
    table: CsvTable, mapping: Mapping[str, str], kind: str
) -> tuple[list[_Column], dict[str, str], list[RowError]]:
    """Match every header to a field; an unknown or doubled column is an error unless ignored."""
    errors: list[RowError] = []
    explicit = {_header_key(k): v.strip() for k, v in mapping.items()}
    defaults = default_mapping(table.headers)
    header_keys = {_header_key(h) for h in table.headers}
    for key, original in ((_header_key(k), k) for k in mapping):
        if key not in header_keys:
            errors.append(
                RowError(1, original, "The mapping names a column this file does not have.")
            )
    columns: list[_Column] = []
    resolved: dict[str, str] = {}
    seen_headers: dict[str, str] = {}
    used: dict[str, str] = {}
    for index, header in enumerate(table.headers):
        key = _header_key(header)
        if not header:
            if all(index >= len(cells) or not cells[index].strip() for _, cells in table.rows):
                continue  # an empty trailing column a spreadsheet left behind
            errors.append(RowError(1, f"column {index + 1}", "This column has no header; name it."))
            continue
        if key in seen_headers:
            errors.append(
                RowError(
                    1,
                    header,
                    f"Two columns are named {header!r} (column {index + 1} and an earlier "
                    "one); rename or delete one.",
                )
            )
            continue
        seen_headers[key] = header
        # An explicit empty mapping means "not chosen": no fallback to the default.
        target = explicit[key] if key in explicit else defaults.get(header, "")
        if not target:
            errors.append(
                RowError(
                    1,
                    header,
                    f"Unknown column {header!r}: map it to a CareBond field or ignore it.",
                )
            )
            continue
        if not is_known_target(target):
            errors.append(
                RowError(
                    1,
                    header,
                    f"{target!r} is not a CareBond field; choose one of "
                    f"{', '.join(FIELDS)}, {IDENTIFIER_PREFIX}<system> or {IGNORE}.",
                )
            )
            continue
        resolved[header] = target
        if target == IGNORE:
            continue
        if target in used:
            errors.append(
                RowError(
                    1,
                    header,
                    f"Both {used[target]!r} and {header!r} map to {target}; ignore one of them.",
                )
            )
            continue
        used[target] = header
        columns.append(_Column(index=index, header=header, target=target))
    if not errors:
        errors.extend(_missing_columns(used, kind))
    return columns, resolved, errors


def _missing_columns(used: Mapping[str, str], kind: str) -> list[RowError]:
    names = {"given_name", "family_name"} & used.keys()
    if "kind" in used:
        if names or "organization_name" in used:
            return []
        reason = (
            "The file has no name column: add last_name / first_name (patients and "
            "practitioners) or organization_name (referring organisations)."
        )
        return [RowError(1, "family_name", reason)]
    if kind == PersonKind.REFERRAL_SOURCE:
        if names or "organization_name" in used:
            return []
        reason = (
            "The file has no name column: a referral source needs organization_name or "
            "last_name / first_name."
        )
        return [RowError(1, "organization_name", reason)]
    if names:
        return []
    reason = (
        "The file has no name column: add a last_name (family name) or first_name (given "
        "name) column, or map an existing column to family_name or given_name."
    )
    return [RowError(1, "family_name", reason)]


# --- the rows -------------------------------------------------------------------------------


def _max_length(target: str) -> int | None:
    if target in _ADDRESS_FIELDS:
        model_field = Address._meta.get_field(_ADDRESS_FIELDS[target])
    elif target in _REFERRAL_FIELDS:
        model_field = ReferralSourceProfile._meta.get_field(target)
    elif target in PERSON_FIELDS:
        model_field = Person._meta.get_field(target)
    elif target == "mrn" or target.startswith(IDENTIFIER_PREFIX):
        model_field = Identifier._meta.get_field("value")
    elif target == "email":
        model_field = ContactPoint._meta.get_field("value")
    else:
        return None
    return getattr(model_field, "max_length", None)


def _parse_kind(value: str) -> str:
    kind = _header_key(value)
    if kind in IMPORT_KINDS:
        return kind
    raise InvalidInput(
        f"Unknown kind {value!r}: this import takes patient or referral_source.", field="kind"
    )


def _parse_language(value: str) -> str:
    """A BCP-47 tag, or an English language name ('Spanish') that names exactly one language."""
    try:
        return validation.normalize_language(value)
    except InvalidInput:
        if value.replace(" ", "").isalpha():
            try:
                tag = str(langcodes.find(value))
            except LookupError:
                tag = ""
            if tag and langcodes.Language.get(tag).display_name().casefold() == value.casefold():
                return validation.normalize_language(tag)
        raise


def _parse_boolean(value: str, target: str) -> bool:
    word = value.strip().casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise InvalidInput(f"{value!r} is not yes or no.", field=target)


def _parse_cell(target: str, value: str, organization: Organization) -> Any:
    """The cleaned value of one non-blank cell; raises InvalidInput saying why it is wrong."""
    limit = _max_length(target)
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"Longer than {limit} characters ({len(value)}).", field=target)
    if target == "kind":
        return _parse_kind(value)
    if target == "birth_date":
        return validation.parse_date(value, field=target)
    if target == "administrative_gender":
        sex = _SEX.get(value.casefold())
        if sex is None:
            raise InvalidInput(
                f"Unknown sex {value!r}; use female, male, other or unknown (or F, M, O, U).",
                field=target,
            )
        return str(sex)
    if target == "preferred_language":
        return _parse_language(value)
    if target == "time_zone":
        return validation.validate_time_zone_name(value, field=target)
    if target in _BOOLEAN_FIELDS:
        return _parse_boolean(value, target)
    if target in _PHONE_FIELDS:
        return validation.normalize_phone(value, region=organization.country, field=target)
    if target == "email":
        return validation.normalize_email(value, field=target)
    if target == "npi":
        return validation.validate_npi(value, field=target)
    if target == "source_type":
        source_type = {"organisation": "organization"}.get(value.casefold(), value.casefold())
        if source_type not in ReferralSourceType.values:
            raise InvalidInput(
                f"Unknown referral source type {value!r}; use practitioner or organization.",
                field=target,
            )
        return source_type
    if target == "country":
        country = value.upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput(
                f"{value!r} is not a two-letter country code (e.g. US, CA).", field=target
            )
        return country
    return value


def _read_row(
    number: int,
    cells: list[str],
    columns: list[_Column],
    *,
    kind: str,
    organization: Organization,
    width: int,
) -> tuple[_Row | None, list[RowError]]:
    if len(cells) != width:
        return None, [
            RowError(
                number,
                "",
                f"This row has {len(cells)} cells but the header has {width} columns; look for "
                "an unquoted comma or a missing quote.",
            )
        ]
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for column in columns:
        raw = cells[column.index].strip()
        if not raw:
            continue
        headers[column.target] = column.header
        try:
            values[column.target] = _parse_cell(column.target, raw, organization)
        except InvalidInput as error:
            errors.append(RowError(number, column.header, error.message))
    row_kind = values.get("kind", kind)
    if row_kind == PersonKind.PATIENT:
        errors.extend(
            RowError(
                number,
                headers[target],
                f"{FIELDS[target]} applies to referral sources only; this row is a patient.",
            )
            for target in _REFERRAL_ONLY
            if target in headers
        )
    identifiers: list[tuple[str, IdentifierInput]] = []
    if "mrn" in values:
        identifiers.append(
            (headers["mrn"], IdentifierInput(MRN_SYSTEM, values["mrn"], "MR", "MRN"))
        )
    if values.get("npi"):
        identifiers.append(
            (headers["npi"], IdentifierInput(NPI_SYSTEM, values["npi"], "NPI", "NPI"))
        )
    for target, value in values.items():
        if target.startswith(IDENTIFIER_PREFIX):
            system = target[len(IDENTIFIER_PREFIX) :].strip()
            identifiers.append((headers[target], IdentifierInput(system, value, "", "")))
    contacts: list[ContactInput] = []
    for target, use in _PHONE_FIELDS.items():
        if target in values:
            contacts.append(ContactInput(ContactSystem.PHONE, values[target], use))
    if "email" in values:
        contacts.append(ContactInput(ContactSystem.EMAIL, values["email"], ContactUse.HOME))
    address = None
    if any(target in values for target in _ADDRESS_FIELDS):
        if "address_line1" not in values:
            first = next(headers[t] for t in _ADDRESS_FIELDS if t in headers)
            errors.append(RowError(number, first, "An address needs its first line (street)."))
        else:
            address = AddressInput(
                **{
                    attribute: values.get(target, "")
                    for target, attribute in _ADDRESS_FIELDS.items()
                }
            )
    # Returned even with errors: its identifiers still count for the duplicate check.
    return _Row(number, row_kind, values, identifiers, contacts, address), errors


def _rank(contacts: list[ContactInput], existing: Iterable[tuple[str, int]] = ()) -> None:
    """Number contacts 1, 2... per system, after those the person already has."""
    next_rank: dict[str, int] = {}
    for system, rank in existing:
        next_rank[system] = max(next_rank.get(system, 1), rank + 1)
    for contact in contacts:
        contact.rank = next_rank.get(contact.system, 1)
        next_rank[contact.system] = contact.rank + 1


def _person_input(row: _Row) -> PersonInput:
    values = row.values
    referral = None
    if row.kind == PersonKind.REFERRAL_SOURCE:
        named = bool(values.get("given_name") or values.get("family_name"))
        default_type = (
            ReferralSourceType.PRACTITIONER
            if named or not values.get("organization_name")
            else ReferralSourceType.ORGANIZATION
        )
        referral = ReferralInput(
            source_type=values.get("source_type", default_type),
            npi=values.get("npi", ""),
            specialty=values.get("specialty", ""),
            practice_name=values.get("practice_name", ""),
            affiliations=values.get("affiliations", ""),
        )
    contacts = [replace(c) for c in row.contacts]
    _rank(contacts)
    return PersonInput(
        kind=row.kind,
        **{name: values[name] for name in _SCALAR_FIELDS if name in values},
        contacts=contacts,
        identifiers=[identifier for _, identifier in row.identifiers],
        addresses=[row.address] if row.address else [],
        referral=referral,
    )


def _column_for(field_name: str | None, columns: list[_Column]) -> str:
    """The header to blame for an error the people actions raise about a field."""
    by_target = {c.target: c.header for c in columns}
    candidates = {
        "family_name": ("family_name", "given_name", "organization_name"),
        "phone": tuple(_PHONE_FIELDS),
        "contacts": (*_PHONE_FIELDS, "email"),
        "identifiers": ("mrn", "npi", *(t for t in by_target if t.startswith(IDENTIFIER_PREFIX))),
        "line1": ("address_line1",),
    }.get(field_name or "", (field_name or "",))
    return next((by_target[t] for t in candidates if t in by_target), field_name or "")


# --- matching with the people already registered --------------------------------------------


def _existing_people(
    organization: Organization, rows: list[_Row]
) -> tuple[dict[tuple[str, str], Person], dict[int, Person]]:
    """Who each identifier of the file already belongs to (merged records lead to the survivor),
    and those people with their contact points, addresses, identifiers and referral profile."""
    values = {identifier.value for row in rows for _, identifier in row.identifiers}
    owners: dict[tuple[str, str], int] = {}
    for chunk in _chunks(sorted(values)):
        for system, value, person_id in Identifier.objects.filter(
            organization=organization, value__in=chunk
        ).values_list("system", "value", "person_id"):
            owners[(system, value)] = person_id
    people = _people_by_id(organization, set(owners.values()))
    # A merged record's identifiers normally move to the survivor; follow the link if not.
    for _ in range(5):
        merged = {p.merged_into_id for p in people.values() if p.merged_into_id}
        missing = merged - people.keys()
        if not missing:
            break
        people.update(_people_by_id(organization, missing))
    by_identifier: dict[tuple[str, str], Person] = {}
    for key, person_id in owners.items():
        person = people[person_id]
        for _ in range(5):
            if person.status != PersonStatus.MERGED or person.merged_into_id not in people:
                break
            person = people[person.merged_into_id]
        by_identifier[key] = person
    return by_identifier, people


def _people_by_id(organization: Organization, ids: set[int]) -> dict[int, Person]:
    people: dict[int, Person] = {}
    for chunk in _chunks(sorted(ids)):
        people.update(
            (p.pk, p)
            for p in Person.objects.filter(organization=organization, pk__in=chunk)
            .select_related("referral_profile")
            .prefetch_related("contact_points", "addresses", "identifiers")
        )
    return people


def _chunks(items: list[_T], size: int = 900) -> Iterable[list[_T]]:
    """Batches small enough for SQLite's limit on query parameters."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _plan_update(
    row: _Row, person: Person, organization: Organization, columns: list[_Column]
) -> tuple[_Update | None, list[RowError]]:
    """What a row changes on a person already registered (None: nothing)."""
    changes = {
        name: row.values[name]
        for name in _SCALAR_FIELDS
        if name in row.values and getattr(person, name) != row.values[name]
    }
    if changes:
        # The same checks check_update_person makes, without writing.
        current = PersonInput(kind=person.kind, **{n: getattr(person, n) for n in PERSON_FIELDS})
        try:
            actions.clean_person_input(organization, replace(current, **changes), new=False)
        except CareBondError as error:
            return None, [RowError(row.number, _column_for(error.field, columns), error.message)]
    held = {(c.system, c.value) for c in person.contact_points.all()}
    contacts = [replace(c) for c in row.contacts if (c.system, c.value) not in held]
    _rank(contacts, ((c.system, c.rank) for c in person.contact_points.all()))
    own = {(i.system, i.value) for i in person.identifiers.all()}
    identifiers = [i for _, i in row.identifiers if (i.system, i.value) not in own]
    address = row.address
    if address is not None and any(
        a.line1.casefold() == address.line1.casefold()
        and a.postal_code.casefold() == address.postal_code.casefold()
        for a in person.addresses.all()
    ):
        address = None
    referral_changes: dict[str, str] = {}
    if person.kind == PersonKind.REFERRAL_SOURCE:
        profile = getattr(person, "referral_profile", None)
        for name in ("npi", *_REFERRAL_FIELDS):
            if name in row.values and getattr(profile, name, "") != row.values[name]:
                referral_changes[name] = row.values[name]
    if not (changes or contacts or identifiers or address or referral_changes):
        return None, []
    return (
        _Update(row.number, person.pk, changes, identifiers, contacts, address, referral_changes),
        [],
    )


def _plan(
    organization: Organization, data: bytes, *, kind: str, mapping: Mapping[str, str]
) -> tuple[ImportResult, list[_Create | _Update]]:
    result = ImportResult(kind=kind, dry_run=True)
    try:
        table = read_csv(data)
    except InvalidInput as error:
        line = int(error.code.split(":", 1)[1]) if error.code.startswith("line:") else 1
        result.errors.append(RowError(line, "", error.message))
        return result, []
    result.headers = table.headers
    columns, result.mapping, header_errors = _resolve_columns(table, mapping, kind)
    if header_errors:
        # Fix the header first: row checks against a wrong mapping would only add noise.
        result.errors = header_errors
        return result, []
    if not table.rows:
        result.errors.append(RowError(2, "", "The file has no rows under its header."))
        return result, []
    result.rows = len(table.rows)
    rows: list[_Row] = []
    rejected_rows: set[int] = set()
    for number, cells in table.rows:
        row, errors = _read_row(
            number,
            cells,
            columns,
            kind=kind,
            organization=organization,
            width=len(table.headers),
        )
        result.errors.extend(errors)
        if row is not None:
            rows.append(row)
            if errors:
                rejected_rows.add(number)
    # The same identifier twice in the file: the second row is the error.
    first_row: dict[tuple[str, str], int] = {}
    unique_rows: list[_Row] = []
    for row in rows:
        duplicates = [
            RowError(
                row.number,
                header,
                f"{identifier.label or identifier.system} {identifier.value} is also on row "
                f"{first_row[(identifier.system, identifier.value)]}; each identifier may "
                "appear once.",
            )
            for header, identifier in row.identifiers
            if (identifier.system, identifier.value) in first_row
        ]
        for _, identifier in row.identifiers:
            first_row.setdefault((identifier.system, identifier.value), row.number)
        result.errors.extend(duplicates)
        if not duplicates and row.number not in rejected_rows:
            unique_rows.append(row)
    by_identifier, _ = _existing_people(organization, unique_rows)
    plan: list[_Create | _Update] = []
    row_of_person: dict[int, int] = {}
    for row in unique_rows:
        matches = {
            header: by_identifier[(i.system, i.value)]
            for header, i in row.identifiers
            if (i.system, i.value) in by_identifier
        }
        people = {p.pk: p for p in matches.values()}
        if len(people) > 1:
            result.errors.append(
                RowError(
                    row.number,
                    next(iter(matches)),
                    "The identifiers of this row belong to different people ("
                    + ", ".join(matches)
                    + "); merge them first or correct the row.",
                )
            )
            continue
        if not people:
            errors, create = _plan_create(row, organization, columns)
            result.errors.extend(errors)
            if create is not None:
                plan.append(create)
                result.created += 1
            continue
        header, person = next(iter(matches.items()))
        if person.kind != row.kind:
            result.errors.append(
                RowError(
                    row.number,
                    header,
                    f"This identifier belongs to a {PersonKind(person.kind).label.lower()}; "
                    f"a {PersonKind(row.kind).label.lower()} row cannot update it.",
                )
            )
            continue
        if person.pk in row_of_person:
            result.errors.append(
                RowError(
                    row.number,
                    header,
                    f"This row and row {row_of_person[person.pk]} update the same person; "
                    "combine them.",
                )
            )
            continue
        row_of_person[person.pk] = row.number
        update, errors = _plan_update(row, person, organization, columns)
        result.errors.extend(errors)
        if update is not None:
            plan.append(update)
            result.updated += 1
        elif not errors:
            result.unchanged += 1
    result.errors.sort(key=lambda e: (e.row, _column_order(e.column, table.headers)))
    return result, plan


def _column_order(column: str, headers: list[str]) -> int:
    return headers.index(column) if column in headers else -1


def _plan_create(
    row: _Row, organization: Organization, columns: list[_Column]
) -> tuple[list[RowError], _Create | None]:
    values = row.values
    if not (values.get("given_name") or values.get("family_name")) and (
        row.kind == PersonKind.PATIENT or not values.get("organization_name")
    ):
        column = _column_for("family_name", columns)
        reason = (
            "A family name or a given name is required."
            if row.kind == PersonKind.PATIENT
            else "A referral source needs an organisation name or a person's name."
        )
        return [RowError(row.number, column, reason)], None
    try:
        cleaned = actions.clean_person_input(organization, _person_input(row))
    except CareBondError as error:
        return [RowError(row.number, _column_for(error.field, columns), error.message)], None
    return [], _Create(row.number, cleaned)


# --- writing ---------------------------------------------------------------------------------


def import_people(
    organization: Organization,
    data: bytes,
    *,
    kind: str = PersonKind.PATIENT,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    acting_user: User | None,
    actor_label: str = "csv-import",
) -> ImportResult:
    """Check a CSV file of people and, unless ``dry_run``, write it all or nothing.

    ``mapping`` maps CSV headers to CareBond fields (or ``IGNORE``); headers it leaves out are
    matched by ``default_mapping``. ``kind`` is the kind of every row without a ``kind`` column.
    Audit: person.created / person.updated / person.contact_added / person.identifier_added /
    person.address_added per row, and one people.imported for the file.
    """
    if kind not in IMPORT_KINDS:
        raise InvalidInput(
            f"Unknown kind {kind!r}; import patient or referral_source.", field="kind"
        )
    mapping = mapping or {}
    if dry_run:
        result, _ = _plan(organization, data, kind=kind, mapping=mapping)
        return result
    try:
        # One transaction for the whole file: planned and written under the same lock, so a
        # concurrent import cannot slip in the same MRN between the check and the write.
        with transaction.atomic():
            result, plan = _plan(organization, data, kind=kind, mapping=mapping)
            result.dry_run = False
            if result.errors:
                result.created = result.updated = result.unchanged = 0
                return result
            for item in plan:
                _apply(item, organization, acting_user=acting_user)
            actions.do_record_people_import(
                organization,
                kind=kind,
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                acting_user=acting_user,
                actor_label=actor_label,
            )
    except _Rollback as rollback:
        result.errors = [rollback.error]
        result.created = result.updated = result.unchanged = 0
    return result


def _apply(
    item: _Create | _Update, organization: Organization, *, acting_user: User | None
) -> None:
    try:
        if isinstance(item, _Create):
            actions.check_create_person(organization, item.data, acting_user=acting_user)
        else:
            _apply_update(item, acting_user=acting_user)
    except CareBondError as error:
        raise _Rollback(RowError(item.row, error.field or "", error.message)) from error
    except IntegrityError as error:
        raise _Rollback(
            RowError(
                item.row,
                "",
                "Another change to the same records was saved during the import; nothing was "
                "written. Import the file again.",
            )
        ) from error


def _apply_update(item: _Update, *, acting_user: User | None) -> None:
    # A fresh, locked row: the planning copy carries prefetched contact points that the search
    # index would otherwise read stale after a contact is added.
    person = (
        Person.objects.select_for_update().select_related("organization").get(pk=item.person_id)
    )
    actor = acting_user
    if item.changes:
        person = actions.check_update_person(person, item.changes, acting_user=actor)
    for identifier in item.identifiers:
        actions.check_add_identifier(person, identifier, acting_user=actor)
    for contact in item.contacts:
        actions.check_add_contact_point(person, contact, acting_user=actor)
    if item.address is not None:
        actions.check_add_address(person, item.address, acting_user=acting_user)
    if item.referral_changes:
        actions.check_update_referral_profile(
            person, item.referral_changes, acting_user=acting_user
        )
