"""The billing pages: statements with their filters, the CSV upload (every problem beside its
row and column), billing questions and who answers them for managers; the managers' home
panel and a patient's statements on their page, each shown only with something to show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carebond.accounts.models import User
from carebond.billing.models import BillingHandler, BillingStatement
from carebond.billing.tests.conftest import record
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.inbound_actions import do_receive_text
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
CSV = (
    "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status\n"
    "S-1,A-100,2026-02-10,240.00,40.00,open\n"
)


def _upload(text: str, name: str = "statements.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/billing/", {Role.ADMIN, Role.MANAGER, Role.FRONT_DESK}),
        ("/billing/import/", {Role.ADMIN, Role.MANAGER, Role.FRONT_DESK}),
        ("/billing/questions/", {Role.ADMIN, Role.MANAGER}),
        ("/billing/questions/who-answers/", {Role.ADMIN, Role.MANAGER}),
    ],
)
def test_who_may_open_each_page(
    users_a: dict[str, User], client_for: ClientFor, path: str, allowed: set[str]
) -> None:
    for role, user in users_a.items():
        assert client_for(user).get(path).status_code == (200 if role in allowed else 403)


def test_the_statements_page_lists_filters_and_counts(
    users_a: dict[str, User], client_for: ClientFor, patient: Person, other_patient: Person
) -> None:
    record(patient, "S-1")
    record(other_patient, "S-2", status="overdue")
    desk = client_for(users_a[Role.FRONT_DESK])
    page = desk.get("/billing/").content.decode()
    assert "Rosa Diaz" in page
    assert "Luis Mora" in page
    assert "Overdue: 1" in page
    assert "40.00 USD" in page
    only = desk.get("/billing/?status=overdue").content.decode()
    assert "Luis Mora" in only
    assert "Rosa Diaz" not in only
    # a filter that cannot be meant is told beside it
    bad = desk.get("/billing/?since=2026-03-01&until=2026-02-01")
    assert bad.status_code == 422
    assert "The period ends before it starts." in bad.content.decode()


def test_uploading_a_good_file_imports_it_and_a_bad_one_names_its_rows(
    users_a: dict[str, User], client_for: ClientFor, patient: Person
) -> None:
    desk = client_for(users_a[Role.FRONT_DESK])
    bad = desk.post(
        "/billing/import/",
        {"file": _upload(CSV + "S-2,Z-9,2026-02-10,1,1,open\n"), "step": "import"},
    )
    assert bad.status_code == 422
    assert "row 3, column patient_mrn: no patient here has the MRN" in bad.content.decode()
    assert not BillingStatement.objects.exists()
    checked = desk.post("/billing/import/", {"file": _upload(CSV), "step": "check"})
    assert "the file is ready to import" in checked.content.decode()
    assert not BillingStatement.objects.exists()
    done = desk.post("/billing/import/", {"file": _upload(CSV), "step": "import"})
    assert done.status_code == 200
    assert "Imported" in done.content.decode()
    assert BillingStatement.objects.get().patient == patient


def test_an_upload_too_large_or_missing_is_told_beside_the_field(
    users_a: dict[str, User], client_for: ClientFor
) -> None:
    desk = client_for(users_a[Role.MANAGER])
    missing = desk.post("/billing/import/", {"step": "import"})
    assert missing.status_code == 400
    big = _upload("statement_id\n" + "S\n" * (3 * 1024 * 1024))
    too_large = desk.post("/billing/import/", {"file": big, "step": "import"})
    assert too_large.status_code == 400
    assert "the limit is 5 MB" in too_large.content.decode()


def _billing_text(organization: Organization, body: str = "Question about my bill") -> None:
    ensure_built_in_templates(organization)
    line = check_add_sender(
        organization, channel="sms", address="+13125550100", label="Clinic", purposes=["care"]
    )
    make_patient(organization, "Marta", "Ruiz", phone="+13125550123")
    do_receive_text(line, from_number="+13125550123", body=body, provider_id="SM-bill")


def test_managers_see_billing_questions_and_choose_who_answers(
    org_a: Organization, users_a: dict[str, User], client_for: ClientFor
) -> None:
    manager = client_for(users_a[Role.MANAGER])
    assert "No billing question came" in manager.get("/billing/questions/").content.decode()
    _billing_text(org_a)
    page = manager.get("/billing/questions/?days=7").content.decode()
    assert "Marta Ruiz" in page
    assert "Waiting for an answer (1)" in page
    assert "Nobody is named yet" in page
    desk = users_a[Role.FRONT_DESK]
    saved = manager.post("/billing/questions/who-answers/", {"handlers": [str(desk.pk)]})
    assert saved.status_code == 302
    assert list(BillingHandler.objects.values_list("user", flat=True)) == [desk.pk]
    # someone who is no colleague is refused beside the field
    refused = manager.post("/billing/questions/who-answers/", {"handlers": ["999999"]})
    assert refused.status_code == 400
    assert list(BillingHandler.objects.values_list("user", flat=True)) == [desk.pk]


def test_the_home_panel_shows_billing_questions_to_managers_only_when_there_are_some(
    org_a: Organization, users_a: dict[str, User], client_for: ClientFor
) -> None:
    manager = client_for(users_a[Role.MANAGER])
    assert "Billing questions" not in manager.get("/").content.decode()
    _billing_text(org_a)
    home = manager.get("/").content.decode()
    assert "1 billing question waiting for an answer" in home
    desk_home = client_for(users_a[Role.FRONT_DESK]).get("/").content.decode()
    assert "billing question waiting" not in desk_home


def test_a_patients_statements_are_on_their_page_for_billing_staff(
    users_a: dict[str, User], client_for: ClientFor, patient: Person, other_patient: Person
) -> None:
    record(patient, "S-1", statement_date=date(2026, 2, 10), amount_due=Decimal("40.00"))
    url = f"/people/{patient.public_id}/panels/"
    shown = client_for(users_a[Role.FRONT_DESK]).get(url).content.decode()
    assert "Billing statements" in shown
    assert "240.00 USD billed, 40.00 due" in shown
    assert "Billing statements" not in client_for(users_a[Role.CLINICIAN]).get(url).content.decode()
    # a patient without statements: no panel
    none = client_for(users_a[Role.FRONT_DESK]).get(f"/people/{other_patient.public_id}/panels/")
    assert "Billing statements" not in none.content.decode()


def test_the_statements_page_costs_the_same_for_one_statement_or_many(
    users_a: dict[str, User],
    client_for: ClientFor,
    patient: Person,
    other_patient: Person,
    django_assert_max_num_queries: Any,
) -> None:
    desk = client_for(users_a[Role.FRONT_DESK])
    record(patient, "S-1")
    with django_assert_max_num_queries(40) as one:
        desk.get("/billing/")
    for n in range(2, 12):
        record(other_patient if n % 2 else patient, f"S-{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert "S-11" in desk.get("/billing/").content.decode()
