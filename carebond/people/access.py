"""Fetch people within the acting user's organisation and role; missing and foreign look alike."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import PHI_ROLES, AccessPolicy, Role
from carebond.people.models import MergeRecord, Person

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Minimum necessary (HIPAA 164.502(b)): the parts of a person's record each role needs.
# Identity, contact details, consent and the timeline: every role that serves people.
# Personal notes (free text, encrypted): those who talk with patients and look after them.
NOTE_READERS = AccessPolicy(
    "note_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.CLINICIAN, Role.FRONT_DESK})
)
# The medical-history summary (problems, allergies, medications, immunizations): clinical
# work, and those who keep the record (administrators, managers); never the desk or liaison.
HISTORY_READERS = AccessPolicy(
    "history_readers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.CLINICIAN})
)


def may_read_notes(user: User) -> bool:
    return NOTE_READERS.allows(user.role)


def may_read_history(user: User) -> bool:
    return HISTORY_READERS.allows(user.role)


# Who looks after referral sources (their own list on the home page).
LIAISONS = AccessPolicy("liaisons", roles=frozenset({Role.LIAISON, Role.MANAGER}))
# Who keeps the register tidy: finds and merges duplicate records.
RECORD_KEEPERS = AccessPolicy(
    "record_keepers", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.FRONT_DESK})
)


def access_person(user: User, public_id: UUID | str, *, for_update: bool = False) -> Person:
    """Identifiable records are for PHI roles only (the analyst gets the same 404 as a stranger)."""
    if user.role not in PHI_ROLES:
        raise NotFound("No such person.")
    people = Person.objects.filter(organization_id=user.organization_id, public_id=public_id)
    if for_update:
        people = people.select_for_update()
    return one_or_not_found(people.select_related("organization"), "No such person.")


def access_merge_record(user: User, public_id: UUID | str) -> MergeRecord:
    if user.role not in PHI_ROLES:
        raise NotFound("No such merge.")
    return one_or_not_found(
        MergeRecord.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("survivor", "merged"),
        "No such merge.",
    )
