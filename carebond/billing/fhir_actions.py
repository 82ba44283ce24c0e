"""Billing statements written by the FHIR import (billing/fhir.py reads the resources), in the
import unit's transaction: a Claim opens a statement, the ExplanationOfBenefit of that claim
settles the same statement (the patient's share), whichever of the two comes first.

A statement is its claim: ``Claim/<id>`` from the import's connection. An explanation of
benefit decides over its claim: a claim imported again never undoes what its EOB said (unless
it was cancelled). A resource that names another patient than its statement's is skipped,
with a note: a statement never moves between patients.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from carebond.billing.actions import (
    StatementInput,
    StatementToWrite,
    do_write_statements,
    statement_problems,
)
from carebond.billing.models import BillingStatement, StatementSource, StatementStatus
from carebond.core.fhir.type_module import ImportStamp, RowRefused, RowSkipped, RowToWrite
from carebond.core.models import Organization

Money = tuple[Decimal, str]


@dataclass(frozen=True)
class ClaimValues:
    """What a Claim or an ExplanationOfBenefit says of its statement: money and dates only."""

    resource_type: str  # "Claim" or "ExplanationOfBenefit"
    claim_key: str  # "Claim/<id>" of the claim an EOB settles ('' for a Claim: its own id)
    created: datetime
    cancelled: bool
    billed: Money | None
    settled: bool = False  # an EOB whose claim was processed (outcome complete or partial)
    patient_share: Money | None = None
    benefit: Money | None = None
    payment: Money | None = None


ANOTHER_PATIENT = (
    "the statement of this claim is another patient's; a statement never moves between "
    "patients: skipped"
)
NOTHING_BILLED = (
    "no submitted total, and no claim imported to take it from: nothing to bill; skipped"
)


def do_import_statements(rows: list[RowToWrite], stamp: ImportStamp) -> list[int | RowSkipped]:
    """Write the statements of a batch of Claims or of ExplanationOfBenefits (one type per
    batch), new or changed. Returns each row's statement id, or why it was left out.
    Audit: billing.statement.recorded / billing.statement.updated (the patient named)."""
    organization = Organization.objects.get(pk=stamp.organization_id)
    keys = [_key(row) for row in rows]
    found = _statements(rows, keys, stamp)
    items: list[StatementToWrite] = []
    slot: dict[str, int] = {}  # statement key -> its item (two resources of one claim: one row)
    placed: list[int | RowSkipped] = []
    for index, (row, key) in enumerate(zip(rows, keys, strict=True)):
        values: ClaimValues = row.record.values["claim"]
        before = items[slot[key]].existing if key in slot else found.get(key)
        if before is not None and before.patient_id != row.patient_id:
            placed.append(RowSkipped(f"{values.resource_type}.patient", ANOTHER_PATIENT))
            continue
        data = _statement(values, key, before, items[slot[key]].data if key in slot else None)
        if data is None:
            placed.append(RowSkipped(f"{values.resource_type}.total", NOTHING_BILLED))
            continue
        problems = statement_problems(data)
        if problems:
            where = f"{values.resource_type}.{_path(problems[0].field)}"
            raise RowRefused(index, where, problems[0].message)
        if key in slot:
            items[slot[key]].data = data
        else:
            slot[key] = len(items)
            items.append(StatementToWrite(row.patient_id, data, before, origin_id=row.origin_id))
        placed.append(slot[key])
    written = do_write_statements(
        items,
        organization=organization,
        origin_system=stamp.origin_system,
        acting_user=stamp.acting_user,
        import_run=stamp.import_run,
    )
    return [p if isinstance(p, RowSkipped) else written[p].statement.pk for p in placed]


def _key(row: RowToWrite) -> str:
    values: ClaimValues = row.record.values["claim"]
    return (values.claim_key or row.origin_id)[:100]


def _path(field: str | None) -> str:
    return {"statement_date": "created", "amount_billed": "total"}.get(field or "", "total")


def _statements(
    rows: list[RowToWrite], keys: list[str], stamp: ImportStamp
) -> dict[str, BillingStatement]:
    """The statements these resources were before: by the import's own bookkeeping, else by
    the claim's key from the same connection (an EOB whose claim came first, or the other way
    round). Locked for the unit's transaction."""
    statements = BillingStatement.objects.select_for_update().filter(
        organization_id=stamp.organization_id
    )
    by_pk = statements.in_bulk([row.existing for row in rows if row.existing])
    by_key = {
        s.external_id: s
        for s in statements.filter(origin_system=stamp.origin_system, external_id__in=set(keys))
    }
    found: dict[str, BillingStatement] = {}
    for row, key in zip(rows, keys, strict=True):
        statement = by_pk.get(row.existing or 0) or by_key.get(key)
        if statement is not None:
            found.setdefault(key, statement)
    return found


def _statement(
    values: ClaimValues,
    key: str,
    before: BillingStatement | None,
    pending: StatementInput | None,
) -> StatementInput | None:
    """What the statement becomes with this resource (None: nothing to bill)."""
    known = pending or (_as_input(before) if before is not None else None)
    settled_before = known is not None and known.source == StatementSource.FHIR_EOB
    if values.resource_type == "Claim" and settled_before:
        assert known is not None
        if not values.cancelled:
            return known  # the EOB decided; the claim again changes nothing
        return replace(known, status=StatementStatus.CANCELLED)
    billed = values.billed or ((known.amount_billed, known.currency) if known else None)
    if billed is None:
        return None
    amount_billed, currency = billed
    due: Decimal | None = None
    if values.cancelled:
        status = StatementStatus.CANCELLED
    elif values.resource_type == "Claim" or not values.settled:
        status = StatementStatus.WITH_INSURER
    else:
        due = _patient_share(values, amount_billed)
        status = (
            StatementStatus.WITH_INSURER
            if due is None
            else StatementStatus.PAID
            if due == 0
            else StatementStatus.OPEN
        )
    return StatementInput(
        external_id=key,
        # The statement is dated by the claim that opened it.
        statement_date=known.statement_date if known else values.created.date(),
        amount_billed=amount_billed,
        amount_due=due,
        status=status,
        source=StatementSource.FHIR_CLAIM
        if values.resource_type == "Claim"
        else StatementSource.FHIR_EOB,
        currency=currency,
        sent_at=values.created,
    )


def _patient_share(values: ClaimValues, billed: Decimal) -> Decimal | None:
    """What the patient owes: the EOB's patient-liability total; else the billed amount less
    the insurer's benefit; else less its payment (never below nothing, never above the bill).
    None: the EOB does not say."""
    if values.patient_share is not None:
        share = values.patient_share[0]
    elif values.benefit is not None:
        share = billed - values.benefit[0]
    elif values.payment is not None:
        share = billed - values.payment[0]
    else:
        return None
    return min(max(share, Decimal("0.00")), billed)


def _as_input(statement: BillingStatement) -> StatementInput:
    return StatementInput(
        external_id=statement.external_id,
        statement_date=statement.statement_date,
        amount_billed=statement.amount_billed,
        amount_due=statement.amount_due,
        status=statement.status,
        source=statement.source,
        currency=statement.currency,
    )
