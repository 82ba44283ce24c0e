"""People as FHIR sees them, for every app that writes FHIR: which resource a person is, a
reference to them, and the search parameters that find rows about one patient.

Any app whose FHIR type points at people (a visit's patient, an appointment's practitioner)
builds on these, so references read the same wherever they come from.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q

from carebond.core.fhir.search import FilterBuilder, SearchParam, param, reference_ids
from carebond.people.models import (
    Person,
    PersonKind,
    PersonStatus,
    ReferralSourceType,
    SearchTerm,
)
from carebond.people.search import name_words

# A referral source is an Organization when its profile says so (or, without a profile, when it
# has an organisation name and no family name): the rows behind ``fhir_type_of_person``.
REFERRING_ORGANIZATION = Q(referral_profile__source_type=ReferralSourceType.ORGANIZATION) | (
    Q(referral_profile__isnull=True) & Q(family_name="") & ~Q(organization_name="")
)


def profile_of(person: Person, name: str) -> Any:
    """A one-to-one profile of the person (``referral_profile``...), or None."""
    try:
        return getattr(person, name)
    except ObjectDoesNotExist:
        return None


def fhir_type_of_person(person: Person) -> str | None:
    """Which FHIR resource a person is: None for merged records (never emitted)."""
    if person.status == PersonStatus.MERGED:
        return None
    if person.kind == PersonKind.PATIENT:
        return "Patient"
    if person.kind == PersonKind.RELATED:
        return "RelatedPerson"
    if person.kind == PersonKind.REFERRAL_SOURCE:
        profile = profile_of(person, "referral_profile")
        if profile is not None and profile.source_type == ReferralSourceType.ORGANIZATION:
            return "Organization"
        if profile is None and person.organization_name and not person.family_name:
            return "Organization"
    return "Practitioner"


def person_reference(person: Person | None) -> dict[str, str] | None:
    """{"reference": "Practitioner/<id>"} for any person (None for nobody or a merged record)."""
    if person is None:
        return None
    resource_type = fhir_type_of_person(person)
    if resource_type is None:
        return None
    return {"reference": f"{resource_type}/{person.public_id}"}


def person_if_patient(row: Any) -> Person | None:
    """The patient a row with a ``person`` is about (for the audit trail): None otherwise."""
    person: Person | None = row.person
    return person if person is not None and person.kind == PersonKind.PATIENT else None


def _patient_filter(person_path: str) -> FilterBuilder:
    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        return Q(
            **{
                f"{person_path}__public_id__in": reference_ids(values, "Patient"),
                f"{person_path}__kind": PersonKind.PATIENT,
            }
        )

    return build


def patient_params(person_path: str) -> tuple[SearchParam, ...]:
    """``patient`` and ``subject``: rows whose ``person_path`` is that patient."""
    build = _patient_filter(person_path)
    return (
        param("patient", "reference", "The patient: Patient/<id> or <id>.", build),
        param("subject", "reference", "The same as patient (Patient/<id>).", build),
    )


# What :exact compares, value for value (FHIR: the whole string, case and accents as written).
_EXACT_NAME_FIELDS = (
    "given_name",
    "middle_name",
    "family_name",
    "preferred_name",
    "maiden_name",
    "name_text",
    "organization_name",
)


def person_name_filter(organization_id: int, modifier: str, values: list[str]) -> Q:
    """FHIR string search on every name a person has (official, preferred, maiden, old and other
    names, a name sent whole, an organisation's name), ignoring case and accents: each word of
    the value must start (with :contains, be inside) a word of one of them. These are the name
    words people search indexes (``SearchTerm``), so /fhir/R4 finds who /api/v1 finds.
    :exact compares whole names as written. Comma-separated values are OR."""
    combined = Q(pk__in=[])
    for value in values:
        if modifier == "exact":
            exact = value.strip()
            if exact:
                for name in _EXACT_NAME_FIELDS:
                    combined |= Q(**{name: exact})
            continue
        words = name_words(value)
        if not words:
            continue
        every = Q()
        for word in words:
            terms = SearchTerm.objects.filter(organization_id=organization_id, field="name")
            lookup = "term__contains" if modifier == "contains" else "term__startswith"
            every &= Q(pk__in=terms.filter(**{lookup: word[:100]}).values("person_id"))
        combined |= every
    return combined
