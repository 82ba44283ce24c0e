"""Recording billing statements: one at a time (check_record_statement), or many at once for
an import (do_write_statements: the CSV import and the FHIR import write through it).

A statement is found again by its id in the system it came from, so recording it again
updates it in place. A new statement is on the patient's timeline as a touchpoint of kind
``billing_statement`` (the billing moment of truth); an update changes the statement only.
A statement never moves to another patient: an import that says otherwise is refused.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction

from carebond.accounts.selectors import list_colleagues
from carebond.audit.recording import record_audit, record_audit_many
from carebond.billing.models import (
    CSV_SYSTEM,
    MAX_AMOUNT,
    BillingHandler,
    BillingStatement,
    StatementSource,
    StatementStatus,
)
from carebond.core import clock
from carebond.core.dates import PAST_DATES
from carebond.core.errors import InvalidFields, InvalidInput, Problems, RuleViolation
from carebond.core.models import Organization
from carebond.people.models import Person, PersonKind, PersonStatus
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import Direction, MomentOfTruth, Touchpoint, TouchpointChannel

if TYPE_CHECKING:
    from carebond.accounts.models import User

# The timeline's kind for a statement (registered in extensions).
TOUCHPOINT_KIND = "billing_statement"
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")
# The fields a statement's audit events name when they change (names, never values).
FIELDS = ("statement_date", "amount_billed", "amount_due", "currency", "status", "source")


@dataclass(frozen=True)
class StatementInput:
    """A statement as a practice-management system or an EHR states it. Money and dates only:
    there is no place here for what the visit was for."""

    external_id: str
    statement_date: date
    amount_billed: Decimal
    amount_due: Decimal | None
    status: str
    source: str
    currency: str = "USD"
    # When it reached the patient (the touchpoint's time); None: noon of the statement date,
    # in the organisation's time zone.
    sent_at: datetime | None = None


def statement_problems(data: StatementInput) -> list[InvalidInput]:
    """Everything wrong with a statement, each at its field (StatementInput's names)."""
    problems = Problems()
    with problems.check():
        if not data.external_id.strip():
            raise InvalidInput("A statement needs its id.", field="external_id")
        if len(data.external_id) > 100:
            raise InvalidInput("At most 100 characters.", field="external_id")
    with problems.check():
        PAST_DATES.check(data.statement_date, field="statement_date")
    for name in ("amount_billed", "amount_due"):
        with problems.check():
            _check_amount(getattr(data, name), field=name)
    with problems.check():
        if data.status not in StatementStatus.values:
            raise InvalidInput(
                f"Not a status; use one of {', '.join(StatementStatus.values)}.", field="status"
            )
    with problems.check():
        if data.source not in StatementSource.values:
            raise InvalidInput("Not a source.", field="source")
    with problems.check():
        if not _CURRENCY.match(data.currency):
            raise InvalidInput(
                "A currency is its three-letter ISO 4217 code (USD, EUR...).", field="currency"
            )
    with problems.check():
        _check_status_and_due(data)
    return problems.errors


def _check_amount(value: Decimal | None, *, field: str) -> None:
    if value is None:
        if field == "amount_billed":
            raise InvalidInput("A statement needs the amount billed.", field=field)
        return
    if not value.is_finite():
        raise InvalidInput("Not an amount.", field=field)
    if value < 0:
        raise InvalidInput("An amount cannot be negative.", field=field)
    if value > MAX_AMOUNT:
        raise InvalidInput(f"At most {MAX_AMOUNT:,}.", field=field)
    if value != value.quantize(_CENT):
        raise InvalidInput("At most two decimals (cents).", field=field)


def _check_status_and_due(data: StatementInput) -> None:
    due, billed = data.amount_due, data.amount_billed
    if due is None:
        if data.status not in (StatementStatus.WITH_INSURER, StatementStatus.CANCELLED):
            raise InvalidInput(
                "Give the amount due (0.00 when nothing is due); only a statement still with "
                "the insurer, or cancelled, may leave it out.",
                field="amount_due",
            )
        return
    if data.status == StatementStatus.PAID and due != 0:
        raise InvalidInput(
            f"A paid statement has nothing due (0.00), not {due}.", field="amount_due"
        )
    if data.status == StatementStatus.PARTIALLY_PAID and not 0 < due < billed:
        raise InvalidInput(
            f"A partially paid statement has something due, and less than the {billed} billed.",
            field="amount_due",
        )


def check_patient(person: Person) -> None:
    if person.kind != PersonKind.PATIENT:
        raise InvalidInput("Choose a patient of this organisation.", field="patient")
    if person.status == PersonStatus.MERGED:
        raise InvalidInput(
            "This record was merged; record the statement on the one it was merged into.",
            field="patient",
        )


def raise_problems(errors: list[InvalidInput]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidFields(errors)


@transaction.atomic
def check_record_statement(
    patient: Person,
    data: StatementInput,
    *,
    acting_user: User | None,
    origin_system: str = CSV_SYSTEM,
) -> BillingStatement:
    """Record a statement, or update the one with the same id from the same system.
    Audit: billing.statement.recorded / billing.statement.updated (the patient named)."""
    check_patient(patient)
    raise_problems(statement_problems(data))
    existing = (
        BillingStatement.objects.select_for_update()
        .filter(
            organization_id=patient.organization_id,
            origin_system=origin_system,
            external_id=data.external_id,
        )
        .first()
    )
    if existing is not None and existing.patient_id != patient.pk:
        raise RuleViolation(
            f"Statement {data.external_id} is another patient's: a statement does not move "
            "between patients.",
            code="statement_of_another_patient",
        )
    written = do_write_statements(
        [StatementToWrite(patient.pk, data, existing)],
        organization=patient.organization,
        origin_system=origin_system,
        acting_user=acting_user,
    )
    return written[0].statement


@dataclass
class StatementToWrite:
    """One statement for do_write_statements: the patient's id, what to write, and the row it
    updates (None: a new statement). ``origin_id``: the resource it came from (FHIR)."""

    patient_id: int
    data: StatementInput
    existing: BillingStatement | None
    origin_id: str = ""


@dataclass(frozen=True)
class Written:
    statement: BillingStatement
    outcome: str  # "created", "updated" or "unchanged"


@transaction.atomic
def do_write_statements(
    items: Sequence[StatementToWrite],
    *,
    organization: Organization,
    origin_system: str,
    acting_user: User | None,
    import_run: uuid.UUID | None = None,
) -> list[Written]:
    """Write checked statements in the caller's transaction: new ones with their touchpoints,
    changed ones in place, unchanged ones left alone (no audit event). Each existing row must
    be the same patient's (the callers refuse otherwise). ``import_run``: the import that
    brought them (stamped with it and the time). Audit: billing.statement.recorded,
    billing.statement.updated (each naming the patient and the fields that changed)."""
    now = clock.now()
    created: list[tuple[BillingStatement, datetime | None]] = []
    changed: list[tuple[BillingStatement, list[str]]] = []
    written: list[Written] = []
    for item in items:
        row = item.existing
        if row is None:
            row = BillingStatement(
                organization=organization,
                patient_id=item.patient_id,
                external_id=item.data.external_id,
                origin_system=origin_system,
                origin_id=item.origin_id[:100],
                recorded_by=acting_user,
            )
            created.append((row, item.data.sent_at))
        fields = _fill(row, item.data)
        if item.existing is not None and fields:
            changed.append((row, fields))
        if item.existing is None or fields:
            row.imported_at = now if import_run else row.imported_at
            row.import_run = import_run or row.import_run
        outcome = "created" if item.existing is None else "updated" if fields else "unchanged"
        written.append(Written(row, outcome))
    BillingStatement.objects.bulk_create([row for row, _ in created], batch_size=500)
    for row, _ in changed:
        row.updated_at = now
    BillingStatement.objects.bulk_update(
        [row for row, _ in changed],
        [*FIELDS, "imported_at", "import_run", "updated_at"],
        batch_size=500,
    )
    patients = _public_ids([row for row, _ in created] + [row for row, _ in changed])
    if created:
        record_touchpoints(
            [_touchpoint(row, sent_at, organization, acting_user, now) for row, sent_at in created]
        )
        record_audit_many(
            actor=acting_user,
            action="billing.statement.recorded",
            organization=organization,
            targets=[(row, patients[row.patient_id], FIELDS) for row, _ in created],
        )
    if changed:
        record_audit_many(
            actor=acting_user,
            action="billing.statement.updated",
            organization=organization,
            targets=[(row, patients[row.patient_id], fields) for row, fields in changed],
        )
    return written


def _fill(row: BillingStatement, data: StatementInput) -> list[str]:
    """Set the statement's figures; returns the fields whose value changed."""
    changed = []
    for name in FIELDS:
        value = getattr(data, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed.append(name)
    return changed


def _public_ids(rows: list[BillingStatement]) -> dict[int, uuid.UUID]:
    """The public id of each row's patient (one query): what the audit events name."""
    return dict(
        Person.objects.filter(pk__in={row.patient_id for row in rows}).values_list(
            "pk", "public_id"
        )
    )


def _touchpoint(
    row: BillingStatement,
    sent_at: datetime | None,
    organization: Organization,
    acting_user: User | None,
    now: datetime,
) -> Touchpoint:
    """The statement on the patient's timeline: no words (the amounts may change; the
    statement shows them). A statement from the practice-management system went to the
    patient by post; one from a claim is the EHR's record of it."""
    return Touchpoint(
        organization=organization,
        person_id=row.patient_id,
        kind=TOUCHPOINT_KIND,
        channel=TouchpointChannel.POST
        if row.source == StatementSource.CSV
        else TouchpointChannel.SYSTEM,
        direction=Direction.OUTBOUND,
        occurred_at=sent_at
        or datetime.combine(row.statement_date, time(12), ZoneInfo(organization.time_zone)),
        moment_of_truth=MomentOfTruth.BILLING,
        source_type="billing.billingstatement",
        source_id=str(row.public_id),
        recorded_by=acting_user,
        recorded_at=now,
    )


# --- who answers billing questions ------------------------------------------------------------


@transaction.atomic
def check_set_billing_handlers(
    organization: Organization, *, user_ids: Sequence[int], acting_user: User
) -> list[BillingHandler]:
    """The colleagues who answer billing questions (the inbox hands them billing questions
    nobody has). Only colleagues who answer the inbox: never the analyst. Audit:
    billing.handlers.changed."""
    colleagues = {user.pk: user for user in list_colleagues(acting_user)}
    unknown = [pk for pk in user_ids if pk not in colleagues]
    if unknown:
        raise InvalidInput("Choose colleagues of your organisation.", field="handlers")
    wanted = set(user_ids)
    BillingHandler.objects.filter(organization=organization).exclude(user_id__in=wanted).delete()
    kept = set(
        BillingHandler.objects.filter(organization=organization).values_list("user_id", flat=True)
    )
    now = clock.now()
    BillingHandler.objects.bulk_create(
        BillingHandler(organization=organization, user=colleagues[pk], added_at=now)
        for pk in user_ids
        if pk not in kept
    )
    record_audit(
        actor=acting_user,
        action="billing.handlers.changed",
        target=organization,
        organization=organization,
        changed_fields=["handlers"],
    )
    return list(BillingHandler.objects.filter(organization=organization).select_related("user"))
