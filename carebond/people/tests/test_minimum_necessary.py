"""Minimum necessary: each role reads the parts of a record its work needs, on every way in
(the person page, the API), and no more. The README's role table says the same."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.errors import PermissionDenied
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.actions import check_add_history_item, check_add_personal_note
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

# role -> (reads notes, reads the medical history)
NEEDS: dict[str, tuple[bool, bool]] = {
    Role.ADMIN: (True, True),
    Role.MANAGER: (True, True),
    Role.CLINICIAN: (True, True),
    Role.FRONT_DESK: (True, False),
    Role.LIAISON: (False, False),
}


@pytest.fixture
def patient(org_a: Organization, users_a: dict[str, User]) -> Person:
    person = make_patient(org_a, "Ada", "Moreno")
    check_add_personal_note(person, text="Prefers calls after 4 pm", acting_user=users_a["admin"])
    check_add_history_item(
        person, category="allergy", display="Penicillin allergy", acting_user=None
    )
    return person


@pytest.mark.parametrize("role", list(NEEDS))
def test_each_role_reads_only_the_parts_it_needs(
    role: str,
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    api_for: Callable[[User], Client],
) -> None:
    reads_notes, reads_history = NEEDS[role]
    user = users_a[role]
    # through the API: a part the role may not read is null, never an empty list
    body = api_for(user).get(f"/api/v1/people/{patient.public_id}").json()
    assert (body["notes"] is not None, body["history"] is not None) == NEEDS[role]
    if reads_history:
        assert [h["display"] for h in body["history"]] == ["Penicillin allergy"]
    # on the person page
    panels = client_for(user).get(f"/people/{patient.public_id}/panels/").content.decode()
    assert ("Prefers calls after 4 pm" in panels) == reads_notes
    assert ("Penicillin allergy" in panels) == reads_history


def test_roles_that_may_not_read_a_part_cannot_write_it(
    patient: Person, users_a: dict[str, User]
) -> None:
    with pytest.raises(PermissionDenied):
        check_add_personal_note(patient, text="x", acting_user=users_a[Role.LIAISON])
    with pytest.raises(PermissionDenied):
        check_add_history_item(
            patient, category="problem", display="x", acting_user=users_a[Role.FRONT_DESK]
        )
    assert patient.personal_notes.count() == 1
    assert patient.history.count() == 1
