"""Senders, templates and a reachable patient for the messaging tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carebond.core.models import Location, Organization
from carebond.messaging.actions import check_add_sender, ensure_built_in_templates
from carebond.messaging.models import MessageChannel, MessagePurpose, Sender
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient

CARE_NUMBER = "+13125550100"
MARKETING_NUMBER = "+13125550199"
PATIENT_PHONE = "+13125550123"

# A weekday afternoon in Chicago: inside everyone's quiet-hours window.
AFTERNOON = datetime(2026, 3, 4, 15, 0, tzinfo=ZoneInfo("America/Chicago"))


@pytest.fixture
def afternoon() -> Any:
    with time_machine.travel(AFTERNOON, tick=True) as traveller:
        yield traveller


# The test lines send up to 100 a second, so that a test sending a few messages at once is not
# held by the worker's throttle (tested by itself, with slower lines).
LINE_RATE = 100


@pytest.fixture
def senders(org_a: Organization) -> dict[str, Sender]:
    Location.objects.create(organization=org_a, name="Main clinic", phone="+1 312 555 0100")
    ensure_built_in_templates(org_a)
    return {
        "care": check_add_sender(
            org_a,
            channel=MessageChannel.SMS,
            address=CARE_NUMBER,
            label="Clinic line",
            per_second=LINE_RATE,
            purposes=[
                MessagePurpose.APPOINTMENT,
                MessagePurpose.CARE,
                MessagePurpose.SURVEY,
                MessagePurpose.SERVICE_RECOVERY,
                MessagePurpose.REPLY,
            ],
        ),
        "marketing": check_add_sender(
            org_a,
            channel=MessageChannel.SMS,
            address=MARKETING_NUMBER,
            label="News line",
            per_second=LINE_RATE,
            purposes=[MessagePurpose.MARKETING],
        ),
        "email": check_add_sender(
            org_a,
            channel=MessageChannel.EMAIL,
            address="clinic@example.org",
            label="Clinic email",
            per_second=LINE_RATE,
            purposes=[p for p in MessagePurpose.values if p != MessagePurpose.REPLY],
        ),
    }


@pytest.fixture
def patient(org_a: Organization, senders: dict[str, Sender]) -> Person:
    return make_patient(
        org_a,
        "Rosa",
        "Diaz",
        phone=PATIENT_PHONE,
        email="rosa.diaz@example.org",
        time_zone="America/Chicago",
    )
