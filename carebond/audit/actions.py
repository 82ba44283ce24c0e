"""Audited acts on the audit trail itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carebond.audit.recording import record_audit

if TYPE_CHECKING:
    from carebond.accounts.models import User


def do_record_audit_export(*, acting_user: User | None, organization_label: str = "") -> None:
    """Audit: audit.export. Exports can hold patient ids, so the export itself is recorded."""
    record_audit(
        actor=acting_user,
        action="audit.export",
        actor_label=None if acting_user else (organization_label or "cli"),
    )


def do_record_backup(*, actor_label: str = "cli") -> None:
    """Audit: audit.backup. A backup copies every patient's record, so making one is recorded
    (before the copy, so the backup holds its own event as the chain's head)."""
    record_audit(actor=None, action="audit.backup", actor_label=actor_label)


def do_record_restore(*, actor_label: str = "cli") -> None:
    """Audit: audit.restore. Appended to the restored chain once it verified: the trail then
    shows when the database went back to a backup's moment."""
    record_audit(actor=None, action="audit.restore", actor_label=actor_label)
