"""Who may use billing, and fetching a statement within the user's organisation (a missing one
and another organisation's look the same: 404).

Statements are handled at the front desk and by the practice's managers: they name a patient
and what they owe (PHI), so never the analyst; clinicians and liaisons have no part in billing.
The billing questions' figures and who answers them are the managers' (and administrators').
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.billing.models import BillingStatement
from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.permissions import AccessPolicy, Role

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Statements: reading them, importing them, a patient's on their page.
BILLING_STAFF = AccessPolicy(
    "billing_staff", roles=frozenset({Role.ADMIN, Role.MANAGER, Role.FRONT_DESK})
)
# Billing questions and how fast they are answered; who answers them.
BILLING_MANAGERS = AccessPolicy("billing_managers", roles=frozenset({Role.ADMIN, Role.MANAGER}))


def access_statement(user: User, public_id: UUID | str) -> BillingStatement:
    if not BILLING_STAFF.allows(user.role):
        raise NotFound("No such statement.")
    return one_or_not_found(
        BillingStatement.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("patient", "organization"),
        "No such statement.",
    )
