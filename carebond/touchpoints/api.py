"""The timeline API: a person's touchpoints, and logging one by hand.

Mounted under /people beside the people API, so a person's timeline is where a client looks
for it (``/api/v1/people/{id}/timeline``), while its code lives with the timeline."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.people.selectors import get_staff_person
from carebond.touchpoints.access import TIMELINE_USERS, access_timeline
from carebond.touchpoints.actions import check_log_touchpoint
from carebond.touchpoints.models import Touchpoint
from carebond.touchpoints.schemas import TimelineOut, TimelineQuery, TouchpointIn, TouchpointOut
from carebond.touchpoints.selectors import TimelineFilters, get_person_timeline

router = Router(tags=["timeline"])
AUTH = policy_auth(TIMELINE_USERS)


def _touchpoint_out(touchpoint: Touchpoint) -> TouchpointOut:
    return TouchpointOut(
        id=touchpoint.public_id,
        kind=touchpoint.kind,
        channel=touchpoint.channel,
        direction=touchpoint.direction,
        occurred_at=touchpoint.occurred_at,
        moment_of_truth=touchpoint.moment_of_truth,
        sentiment=touchpoint.sentiment,
        outcome=touchpoint.outcome,
        summary=touchpoint.summary,
        staff_id=touchpoint.staff.public_id if touchpoint.staff else None,
        source_type=touchpoint.source_type,
        source_id=touchpoint.source_id,
    )


@router.get(
    "/{person_id}/timeline",
    response=TimelineOut,
    auth=AUTH,
    summary="A person's touchpoints, newest first (audited read)",
)
def timeline(request: HttpRequest, person_id: UUID, query: Query[TimelineQuery]) -> TimelineOut:
    page = get_person_timeline(
        user=acting_user(request),
        public_id=person_id,
        page=query.page,
        filters=TimelineFilters(
            kind=query.kind,
            channel=query.channel,
            staff_id=str(query.staff or ""),
            since=query.since,
            until=query.until,
        ),
    )
    return TimelineOut(
        items=[_touchpoint_out(t) for t in page.items], page=page.page, has_next=page.has_next
    )


@router.post(
    "/{person_id}/touchpoints",
    response={201: TouchpointOut},
    auth=AUTH,
    summary="Log a touchpoint by hand",
)
def log_touchpoint(
    request: HttpRequest, person_id: UUID, payload: TouchpointIn
) -> Status[TouchpointOut]:
    user = acting_user(request)
    person = access_timeline(user, person_id)
    touchpoint = check_log_touchpoint(
        person, acting_user=user, staff=get_staff_person(user=user), **payload.model_dump()
    )
    return Status(201, _touchpoint_out(touchpoint))
