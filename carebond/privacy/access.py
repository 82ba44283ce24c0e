"""Who breaks the glass and who reviews it.

Only a role that reads identifiable records but has parts withheld (the desk, the liaison)
has anything to break the glass for; the privacy officer reviews every grant."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.permissions import PHI_ROLES, AccessPolicy, Role
from carebond.people.access import PART_READERS
from carebond.privacy.models import BreakGlassGrant

if TYPE_CHECKING:
    from carebond.accounts.models import User

_READ_EVERY_PART = frozenset.intersection(*(policy.roles for policy in PART_READERS.values()))
BREAK_GLASS_USERS = AccessPolicy("break_glass_users", roles=PHI_ROLES - _READ_EVERY_PART)
PRIVACY_OFFICERS = AccessPolicy("privacy_officers", roles=frozenset({Role.PRIVACY_OFFICER}))
# A grant's page: the privacy officers who review it, and the managers told of one found not
# appropriate (they read it; only privacy officers review).
GRANT_READERS = AccessPolicy(
    "break_glass_grant_readers", roles=frozenset({Role.PRIVACY_OFFICER, Role.MANAGER})
)


def access_grant(user: User, public_id: UUID | str, *, for_update: bool = False) -> BreakGlassGrant:
    grants = BreakGlassGrant.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    ).select_related("user", "person", "reviewed_by")
    if for_update:
        grants = grants.select_for_update(of=("self",))
    return one_or_not_found(grants, "No such break-glass grant.")
