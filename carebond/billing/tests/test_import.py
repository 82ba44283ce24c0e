"""The CSV of statements a practice-management system exports: the whole file in one
transaction; a bad row names its row and column and nothing is written; a statement imported
again is updated, never added twice; columns CareBond does not keep are left unread."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carebond.audit.models import AuditEvent
from carebond.billing.import_actions import check_import_statements
from carebond.billing.models import BillingStatement
from carebond.core.models import Organization
from carebond.people.actions import IdentifierInput, check_add_identifier
from carebond.people.models import Person
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

GOOD = (
    "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status\n"
    "S-1,A-100,2026-02-10,240.00,40.00,open\n"
    "S-2,A-100,2026-01-05,120.00,0.00,paid\n"
    "S-3,A-200,2026-02-01,80.50,,with_insurer\n"
)


def run(organization: Organization, text: str, *, dry_run: bool = False) -> list[str]:
    """The problems of an import, as the page and the API show them."""
    result = check_import_statements(organization, text.encode(), dry_run=dry_run, acting_user=None)
    return [str(problem) for problem in result.errors]


def test_a_good_file_records_every_statement_on_the_timeline(
    org_a: Organization, patient: Person, other_patient: Person
) -> None:
    # when the practice-management system's file is imported
    result = check_import_statements(org_a, GOOD.encode(), acting_user=None)
    # then each row is a statement of its patient, found by MRN
    assert (result.created, result.updated, result.errors) == (3, 0, [])
    rows = {s.external_id: s for s in BillingStatement.objects.all()}
    assert rows["S-1"].patient == patient
    assert (rows["S-2"].status, rows["S-2"].amount_due) == ("paid", Decimal("0.00"))
    assert (rows["S-3"].patient, rows["S-3"].amount_due) == (other_patient, None)
    assert {s.source for s in rows.values()} == {"csv"}
    assert rows["S-1"].import_run is not None
    assert Touchpoint.objects.filter(kind="billing_statement").count() == 3
    assert AuditEvent.objects.filter(action="billing.statement.recorded").count() == 3


def test_importing_again_updates_never_duplicates(
    org_a: Organization, patient: Person, other_patient: Person
) -> None:
    check_import_statements(org_a, GOOD.encode(), acting_user=None)
    # the next export: S-1 is now partly paid, the rest as before
    later = GOOD.replace(
        "S-1,A-100,2026-02-10,240.00,40.00,open", "S-1,A-100,2026-02-10,240.00,15.00,partially_paid"
    )
    result = check_import_statements(org_a, later.encode(), acting_user=None)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert BillingStatement.objects.count() == 3
    assert BillingStatement.objects.get(external_id="S-1").amount_due == Decimal("15.00")
    assert Touchpoint.objects.count() == 3
    assert AuditEvent.objects.filter(action="billing.statement.updated").count() == 1


def test_each_bad_row_is_named_by_row_and_column_and_nothing_is_written(
    org_a: Organization, patient: Person, other_patient: Person
) -> None:
    text = (
        "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status\n"
        "S-1,A-100,2026-02-10,240.00,40.00,open\n"
        "S-2,Z-999,2026-02-10,240.00,40.00,open\n"
        "S-3,A-100,10 Feb 2026,240.00,40.00,open\n"
        "S-4,A-100,2026-02-10,two hundred,40.00,open\n"
        "S-5,A-100,2026-02-10,240.00,40.00,settled\n"
        "S-6,A-100,2026-02-10,240.00,5.00,paid\n"
        "S-1,A-200,2026-02-10,240.00,40.00,open\n"
        ",A-100,2026-02-10,240.00,40.00,open\n"
        "S-9,A-100,2026-02-10,240.00,,open\n"
        "S-10,A-100,2999-01-01,240.00,40.00,open\n"
    )
    assert run(org_a, text) == [
        "row 3, column patient_mrn: no patient here has the MRN 'Z-999'.",
        "row 4, column statement_date: not a date: write it as YYYY-MM-DD (or MM/DD/YYYY).",
        "row 5, column amount_billed: not an amount: write it as 120.50.",
        "row 6, column status: 'settled' is not a status; use one of with_insurer, open, "
        "partially_paid, paid, overdue, in_collections, cancelled.",
        "row 7, column amount_due: A paid statement has nothing due (0.00), not 5.00.",
        "row 8, column statement_id: statement S-1 is also on row 2.",
        "row 9, column statement_id: empty: every statement needs its id.",
        "row 10, column amount_due: Give the amount due (0.00 when nothing is due); only a "
        "statement still with the insurer, or cancelled, may leave it out.",
        "row 11, column statement_date: The date 2999-01-01 is in the future. Accepted: from "
        "1900-01-01 to today.",
    ]
    assert not BillingStatement.objects.exists()
    assert not Touchpoint.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="billing").exists()


def test_columns_are_found_by_name_and_others_left_unread(
    org_a: Organization, patient: Person
) -> None:
    # an export with its own names, another order, a $, US dates, and clinical columns
    text = (
        "Patient MRN;Statement Number;Diagnosis;CPT;Statement Date;Total Charges;Balance Due;"
        "Status\n"
        'A-100;S-7;J45.909;99213;02/10/2026;"$1,240.00";$40.00;Past Due\n'
    )
    result = check_import_statements(org_a, text.encode(), acting_user=None)
    assert result.errors == []
    assert result.ignored_columns == ["Diagnosis", "CPT"]
    statement = BillingStatement.objects.get()
    assert (statement.statement_date.isoformat(), statement.amount_billed) == (
        "2026-02-10",
        Decimal("1240.00"),
    )
    assert statement.status == "overdue"
    # what was left unread is nowhere: not on the statement, not on the timeline
    stored = [str(v) for v in BillingStatement.objects.values().get().values()]
    stored += [str(v) for v in Touchpoint.objects.values().get().values()]
    assert not [v for v in stored if "J45" in v or "99213" in v]


def test_a_patient_by_another_identifier(org_a: Organization, patient: Person) -> None:
    check_add_identifier(
        patient, IdentifierInput("urn:pm:account", "ACC-9", "AN", "Account"), acting_user=None
    )
    text = (
        "statement_id,patient_identifier,statement_date,amount_billed,amount_due,status\n"
        "S-1,urn:pm:account|ACC-9,2026-02-10,240.00,40.00,open\n"
        "S-2,ACC-9,2026-02-10,240.00,40.00,open\n"
    )
    assert run(org_a, text) == [
        "row 3, column patient_identifier: not an identifier: write it as system|value."
    ]
    assert run(org_a, text.rsplit("S-2", 1)[0]) == []
    assert BillingStatement.objects.get().patient == patient


def test_a_file_without_what_it_needs_says_so(org_a: Organization, patient: Person) -> None:
    assert run(org_a, "statement_id,amount_billed\nS-1,10.00\n") == [
        "row 1: the file has no statement_date column (the header: statement_id,patient_mrn,"
        "statement_date,amount_billed,amount_due,status,currency).",
        "row 1: the file has no amount_due column (the header: statement_id,patient_mrn,"
        "statement_date,amount_billed,amount_due,status,currency).",
        "row 1: the file has no status column (the header: statement_id,patient_mrn,"
        "statement_date,amount_billed,amount_due,status,currency).",
        "row 1: the file has no patient_mrn (or patient_identifier) column.",
    ]
    assert run(org_a, "") == ["row 1: The file is empty."]
    latin1 = GOOD.replace("S-1", "S-ñ").encode("latin-1")
    assert check_import_statements(org_a, latin1, acting_user=None).errors[0].row == 2


def test_a_statement_imported_for_one_patient_stays_theirs(
    org_a: Organization, patient: Person, other_patient: Person
) -> None:
    check_import_statements(org_a, GOOD.encode(), acting_user=None)
    moved = GOOD.replace("S-1,A-100", "S-1,A-200")
    assert run(org_a, moved) == [
        "row 2, column patient_mrn: statement S-1 was imported for another patient; a "
        "statement does not move between patients."
    ]
    assert BillingStatement.objects.get(external_id="S-1").patient == patient


def test_a_check_writes_nothing(
    org_a: Organization, patient: Person, other_patient: Person
) -> None:
    result = check_import_statements(org_a, GOOD.encode(), dry_run=True, acting_user=None)
    assert (result.created, result.rejected, result.written) == (3, False, False)
    assert not BillingStatement.objects.exists()


def test_another_organisations_patients_are_nobody_here(
    org_a: Organization, org_b: Organization, patient_b: Person
) -> None:
    # organisation B has a patient with MRN A-100; organisation A has none
    assert run(org_a, GOOD)[0] == "row 2, column patient_mrn: no patient here has the MRN 'A-100'."
    assert not BillingStatement.objects.exists()
