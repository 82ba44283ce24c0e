"""A daily check that nobody has tampered with the audit trail."""

from __future__ import annotations

import logging

from carebond.audit.checkpoints import first_missed_checkpoint, read_checkpoints, take_checkpoint
from carebond.audit.selectors import verify_chain

logger = logging.getLogger("carebond.audit")


def scan_audit_chain() -> int:
    """Verify the chain and the checkpoints; when both hold, take a new checkpoint."""
    report = verify_chain()
    if not report.intact and report.first_break is not None:
        logger.error(
            "Audit chain broken at event %s: %s",
            report.first_break.event_id,
            report.first_break.reason,
        )
        return 0
    missed = first_missed_checkpoint(read_checkpoints())
    if missed is not None:
        logger.error("Audit checkpoint of event %s not matched: %s", missed[0].event_id, missed[1])
        return 0
    return 1 if take_checkpoint() else 0
