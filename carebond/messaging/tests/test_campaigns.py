"""Campaigns and recalls: a segment picks the patients, the preview says who is left out and
why, a launch queues each message for its slot at the sender's rate, and the results count
what happened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import InvalidFields, RuleViolation
from carebond.core.models import Organization
from carebond.messaging.campaign_actions import (
    check_create_campaign,
    check_launch_campaign,
    do_cancel_campaign,
    scan_finished_campaigns,
)
from carebond.messaging.campaign_selectors import campaign_results, preview_campaign
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Campaign, Message, MessageStatus, Sender
from carebond.messaging.segments import Segment, segment_people
from carebond.messaging.tests.test_inbound import decided, text_in
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient
from carebond.testing.sms_provider import SmsProvider
from carebond.touchpoints.actions import record_touchpoint


def _seen(person: Person, months_ago: int) -> None:
    record_touchpoint(
        person,
        kind="visit",
        channel="in_person",
        direction="inbound",
        occurred_at=clock.now() - timedelta(days=30 * months_ago),
    )


@pytest.fixture
def recall_patients(
    org_a: Organization, senders: dict[str, Sender], afternoon: object
) -> dict[str, Person]:
    """Five patients last seen 18 months ago, each with a story, and one seen last month."""
    people = {
        "consented": make_patient(org_a, "Ada", "Cole", phone="+13125550201"),
        "spanish": make_patient(
            org_a, "Luz", "Vega", phone="+13125550202", preferred_language="es"
        ),
        "no_consent": make_patient(org_a, "Ben", "Marsh", phone="+13125550203"),
        "opted_out": make_patient(org_a, "Cy", "Lowe", phone="+13125550204"),
        "no_phone": make_patient(org_a, "Di", "Park"),
        "recent": make_patient(org_a, "Eve", "Stone", phone="+13125550206"),
    }
    for key, person in people.items():
        _seen(person, 1 if key == "recent" else 18)
        if key in ("consented", "spanish", "recent", "no_phone"):
            decided(person, "marketing", "granted", method="written")
    decided(people["opted_out"], "marketing", "granted", method="written")
    decided(people["opted_out"], "marketing", "revoked", method="phone")
    return people


def _recall(organization: Organization, user: User, **rules: object) -> Campaign:
    return check_create_campaign(
        organization,
        name="Check-up recall",
        template_key="recall",
        channel="sms",
        segment={"no_visit_months": 12, **rules},
        link="https://alder.example/book",
        acting_user=user,
    )


def test_the_segment_picks_patients_not_seen_within_the_months(
    org_a: Organization, recall_patients: dict[str, Person]
) -> None:
    found = set(segment_people(org_a.pk, Segment(no_visit_months=12)))
    assert found == set(recall_patients.values()) - {recall_patients["recent"]}
    spanish = set(segment_people(org_a.pk, Segment(no_visit_months=12, language="es")))
    assert spanish == {recall_patients["spanish"]}


def test_age_bands_count_whole_years(org_a: Organization, afternoon: object) -> None:
    today = clock.now().date()
    turned_65_today = make_patient(
        org_a, "Al", "Ng", birth_date=date(today.year - 65, today.month, today.day)
    )
    make_patient(org_a, "Bo", "Ng", birth_date=today.replace(year=today.year - 65) + timedelta(1))
    assert list(segment_people(org_a.pk, Segment(age_band="65+"))) == [turned_65_today]


def test_the_preview_says_who_is_left_out_and_why(
    org_a: Organization,
    recall_patients: dict[str, Person],
    users_a: dict[str, User],
) -> None:
    Person.objects.filter(pk=recall_patients["consented"].pk).update(deceased_date=date(2026, 1, 2))
    campaign = _recall(org_a, users_a["manager"])
    preview = preview_campaign(users_a["manager"], campaign)
    assert (preview.total, preview.sending) == (5, 1)
    assert dict(preview.excluded) == {
        "Deceased.": 1,
        "No consent on record.": 1,
        "Opted out.": 1,
        "No phone number.": 1,
    }
    assert AuditEvent.objects.filter(action="campaign.previewed").count() == 1


def test_a_launch_queues_each_message_at_the_senders_rate_in_each_language(
    org_a: Organization,
    recall_patients: dict[str, Person],
    users_a: dict[str, User],
    senders: dict[str, Sender],
    sms_provider: SmsProvider,
) -> None:
    Sender.objects.filter(pk=senders["marketing"].pk).update(per_second=1)
    campaign = _recall(org_a, users_a["manager"])
    start = clock.now() + timedelta(minutes=10)
    # when launched for ten minutes from now
    queued = check_launch_campaign(campaign, start_at=start, acting_user=users_a["manager"])
    # then two messages wait for their slots a second apart, and the rest are stored as
    # blocked with the reason
    assert queued == 2
    waiting = list(
        Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED).order_by("due_at")
    )
    assert [m.due_at - start for m in waiting] == [timedelta(0), timedelta(seconds=1)]
    assert "Reserve una revisión: https://alder.example/book" in waiting[1].body
    blocked = Message.objects.filter(campaign=campaign, status=MessageStatus.BLOCKED)
    assert blocked.count() == 3
    # and nothing goes before the start
    dispatch_due_messages()
    assert sms_provider.accepted == []
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        dispatch_due_messages()
    assert len(sms_provider.accepted) == 1  # the worker keeps to the line's one a second
    with time_machine.travel(start + timedelta(seconds=6), tick=False):
        dispatch_due_messages()
        assert scan_finished_campaigns() == 1
    assert {m["from"] for m in sms_provider.accepted} == {senders["marketing"].address}
    campaign.refresh_from_db()
    assert campaign.status == "finished"
    # and a second launch is refused
    with pytest.raises(RuleViolation, match="launched already"):
        check_launch_campaign(campaign, start_at=None, acting_user=users_a["manager"])


def test_results_count_sends_replies_and_opt_outs(
    afternoon: time_machine.Traveller,
    org_a: Organization,
    recall_patients: dict[str, Person],
    users_a: dict[str, User],
    sms_provider: SmsProvider,
) -> None:
    campaign = _recall(org_a, users_a["manager"])
    check_launch_campaign(campaign, start_at=None, acting_user=users_a["manager"])
    afternoon.shift(timedelta(seconds=5))  # both slots are due
    dispatch_due_messages()
    text_in("Yes please, next week?", to="+13125550199", sender="+13125550201")
    text_in("STOP", to="+13125550199", sender="+13125550202")
    results = campaign_results(campaign)
    assert (results.sent, results.replied, results.opted_out) == (2, 2, 1)
    assert results.by_status == {"sent": 2, "blocked": 3}


def test_cancelling_stops_what_has_not_gone(
    org_a: Organization, recall_patients: dict[str, Person], users_a: dict[str, User]
) -> None:
    campaign = _recall(org_a, users_a["manager"])
    check_launch_campaign(
        campaign, start_at=clock.now() + timedelta(days=1), acting_user=users_a["manager"]
    )
    assert do_cancel_campaign(campaign, acting_user=users_a["manager"]) == 2
    assert not Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED).exists()
    with pytest.raises(RuleViolation):
        do_cancel_campaign(campaign, acting_user=users_a["manager"])


def test_a_bad_campaign_names_every_wrong_field(
    org_a: Organization, senders: dict[str, Sender], users_a: dict[str, User]
) -> None:
    with pytest.raises(InvalidFields) as caught:
        check_create_campaign(
            org_a,
            name=" ",
            template_key="appointment_reminder",
            channel="sms",
            segment={"no_visit_months": 0, "age_band": "teen", "colour": "red"},
            link="https://bit.ly/abc",
            acting_user=users_a["manager"],
        )
    assert {e.field for e in caught.value.errors} == {
        "name",
        "template",
        "no_visit_months",
        "age_band",
        "segment",
        "link",
    }
    assert not Campaign.objects.exists()


def test_the_pages_create_preview_and_launch_for_managers_only(
    org_a: Organization,
    recall_patients: dict[str, Person],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    assert client_for(users_a["front_desk"]).get("/messaging/campaigns/").status_code == 403
    manager = client_for(users_a["manager"])
    response = manager.post(
        "/messaging/campaigns/new/",
        {"name": "Recall", "template": "recall:sms", "no_visit_months": "12", "link": ""},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    page = manager.get(f"/messaging/campaigns/{campaign.public_id}/").content.decode()
    assert "2 will get it" in page
    bad = manager.post(f"/messaging/campaigns/{campaign.public_id}/launch/", {"start_at": "x"})
    assert bad.status_code == 400
    launched = manager.post(f"/messaging/campaigns/{campaign.public_id}/launch/", {})
    assert launched.status_code == 302
    assert Message.objects.filter(campaign=campaign, status="queued").count() == 2
    assert "Results" in manager.get(f"/messaging/campaigns/{campaign.public_id}/").content.decode()
