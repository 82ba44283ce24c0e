"""Who may read and add to a person's timeline, and reaching that timeline's person.

A timeline is identifiable PHI: the same roles as the person's record, and the same 404 for a
person who is missing or belongs to another organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.permissions import PHI_READERS, AccessPolicy, Role
from carebond.people.access import access_person

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.people.models import Person

TIMELINE_USERS = PHI_READERS
# Who sees, on their home page, the patients they worked with lately (the people at the desk
# and in the rooms; managers and administrators look patients up when they need to).
HANDS_ON_STAFF = AccessPolicy("hands_on_staff", roles=frozenset({Role.CLINICIAN, Role.FRONT_DESK}))


def access_timeline(user: User, person_id: UUID | str) -> Person:
    """The person whose timeline this is, within the user's organisation and role."""
    return access_person(user, person_id)
