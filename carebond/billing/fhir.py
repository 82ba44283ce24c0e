"""Claims and explanations of benefit in FHIR R4, as billing statements (imported only).

- ``Claim``: what was billed for a visit: its ``total`` (else the sum of its items' ``net``)
  is the amount billed, ``created`` the statement date; while no explanation of benefit has
  come, the statement is with the insurer and what the patient owes is not known yet.
- ``ExplanationOfBenefit``: the insurer's answer to a claim, settling the same statement (the
  claim it names): the submitted total is the amount billed, and the patient's share is what
  is due: a total for the patient's liability when the EOB gives one (CARIN Blue Button's
  ``memberliability``), else the submitted total less the insurer's benefit, else less its
  payment. Nothing due: paid.

Only money, dates and statuses are read. Diagnoses, procedures, items' service codes, the
provider, the facility and the insurance are never read, so they are never stored.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from carebond.billing.fhir_actions import ClaimValues, do_import_statements
from carebond.billing.models import BillingStatement
from carebond.core.fhir.parsing import (
    MappingError,
    NotImported,
    as_list,
    as_object,
    parse_datetime,
    reference,
    text,
)
from carebond.core.fhir.type_module import LATE_RANK, FhirTypeModule, RowRecord, RowWriter

# The kind of row both types become in the import's bookkeeping ("billing_statement:12").
WRITER = RowWriter("billing_statement", BillingStatement, "patient", do_import_statements)
_CENT = Decimal("0.01")
# ExplanationOfBenefit.total categories: the patient's share (CARIN BB), the insurer's.
PATIENT_SHARE = frozenset({"memberliability", "paidbypatient", "patientpay"})
BENEFIT = "benefit"
SUBMITTED = "submitted"


def money(value: Any, path: str) -> tuple[Decimal, str] | None:
    """A Money (value and currency) as an amount in cents and its currency code."""
    found = as_object(value, path)
    if not found or found.get("value") is None:
        return None
    raw = found["value"]
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise MappingError(f"{path}.value", "is not a number")
    try:
        amount = Decimal(str(raw)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise MappingError(f"{path}.value", "is not an amount") from error
    if not amount.is_finite() or amount < 0:
        raise MappingError(f"{path}.value", "is not an amount billed (negative?)")
    currency = text(found.get("currency"), f"{path}.currency", strict=True) or "USD"
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise MappingError(f"{path}.currency", "is not an ISO 4217 currency code")
    return amount, currency


def _patient(resource: dict[str, Any], path: str) -> Any:
    patient = reference(resource.get("patient"), f"{path}.patient", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.patient", "a claim names its patient")
    return patient


def _created(resource: dict[str, Any], path: str) -> Any:
    if not resource.get("created"):
        raise MappingError(f"{path}.created", "a claim says when it was made")
    return parse_datetime(resource["created"], f"{path}.created")


def _cancelled(resource: dict[str, Any], path: str) -> bool:
    """Whether the resource was withdrawn (cancelled, entered in error). A draft was never
    sent: no statement yet (skipped, with a note)."""
    status = text(resource.get("status"), f"{path}.status", 40)
    if status == "draft":
        raise NotImported(f"{path}.status", "a draft was never sent: no statement yet")
    if status not in ("active", "cancelled", "entered-in-error"):
        raise MappingError(f"{path}.status", f"is not a {path} status")
    return status != "active"


def claim_from_fhir(resource: dict[str, Any]) -> RowRecord:
    """A Claim as the statement it opens. A draft is no statement yet: skipped, with a note."""
    path = "Claim"
    cancelled = _cancelled(resource, path)
    total = money(resource.get("total"), f"{path}.total")
    if total is None:
        total = _sum_of_items(resource, path)
    return RowRecord(
        patient=_patient(resource, path),
        refs={},
        values={
            "claim": ClaimValues(
                resource_type="Claim",
                claim_key="",  # the Claim's own id (the import's origin id)
                created=_created(resource, path),
                cancelled=cancelled,
                billed=total,
            )
        },
    )


def _sum_of_items(resource: dict[str, Any], path: str) -> tuple[Decimal, str]:
    amounts = [
        money(as_object(item, f"{path}.item[{n}]").get("net"), f"{path}.item[{n}].net")
        for n, item in enumerate(as_list(resource.get("item"), f"{path}.item"))
    ]
    found = [a for a in amounts if a is not None]
    if not found:
        raise NotImported(f"{path}.total", "a claim without a total or item amounts bills nothing")
    currencies = {currency for _, currency in found}
    if len(currencies) > 1:
        raise MappingError(f"{path}.item.net.currency", "the items are in several currencies")
    return sum((amount for amount, _ in found), Decimal("0.00")), currencies.pop()


def claim_key(resource: dict[str, Any], path: str) -> str:
    """The claim an ExplanationOfBenefit settles, as ``Claim/<id>`` (the statement's id): its
    ``claim`` reference (``urn:uuid:<id>``, ``Claim/<id>`` or an absolute URL); else the EOB
    stands for itself."""
    ref = reference(resource.get("claim"), f"{path}.claim", type_hint="Claim")
    written = ref.reference if ref is not None else ""
    if written.startswith("urn:uuid:"):
        return f"Claim/{written.removeprefix('urn:uuid:')[:64]}"
    if "Claim/" in written:
        return "Claim/" + written.rsplit("Claim/", 1)[1].split("/_history/", 1)[0][:64]
    return ""


def _totals(resource: dict[str, Any], path: str) -> dict[str, tuple[Decimal, str]]:
    """The EOB's totals by category code."""
    found: dict[str, tuple[Decimal, str]] = {}
    for n, item in enumerate(as_list(resource.get("total"), f"{path}.total")):
        item = as_object(item, f"{path}.total[{n}]")
        category = as_object(item.get("category"), f"{path}.total[{n}].category")
        codes = [
            text(as_object(c, f"{path}.total[{n}].category.coding").get("code"), path, 200)
            for c in as_list(category.get("coding"), f"{path}.total[{n}].category.coding")
        ]
        amount = money(item.get("amount"), f"{path}.total[{n}].amount")
        if amount is not None:
            for code in codes:
                found.setdefault(code.rsplit("/", 1)[-1].lower(), amount)
    return found


def eob_from_fhir(resource: dict[str, Any]) -> RowRecord:
    """An ExplanationOfBenefit as the statement of the claim it settles: what was billed and
    what the patient owes. One still being processed (``outcome`` queued or error) leaves
    the statement with the insurer."""
    path = "ExplanationOfBenefit"
    cancelled = _cancelled(resource, path)
    outcome = text(resource.get("outcome"), f"{path}.outcome", 40)
    totals = _totals(resource, path)
    payment = money(as_object(resource.get("payment"), f"{path}.payment").get("amount"), path)
    share = next((totals[code] for code in sorted(PATIENT_SHARE) if code in totals), None)
    return RowRecord(
        patient=_patient(resource, path),
        refs={},
        values={
            "claim": ClaimValues(
                resource_type="ExplanationOfBenefit",
                claim_key=claim_key(resource, path),
                created=_created(resource, path),
                cancelled=cancelled,
                billed=totals.get(SUBMITTED),
                settled=outcome in ("complete", "partial"),
                patient_share=share,
                benefit=totals.get(BENEFIT),
                payment=payment,
            )
        },
    )


FHIR_TYPES = (
    FhirTypeModule(
        "Claim",
        read=claim_from_fhir,
        writer=WRITER,
        import_rank=LATE_RANK,
        in_facade=False,
        documentation="Imported as billing statements (amounts and dates only).",
    ),
    FhirTypeModule(
        "ExplanationOfBenefit",
        read=eob_from_fhir,
        writer=WRITER,
        # After the claims: an EOB settles the statement its claim opened.
        import_rank=LATE_RANK + 1,
        in_facade=False,
        documentation="Imported as the patient's share of a billing statement.",
    ),
)
