"""POST [base]: FHIR clients post transaction Bundles to the base URL as configured, with or
without the trailing slash."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.interop.tests.importing.test_fhir_post import FHIR_JSON, PATIENT, transaction
from carebond.people.models import Person


@pytest.mark.parametrize("url", ["/fhir/R4", "/fhir/R4/"])
def test_a_transaction_posted_to_the_base_url_with_or_without_the_slash_is_imported(
    api_for: Callable[[User], Client], manager_a: User, org_a: Organization, url: str
) -> None:
    # given a manager's API client
    client = api_for(manager_a)
    # when it posts a transaction Bundle to the base URL
    response = client.post(url, data=orjson.dumps(transaction(PATIENT)), content_type=FHIR_JSON)
    # then it is imported and answered with a transaction-response, not redirected or refused
    assert response.status_code == 200
    assert response.json()["type"] == "transaction-response"
    assert Person.objects.filter(organization=org_a, family_name="Hale").count() == 1


def test_the_base_url_without_the_slash_refuses_other_methods_as_fhir_does(
    api_for: Callable[[User], Client], manager_a: User
) -> None:
    response = api_for(manager_a).get("/fhir/R4")
    assert response.status_code == 405
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_base_url_without_the_slash_needs_a_token(org_a: Organization) -> None:
    response = Client().post(
        "/fhir/R4", data=orjson.dumps(transaction(PATIENT)), content_type=FHIR_JSON
    )
    assert response.status_code == 401
    assert not Person.objects.filter(organization=org_a).exists()
