"""Reads about imports: the runs an organisation has made, and where imported rows now live."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import F, Max

from carebond.audit.recording import record_access
from carebond.core.models import Location
from carebond.interop.access import access_import_run
from carebond.interop.models import EhrConnection, ImportRun, SourceRecord, StoredResource
from carebond.people.models import Person, PersonKind
from carebond.touchpoints.models import Touchpoint

if TYPE_CHECKING:
    from carebond.accounts.models import User

_PERSON_TYPES = {
    "patient": "Patient",
    "referral_source": "Practitioner",
    "staff": "Practitioner",
    "related": "RelatedPerson",
}


def list_import_runs(user: User, *, limit: int = 20) -> list[ImportRun]:
    return list(
        ImportRun.objects.filter(organization_id=user.organization_id).select_related("connection")[
            :limit
        ]
    )


def list_connections(user: User) -> list[EhrConnection]:
    """The organisation's EHR connections, the most recently used first."""
    return list(
        EhrConnection.objects.filter(organization_id=user.organization_id)
        .annotate(last_run=Max("runs__started_at"))
        .order_by(F("last_run").desc(nulls_last=True), "name")
    )


def get_import_run(user: User, run_id: uuid.UUID) -> ImportRun:
    """One run, with its problems. Audited as a PHI read (importrun.read): the file
    names an EHR exports can carry patients' names (Synthea's do)."""
    run = access_import_run(user, run_id)
    record_access(actor=user, target=run)
    return run


def locations_of_targets(user: User, targets: list[str]) -> dict[str, str]:
    """'person:12' -> 'Patient/<public id>': where the facade serves what an import wrote."""
    return facade_locations(user.organization_id, targets)


def facade_locations(organization_id: int, targets: Iterable[str]) -> dict[str, str]:
    ids: dict[str, list[int]] = {}
    for target in targets:
        kind, _, number = target.partition(":")
        if number.isdigit():
            ids.setdefault(kind, []).append(int(number))
    org = organization_id
    found: dict[str, str] = {}
    people = Person.objects.filter(organization_id=org, pk__in=ids.get("person", []))
    for pk, kind, name, public_id in people.values_list(
        "pk", "kind", "organization_name", "public_id"
    ):
        resource_type = (
            "Organization" if kind == "referral_source" and name else _PERSON_TYPES[kind]
        )
        found[f"person:{pk}"] = f"{resource_type}/{public_id}"
    for pk, public_id in Location.objects.filter(
        organization_id=org, pk__in=ids.get("location", [])
    ).values_list("pk", "public_id"):
        found[f"location:{pk}"] = f"Location/{public_id}"
    for pk, kind, public_id in Touchpoint.objects.filter(
        organization_id=org, pk__in=ids.get("touchpoint", [])
    ).values_list("pk", "kind", "public_id"):
        resource_type = "Encounter" if kind in {"visit", "telehealth"} else "Communication"
        found[f"touchpoint:{pk}"] = f"{resource_type}/{public_id}"
    for pk, resource_type, public_id in StoredResource.objects.filter(
        organization_id=org, pk__in=ids.get("stored", [])
    ).values_list("pk", "resource_type", "public_id"):
        found[f"stored:{pk}"] = f"{resource_type}/{public_id}"
    return found


def list_patients_of_run(
    user: User, run: ImportRun, *, limit: int = 50
) -> tuple[int, list[Person]]:
    """The patients a run imported or updated (how many, and the first by name), so the run's
    page leads to them. Read within the run's own audited read (importrun.read)."""
    targets = SourceRecord.objects.filter(
        organization_id=user.organization_id,
        import_run=run.public_id,
        origin_id__startswith="Patient/",
        target__startswith="person:",
    ).values_list("target", flat=True)
    ids = {int(target.split(":", 1)[1]) for target in targets}
    patients = Person.objects.filter(
        organization_id=user.organization_id, pk__in=ids, kind=PersonKind.PATIENT
    ).order_by("family_name", "given_name")
    return len(ids), list(patients[:limit])
