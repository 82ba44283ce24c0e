"""A daily check that nobody has tampered with the audit trail."""

from __future__ import annotations

import logging

from carebond.audit.selectors import verify_chain

logger = logging.getLogger("carebond.audit")


def scan_audit_chain() -> int:
    report = verify_chain()
    if not report.intact and report.first_break is not None:
        logger.error(
            "Audit chain broken at event %s: %s",
            report.first_break.event_id,
            report.first_break.reason,
        )
    return 0
