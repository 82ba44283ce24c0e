"""Writes to the people registry. Every write validates, audits and re-indexes search."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.dates import PAST_DATES, RECORD_DATES
from carebond.core.errors import InvalidInput, PermissionDenied, Problems, RuleViolation
from carebond.core.models import Department, Location, Organization
from carebond.people import validation
from carebond.people.access import may_read_history, may_read_notes
from carebond.people.models import (
    Address,
    AdministrativeGender,
    CareTeamMember,
    Channel,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    ContactPoint,
    ContactSystem,
    ContactUse,
    HistoryCategory,
    HistoryItem,
    Identifier,
    Person,
    PersonalNote,
    PersonKind,
    PersonStatus,
    Purpose,
    ReferralSourceProfile,
    ReferralSourceType,
    Relationship,
    RelationshipType,
    StaffProfile,
)
from carebond.people.search import index_person

if TYPE_CHECKING:
    from carebond.accounts.models import User

MRN_SYSTEM = "urn:carebond:mrn"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


@dataclass
class ContactInput:
    system: str
    value: str
    use: str = ContactUse.HOME
    rank: int = 1


@dataclass
class IdentifierInput:
    system: str
    value: str
    type_code: str = ""
    label: str = ""


@dataclass
class AddressInput:
    line1: str
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    use: str = ContactUse.HOME


@dataclass
class ReferralInput:
    source_type: str = ReferralSourceType.PRACTITIONER
    npi: str = ""
    specialty: str = ""
    practice_name: str = ""
    affiliations: str = ""
    preferred_contact: str = ""
    liaison: User | None = None


@dataclass
class StaffInput:
    job_title: str = ""
    department: Department | None = None
    location: Location | None = None
    start_date: date | None = None
    is_clinical: bool = False
    user: User | None = None


@dataclass
class PersonInput:
    """Everything a new person can be created with; forms, the API and imports fill one."""

    kind: str
    given_name: str = ""
    middle_name: str = ""
    family_name: str = ""
    prefix: str = ""
    suffix: str = ""
    preferred_name: str = ""
    organization_name: str = ""
    pronouns: str = ""
    birth_date: date | None = None
    administrative_gender: str = ""
    sex_assigned_at_birth: str = ""
    gender_identity: str = ""
    preferred_language: str = ""
    time_zone: str = ""
    interpreter_needed: bool = False
    large_print: bool = False
    mobility_assistance: bool = False
    accessibility_notes: str = ""
    contacts: list[ContactInput] = field(default_factory=list)
    identifiers: list[IdentifierInput] = field(default_factory=list)
    addresses: list[AddressInput] = field(default_factory=list)
    referral: ReferralInput | None = None
    staff: StaffInput | None = None


# Scalar fields of Person that PersonInput carries and updates may change.
PERSON_FIELDS = tuple(
    f.name
    for f in fields(PersonInput)
    if f.name not in {"kind", "contacts", "identifiers", "addresses", "referral", "staff"}
)


def clean_person_input(
    organization: Organization, data: PersonInput, *, new: bool = True
) -> PersonInput:
    """Validate and normalise; raises InvalidInput naming the wrong field, or InvalidFields
    naming every one when several are wrong.

    ``new`` asks for what only creation needs (a staff member's job title)."""
    if data.kind not in PersonKind.values:
        raise InvalidInput(
            f"Unknown kind {data.kind!r}; choose one of {', '.join(PersonKind.values)}.",
            field="kind",
        )
    strip = {
        name: getattr(data, name).strip()
        for name in PERSON_FIELDS
        if isinstance(getattr(data, name), str)
    }
    cleaned = replace(data, **strip)
    # Every field is checked, and every wrong one reported (a form shows each at its field).
    problems = Problems()
    for name, value in strip.items():
        limit = getattr(Person._meta.get_field(name), "max_length", None)
        if limit and len(value) > limit:
            with problems.check():
                raise InvalidInput(
                    f"Keep {name.replace('_', ' ')} under {limit + 1} characters.", field=name
                )
    referring_organization = (
        data.referral is not None and data.referral.source_type == ReferralSourceType.ORGANIZATION
    )
    with problems.check():
        if referring_organization and not cleaned.organization_name:
            raise InvalidInput("A referring organisation needs a name.", field="organization_name")
        if not (cleaned.family_name or cleaned.given_name or cleaned.organization_name):
            raise InvalidInput("A family name or a given name is required.", field="family_name")
    with problems.check():
        if (
            cleaned.administrative_gender
            and cleaned.administrative_gender not in AdministrativeGender.values
        ):
            raise InvalidInput(
                f"Unknown sex {cleaned.administrative_gender!r}; use female, male, other or "
                "unknown.",
                field="administrative_gender",
            )
    with problems.check():
        cleaned.birth_date = validation.validate_birth_date(cleaned.birth_date)
    with problems.check():
        cleaned.preferred_language = validation.normalize_language(cleaned.preferred_language)
    with problems.check():
        cleaned.time_zone = validation.validate_time_zone_name(cleaned.time_zone)
    cleaned.contacts = []
    for i, contact in enumerate(data.contacts):
        with problems.check():
            cleaned.contacts.append(clean_contact(organization, contact, index=i))
    cleaned.identifiers = []
    for n, identifier in enumerate(data.identifiers):
        with problems.check():
            cleaned.identifiers.append(clean_identifier(organization, identifier, index=n))
    problems.raise_any()
    seen = [(i.system, i.value) for i in cleaned.identifiers]
    if len(seen) != len(set(seen)):
        raise InvalidInput("The same identifier is listed twice.", field="identifiers")
    if data.referral is not None:
        if data.referral.source_type not in ReferralSourceType.values:
            raise InvalidInput("Choose practitioner or organization.", field="source_type")
        cleaned.referral = replace(data.referral, npi=validation.validate_npi(data.referral.npi))
        if (
            data.referral.preferred_contact
            and data.referral.preferred_contact not in Channel.values
        ):
            raise InvalidInput("Unknown contact channel.", field="preferred_contact")
    if (
        new
        and data.kind == PersonKind.STAFF
        and (data.staff is None or not data.staff.job_title.strip())
    ):
        raise InvalidInput("A staff member needs a job title.", field="job_title")
    if data.staff is not None and data.staff.start_date is not None:
        RECORD_DATES.check(data.staff.start_date, field="start_date")
    return cleaned


def clean_contact(
    organization: Organization, contact: ContactInput, *, index: int = 0
) -> ContactInput:
    if contact.system == ContactSystem.PHONE:
        value = validation.normalize_phone(
            contact.value, region=organization.country, field="phone"
        )
    elif contact.system == ContactSystem.EMAIL:
        value = validation.normalize_email(contact.value, field="email")
    else:
        raise InvalidInput(f"Unknown contact system {contact.system!r}.", field="contacts")
    if contact.use not in ContactUse.values:
        raise InvalidInput(
            f"Unknown use {contact.use!r}; use home, work, mobile or other.", field="contacts"
        )
    return replace(contact, value=value, rank=contact.rank or index + 1)


def clean_identifier(
    organization: Organization,
    identifier: IdentifierInput,
    *,
    index: int = 0,
    person: Person | None = None,
) -> IdentifierInput:
    system, value = identifier.system.strip(), identifier.value.strip()
    if not system or not value:
        raise InvalidInput("An identifier needs a system and a value.", field="identifiers")
    if system == NPI_SYSTEM:
        value = validation.validate_npi(value, field="identifiers")
    taken = Identifier.objects.filter(organization=organization, system=system, value=value)
    if person is not None:
        taken = taken.exclude(person=person)
    if taken.exists():
        raise RuleViolation(
            f"The identifier {value} ({identifier.label or system}) already belongs to another "
            "person in this organisation.",
            code="duplicate_identifier",
        )
    return replace(identifier, system=system, value=value)


def _identifier_taken() -> RuleViolation:
    return RuleViolation(
        "That identifier was just given to another person of this organisation.",
        code="duplicate_identifier",
    )


def lock_live(person: Person) -> Person:
    """Lock the person's row for this transaction, and refuse records merged away: a change
    there would never reach the surviving record (and a merge running now waits for us)."""
    locked = Person.objects.select_for_update().select_related("organization").get(pk=person.pk)
    if locked.status == PersonStatus.MERGED:
        raise RuleViolation(
            "This record was merged into another one; make the change there.",
            code="person_merged",
        )
    return locked


def check_create_person(
    organization: Organization, data: PersonInput, *, acting_user: User | None
) -> Person:
    return do_create_person(
        organization, clean_person_input(organization, data), acting_user=acting_user
    )


@transaction.atomic
def do_create_person(
    organization: Organization, data: PersonInput, *, acting_user: User | None
) -> Person:
    """Audit: person.created. Side effects: search index."""
    person = Person.objects.create(
        organization=organization,
        kind=data.kind,
        **{name: getattr(data, name) for name in PERSON_FIELDS},
    )
    try:
        with transaction.atomic():  # the identifier check ran before; another writer may win
            _write_details(person, data)
    except IntegrityError as error:
        raise _identifier_taken() from error
    index_person(person)
    record_audit(
        actor=acting_user,
        action="person.created",
        target=person,
        patient=person if person.kind == PersonKind.PATIENT else None,
        changed_fields=[n for n in PERSON_FIELDS if getattr(data, n)],
    )
    return person


def _write_details(person: Person, data: PersonInput) -> None:
    org_id = person.organization_id
    Identifier.objects.bulk_create(
        Identifier(
            organization_id=org_id,
            person=person,
            system=i.system,
            value=i.value,
            type_code=i.type_code,
            label=i.label,
        )
        for i in data.identifiers
    )
    ContactPoint.objects.bulk_create(
        ContactPoint(
            organization_id=org_id,
            person=person,
            system=c.system,
            value=c.value,
            use=c.use,
            rank=c.rank,
        )
        for c in data.contacts
    )
    Address.objects.bulk_create(
        Address(organization_id=org_id, person=person, rank=n + 1, **vars(a))
        for n, a in enumerate(data.addresses)
    )
    if data.referral is not None:
        ReferralSourceProfile.objects.create(
            organization_id=org_id, person=person, **vars(data.referral)
        )
    if data.staff is not None:
        StaffProfile.objects.create(organization_id=org_id, person=person, **vars(data.staff))


@transaction.atomic
def check_update_person(
    person: Person, changes: dict[str, Any], *, acting_user: User | None
) -> Person:
    """Change scalar fields (names, birth date, language...); unknown names are refused."""
    person = lock_live(person)
    unknown = sorted(set(changes) - set(PERSON_FIELDS) - {"kind"})
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    if "kind" in changes and changes["kind"] != person.kind:
        raise RuleViolation("A person's kind cannot change.", code="kind_fixed")
    current = PersonInput(kind=person.kind, **{n: getattr(person, n) for n in PERSON_FIELDS})
    proposed = replace(current, **{k: v for k, v in changes.items() if k != "kind"})
    cleaned = clean_person_input(person.organization, proposed, new=False)
    changed = [n for n in PERSON_FIELDS if getattr(cleaned, n) != getattr(current, n)]
    return do_update_person(
        person, {n: getattr(cleaned, n) for n in changed}, acting_user=acting_user
    )


@transaction.atomic
def do_update_person(
    person: Person, changes: dict[str, Any], *, acting_user: User | None
) -> Person:
    """Audit: person.updated (names of the changed fields only). Side effects: search index."""
    if not changes:
        return person
    for name, value in changes.items():
        setattr(person, name, value)
    person.save(update_fields=[*changes, "updated_at"])
    index_person(person)
    _audit_change(person, "person.updated", list(changes), acting_user=acting_user)
    return person


def _patient_of(person: Person) -> Person | None:
    return person if person.kind == PersonKind.PATIENT else None


def _audit_change(
    person: Person, action: str, changed_fields: list[str], *, acting_user: User | None
) -> None:
    """One audit event for a change to a person's record, naming the parts changed (never
    their values), linked to the patient when the person is one."""
    record_audit(
        actor=acting_user,
        action=action,
        target=person,
        patient=_patient_of(person),
        changed_fields=changed_fields,
    )


@transaction.atomic
def check_add_contact_point(
    person: Person, contact: ContactInput, *, acting_user: User | None
) -> ContactPoint:
    """Audit: person.contact_added."""
    person = lock_live(person)
    cleaned = clean_contact(person.organization, contact)
    point = ContactPoint.objects.create(
        organization_id=person.organization_id,
        person=person,
        system=cleaned.system,
        value=cleaned.value,
        use=cleaned.use,
        rank=cleaned.rank,
    )
    index_person(person)
    _audit_change(
        person, "person.contact_added", [f"contact.{cleaned.system}"], acting_user=acting_user
    )
    return point


def _contact_point(person: Person, *, system: str, value: str) -> ContactPoint:
    point = ContactPoint.objects.filter(person=person, system=system, value=value).first()
    if point is None:
        raise InvalidInput(
            "That phone or email is no longer on the record; reload the page.", field="value"
        )
    return point


@transaction.atomic
def check_change_contact_point(
    person: Person, *, system: str, old_value: str, contact: ContactInput, acting_user: User | None
) -> ContactPoint:
    """Audit: person.contact_changed. Replaces a phone or email (a new number, a typo fixed)."""
    person = lock_live(person)
    point = _contact_point(person, system=system, value=old_value)
    cleaned = clean_contact(person.organization, replace(contact, system=system))
    if (
        cleaned.value != point.value
        and ContactPoint.objects.filter(person=person, system=system, value=cleaned.value).exists()
    ):
        raise InvalidInput(f"{cleaned.value} is already on this record.", field="value")
    point.value, point.use = cleaned.value, cleaned.use
    point.save(update_fields=["value", "use"])
    index_person(person)
    _audit_change(person, "person.contact_changed", [f"contact.{system}"], acting_user=acting_user)
    return point


@transaction.atomic
def check_remove_contact_point(
    person: Person, *, system: str, value: str, acting_user: User | None
) -> None:
    """Audit: person.contact_removed. The others of the same kind close ranks (1, 2, ...)."""
    person = lock_live(person)
    _contact_point(person, system=system, value=value).delete()
    for rank, point in enumerate(
        ContactPoint.objects.filter(person=person, system=system).order_by("rank", "id"), start=1
    ):
        if point.rank != rank:
            point.rank = rank
            point.save(update_fields=["rank"])
    index_person(person)
    _audit_change(person, "person.contact_removed", [f"contact.{system}"], acting_user=acting_user)


@transaction.atomic
def check_add_identifier(
    person: Person, identifier: IdentifierInput, *, acting_user: User | None
) -> Identifier:
    """Audit: person.identifier_added."""
    person = lock_live(person)
    cleaned = clean_identifier(person.organization, identifier, person=person)
    try:
        with transaction.atomic():
            row = Identifier.objects.create(
                organization_id=person.organization_id,
                person=person,
                system=cleaned.system,
                value=cleaned.value,
                type_code=cleaned.type_code,
                label=cleaned.label,
            )
    except IntegrityError as error:
        raise _identifier_taken() from error
    index_person(person)
    _audit_change(person, "person.identifier_added", ["identifier"], acting_user=acting_user)
    return row


@transaction.atomic
def check_record_consent(
    person: Person,
    *,
    channel: str,
    purpose: str,
    status: str,
    method: str,
    evidence: str = "",
    acting_user: User | None,
) -> ConsentRecord:
    person = lock_live(person)
    for name, value, choices in (
        ("channel", channel, Channel),
        ("purpose", purpose, Purpose),
        ("status", status, ConsentStatus),
        ("method", method, ConsentMethod),
    ):
        if value not in choices.values:
            raise InvalidInput(
                f"Unknown {name} {value!r}; choose one of {', '.join(choices.values)}.", field=name
            )
    return do_record_consent(
        person,
        channel=channel,
        purpose=purpose,
        status=status,
        method=method,
        evidence=evidence,
        acting_user=acting_user,
    )


@transaction.atomic
def do_record_consent(
    person: Person,
    *,
    channel: str,
    purpose: str,
    status: str,
    method: str,
    evidence: str = "",
    acting_user: User | None,
) -> ConsentRecord:
    """Audit: consent.granted or consent.revoked (with channel and purpose as field names)."""
    record = ConsentRecord.objects.create(
        organization_id=person.organization_id,
        person=person,
        channel=channel,
        purpose=purpose,
        status=status,
        method=method,
        recorded_at=clock.now(),
        recorded_by=acting_user,
        evidence=evidence,
    )
    _audit_change(person, f"consent.{status}", [f"{channel}.{purpose}"], acting_user=acting_user)
    return record


@transaction.atomic
def check_add_related_person(
    patient: Person,
    data: PersonInput,
    *,
    relationship: str,
    is_emergency_contact: bool = False,
    may_discuss_care: bool = False,
    acting_user: User,
) -> Relationship:
    patient = lock_live(patient)
    if patient.kind != PersonKind.PATIENT:
        raise RuleViolation(
            "Family and caregivers are recorded for patients.", code="not_a_patient"
        )
    if relationship not in RelationshipType.values:
        raise InvalidInput(f"Unknown relationship {relationship!r}.", field="relationship")
    cleaned = clean_person_input(patient.organization, replace(data, kind=PersonKind.RELATED))
    return do_add_related_person(
        patient,
        cleaned,
        relationship=relationship,
        is_emergency_contact=is_emergency_contact,
        may_discuss_care=may_discuss_care,
        acting_user=acting_user,
    )


@transaction.atomic
def do_add_related_person(
    patient: Person,
    data: PersonInput,
    *,
    relationship: str,
    is_emergency_contact: bool,
    may_discuss_care: bool,
    acting_user: User | None,
) -> Relationship:
    """Audit: person.created (the relative) and person.relationship_added (the patient)."""
    related = do_create_person(patient.organization, data, acting_user=acting_user)
    link = Relationship.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        related=related,
        relationship=relationship,
        is_emergency_contact=is_emergency_contact,
        may_discuss_care=may_discuss_care,
    )
    record_audit(
        actor=acting_user,
        action="person.relationship_added",
        target=patient,
        patient=patient,
        changed_fields=["relationships"],
    )
    return link


@transaction.atomic
def check_add_care_team_member(
    patient: Person, staff: Person, *, role: str, acting_user: User | None
) -> CareTeamMember:
    """Audit: person.care_team_added."""
    patient = lock_live(patient)
    if staff.kind != PersonKind.STAFF or staff.organization_id != patient.organization_id:
        raise InvalidInput("Choose a staff member of this organisation.", field="staff")
    if not role.strip():
        raise InvalidInput("Say what role they play, e.g. 'Primary care physician'.", field="role")
    member, _ = CareTeamMember.objects.get_or_create(
        organization_id=patient.organization_id,
        patient=patient,
        staff=staff,
        role=role.strip(),
    )
    record_audit(
        actor=acting_user,
        action="person.care_team_added",
        target=patient,
        patient=patient,
        changed_fields=["care_team"],
    )
    return member


@transaction.atomic
def check_add_history_item(
    person: Person,
    *,
    category: str,
    display: str,
    code_system: str = "",
    code: str = "",
    onset: date | None = None,
    is_active: bool = True,
    acting_user: User | None,
) -> HistoryItem:
    """Audit: person.history_added. Imports (no acting user) and history readers only."""
    if acting_user is not None and not may_read_history(acting_user):
        raise PermissionDenied("Only clinicians edit the medical history.", code="forbidden_role")
    person = lock_live(person)
    if category not in HistoryCategory.values:
        raise InvalidInput(f"Unknown category {category!r}.", field="category")
    if not display.strip():
        raise InvalidInput("Describe the item, e.g. 'Type 2 diabetes'.", field="display")
    if bool(code_system.strip()) != bool(code.strip()):
        raise InvalidInput("A code needs both its system and its value.", field="code")
    if onset is not None:
        PAST_DATES.check(onset, field="onset")
    item = HistoryItem.objects.create(
        organization_id=person.organization_id,
        person=person,
        category=category,
        display=display.strip(),
        code_system=code_system.strip(),
        code=code.strip(),
        onset=onset,
        is_active=is_active,
        recorded_by=acting_user,
    )
    _audit_change(person, "person.history_added", [f"history.{category}"], acting_user=acting_user)
    return item


@transaction.atomic
def check_add_personal_note(person: Person, *, text: str, acting_user: User) -> PersonalNote:
    """Audit: person.note_added. The note's text is encrypted at rest."""
    if not may_read_notes(acting_user):
        raise PermissionDenied("Your role does not keep personal notes.", code="forbidden_role")
    person = lock_live(person)
    if not text.strip():
        raise InvalidInput("Write the note first.", field="text")
    if len(text) > 4000:
        raise InvalidInput("Keep notes under 4,000 characters.", field="text")
    note = PersonalNote.objects.create(
        organization_id=person.organization_id,
        person=person,
        text=text.strip(),
        author=acting_user,
        created_at=clock.now(),
    )
    _audit_change(person, "person.note_added", ["personal_notes"], acting_user=acting_user)
    return note


# --- CSV import (carebond.people.imports) -------------------------------------------------------

REFERRAL_PROFILE_FIELDS = (
    "source_type",
    "npi",
    "specialty",
    "practice_name",
    "affiliations",
    "preferred_contact",
)


@transaction.atomic
def check_add_address(
    person: Person, address: AddressInput, *, acting_user: User | None
) -> Address:
    """Audit: person.address_added (a new address ranks after the ones the person has)."""
    person = lock_live(person)
    cleaned = _clean_address(address)
    rank = Address.objects.filter(person=person).count() + 1
    row = Address.objects.create(
        organization_id=person.organization_id, person=person, rank=rank, **vars(cleaned)
    )
    _audit_change(person, "person.address_added", ["address"], acting_user=acting_user)
    return row


def _clean_address(address: AddressInput) -> AddressInput:
    cleaned = replace(
        address,
        **{name: str(getattr(address, name)).strip() for name in vars(address)},
    )
    problems = Problems()
    with problems.check():
        if not cleaned.line1:
            raise InvalidInput("An address needs its first line (street).", field="line1")
    with problems.check():
        if cleaned.use not in ContactUse.values:
            raise InvalidInput(
                f"Unknown use {cleaned.use!r}; use home, work, mobile or other.", field="use"
            )
    cleaned.country = cleaned.country.upper()
    with problems.check():
        if cleaned.country and (len(cleaned.country) != 2 or not cleaned.country.isalpha()):
            raise InvalidInput(
                f"{address.country!r} is not a two-letter country code (e.g. US).",
                field="country",
            )
    for name in vars(cleaned):
        limit = getattr(Address._meta.get_field(name), "max_length", None)
        if limit and len(getattr(cleaned, name)) > limit:
            with problems.check():
                raise InvalidInput(f"Keep this under {limit + 1} characters.", field=name)
    problems.raise_any()
    return cleaned


def _address_at(person: Person, rank: int, line1: str) -> Address:
    """The address at a rank, if it is still the one the page showed (its street): a page left
    open while a colleague removed an address must not change the wrong one."""
    address = Address.objects.filter(person=person, rank=rank).first()
    if address is None or address.line1 != line1:
        raise InvalidInput("That address changed since the page was opened; reload the page.")
    return address


@transaction.atomic
def check_change_address(
    person: Person, *, rank: int, line1_was: str, address: AddressInput, acting_user: User | None
) -> Address:
    """Audit: person.address_changed (a move, a corrected postcode)."""
    person = lock_live(person)
    row = _address_at(person, rank, line1_was)
    for name, value in vars(_clean_address(address)).items():
        setattr(row, name, value)
    row.save()
    _audit_change(person, "person.address_changed", ["address"], acting_user=acting_user)
    return row


@transaction.atomic
def check_remove_address(
    person: Person, *, rank: int, line1_was: str, acting_user: User | None
) -> None:
    """Audit: person.address_removed. The addresses after it move up one."""
    person = lock_live(person)
    _address_at(person, rank, line1_was).delete()
    for position, row in enumerate(Address.objects.filter(person=person).order_by("rank"), 1):
        if row.rank != position:
            row.rank = position
            row.save(update_fields=["rank"])
    _audit_change(person, "person.address_removed", ["address"], acting_user=acting_user)


@transaction.atomic
def check_update_referral_profile(
    person: Person, changes: dict[str, str], *, acting_user: User | None
) -> ReferralSourceProfile:
    """Audit: person.updated (referral.<field> names only). Creates the profile if missing."""
    person = lock_live(person)
    if person.kind != PersonKind.REFERRAL_SOURCE:
        raise RuleViolation(
            "Only referral sources have a referral profile.", code="not_a_referral_source"
        )
    unknown = sorted(set(changes) - set(REFERRAL_PROFILE_FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    cleaned = {name: value.strip() for name, value in changes.items()}
    if "npi" in cleaned:
        cleaned["npi"] = validation.validate_npi(cleaned["npi"])
    if "source_type" in cleaned and cleaned["source_type"] not in ReferralSourceType.values:
        raise InvalidInput("Choose practitioner or organization.", field="source_type")
    if cleaned.get("preferred_contact") and cleaned["preferred_contact"] not in Channel.values:
        raise InvalidInput("Unknown contact channel.", field="preferred_contact")
    profile = ReferralSourceProfile.objects.select_for_update().filter(person=person).first()
    if profile is None:
        profile = ReferralSourceProfile(
            organization_id=person.organization_id,
            person=person,
            source_type=ReferralSourceType.PRACTITIONER,
        )
    changed = [name for name, value in cleaned.items() if getattr(profile, name) != value]
    if not changed and profile.pk is not None:
        return profile
    for name in changed:
        setattr(profile, name, cleaned[name])
    profile.save()
    record_audit(
        actor=acting_user,
        action="person.updated",
        target=person,
        changed_fields=[f"referral.{name}" for name in changed] or ["referral"],
    )
    return profile


@transaction.atomic
def do_record_people_import(
    organization: Organization,
    *,
    kind: str,
    created: int,
    updated: int,
    unchanged: int,
    acting_user: User | None,
    actor_label: str = "csv-import",
) -> None:
    """Audit: people.imported, once per committed file (counts only: no names, no values)."""
    record_audit(
        actor=acting_user,
        action="people.imported",
        organization=organization,
        changed_fields=[
            f"kind:{kind}",
            f"created:{created}",
            f"updated:{updated}",
            f"unchanged:{unchanged}",
        ],
        actor_label=None if acting_user else actor_label,
    )
