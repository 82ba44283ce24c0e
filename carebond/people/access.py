"""Fetch people within the acting user's organisation and role; missing and foreign look alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import PHI_ROLES, AccessPolicy, Role
from carebond.core.registry import record_part_openers
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
    """By role alone: what the user may write, and read of every person (see parts_open_to)."""
    return NOTE_READERS.allows(user.role)


def may_read_history(user: User) -> bool:
    return HISTORY_READERS.allows(user.role)


# The role-limited parts of a person's record, by the names openers (break-glass) use.
NOTES = "notes"
HISTORY = "history"
PART_READERS: dict[str, AccessPolicy] = {NOTES: NOTE_READERS, HISTORY: HISTORY_READERS}
PART_TITLES: dict[str, str] = {HISTORY: "Medical history summary", NOTES: "Personal notes"}


def withheld_parts(user: User) -> frozenset[str]:
    """The parts of every person's record the user's role does not read."""
    if user.role not in PHI_ROLES:
        return frozenset(PART_READERS)
    return frozenset(part for part, policy in PART_READERS.items() if not policy.allows(user.role))


@dataclass(frozen=True)
class OpenParts:
    """What a user reads of one person's record: by role, or opened by an exception (a
    break-glass grant) whose reads are audited under its own action."""

    by_role: frozenset[str]
    withheld: frozenset[str]
    opened: dict[str, str] = field(default_factory=dict)  # part -> the read's audit action

    def reads(self, part: str) -> bool:
        return part in self.by_role or part in self.opened

    @property
    def notes(self) -> bool:
        return self.reads(NOTES)

    @property
    def history(self) -> bool:
        return self.reads(HISTORY)

    @property
    def still_withheld(self) -> list[str]:
        closed = self.withheld - set(self.opened)
        return [PART_TITLES[part] for part in PART_READERS if part in closed]


def parts_open_to(user: User, person_public_id: UUID | str) -> OpenParts:
    """The single place that decides which role-limited parts of this person's record the user
    reads: their role's, and any a registered opener opens for now (a query per opener, made
    only when the role withholds something)."""
    withheld = withheld_parts(user)
    by_role = frozenset(PART_READERS) - withheld
    opened: dict[str, str] = {}
    if withheld and user.role in PHI_ROLES:
        for opener in record_part_openers():
            for part in opener.opens(user, str(person_public_id), withheld) & withheld:
                opened.setdefault(part, opener.read_action)
    return OpenParts(by_role=by_role, withheld=withheld, opened=opened)


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
