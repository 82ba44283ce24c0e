"""Patients with MRNs and statements for the billing tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from carebond.billing.actions import StatementInput, check_record_statement
from carebond.billing.models import BillingStatement, StatementSource, StatementStatus
from carebond.core.models import Organization
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient


@pytest.fixture
def patient(org_a: Organization) -> Person:
    return make_patient(org_a, "Rosa", "Diaz", mrn="A-100")


@pytest.fixture
def other_patient(org_a: Organization) -> Person:
    return make_patient(org_a, "Luis", "Mora", birth_date=date(1990, 5, 1), mrn="A-200")


@pytest.fixture
def patient_b(org_b: Organization) -> Person:
    return make_patient(org_b, "Ana", "Silva", mrn="A-100")


def statement_input(external_id: str = "S-1", **changes: Any) -> StatementInput:
    values: dict[str, Any] = {
        "external_id": external_id,
        "statement_date": date(2026, 2, 10),
        "amount_billed": Decimal("240.00"),
        "amount_due": Decimal("40.00"),
        "status": StatementStatus.OPEN,
        "source": StatementSource.CSV,
        **changes,
    }
    return StatementInput(**values)


def record(patient: Person, external_id: str = "S-1", **changes: Any) -> BillingStatement:
    return check_record_statement(
        patient, statement_input(external_id, **changes), acting_user=None
    )
