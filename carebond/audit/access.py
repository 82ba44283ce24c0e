"""Who may read the audit trail: administrators and privacy officers, and only their own
organisation's events (the selectors filter by organisation; this is the policy every page and
panel declares)."""

from __future__ import annotations

from carebond.core.permissions import AccessPolicy, Role

AUDIT_READERS = AccessPolicy("audit_readers", roles=frozenset({Role.ADMIN, Role.PRIVACY_OFFICER}))

# Patients' requests under HIPAA's right of access (164.524: a copy of their record) and
# accounting (164.528: who accessed it) are answered by administrators and by managers: the
# practice and patient-experience managers take patients' requests and already export records
# (FHIR_EXPORTERS), while the clinical and desk roles care for patients without disclosing
# their whole record or the organisation's audit trail.
PATIENT_RIGHTS_HANDLERS = AccessPolicy(
    "patient_rights_handlers", roles=frozenset({Role.ADMIN, Role.MANAGER})
)
