"""Reads behind /fhir/R4: a resource by id, and search, for every type the registered type
modules serve (``fhir_types``); the CapabilityStatement and the export read the same modules, so
they cannot disagree.

Every read and search is scoped to the acting user's organisation and audited with
``record_access`` (searches without their values: a name or birth date is PHI).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.core.fhir.search import uuids
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.permissions import require_role
from carebond.interop.facade.search import parse_search
from carebond.interop.fhir_types import fhir_type

if TYPE_CHECKING:
    from carebond.accounts.models import User


def get_fhir_type(resource_type: str, *, user: User) -> FhirTypeModule:
    """The type as the facade serves it; unknown types are 404, a role not allowed is 403."""
    spec = fhir_type(resource_type)
    if spec is None or not spec.served:
        raise NotFound(f"The resource type '{resource_type[:64]}' is not supported here.")
    require_role(user, spec.policy)
    return spec


def _readable(spec: FhirTypeModule, user: User) -> list[FhirRows]:
    """The type's sources the user's role may read (survey answers: managers only)."""
    return [source for source in spec.sources if source.readable_by(user.role)]


def _audit_verb(spec: FhirTypeModule, verb: str) -> str:
    return f"fhir.{spec.resource_type.lower()}.{verb}"


def read_fhir_resource(*, user: User, resource_type: str, resource_id: str) -> dict[str, Any]:
    """One resource by id. Audited: fhir.<type>.read (patient named). Another organisation's id
    and an unknown one give the same NotFound."""
    spec = get_fhir_type(resource_type, user=user)
    if spec.computed is not None:  # worked out when asked for (Slots): found by its id
        found = spec.computed.find(user.organization_id, [("_id", "", [resource_id])])
        if found:
            record_access(
                actor=user,
                target=None,
                action=_audit_verb(spec, "read"),
                organization=user.organization,
            )
            return found[0]
        raise NotFound(f"{spec.resource_type}/{resource_id[:64]} is not known.")
    ids = uuids([resource_id])
    for source in _readable(spec, user) if ids else ():
        row = source.rows(user.organization_id).filter(public_id__in=ids).first()
        if row is not None:
            record_access(
                actor=user,
                target=row,
                patient=source.patient_of(row),
                action=_audit_verb(spec, "read"),
            )
            return source.resources([row])[0]
    raise NotFound(f"{spec.resource_type}/{resource_id[:64]} is not known.")


@dataclass
class SearchResult:
    total: int
    offset: int
    count: int
    resources: list[dict[str, Any]] = field(default_factory=list)
    # The normalised parameters (without _count/_offset/_format), for paging links.
    params: list[tuple[str, str]] = field(default_factory=list)


def search_fhir_resources(
    *, user: User, resource_type: str, query: Mapping[str, list[str]]
) -> SearchResult:
    """A page of matches and the total. Parameters repeat as AND, commas inside one are OR.

    Audited: fhir.<type>.search, without the values searched for (the patient named if one
    was given)."""
    spec = get_fhir_type(resource_type, user=user)
    organization_id = user.organization_id
    search = parse_search(spec, query)
    count, offset = search.count, search.offset
    # One page across the type's sources in turn (Consent: imported, then CareBond's own).
    total = 0
    resources: list[dict[str, Any]] = []
    if spec.computed is not None:  # every match is worked out; the page is cut from them
        worked_out = spec.computed.find(organization_id, search.filters)
        total, resources = len(worked_out), worked_out[offset : offset + count]
    for source in _readable(spec, user):
        rows = source.rows(organization_id)
        for name, modifier, parts in search.filters:
            source_param = source.param(name)
            if source_param is None:  # a source without the parameter has no match for it
                rows = rows.none()
                break
            rows = rows.filter(source_param.build(organization_id, modifier, parts))
        matches = rows.count()
        start = max(0, offset - total)
        wanted = count - len(resources)
        if wanted > 0 and start < matches:
            resources += source.resources(rows[start : start + wanted])
        total += matches
    record_access(
        actor=user,
        target=None,
        action=_audit_verb(spec, "search"),
        organization=user.organization,
        patient=next(iter(search.patients)) if len(search.patients) == 1 else None,
    )
    return SearchResult(
        total=total,
        offset=offset,
        count=count,
        resources=resources,
        params=search.kept,
    )
