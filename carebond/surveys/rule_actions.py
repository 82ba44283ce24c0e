"""Writes to distribution rules, and the small lookups their form and the results page need
(departments, locations, waves of the user's organisation)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Department, Location
from carebond.surveys.access import SURVEY_MANAGERS, access_instrument
from carebond.surveys.instrument_actions import current_version, survey_settings
from carebond.surveys.models import DistributionRule, Instrument, SurveySettings, Trigger, Wave

if TYPE_CHECKING:
    from carebond.accounts.models import User


def departments(user: User) -> list[Department]:
    return list(Department.objects.filter(organization_id=user.organization_id).order_by("name"))


def locations(user: User) -> list[Location]:
    return list(Location.objects.filter(organization_id=user.organization_id).order_by("name"))


def location_of(user: User, public_id: str) -> Location | None:
    if not public_id:
        return None
    found = Location.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    ).first()
    if found is None:
        raise InvalidInput("Choose a location of this organisation.", field="location")
    return found


def settings_of(user: User) -> SurveySettings:
    return survey_settings(user.organization_id)


def waves_of(user: User, instrument: Instrument) -> list[Wave]:
    return list(
        Wave.objects.filter(organization_id=user.organization_id, instrument=instrument).order_by(
            "-starts_on", "-id"
        )[:24]
    )


def wave_of(user: User, instrument: Instrument, public_id: str) -> Wave | None:
    if not public_id:
        return None
    try:
        UUID(public_id)
    except ValueError:
        raise InvalidInput("Choose one of the listed waves.", field="wave") from None
    found = Wave.objects.filter(
        organization_id=user.organization_id, instrument=instrument, public_id=public_id
    ).first()
    if found is None:
        raise InvalidInput("Choose one of the listed waves.", field="wave")
    return found


@transaction.atomic
def check_add_rule(
    user: User,
    *,
    instrument: str,
    trigger: str,
    delay_hours: int,
    every_weeks: int,
    department: str,
    remind_after_days: int,
    open_days: int,
    acting_user: User,
) -> DistributionRule:
    """Audit: survey_rule.created."""
    if not SURVEY_MANAGERS.allows(user.role):
        raise NotFound("No such survey.")
    found = access_instrument(user, instrument)
    if current_version(found) is None:
        raise InvalidInput("Publish the survey before it is sent.", field="instrument")
    if trigger not in Trigger.values:
        raise InvalidInput("Choose when it is sent.", field="trigger")
    if trigger == Trigger.STAFF_PULSE and found.kind != "staff_pulse":
        raise InvalidInput("Only a staff pulse is sent every N weeks to staff.", field="trigger")
    if found.kind == "staff_pulse" and trigger != Trigger.STAFF_PULSE:
        raise InvalidInput("A staff pulse is sent every N weeks to staff.", field="trigger")
    if trigger == Trigger.REFERRAL_QUARTERLY and found.kind != "referral_source":
        raise InvalidInput(
            "Only the referral-source survey goes to referral sources.", field="trigger"
        )
    if remind_after_days >= open_days:
        raise InvalidInput(
            "The reminder must come before the link closes.", field="remind_after_days"
        )
    chosen = None
    if department:
        chosen = Department.objects.filter(
            organization_id=user.organization_id, public_id=department
        ).first()
        if chosen is None:
            raise InvalidInput("Choose a department of this organisation.", field="department")
    rule = DistributionRule.objects.create(
        organization_id=user.organization_id,
        instrument=found,
        trigger=trigger,
        delay_hours=delay_hours,
        every_weeks=every_weeks,
        department=chosen,
        remind_after_days=remind_after_days,
        open_days=open_days,
    )
    record_audit(actor=acting_user, action="survey_rule.created", target=rule)
    return rule


@transaction.atomic
def check_set_rule_active(
    user: User, rule_id: UUID | str, *, active: bool, acting_user: User
) -> DistributionRule:
    """Audit: survey_rule.paused / survey_rule.resumed."""
    rule = (
        DistributionRule.objects.select_for_update()
        .filter(organization_id=user.organization_id, public_id=rule_id)
        .first()
    )
    if rule is None or not SURVEY_MANAGERS.allows(user.role):
        raise NotFound("No such rule.")
    rule.active = active
    rule.save(update_fields=["active"])
    record_audit(
        actor=acting_user,
        action="survey_rule.resumed" if active else "survey_rule.paused",
        target=rule,
        changed_fields=["active"],
    )
    return rule
