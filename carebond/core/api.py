from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Router

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.access import access_location
from carebond.core.models import Location
from carebond.core.permissions import ANY_STAFF
from carebond.core.schemas import DepartmentOut, LocationOut
from carebond.core.selectors import list_departments, list_locations

router = Router(tags=["organization"])


def _location_out(location: Location) -> LocationOut:
    return LocationOut(
        id=location.public_id,
        name=location.name,
        address=location.address,
        phone=location.phone,
        time_zone=location.time_zone or location.organization.time_zone,
    )


@router.get("/locations", response=list[LocationOut], auth=policy_auth(ANY_STAFF))
def locations(request: HttpRequest) -> list[LocationOut]:
    return [
        _location_out(loc)
        for loc in list_locations(user=acting_user(request)).select_related("organization")
    ]


@router.get("/locations/{location_id}", response=LocationOut, auth=policy_auth(ANY_STAFF))
def location(request: HttpRequest, location_id: UUID) -> LocationOut:
    return _location_out(access_location(acting_user(request), location_id))


@router.get("/departments", response=list[DepartmentOut], auth=policy_auth(ANY_STAFF))
def departments(request: HttpRequest) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            id=d.public_id, name=d.name, location_id=d.location.public_id if d.location else None
        )
        for d in list_departments(user=acting_user(request))
    ]
