"""The billing API: statements with filters, one statement (audited), and the CSV import
(all or nothing: a 422 naming each row and column); for the front desk, managers and
administrators only, and never another organisation's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.billing.models import BillingStatement
from carebond.billing.tests.conftest import record
from carebond.core.permissions import Role
from carebond.people.models import Person

pytestmark = pytest.mark.django_db

API = "/api/v1/billing"
CSV = (
    "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status\n"
    "S-1,A-100,2026-02-10,240.00,40.00,open\n"
)
ALLOWED = {Role.ADMIN, Role.MANAGER, Role.FRONT_DESK}


@pytest.mark.parametrize("role", Role.values)
def test_the_role_matrix(
    role: str, users_a: dict[str, User], api_for: Callable[[User], Client], patient: Person
) -> None:
    statement = record(patient)
    client = api_for(users_a[role])
    listed = client.get(f"{API}/statements")
    one = client.get(f"{API}/statements/{statement.public_id}")
    imported = client.post(
        f"{API}/statements/import", {"csv": CSV, "dry_run": True}, content_type="application/json"
    )
    expected = 200 if role in ALLOWED else 403
    assert (listed.status_code, one.status_code, imported.status_code) == (expected,) * 3


def test_statements_filtered_and_one_read_audited(
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
    patient: Person,
    other_patient: Person,
) -> None:
    first = record(patient, "S-1")
    record(other_patient, "S-2", status="overdue")
    desk = api_for(users_a[Role.FRONT_DESK])
    body: Any = desk.get(f"{API}/statements", {"status": "open"}).json()
    assert body["total"] == 1
    assert body["statements"][0] == {
        "id": str(first.public_id),
        "patient_id": str(patient.public_id),
        "statement_id": "S-1",
        "statement_date": "2026-02-10",
        "amount_billed": "240.00",
        "amount_due": "40.00",
        "currency": "USD",
        "status": "open",
        "source": "csv",
        "recorded_at": body["statements"][0]["recorded_at"],
        "updated_at": body["statements"][0]["updated_at"],
    }
    mine = desk.get(f"{API}/statements", {"patient": str(other_patient.public_id)}).json()
    assert [s["statement_id"] for s in mine["statements"]] == ["S-2"]
    assert desk.get(f"{API}/statements/{first.public_id}").json()["statement_id"] == "S-1"
    assert AuditEvent.objects.get(action="billingstatement.read").patient_id == str(
        patient.public_id
    )


def test_another_organisations_statement_is_missing(
    outsider_b: User, api_for: Callable[[User], Client], patient: Person
) -> None:
    statement = record(patient)
    response = api_for(outsider_b).get(f"{API}/statements/{statement.public_id}")
    assert response.status_code == 404
    assert response.json()["message"] == "No such statement."
    listed = api_for(outsider_b).get(f"{API}/statements").json()
    assert listed == {"total": 0, "statements": []}
    other = api_for(outsider_b).get(f"{API}/statements", {"patient": str(patient.public_id)})
    assert (other.status_code, other.json()["field"]) == (422, "patient")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "settled"}, "query.status"),
        ({"since": "2026-13-01"}, "query.since"),
        ({"limit": "0"}, "query.limit"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until"),
    ],
)
def test_bad_filters_are_422_at_their_field(
    users_a: dict[str, User], api_for: Callable[[User], Client], query: dict[str, str], field: str
) -> None:
    response = api_for(users_a[Role.MANAGER]).get(f"{API}/statements", query)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_the_import_writes_all_or_nothing(
    users_a: dict[str, User], api_for: Callable[[User], Client], patient: Person
) -> None:
    desk = api_for(users_a[Role.FRONT_DESK])
    bad = CSV + "S-2,Z-9,2026-02-10,240.00,40.00,open\nS-3,A-100,2026-02-10,x,40.00,open\n"
    response = desk.post(f"{API}/statements/import", {"csv": bad}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "csv"
    assert [e["message"] for e in body["errors"]] == [
        "row 3, column patient_mrn: no patient here has the MRN 'Z-9'.",
        "row 4, column amount_billed: not an amount: write it as 120.50.",
    ]
    assert not BillingStatement.objects.exists()
    response = desk.post(f"{API}/statements/import", {"csv": CSV}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "dry_run": False,
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "ignored_columns": [],
    }
    assert BillingStatement.objects.get().patient == patient


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body.payload.csv"),
        ({"csv": ""}, "body.payload.csv"),
        ({"csv": "a\x00b"}, "body.payload.csv"),
        ({"csv": CSV, "extra": 1}, "body.payload.extra"),
    ],
)
def test_junk_is_refused_at_its_field_and_nothing_written(
    users_a: dict[str, User], api_for: Callable[[User], Client], payload: dict[str, Any], field: str
) -> None:
    response = api_for(users_a[Role.ADMIN]).post(
        f"{API}/statements/import", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not BillingStatement.objects.exists()


def test_the_list_costs_the_same_for_one_statement_or_many(
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
    patient: Person,
    other_patient: Person,
    django_assert_max_num_queries: Any,
) -> None:
    client = api_for(users_a[Role.MANAGER])
    record(patient, "S-1")
    with django_assert_max_num_queries(20) as one:
        client.get(f"{API}/statements")
    for n in range(2, 12):
        record(other_patient if n % 2 else patient, f"S-{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(f"{API}/statements").json()["total"] == 11
