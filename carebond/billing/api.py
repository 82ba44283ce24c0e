"""The billing API: statements (a list with filters, one statement) and the CSV import of a
practice-management system's statements. Mounted at /billing. The same actions and rules as
the pages; never for the analyst or another organisation."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router

from carebond.accounts.auth import acting_user, policy_auth
from carebond.billing import import_actions
from carebond.billing.access import BILLING_STAFF
from carebond.billing.models import BillingStatement
from carebond.billing.schemas import (
    StatementImportIn,
    StatementImportOut,
    StatementListOut,
    StatementOut,
    StatementQuery,
)
from carebond.billing.selectors import StatementFilters, get_statement, list_statements
from carebond.core.errors import InvalidFields, InvalidInput, NotFound
from carebond.people.access import access_person

router = Router(tags=["billing"])
AUTH = policy_auth(BILLING_STAFF)


def statement_out(statement: BillingStatement) -> StatementOut:
    due = statement.amount_due
    return StatementOut(
        id=statement.public_id,
        patient_id=statement.patient.public_id,
        statement_id=statement.external_id,
        statement_date=statement.statement_date,
        amount_billed=f"{statement.amount_billed:.2f}",
        amount_due=None if due is None else f"{due:.2f}",
        currency=statement.currency,
        status=statement.status,  # type: ignore[arg-type]
        source=statement.source,  # type: ignore[arg-type]
        recorded_at=statement.created_at,
        updated_at=statement.updated_at,
    )


@router.get(
    "/statements",
    response=StatementListOut,
    auth=AUTH,
    summary="Statements, newest first, by status, source, patient and date (audited read)",
)
def statements(request: HttpRequest, query: Query[StatementQuery]) -> StatementListOut:
    user = acting_user(request)
    patient = None
    if query.patient is not None:
        try:
            patient = access_person(user, query.patient)
        except NotFound as error:
            raise InvalidInput(error.message, field="patient") from None
    page = list_statements(
        user=user,
        filters=StatementFilters(
            status=query.status or "",
            source=query.source or "",
            since=query.since,
            until=query.until,
        ),
        patient=patient,
        limit=query.limit,
        offset=query.offset,
    )
    return StatementListOut(total=page.total, statements=[statement_out(s) for s in page.rows])


@router.post(
    "/statements/import",
    response=StatementImportOut,
    auth=AUTH,
    summary="Import a CSV of statements, all or nothing (422 naming each row and column)",
)
def import_statements(request: HttpRequest, payload: StatementImportIn) -> StatementImportOut:
    user = acting_user(request)
    result = import_actions.check_import_statements(
        user.organization, payload.csv.encode(), dry_run=payload.dry_run, acting_user=user
    )
    if result.errors:
        raise InvalidFields(
            [
                InvalidInput(str(problem), field="csv", code=f"row:{problem.row}")
                for problem in result.errors[:500]
            ]
        )
    return StatementImportOut(
        dry_run=result.dry_run,
        rows=result.rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        ignored_columns=result.ignored_columns,
    )


@router.get(
    "/statements/{statement_id}",
    response=StatementOut,
    auth=AUTH,
    summary="One statement (an audited read naming its patient)",
)
def statement(request: HttpRequest, statement_id: UUID) -> StatementOut:
    return statement_out(get_statement(user=acting_user(request), public_id=statement_id))
