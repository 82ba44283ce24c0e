"""A patient of organisation A with a note and an allergy: the parts the desk cannot read."""

from __future__ import annotations

import pytest

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.people.actions import check_add_history_item, check_add_personal_note
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

NOTE = "Prefers calls after 4 pm"
ALLERGY = "Penicillin allergy"


@pytest.fixture
def patient(org_a: Organization, users_a: dict[str, User]) -> Person:
    person = make_patient(org_a, "Ada", "Moreno")
    check_add_personal_note(person, text=NOTE, acting_user=users_a["admin"])
    check_add_history_item(person, category="allergy", display=ALLERGY, acting_user=None)
    return person
