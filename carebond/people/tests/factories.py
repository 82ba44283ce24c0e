"""Synthetic people for tests: made through the actions, so they are indexed and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.people.actions import (
    MRN_SYSTEM,
    ContactInput,
    IdentifierInput,
    PersonInput,
    StaffInput,
    check_create_person,
)
from carebond.people.models import Person, PersonKind
from carebond.people.selectors import search_people


def make_patient(
    organization: Organization,
    given: str = "Maria",
    family: str = "Lopez",
    *,
    birth_date: date | None = date(1984, 3, 7),
    phone: str = "",
    email: str = "",
    mrn: str = "",
    **extra: Any,
) -> Person:
    contacts = []
    if phone:
        contacts.append(ContactInput("phone", phone))
    if email:
        contacts.append(ContactInput("email", email))
    identifiers = [IdentifierInput(MRN_SYSTEM, mrn, "MR", "MRN")] if mrn else []
    return check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.PATIENT,
            given_name=given,
            family_name=family,
            birth_date=birth_date,
            contacts=contacts,
            identifiers=identifiers,
            **extra,
        ),
        acting_user=None,
    )


def make_staff(
    organization: Organization,
    given: str = "Priya",
    family: str = "Raman",
    job_title: str = "Family physician",
) -> Person:
    return check_create_person(
        organization,
        PersonInput(
            kind=PersonKind.STAFF,
            given_name=given,
            family_name=family,
            staff=StaffInput(job_title=job_title, is_clinical=True),
        ),
        acting_user=None,
    )


def people_found(user: User, q: str, *, limit: int = 20) -> list[Person]:
    return [result.person for result in search_people(user=user, q=q, limit=limit)]
