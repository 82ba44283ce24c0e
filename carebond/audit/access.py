"""Who may read the audit trail: administrators and privacy officers, and only their own
organisation's events (the selectors filter by organisation; this is the policy every page and
panel declares)."""

from __future__ import annotations

from carebond.core.permissions import AccessPolicy, Role

AUDIT_READERS = AccessPolicy("audit_readers", roles=frozenset({Role.ADMIN, Role.PRIVACY_OFFICER}))
