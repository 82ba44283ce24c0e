"""Claims and explanations of benefit from FHIR become billing statements: a claim opens one,
its explanation of benefit settles the same one (the patient's share), in any order, once per
claim however often imported; and nothing clinical in them (diagnoses, procedures, the items'
codes, the provider) is stored anywhere."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from carebond.audit.models import AuditEvent
from carebond.billing.models import BillingStatement
from carebond.core.models import Organization
from carebond.interop.importing.importer import import_files
from carebond.interop.models import ImportRun, StoredResource
from carebond.interop.testing import load, synthea_subset, write
from carebond.interop.tests.conftest import validate_fhir
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

EHR = "https://ehr.example.org/fhir"
CENT = Decimal("0.01")
PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [{"system": "urn:ehr:mrn", "value": "E-1"}],
    "name": [{"use": "official", "family": "Alvarez", "given": ["Lucia"]}],
    "birthDate": "1979-05-04",
}


def claim(fhir_id: str = "c1", *, total: float | None = 250.0, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": fhir_id,
        "status": "active",
        "type": {"coding": [{"code": "professional"}]},
        "use": "claim",
        "patient": {"reference": "Patient/p1"},
        "created": "2026-02-10T10:00:00+00:00",
        "provider": {"display": "Dr. Someone"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Aetna"}}],
        "diagnosis": [
            {
                "sequence": 1,
                "diagnosisCodeableConcept": {
                    "coding": [{"system": "http://snomed.info/sct", "code": "195662009"}]
                },
            }
        ],
        "item": [
            {
                "sequence": 1,
                "productOrService": {"coding": [{"code": "99213", "display": "Office visit"}]},
                "net": {"value": 250.0, "currency": "USD"},
            }
        ],
        **extra,
    }
    if total is not None:
        resource["total"] = {"value": total, "currency": "USD"}
    return resource


def eob(
    fhir_id: str = "e1",
    *,
    claim_ref: str = "Claim/c1",
    totals: dict[str, float] | None = None,
    payment: float | None = 200.0,
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": fhir_id,
        "status": "active",
        "type": {"coding": [{"code": "professional"}]},
        "use": "claim",
        "patient": {"reference": "Patient/p1"},
        "created": "2026-02-20T10:00:00+00:00",
        "insurer": {"display": "Aetna"},
        "provider": {"display": "Dr. Someone"},
        "claim": {"reference": claim_ref},
        "outcome": "complete",
        "insurance": [{"focal": True, "coverage": {"display": "Aetna"}}],
        "total": [
            {"category": {"coding": [{"code": code}]}, "amount": {"value": v, "currency": "USD"}}
            for code, v in (totals or {"submitted": 250.0}).items()
        ],
        **extra,
    }
    if payment is not None:
        resource["payment"] = {"amount": {"value": payment, "currency": "USD"}}
    return resource


@pytest.fixture
def run_bundle(org_a: Organization, tmp_path: Path) -> Callable[..., ImportRun]:
    written = iter(range(1000))

    def run(*resources: dict[str, Any]) -> ImportRun:
        for resource in resources:
            validate_fhir(resource)  # what the tests send is valid FHIR
        document = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
        }
        path = write(tmp_path / f"{next(written)}.json", document)
        return import_files(
            [path], organization=org_a, source_system=EHR, acting_user=None, via="cli"
        )

    return run


def counted(run: ImportRun, resource_type: str) -> dict[str, int]:
    return {outcome: n for outcome, n in run.counts[resource_type].items() if n}


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def test_a_synthea_patients_claims_become_their_statements_with_nothing_clinical(
    org_a: Organization, tmp_path: Path
) -> None:
    # given a real Synthea patient's bundle, with its Claims and ExplanationOfBenefits
    files = synthea_subset(tmp_path / "set", patients=1)
    bundle = load(next(f for f in files if not f.name.startswith(("hospital", "practitioner"))))
    resources = [entry["resource"] for entry in bundle["entry"]]
    claims = {r["id"]: r for r in resources if r["resourceType"] == "Claim"}
    eobs = [r for r in resources if r["resourceType"] == "ExplanationOfBenefit"]
    assert claims
    assert len(eobs) == len(claims)
    for resource in [*claims.values(), *eobs]:
        validate_fhir(resource)  # real R4 data: fhir.resources reads every one

    # when it is imported
    run = import_files(files, organization=org_a, source_system=EHR, acting_user=None, via="cli")

    # then each claim is one statement, settled by its EOB: billed what the claim totals,
    # due what the insurer did not pay
    assert counted(run, "Claim") == {"imported": len(claims)}
    assert counted(run, "ExplanationOfBenefit") == {"imported": len(eobs)}
    statements = {s.external_id: s for s in BillingStatement.objects.all()}
    assert set(statements) == {f"Claim/{claim_id}" for claim_id in claims}
    for resource in eobs:
        claim_id = resource["claim"]["reference"].removeprefix("urn:uuid:")
        statement = statements[f"Claim/{claim_id}"]
        billed = _cents(claims[claim_id]["total"]["value"])
        due = max(billed - _cents(resource["payment"]["amount"]["value"]), Decimal("0.00"))
        assert (statement.amount_billed, statement.amount_due) == (billed, due)
        assert statement.status == ("paid" if due == 0 else "open")
        assert (statement.source, statement.currency, statement.origin_system) == (
            "fhir_eob",
            "USD",
            EHR,
        )
        assert statement.statement_date.isoformat() == claims[claim_id]["created"][:10]
    # on the patient's timeline, once per statement
    assert Touchpoint.objects.filter(kind="billing_statement").count() == len(claims)

    # and nothing clinical of them is anywhere: no code or words of a diagnosis, a procedure
    # or an item, no provider, no insurer
    clinical: set[str] = set()
    for resource in [*claims.values(), *eobs]:
        for item in resource.get("item", []):
            for coding in item["productOrService"].get("coding", []):
                clinical |= {coding["code"], coding.get("display", "")}
        clinical.add(resource["provider"].get("display") or "")
    # (two-digit vaccine codes would match any small number: codes of five characters and more)
    clinical = {value for value in clinical if len(value) >= 5}
    assert clinical
    stored = [str(v) for row in BillingStatement.objects.values() for v in row.values()]
    stored += [
        str(v)
        for row in Touchpoint.objects.filter(kind="billing_statement").values()
        for v in row.values()
    ]
    assert [value for value in stored if value in clinical or "Aetna" in value] == []
    assert not StoredResource.objects.filter(
        resource_type__in=["Claim", "ExplanationOfBenefit"]
    ).exists()

    # importing the same files again changes nothing and audits nothing about statements
    events = AuditEvent.objects.filter(action__startswith="billing").count()
    again = import_files(files, organization=org_a, source_system=EHR, acting_user=None, via="cli")
    assert counted(again, "Claim") == {"unchanged": len(claims)}
    assert BillingStatement.objects.count() == len(claims)
    assert AuditEvent.objects.filter(action__startswith="billing").count() == events


def test_a_claim_waits_with_the_insurer_until_its_eob_settles_it(
    run_bundle: Callable[..., ImportRun],
) -> None:
    run_bundle(PATIENT, claim())
    statement = BillingStatement.objects.get()
    assert (statement.status, statement.amount_billed, statement.amount_due, statement.source) == (
        "with_insurer",
        Decimal("250.00"),
        None,
        "fhir_claim",
    )
    assert Touchpoint.objects.get(kind="billing_statement").channel == "system"
    # the insurer pays 200 of the 250
    run_bundle(PATIENT, eob())
    statement = BillingStatement.objects.get()
    assert (statement.status, statement.amount_due, statement.source) == (
        "open",
        Decimal("50.00"),
        "fhir_eob",
    )
    assert statement.statement_date.isoformat() == "2026-02-10"  # the claim's date
    # the claim sent again (changed) does not undo what its EOB said
    run_bundle(PATIENT, claim(total=260.0))
    statement.refresh_from_db()
    assert (statement.status, statement.amount_due) == ("open", Decimal("50.00"))
    assert Touchpoint.objects.filter(kind="billing_statement").count() == 1
    assert AuditEvent.objects.filter(action="billing.statement.updated").count() == 1


def test_an_eob_before_its_claim_is_the_same_statement(
    run_bundle: Callable[..., ImportRun],
) -> None:
    run_bundle(PATIENT, eob(payment=250.0))
    run_bundle(PATIENT, claim())
    statement = BillingStatement.objects.get()
    assert (statement.external_id, statement.status, statement.amount_due) == (
        "Claim/c1",
        "paid",
        Decimal("0.00"),
    )


def test_the_patients_share_is_the_eobs_when_it_says(
    run_bundle: Callable[..., ImportRun],
) -> None:
    run_bundle(
        PATIENT,
        claim("c1"),
        claim("c2"),
        eob("e1", totals={"submitted": 250.0, "memberliability": 35.0}),
        eob("e2", claim_ref="Claim/c2", totals={"submitted": 250.0, "benefit": 180.0}),
    )
    due = dict(BillingStatement.objects.values_list("external_id", "amount_due"))
    assert due == {"Claim/c1": Decimal("35.00"), "Claim/c2": Decimal("70.00")}


def test_cancelled_draft_and_unsettled_ones(run_bundle: Callable[..., ImportRun]) -> None:
    run = run_bundle(
        PATIENT,
        claim("c1", status="cancelled"),
        claim("c2", status="draft"),
        claim("c3", total=None),  # the items' amounts are the total
        claim("c4"),
        eob("e4", claim_ref="Claim/c4", outcome="queued"),
    )
    assert counted(run, "Claim") == {"imported": 3, "skipped": 1}
    notes = [p["message"] for p in run.problems if p.get("notice")]
    assert any("a draft was never sent" in note for note in notes)
    found = {
        s.external_id: (s.status, s.amount_billed, s.amount_due)
        for s in BillingStatement.objects.all()
    }
    assert found == {
        "Claim/c1": ("cancelled", Decimal("250.00"), None),
        "Claim/c3": ("with_insurer", Decimal("250.00"), None),
        "Claim/c4": ("with_insurer", Decimal("250.00"), None),
    }


def test_a_statement_never_moves_to_another_patient(run_bundle: Callable[..., ImportRun]) -> None:
    run_bundle(PATIENT, claim())
    other = {**copy.deepcopy(PATIENT), "id": "p2", "name": [{"family": "Other", "given": ["A"]}]}
    other["identifier"] = [{"system": "urn:ehr:mrn", "value": "E-2"}]
    run = run_bundle(other, eob(patient={"reference": "Patient/p2"}))
    assert counted(run, "ExplanationOfBenefit") == {"skipped": 1}
    assert BillingStatement.objects.get().status == "with_insurer"


def test_a_bad_amount_rejects_its_bundle_naming_the_path(
    run_bundle: Callable[..., ImportRun], tmp_path: Path
) -> None:
    bad = claim()
    bad["total"] = {"value": "a lot", "currency": "USD"}
    document = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:p1", "resource": PATIENT}, {"resource": bad}],
    }
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(document))
    run = import_files([path], organization=_org(), source_system=EHR, acting_user=None, via="cli")
    problem = next(p for p in run.problems if not p.get("notice"))
    assert problem["path"] == "Claim.total.value"
    assert not BillingStatement.objects.exists()


def _org() -> Organization:
    return Organization.objects.get(slug="org-a")
