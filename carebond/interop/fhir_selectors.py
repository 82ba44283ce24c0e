"""Reads behind /fhir/R4 and bulk export: which rows each FHIR type is, read by id, search.

One registry (``FHIR_TYPES``) says, per resource type, which rows of an organisation it is
(prefetched for ``to_fhir``), who may read it, and which search parameters it supports; the
facade, the CapabilityStatement and the exporter all read it, so they cannot disagree.
Every read and search is scoped to the acting user's organisation and audited with
``record_access`` (searches without their values: a name or birth date is PHI).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from carebond.audit.models import AuditEvent
from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.core.permissions import ADMINS, PHI_READERS, AccessPolicy, require_role
from carebond.interop import to_fhir
from carebond.interop.consent_to_fhir import consent_record_to_fhir
from carebond.interop.fhir_search_params import (
    BIRTHDATE_PARAM,
    ID_PARAM,
    IDENTIFIER_PARAM,
    PERSON_NAME_PARAM,
    InvalidSearch,
    SearchParam,
    audit_patient,
    name_filter,
    param,
    patient_params,
    reference_ids,
    related_patient,
    uuids,
)
from carebond.interop.models import StoredResource
from carebond.people.models import (
    ConsentRecord,
    HistoryItem,
    Person,
    PersonKind,
    PersonStatus,
    ReferralSourceType,
    Relationship,
)
from carebond.touchpoints.models import Touchpoint

if TYPE_CHECKING:
    from carebond.accounts.models import User

DEFAULT_COUNT = 20
MAX_COUNT = 500
# Result parameters the facade understands besides each type's search parameters.
CONTROL_PARAMS = frozenset({"_count", "_offset", "_format"})
STORED_TYPES = ("Appointment", "ServiceRequest", "Task", "QuestionnaireResponse", "Consent")


@dataclass(frozen=True)
class FhirType:
    """What one resource type is in CareBond."""

    name: str
    rows: Callable[[int], QuerySet[Any]]  # every row of the type in one organisation
    to_fhir: Callable[[Any], dict[str, Any]]
    policy: AccessPolicy = PHI_READERS
    params: tuple[SearchParam, ...] = ()
    patient_of: Callable[[Any], Any] = lambda row: None  # the patient a row is about (audit)
    in_facade: bool = True  # False: only in bulk export (no stable id to read by)
    documentation: str = ""
    # More rows served as the same type, after these (Consent: kept as imported, then
    # CareBond's own consent records). Same search parameters, built on its own fields.
    also: FhirType | None = None

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)

    def sources(self) -> list[FhirType]:
        return [self] if self.also is None else [self, *self.also.sources()]


# --- which rows each type is --------------------------------------------------------------------


def _people(organization_id: int) -> QuerySet[Person]:
    return (
        Person.objects.filter(organization_id=organization_id)
        .live()
        .select_related("referral_profile")
        .prefetch_related("identifiers", "contact_points", "addresses")
        .order_by("pk")
    )


# A referral source is an Organization when its profile says so (or, without a profile, when it
# has an organisation name and no family name): the same rule as to_fhir.fhir_type_of_person.
_REFERRING_ORGANIZATION = Q(referral_profile__source_type=ReferralSourceType.ORGANIZATION) | (
    Q(referral_profile__isnull=True) & Q(family_name="") & ~Q(organization_name="")
)


def _patients(organization_id: int) -> QuerySet[Person]:
    return _people(organization_id).filter(kind=PersonKind.PATIENT)


def _practitioners(organization_id: int) -> QuerySet[Person]:
    return _people(organization_id).filter(
        Q(kind=PersonKind.STAFF) | (Q(kind=PersonKind.REFERRAL_SOURCE) & ~_REFERRING_ORGANIZATION)
    )


def _organizations(organization_id: int) -> QuerySet[Person]:
    return _people(organization_id).filter(
        Q(kind=PersonKind.REFERRAL_SOURCE) & _REFERRING_ORGANIZATION
    )


def _related_people(organization_id: int) -> QuerySet[Person]:
    # RelatedPerson.patient is required: only relatives linked to a live patient are resources.
    linked = Relationship.objects.filter(organization_id=organization_id).exclude(
        patient__status=PersonStatus.MERGED
    )
    return (
        _people(organization_id)
        .filter(kind=PersonKind.RELATED, pk__in=linked.values("related_id"))
        .prefetch_related(
            Prefetch("related_to", queryset=Relationship.objects.select_related("patient"))
        )
    )


def _locations(organization_id: int) -> QuerySet[Location]:
    return Location.objects.filter(organization_id=organization_id).order_by("pk")


def _touchpoints(organization_id: int, kinds: Sequence[str]) -> QuerySet[Touchpoint]:
    return (
        Touchpoint.objects.filter(organization_id=organization_id, kind__in=kinds)
        .exclude(person__status=PersonStatus.MERGED)
        .select_related("person__referral_profile", "staff__referral_profile", "location")
        .order_by("pk")
    )


def _encounters(organization_id: int) -> QuerySet[Touchpoint]:
    return _touchpoints(organization_id, to_fhir.ENCOUNTER_KINDS).filter(
        person__kind=PersonKind.PATIENT
    )


def _communications(organization_id: int) -> QuerySet[Touchpoint]:
    return _touchpoints(organization_id, to_fhir.COMMUNICATION_KINDS)


def _history(category: str) -> Callable[[int], QuerySet[HistoryItem]]:
    def rows(organization_id: int) -> QuerySet[HistoryItem]:
        return (
            HistoryItem.objects.filter(
                organization_id=organization_id,
                category=category,
                person__kind=PersonKind.PATIENT,
            )
            .exclude(person__status=PersonStatus.MERGED)
            .select_related("person")
            .order_by("pk")
        )

    return rows


def _stored(resource_type: str) -> Callable[[int], QuerySet[StoredResource]]:
    def rows(organization_id: int) -> QuerySet[StoredResource]:
        return (
            StoredResource.objects.filter(
                organization_id=organization_id, resource_type=resource_type
            )
            .select_related("person")
            .order_by("pk")
        )

    return rows


def _consent_records(organization_id: int) -> QuerySet[ConsentRecord]:
    """Patients' contact consents, each with ``superseded_at``: when a newer decision for the
    same channel and purpose replaced it (None for the one in force)."""
    newer = (
        ConsentRecord.objects.filter(
            person_id=OuterRef("person_id"),
            channel=OuterRef("channel"),
            purpose=OuterRef("purpose"),
        )
        .filter(
            Q(recorded_at__gt=OuterRef("recorded_at"))
            | Q(recorded_at=OuterRef("recorded_at"), pk__gt=OuterRef("pk"))
        )
        .order_by("recorded_at", "pk")
    )
    return (
        ConsentRecord.objects.filter(
            organization_id=organization_id, person__kind=PersonKind.PATIENT
        )
        .exclude(person__status=PersonStatus.MERGED)
        .select_related("person")
        .annotate(superseded_at=Subquery(newer.values("recorded_at")[:1]))
        .order_by("pk")
    )


def _audit_events(organization_id: int) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(organization_id=organization_id)
        .select_related("actor")
        .order_by("pk")
    )


def _itself(row: Any) -> Any:
    return row


def _its_person(row: Any) -> Any:
    person = row.person
    return person if person is not None and person.kind == PersonKind.PATIENT else None


def _its_patient(row: Relationship | Person) -> Any:
    link = to_fhir.relationship_of(row) if isinstance(row, Person) else row
    return link.patient if link is not None else None


_PERSON_PARAMS = (ID_PARAM, IDENTIFIER_PARAM, PERSON_NAME_PARAM)

FHIR_TYPES: dict[str, FhirType] = {
    t.name: t
    for t in [
        FhirType(
            "Patient",
            _patients,
            to_fhir.patient_to_fhir,
            params=(*_PERSON_PARAMS, BIRTHDATE_PARAM),
            patient_of=_itself,
            documentation="Patients (never records merged into another).",
        ),
        FhirType(
            "Practitioner",
            _practitioners,
            to_fhir.practitioner_to_fhir,
            params=_PERSON_PARAMS,
            documentation="Staff members and referring practitioners.",
        ),
        FhirType(
            "Organization",
            _organizations,
            to_fhir.organization_to_fhir,
            params=(
                ID_PARAM,
                IDENTIFIER_PARAM,
                param(
                    "name",
                    "string",
                    "Starts the organisation's name (case-insensitive).",
                    name_filter(("organization_name",)),
                    modifiers=frozenset({"exact", "contains"}),
                ),
            ),
            documentation="Referring organisations.",
        ),
        FhirType(
            "RelatedPerson",
            _related_people,
            to_fhir.related_person_to_fhir,
            params=(
                *_PERSON_PARAMS,
                BIRTHDATE_PARAM,
                param("patient", "reference", "The patient: Patient/<id>.", related_patient),
            ),
            patient_of=_its_patient,
            documentation="Patients' family members and caregivers.",
        ),
        FhirType(
            "Location",
            _locations,
            to_fhir.location_to_fhir,
            params=(
                ID_PARAM,
                param(
                    "name",
                    "string",
                    "Starts the location's name (case-insensitive).",
                    name_filter(("name",)),
                    modifiers=frozenset({"exact", "contains"}),
                ),
            ),
            documentation="The organisation's locations.",
        ),
        FhirType(
            "Encounter",
            _encounters,
            to_fhir.encounter_to_fhir,
            params=(ID_PARAM, *patient_params("person")),
            patient_of=_its_person,
            documentation="Visits and telehealth visits from the timeline.",
        ),
        FhirType(
            "Communication",
            _communications,
            to_fhir.communication_to_fhir,
            params=(ID_PARAM, *patient_params("person")),
            patient_of=_its_person,
            documentation="Messages and calls from the timeline.",
        ),
        *(
            FhirType(
                name,
                _stored(name),
                to_fhir.stored_resource_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=_its_person,
                documentation="Kept as imported (references point at CareBond ids).",
            )
            for name in STORED_TYPES
            if name != "Consent"
        ),
        FhirType(
            "Consent",
            _stored("Consent"),
            to_fhir.stored_resource_to_fhir,
            params=(ID_PARAM, *patient_params("person")),
            patient_of=_its_person,
            documentation="Consents kept as imported, then patients' contact consents recorded "
            "in CareBond (one per decision; the newest per channel and purpose is active).",
            also=FhirType(
                "Consent",
                _consent_records,
                consent_record_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=_its_person,
            ),
        ),
        FhirType(
            "AuditEvent",
            _audit_events,
            to_fhir.audit_event_to_fhir,
            policy=ADMINS,
            params=(
                ID_PARAM,
                param("patient", "reference", "Events about Patient/<id>.", audit_patient),
            ),
            documentation="The audit trail (administrators only).",
        ),
        *(
            FhirType(
                resource_type,
                _history(category),
                to_fhir.history_item_to_fhir,
                in_facade=False,
                patient_of=_its_person,
            )
            for category, resource_type in to_fhir.HISTORY_TYPES.items()
        ),
    ]
}
FACADE_TYPES = tuple(t for t in FHIR_TYPES.values() if t.in_facade)


def get_fhir_type(resource_type: str, *, user: User) -> FhirType:
    """The type as the facade serves it; unknown types are 404, a role not allowed is 403."""
    spec = FHIR_TYPES.get(resource_type)
    if spec is None or not spec.in_facade:
        raise NotFound(f"The resource type '{resource_type[:64]}' is not supported here.")
    require_role(user, spec.policy)
    return spec


# --- read and search ----------------------------------------------------------------------------


def _audit_verb(spec: FhirType, verb: str) -> str:
    return f"fhir.{spec.name.lower()}.{verb}"


def read_fhir_resource(*, user: User, resource_type: str, resource_id: str) -> dict[str, Any]:
    """One resource by id. Audited: fhir.<type>.read (patient named). Another organisation's id
    and an unknown one give the same NotFound."""
    spec = get_fhir_type(resource_type, user=user)
    ids = uuids([resource_id])
    for source in spec.sources() if ids else []:
        row = source.rows(user.organization_id).filter(public_id__in=ids).first()
        if row is not None:
            record_access(
                actor=user,
                target=row,
                patient=source.patient_of(row),
                action=_audit_verb(spec, "read"),
            )
            return source.to_fhir(row)
    raise NotFound(f"{spec.name}/{resource_id[:64]} is not known.")


@dataclass
class SearchResult:
    total: int
    offset: int
    count: int
    resources: list[dict[str, Any]] = field(default_factory=list)
    # The normalised parameters (without _count/_offset/_format), for paging links.
    params: list[tuple[str, str]] = field(default_factory=list)


MAX_OFFSET = 2**31 - 1  # beyond it databases overflow; no organisation has that many rows


def _number(query: Mapping[str, list[str]], name: str, default: int) -> int:
    values = [v for v in query.get(name, []) if v.strip()]
    if not values:
        return default
    text = values[0].strip()
    if len(values) > 1 or not text.isascii() or not text.isdigit() or int(text) > MAX_OFFSET:
        raise InvalidSearch(f"'{name}' takes one whole number, 0 or more.", field=name)
    return int(text)


def search_fhir_resources(
    *, user: User, resource_type: str, query: Mapping[str, list[str]]
) -> SearchResult:
    """A page of matches and the total. Parameters repeat as AND, commas inside one are OR.

    Unknown parameters and modifiers are refused (400, naming the parameter) rather than
    ignored, so a client never mistakes an unfiltered list for an answer. Audited:
    fhir.<type>.search, without the values searched for (the patient named if one was given).
    """
    spec = get_fhir_type(resource_type, user=user)
    organization_id = user.organization_id
    kept: list[tuple[str, str]] = []
    filters: list[tuple[str, str, list[str]]] = []  # (name, modifier, values)
    patients: set[uuid.UUID] = set()
    for key, values in query.items():
        name, _, modifier = key.partition(":")
        if name in CONTROL_PARAMS and not modifier:
            continue
        param = spec.param(name)
        if param is None:
            raise InvalidSearch(
                f"The search parameter '{key[:64]}' is not supported for {spec.name}.", field=key
            )
        if modifier and modifier not in param.modifiers:
            raise InvalidSearch(
                f"The modifier ':{modifier[:32]}' is not supported for '{name}'.", field=key
            )
        for value in values:
            if "\x00" in value:  # databases refuse NUL in text: a 400, not a 500
                raise InvalidSearch(f"'{key[:64]}' holds a NUL character.", field=key)
            parts = [part for part in value.split(",") if part.strip()] if value else []
            if not parts:
                continue  # FHIR: an empty parameter value is ignored
            filters.append((name, modifier, parts))
            kept.append((key, value))
            if param.kind == "reference":
                patients.update(reference_ids(parts, "Patient"))
    count = min(_number(query, "_count", DEFAULT_COUNT), MAX_COUNT)
    offset = _number(query, "_offset", 0)
    # One page across the type's sources in turn (Consent: imported, then CareBond's own).
    total = 0
    resources: list[dict[str, Any]] = []
    for source in spec.sources():
        rows = source.rows(organization_id)
        for name, modifier, parts in filters:
            source_param = source.param(name)
            if source_param is None:  # a source without the parameter has no match for it
                rows = rows.none()
                break
            rows = rows.filter(source_param.build(organization_id, modifier, parts))
        matches = rows.count()
        start = max(0, offset - total)
        wanted = count - len(resources)
        if wanted > 0 and start < matches:
            resources += [source.to_fhir(row) for row in rows[start : start + wanted]]
        total += matches
    record_access(
        actor=user,
        target=None,
        action=_audit_verb(spec, "search"),
        organization=user.organization,
        patient=next(iter(patients)) if len(patients) == 1 else None,
    )
    return SearchResult(
        total=total,
        offset=offset,
        count=count,
        resources=resources,
        params=kept,
    )


# --- bulk export --------------------------------------------------------------------------------

# The order files are written (and read back by the importer): what is referenced comes first.
EXPORT_TYPES = (
    "Organization",
    "Location",
    "Practitioner",
    "Patient",
    "RelatedPerson",
    "Encounter",
    "Communication",
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "Immunization",
)


def list_stored_resource_types(organization_id: int) -> list[str]:
    """Types kept whole for this organisation (Appointment, Task... whatever was imported), and
    Consent when patients' contact consents are recorded."""
    kept = set(
        StoredResource.objects.filter(organization_id=organization_id)
        .order_by("resource_type")  # the model's ordering would make DISTINCT one row per row
        .values_list("resource_type", flat=True)
        .distinct()
    )
    if _consent_records(organization_id).exists():
        kept.add("Consent")
    return sorted(kept)


def iter_export_resources(
    organization_id: int, resource_type: str, *, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """Every resource of one type of one organisation, streamed (bounded memory).

    No access check or audit here: the caller (export) has checked and records the export."""
    spec = FHIR_TYPES.get(resource_type)
    sources = (
        [(source.rows, source.to_fhir) for source in spec.sources()]
        if spec
        else [(_stored(resource_type), to_fhir.stored_resource_to_fhir)]
    )
    for rows, convert in sources:
        for row in rows(organization_id).iterator(chunk_size=chunk_size):
            yield convert(row)
