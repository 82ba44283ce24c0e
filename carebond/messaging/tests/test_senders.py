"""Sending numbers and addresses: checked when added, and a text number in one organisation
only (the provider's webhook finds the organisation by it)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from carebond.core.errors import InvalidFields, InvalidInput
from carebond.core.models import Organization
from carebond.messaging.actions import check_add_sender
from carebond.messaging.models import Sender


def test_a_number_is_stored_in_e164(org_a: Organization) -> None:
    sender = check_add_sender(
        org_a, channel="sms", address="(312) 555-0142", label="Desk", purposes=["appointment"]
    )
    assert sender.address == "+13125550142"


def test_every_wrong_field_is_named(org_a: Organization) -> None:
    with pytest.raises(InvalidFields) as caught:
        check_add_sender(
            org_a, channel="sms", address="12", label=" ", purposes=["adverts"], per_second=0
        )
    assert {e.field for e in caught.value.errors} == {"address", "purposes", "per_second", "label"}
    assert not Sender.objects.exists()


def test_a_text_number_belongs_to_one_organisation(
    org_a: Organization, org_b: Organization
) -> None:
    check_add_sender(
        org_a, channel="sms", address="+13125550142", label="Desk", purposes=["appointment"]
    )
    with pytest.raises(InvalidInput, match="already a sending number"):
        check_add_sender(
            org_b, channel="sms", address="+13125550142", label="Desk", purposes=["care"]
        )
    # and the database says so too, whoever writes
    with pytest.raises(IntegrityError):
        Sender.objects.create(
            organization=org_b, channel="sms", address="+13125550142", label="x", purposes=[]
        )


def test_two_organisations_may_send_email_from_one_address(
    org_a: Organization, org_b: Organization
) -> None:
    for organization in (org_a, org_b):
        check_add_sender(
            organization,
            channel="email",
            address="noreply@carebond.example",
            label="Email",
            purposes=["appointment"],
        )
    assert Sender.objects.count() == 2
