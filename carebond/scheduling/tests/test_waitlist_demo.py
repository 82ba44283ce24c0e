"""The demo's waitlist: patients waiting with their wishes, a freed time the list filled, one
that ran out, and offers out now that the front desk sees on its home, at any hour it is
built."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.demo.builder import build_demo
from carebond.messaging.models import Message
from carebond.scheduling.models import OfferStatus, OpeningStatus, WaitlistEntry, WaitlistOffer

pytestmark = pytest.mark.demo

CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    "built_at",
    [datetime(2026, 12, 5, 23, 30, tzinfo=CHICAGO), datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)],
    ids=["saturday-night", "monday-morning"],
)
@pytest.mark.django_db
def test_the_demo_has_a_waitlist_with_offers_out_on_the_front_desks_home(
    built_at: datetime, client_for: Callable[[User], Client]
) -> None:
    with time_machine.travel(built_at, tick=False):
        demo = build_demo(seed=42)
        entries = WaitlistEntry.objects.filter(organization=demo.organization)
        assert entries.filter(status="active").count() >= 8
        offers = WaitlistOffer.objects.filter(organization=demo.organization)
        assert {o.opening.status for o in offers} == {
            OpeningStatus.OPEN,
            OpeningStatus.FILLED,
            OpeningStatus.CLOSED,
        }
        out = offers.filter(status=OfferStatus.SENT)
        assert out.count() == 3
        # their texts go through messaging: at night they wait for the morning, and so do
        # the offers' half hours
        for offer in out:
            text = Message.objects.get(idempotency_key=offer.message_key)
            assert text.due_at.astimezone(CHICAGO).hour >= 8
            assert offer.expires_at > text.due_at
        desk = User.objects.get(organization=demo.organization, username="frontdesk")
        home = client_for(desk).get("/").content.decode()
        assert "Waitlist offers" in home
        page = client_for(desk).get("/schedule/waitlist/").content.decode()
        assert "Booked for" in page
        assert "Too close to its time to offer." in page
