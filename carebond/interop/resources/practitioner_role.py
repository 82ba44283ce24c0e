"""PractitionerRole: imported only, as the specialty and practice on the practitioner's
referral profile (not served: a role has no row of its own)."""

from __future__ import annotations

from typing import Any

from carebond.core.fhir.parsing import as_list, first_coding, reference
from carebond.core.fhir.type_module import FhirTypeModule
from carebond.interop.resources.records import RoleRecord


def map_practitioner_role(resource: dict[str, Any]) -> RoleRecord:
    path = "PractitionerRole"
    specialty = ""
    for key in ("specialty", "code"):
        concepts = as_list(resource.get(key), f"{path}.{key}")
        if concepts:
            specialty = first_coding(concepts[0], f"{path}.{key}[0]")["display"][:120]
            break
    organization = reference(
        resource.get("organization"), f"{path}.organization", type_hint="Organization"
    )
    return RoleRecord(
        practitioner=reference(
            resource.get("practitioner"), f"{path}.practitioner", type_hint="Practitioner"
        ),
        specialty=specialty,
        practice_name=organization.display[:200] if organization else "",
    )


# After the practitioners it describes, before the patients.
FHIR_TYPES = (FhirTypeModule("PractitionerRole", read=map_practitioner_role, import_rank=3),)
