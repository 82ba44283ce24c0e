"""One resource in several files with different content (a provider directory and the patients'
bundles each carrying their own copy of a practitioner or an organisation): the version kept is
chosen the same way on every run (the latest meta.lastUpdated, else the file imported last), the
run says so, and importing the same files again changes nothing and audits nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.interop.models import ImportRun
from carebond.interop.testing import write
from carebond.people.models import Person

# The practitioner as the provider directory has it, and as a patient's bundle carries it.
DIRECTORY_COPY = {
    "resourceType": "Practitioner",
    "id": "4122622",
    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
    "name": [{"use": "official", "family": "Hartley", "given": ["Morgan"], "suffix": ["MD"]}],
    "telecom": [{"system": "phone", "value": "(608) 263-6400", "use": "work"}],
    "qualification": [{"code": {"text": "MD"}, "issuer": {"display": "Wisconsin Medical Board"}}],
    "extension": [{"url": "http://example.org/fhir/utilization-encounters", "valueInteger": 1280}],
}
BUNDLE_COPY = dict(
    DIRECTORY_COPY,
    extension=[{"url": "http://example.org/fhir/utilization-encounters", "valueInteger": 1311}],
)
PATIENT = {
    "resourceType": "Patient",
    "id": "eJzlzKe3KPzAV5TtkxmNivQ3",
    "name": [{"use": "official", "family": "Núñez", "given": ["José"]}],
    "birthDate": "1961-07-14",
    "generalPractitioner": [{"reference": "Practitioner/4122622"}],
}


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def data_events() -> list[str]:
    """Audit events about data (the run's own start and finish aside)."""
    return list(
        AuditEvent.objects.exclude(action__startswith="interop.import_").values_list(
            "action", flat=True
        )
    )


def notes(run: ImportRun) -> list[dict[str, Any]]:
    return [p for p in run.problems if p.get("notice")]


def test_two_versions_of_a_practitioner_in_one_import_are_kept_the_same_way_every_time(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given a provider directory and a patient's bundle carrying different copies of one
    # practitioner (no meta.lastUpdated on either)
    write(tmp_path / "practitioners.json", collection(DIRECTORY_COPY))
    write(tmp_path / "patient-4471.json", collection(PATIENT, BUNDLE_COPY))
    first = run_import(tmp_path)
    assert Person.objects.filter(organization=org_a, family_name="Hartley").count() == 1
    # then the run says the two met and which one it kept (the later file's)
    [met] = [n for n in notes(first) if n["path"] == "Practitioner"]
    assert met["file"] == "patient-4471.json"
    assert "kept this version" in met["message"]
    before = data_events()

    # when the same files are imported again
    again = run_import(tmp_path)

    # then nothing is updated and nothing is audited
    assert {t: c["updated"] for t, c in again.counts.items()} == {"Patient": 0, "Practitioner": 0}
    assert again.counts["Practitioner"]["unchanged"] == 2
    assert data_events() == before
    # and the run still says which version it kept
    assert [n["path"] for n in notes(again)] == ["Practitioner"]


def test_the_copy_with_the_latest_last_updated_is_kept_whatever_the_file_order(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given the directory's copy is newer by meta.lastUpdated but imported first
    newer = dict(DIRECTORY_COPY, meta={"lastUpdated": "2025-03-01T08:00:00Z"}, active=False)
    older = dict(BUNDLE_COPY, meta={"lastUpdated": "2024-01-10T08:00:00Z"})
    write(tmp_path / "practitioners.json", collection(newer))
    write(tmp_path / "patient-4471.json", collection(PATIENT, older))

    first = run_import(tmp_path)
    again = run_import(tmp_path)

    # then the newer copy is what CareBond has (inactive), on both runs
    hartley = Person.objects.get(organization=org_a, family_name="Hartley")
    assert hartley.status == "inactive"
    [met] = [n for n in notes(first) if n["path"] == "Practitioner"]
    assert "kept that one" in met["message"]
    assert "meta.lastUpdated" in met["message"]
    assert sum(c["updated"] for c in again.counts.values()) == 0


@pytest.mark.parametrize("copies", [3, 4])
def test_three_copies_in_three_files_settle_on_the_last_and_stay(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path, copies: int
) -> None:
    # given the same practitioner in several patients' bundles, alternating between two copies
    for n in range(copies):
        copy = DIRECTORY_COPY if n % 2 == 0 else BUNDLE_COPY
        patient = dict(PATIENT, id=f"p{n}", name=[{"family": f"Lee{n}", "given": ["Ann"]}])
        write(tmp_path / f"patient-{n}.json", collection(patient, copy))
    run_import(tmp_path)
    before = data_events()

    again = run_import(tmp_path)

    assert sum(c["updated"] for c in again.counts.values()) == 0
    assert data_events() == before
