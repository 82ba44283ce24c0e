"""Round trip: the shared Synthea set imported, exported as NDJSON, and the export imported into
an empty organisation gives the same people, visits and history (billing statements, from the
Claims, are imported only)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from carebond.billing.models import BillingStatement
from carebond.core.models import Location, Organization
from carebond.interop.exporting.export import export_types, write_ndjson_files
from carebond.interop.importing.importer import import_files
from carebond.interop.testing import SYNTHEA
from carebond.people.models import HistoryItem, Person
from carebond.touchpoints.models import Touchpoint


def person_key(person: Person) -> tuple[Any, ...]:
    return (
        person.kind,
        person.prefix,
        person.given_name,
        person.middle_name,
        person.family_name,
        person.preferred_name,
        person.maiden_name,
        person.organization_name,
        person.birth_date,
        person.administrative_gender,
        person.sex_assigned_at_birth,
        person.preferred_language,
        person.multiple_birth,
        person.status,
    )


def snapshot(organization: Organization) -> dict[str, Any]:
    people = Person.objects.filter(organization=organization).prefetch_related(
        "identifiers", "contact_points", "addresses"
    )
    keys = {p.pk: person_key(p) for p in people}
    locations = dict(Location.objects.filter(organization=organization).values_list("pk", "name"))
    return {
        "people": Counter(
            (
                keys[p.pk],
                frozenset((i.system, i.value) for i in p.identifiers.all()),
                frozenset((c.system, c.value) for c in p.contact_points.all()),
                frozenset((a.line1, a.city, a.postal_code) for a in p.addresses.all()),
            )
            for p in people
        ),
        "visits": Counter(
            (
                keys[t.person_id],
                t.kind,
                t.channel,
                t.occurred_at,
                keys.get(t.staff_id or 0),
                locations.get(t.location_id or 0),
                (t.details or {}).get("class", {}).get("code"),
                str((t.details or {}).get("end")),
            )
            # (billing statements are imported, never exported: docs/billing.md)
            for t in Touchpoint.objects.filter(organization=organization).exclude(
                kind="billing_statement"
            )
        ),
        "history": Counter(
            (keys[h.person_id], h.category, h.code_system, h.code, h.display, h.is_active, h.onset)
            for h in HistoryItem.objects.filter(organization=organization)
        ),
        "locations": Counter(locations.values()),
    }


def test_synthea_imported_exported_and_imported_again_is_the_same(
    org_a: Organization, org_b: Organization, tmp_path: Path
) -> None:
    first = import_files(
        [SYNTHEA], organization=org_a, source_system="urn:synthea", acting_user=None, via="cli"
    )
    assert first.bundles_rejected == 0
    written = write_ndjson_files(org_a.pk, tmp_path / "export", types=export_types(org_a.pk))
    assert {f.resource_type for f in written} >= {"Patient", "Encounter", "Immunization"}

    second = import_files(
        [tmp_path / "export"],
        organization=org_b,
        source_system="urn:carebond:export-of-a",
        acting_user=None,
        via="cli",
    )

    assert second.bundles_rejected == 0
    before, after = snapshot(org_a), snapshot(org_b)
    assert sum(before["visits"].values()) == 1371
    # every Claim, settled by its ExplanationOfBenefit, is one billing statement
    assert BillingStatement.objects.filter(organization=org_a).count() == 1371
    assert sum(before["history"].values()) == 1728
    for part in ("people", "visits", "history", "locations"):
        assert after[part] == before[part], part
