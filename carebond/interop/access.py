"""Who may move data in and out over FHIR, and reaching one import run or export job.

Importing and bulk export are for managers and administrators: an import writes patients'
records, an export reads all of them. Missing and another organisation's rows look the same
(NotFound, 404); an export job is its requester's alone (requiresAccessToken)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from carebond.core.access import one_or_not_found
from carebond.core.permissions import MANAGERS
from carebond.interop.models import BulkExport, ImportRun

if TYPE_CHECKING:
    from carebond.accounts.models import User

FHIR_IMPORTERS = MANAGERS
FHIR_EXPORTERS = MANAGERS


def access_import_run(user: User, run_id: UUID | str) -> ImportRun:
    return one_or_not_found(
        ImportRun.objects.filter(organization_id=user.organization_id, public_id=run_id),
        "No such import.",
    )


def access_bulk_export(user: User, export_id: UUID | str) -> BulkExport:
    return one_or_not_found(
        BulkExport.objects.filter(
            public_id=export_id, organization_id=user.organization_id, requested_by=user
        ),
        "No such export.",
    )
