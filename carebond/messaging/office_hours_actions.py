"""Writes of the office hours: replace the weekly hours and the closed days at once."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core.errors import InvalidFields, InvalidInput
from carebond.core.models import Organization
from carebond.messaging.models import OfficeClosure, OfficeHours
from carebond.messaging.office_hours import Schedule, parse_closures, parse_hours, schedule_for

if TYPE_CHECKING:
    from carebond.accounts.models import User


@transaction.atomic
def check_set_office_hours(
    organization: Organization, *, hours: str, closures: str, acting_user: User
) -> Schedule:
    """Replace the hours and closed days. Audit: office_hours.changed."""
    errors: list[InvalidInput] = []
    parsed_hours: dict[int, list[tuple[time, time]]] = {}
    parsed_closures: dict[date, str] = {}
    try:
        parsed_hours = parse_hours(hours)
    except InvalidInput as error:
        errors.append(error)
    try:
        parsed_closures = parse_closures(closures)
    except InvalidInput as error:
        errors.append(error)
    if errors:
        raise InvalidFields(errors)
    OfficeHours.objects.filter(organization=organization).delete()
    OfficeClosure.objects.filter(organization=organization).delete()
    OfficeHours.objects.bulk_create(
        OfficeHours(organization=organization, weekday=weekday, opens=opens, closes=closes)
        for weekday, spans in parsed_hours.items()
        for opens, closes in spans
    )
    OfficeClosure.objects.bulk_create(
        OfficeClosure(organization=organization, day=day, name=name)
        for day, name in parsed_closures.items()
    )
    record_audit(
        actor=acting_user,
        action="office_hours.changed",
        target=organization,
        organization=organization,
        changed_fields=["hours", "closures"],
    )
    return schedule_for(organization)
