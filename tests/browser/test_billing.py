"""The front desk uploads the practice-management system's CSV of statements on the billing
page: a file with a bad row is refused, naming it, and writes nothing; the good file is
checked, then imported, and its statements are listed, filtered, and on the patient's page. A
manager names who answers billing questions and reads their figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carebond.billing.models import BillingHandler, BillingStatement
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.inbound_actions import do_receive_text
from carebond.people.tests.factories import make_patient
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status\n"
GOOD = (
    HEADER
    + "S-100,A-100,2026-02-10,240.00,40.00,open\n"
    + "S-101,A-100,2026-01-05,120.00,0.00,paid\n"
    + "S-102,A-200,2026-02-01,80.50,,with_insurer\n"
)


def test_the_front_desk_uploads_a_csv_of_statements(
    page: Page, live_server: object, tmp_path: Path
) -> None:
    # given a practice with two patients and a front desk colleague
    organization = make_organization("alder", "Alder Family Practice")
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    rosa = make_patient(organization, "Rosa", "Diaz", mrn="A-100")
    make_patient(organization, "Luis", "Mora", mrn="A-200")
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "S-103,Z-999,2026-02-01,10.00,10.00,open\n")
    good = tmp_path / "statements.csv"
    good.write_text(GOOD)
    open_as(page, str(live_server), desk)

    # when they open Billing and upload a file with a bad row
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Billing statements")).to_be_visible()
    page.get_by_role("link", name="Import a CSV of statements").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()

    # then the row is named, and nothing was written
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("row 5, column patient_mrn: no patient here has the MRN")
    assert not BillingStatement.objects.exists()
    # the refused file answered 422, rightly: not an error of the page
    page.console_errors.clear()  # type: ignore[attr-defined]

    # when they check the good file, then import it
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check only").click()
    expect(page.get_by_role("heading", name="Checked: the file is ready to import")).to_be_visible()
    assert not BillingStatement.objects.exists()
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported", exact=True)).to_be_visible()

    # then the statements are stored as the file says, each on its patient
    stored = {s.external_id: s for s in BillingStatement.objects.select_related("patient")}
    assert set(stored) == {"S-100", "S-101", "S-102"}
    assert (stored["S-100"].patient, stored["S-100"].amount_due) == (rosa, Decimal("40.00"))
    assert (stored["S-101"].status, stored["S-102"].amount_due) == ("paid", None)

    # and listed: filtered by status
    page.get_by_role("link", name="See the statements").click()
    table = page.get_by_test_id("statements")
    expect(table.get_by_role("row")).to_have_count(4)
    page.get_by_label("Status", exact=True).select_option("paid")
    page.get_by_role("button", name="Show").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("120.00 USD")

    # and on the patient's page
    table.get_by_role("link", name="Rosa Diaz").click()
    panel = page.get_by_test_id("billing-statements")
    expect(panel).to_contain_text("240.00 USD billed, 40.00 due")
    expect(panel).to_contain_text("Paid")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_manager_names_who_answers_billing_questions_and_reads_their_figures(
    page: Page, live_server: object
) -> None:
    # given a billing question waiting in the inbox
    organization = make_organization("alder", "Alder Family Practice")
    manager = make_user(organization, Role.MANAGER, "morgan")
    desk = make_user(organization, Role.FRONT_DESK, "jordan")
    ensure_built_in_templates(organization)
    line = check_add_sender(
        organization, channel="sms", address="+13125550100", label="Clinic", purposes=["care"]
    )
    make_patient(organization, "Marta", "Ruiz", phone="+13125550123")
    do_receive_text(
        line, from_number="+13125550123", body="¿Cuánto es mi saldo?", provider_id="SM-b1"
    )
    open_as(page, str(live_server), manager)

    # when the manager follows the home panel to the billing questions
    page.get_by_test_id("billing-questions-waiting").get_by_role("link").click()
    expect(page.get_by_test_id("waiting-questions")).to_contain_text("Marta Ruiz")
    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="The last 7 days")).to_be_visible()
    expect(page.get_by_test_id("question-figures")).to_contain_text("Billing questions")

    # and names the front desk to answer them
    page.get_by_role("link", name="Choose who answers billing questions").click()
    page.get_by_label(desk.get_full_name()).check()
    page.get_by_role("button", name="Save").click()

    # then it is saved, and said on the page
    expect(page.get_by_test_id("handlers")).to_contain_text(desk.get_full_name())
    assert list(BillingHandler.objects.values_list("user", flat=True)) == [desk.pk]

    # and the question is in the inbox under its topic
    page.get_by_role("link", name="Billing questions in the inbox").click()
    expect(page.get_by_test_id("topic")).to_have_text("Billing")
    assert page.console_errors == []  # type: ignore[attr-defined]
