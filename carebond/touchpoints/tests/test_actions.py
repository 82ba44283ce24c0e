"""record_touchpoint() and hand logging: defaults, validation, provenance, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.errors import InvalidInput
from carebond.core.models import Organization
from carebond.core.registry import TouchpointKindEntry, registered
from carebond.people.merge_actions import check_merge_people
from carebond.people.tests.factories import make_patient, make_staff
from carebond.touchpoints.actions import check_log_touchpoint, record_touchpoint
from carebond.touchpoints.models import Touchpoint
from carebond.touchpoints.selectors import TimelineFilters, list_timeline

pytestmark = pytest.mark.django_db


REVIEW = TouchpointKindEntry("review", "Online review", "reputation")


def test_record_touchpoint_keeps_its_source(org_a: Organization, admin_a: User) -> None:
    # given a kind another app registered (as a reputation app registers online reviews)
    person = make_patient(org_a)
    with registered(REVIEW):
        # when that app records one
        touchpoint = record_touchpoint(
            person, kind="review", channel="web", direction="inbound", source=person, sentiment=-0.5
        )
        # then the timeline keeps where it came from, and names it by the app's label
        assert touchpoint.get_kind_display() == "Online review"
    assert touchpoint.source_type == "people.person"
    assert touchpoint.source_id == str(person.public_id)
    assert touchpoint.organization_id == org_a.pk


def test_a_kind_no_app_registered_is_refused(org_a: Organization) -> None:
    # given no app registered "review"
    person = make_patient(org_a)
    # when something records one, then it is refused and nothing is written
    with pytest.raises(InvalidInput, match="review"):
        record_touchpoint(person, kind="review", channel="web", direction="inbound")
    assert not Touchpoint.objects.filter(person=person).exists()


@pytest.mark.parametrize(
    ("kind", "channel", "direction", "moment"),
    [
        ("call", "phone", "outbound", "communications"),
        ("message", "sms", "outbound", "communications"),
        ("visit", "in_person", "inbound", "clinical_care"),
    ],
)
def test_hand_logging_fills_in_the_usual_details(
    org_a: Organization, admin_a: User, kind: str, channel: str, direction: str, moment: str
) -> None:
    touchpoint = check_log_touchpoint(make_patient(org_a), kind=kind, acting_user=admin_a)
    assert (touchpoint.channel, touchpoint.direction, touchpoint.moment_of_truth) == (
        channel,
        direction,
        moment,
    )
    assert touchpoint.recorded_by == admin_a
    assert AuditEvent.objects.filter(
        action="touchpoint.created", target_id=str(touchpoint.public_id)
    ).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "telepathy"}, "kind"),
        ({"kind": "call", "channel": "pigeon"}, "channel"),
        ({"kind": "call", "sentiment": 1.5}, "sentiment"),
        ({"kind": "call", "moment_of_truth": "dessert"}, "moment_of_truth"),
        ({"kind": "call", "summary": "x" * 4001}, "summary"),
    ],
)
def test_bad_touchpoints_are_refused(
    org_a: Organization, admin_a: User, values: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_log_touchpoint(make_patient(org_a), acting_user=admin_a, **values)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert not Touchpoint.objects.exists()


def test_staff_of_another_organisation_cannot_be_named(
    org_a: Organization, org_b: Organization, admin_a: User
) -> None:
    with pytest.raises(InvalidInput, match="staff member of this organisation"):
        check_log_touchpoint(
            make_patient(org_a), kind="visit", staff=make_staff(org_b), acting_user=admin_a
        )


def test_a_merged_record_takes_no_new_touchpoints(org_a: Organization, admin_a: User) -> None:
    keep, merged = make_patient(org_a), make_patient(org_a, "Mary", "Lopez")
    check_merge_people(keep, merged, acting_user=admin_a)
    merged.refresh_from_db()
    with pytest.raises(InvalidInput, match="merged"):
        check_log_touchpoint(merged, kind="call", acting_user=admin_a)


def test_timeline_filters_by_period_and_staff(org_a: Organization) -> None:
    person, staff = make_patient(org_a), make_staff(org_a)
    now = clock.now()
    old = record_touchpoint(
        person,
        kind="visit",
        channel="in_person",
        direction="inbound",
        occurred_at=now - timedelta(days=100),
        staff=staff,
    )
    recent = record_touchpoint(
        person,
        kind="call",
        channel="phone",
        direction="outbound",
        occurred_at=now - timedelta(days=1),
    )
    since = (now - timedelta(days=10)).date()
    assert list_timeline(person, filters=TimelineFilters(since=since)).items == [recent]
    assert list_timeline(person, filters=TimelineFilters(staff_id=str(staff.public_id))).items == [
        old
    ]
    assert list_timeline(person).items == [recent, old]


def test_record_touchpoint_refuses_another_organisations_staff(
    org_a: Organization, org_b: Organization
) -> None:
    with pytest.raises(InvalidInput, match="staff and locations of the person's organisation"):
        record_touchpoint(
            make_patient(org_a),
            kind="visit",
            channel="in_person",
            direction="inbound",
            staff=make_staff(org_b),
        )
    assert not Touchpoint.objects.exists()
