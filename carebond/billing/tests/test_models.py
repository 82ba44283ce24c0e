"""The statement table's own rules: one row per statement id and system, within an
organisation; amounts never negative; and no column for clinical detail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from carebond.billing.models import CSV_SYSTEM, BillingStatement
from carebond.core.models import Organization
from carebond.people.models import Person

pytestmark = pytest.mark.django_db


def _row(organization: Organization, patient: Person, **changes: object) -> BillingStatement:
    values: dict[str, object] = {
        "organization": organization,
        "patient": patient,
        "statement_date": date(2026, 2, 10),
        "amount_billed": Decimal("100.00"),
        "amount_due": Decimal("10.00"),
        "status": "open",
        "source": "csv",
        "external_id": "S-1",
        "origin_system": CSV_SYSTEM,
        **changes,
    }
    return BillingStatement.objects.create(**values)


def test_a_statement_id_is_one_row_per_system_and_organisation(
    org_a: Organization, org_b: Organization, patient: Person, patient_b: Person
) -> None:
    _row(org_a, patient)
    # the same id from another system, or in another organisation, is another statement
    _row(org_a, patient, origin_system="https://ehr.example.org/fhir")
    _row(org_b, patient_b)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(org_a, patient)


@pytest.mark.parametrize("field", ["amount_billed", "amount_due"])
def test_amounts_are_never_negative(org_a: Organization, patient: Person, field: str) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(org_a, patient, **{field: Decimal("-1.00")})


def test_a_statement_has_no_place_for_clinical_detail() -> None:
    # money, dates, status and provenance only: no diagnosis, procedure, service or provider
    names = {field.name for field in BillingStatement._meta.get_fields()}
    clinical = {"diagnosis", "procedure", "item", "code", "service", "provider", "facility"}
    assert not {n for n in names for word in clinical if word in n}
