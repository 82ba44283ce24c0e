"""Registering a patient at the desk: a possible duplicate or an unlikely birth year is
flagged before a second record is made, every wrong field is named at once, and a language
may be typed by its name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

FORM = {
    "given_name": "Maria",
    "family_name": "Lopez",
    "birth_date": "1984-03-07",
    "phone": "(217) 555-0147",
}


def register(client: Client, **fields: Any) -> Any:
    return client.post("/people/new/", {**FORM, **fields})


def test_a_possible_duplicate_is_shown_before_a_second_record_is_made(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    existing = make_patient(
        org_a, "Maria", "Lopez", birth_date=date(1984, 3, 7), phone="+12175550147"
    )
    client = client_for(admin_a)
    # when the same name, birth date and phone are registered again
    first = register(client)
    # then nothing is written, and the existing record is offered
    assert first.status_code == 409
    assert "may already be registered" in first.content.decode()
    assert f"/people/{existing.public_id}/" in first.content.decode()
    assert Person.objects.filter(organization=org_a, family_name="Lopez").count() == 1
    # when the desk confirms it is a different person, the record is made
    second = register(client, confirmed="on")
    assert second.status_code == 302
    assert Person.objects.filter(organization=org_a, family_name="Lopez").count() == 2


def test_a_birth_year_far_back_is_questioned(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    response = register(client_for(admin_a), birth_date="1890-05-01", phone="")
    assert response.status_code == 409
    assert "Born in 1890" in response.content.decode()
    assert not Person.objects.filter(organization=org_a).exists()


def test_every_wrong_field_is_named_at_once(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    response = register(
        client_for(admin_a), phone="12", email="not-an-email", preferred_language="zzqx"
    )
    body = response.content.decode()
    assert response.status_code == 422
    # each message beside its own field, all three in one answer
    assert body.count('class="error" role="alert"') >= 3
    assert "zzqx" in body
    assert not Person.objects.filter(organization=org_a).exists()


def test_the_api_lists_every_wrong_field(
    api_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    response = api_for(admin_a).post(
        "/api/v1/people",
        {
            "given_name": "Ana",
            "family_name": "Ruiz",
            "preferred_language": "zzqx",
            "contacts": [{"system": "phone", "value": "12"}, {"system": "email", "value": "x"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"preferred_language"} < fields
    assert len(fields) == 3


def test_a_language_typed_by_its_name_is_stored_as_its_code(
    client_for: Callable[[User], Client], org_a: Organization, admin_a: User
) -> None:
    response = register(client_for(admin_a), preferred_language="Spanish", phone="")
    assert response.status_code == 302
    assert Person.objects.get(organization=org_a).preferred_language == "es"
