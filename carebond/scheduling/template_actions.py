"""Providers' weeks, edited on a page: a draft week (new, or copied from the week in force) gets
its blocks one by one, is previewed (the open hours of each weekday, and the visits already
booked that would fall outside it), and is then applied: from its first day it replaces the week
in force, which ends the day before. Nothing booked is moved or cancelled by applying: visits
outside the new week are listed, to be moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_access, record_audit
from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Location
from carebond.people.models import Person, PersonKind
from carebond.scheduling.availability import local_moment, location_zone
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    BlockKind,
    ScheduleTemplate,
    TemplateBlock,
    TemplateStatus,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# How far ahead a preview looks for booked visits the new week would leave outside.
PREVIEW_WEEKS = 12
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _in_force(provider: Person, location: Location, day: date) -> ScheduleTemplate | None:
    found = ScheduleTemplate.objects.filter(
        provider=provider, location=location, status=TemplateStatus.APPLIED, starts_on__lte=day
    ).exclude(ends_on__lt=day)
    return found.order_by("-starts_on", "-pk").first()


def check_start_draft(
    *,
    provider: Person,
    location: Location,
    name: str,
    starts_on: date,
    copy_current: bool,
    acting_user: User,
) -> ScheduleTemplate:
    """A draft week from a day, empty or with the blocks of the week in force that day.
    Audit: schedule.template_drafted."""
    if provider.kind != PersonKind.STAFF or provider.organization_id != acting_user.organization_id:
        raise InvalidInput("Choose one of the practice's providers.", field="provider")
    if location.organization_id != acting_user.organization_id:
        raise InvalidInput("Choose one of the practice's locations.", field="location")
    RECORD_DATES.check(starts_on, field="starts_on")
    if starts_on < clock.now().astimezone(location_zone(location)).date():
        raise InvalidInput("A new week starts today or later.", field="starts_on")
    if not name.strip():
        raise InvalidInput("Name the week (e.g. Winter hours).", field="name")
    current = _in_force(provider, location, starts_on) if copy_current else None
    with transaction.atomic():
        draft = ScheduleTemplate.objects.create(
            organization_id=acting_user.organization_id,
            provider=provider,
            location=location,
            name=name.strip()[:120],
            starts_on=starts_on,
            status=TemplateStatus.DRAFT,
        )
        for block in current.blocks.all() if current else []:
            types = list(block.appointment_types.all())
            block.pk = None
            block.template = draft
            block.save()
            block.appointment_types.set(types)
        record_audit(actor=acting_user, action="schedule.template_drafted", target=draft)
    return draft


def _check_draft(template: ScheduleTemplate) -> None:
    if template.status != TemplateStatus.DRAFT:
        raise RuleViolation(
            "An applied week is not edited: start a new draft from a later day.", code="applied"
        )


def check_add_block(
    template: ScheduleTemplate,
    *,
    weekday: int,
    starts: time,
    ends: time,
    kind: str,
    buffer_minutes: int = 0,
    released_at: time | None = None,
    appointment_types: list[AppointmentType] = (),  # type: ignore[assignment]
    acting_user: User,
) -> TemplateBlock:
    """One block of a draft's weekday: it may not overlap another block of that day.
    Audit: schedule.template_changed."""
    _check_draft(template)
    if not 0 <= weekday <= 6:
        raise InvalidInput("Choose a day of the week.", field="weekday")
    if ends <= starts:
        raise InvalidInput("A block ends after it starts.", field="ends")
    if kind not in BlockKind.values:
        raise InvalidInput("Choose open, held for same-day visits, or a break.", field="kind")
    if not 0 <= buffer_minutes <= 120:
        raise InvalidInput("A buffer is 0 to 120 minutes.", field="buffer_minutes")
    if kind == BlockKind.HOLD and (released_at is None or not starts <= released_at < ends):
        raise InvalidInput(
            "A block held for same-day visits opens to all at a time within it.",
            field="released_at",
        )
    clash = template.blocks.filter(weekday=weekday, starts__lt=ends, ends__gt=starts).first()
    if clash is not None:
        raise InvalidInput(
            f"It overlaps the {WEEKDAYS[weekday]} block {clash.starts:%H:%M}-{clash.ends:%H:%M}.",
            field="starts",
        )
    foreign = [t for t in appointment_types if t.organization_id != template.organization_id]
    if foreign:
        raise InvalidInput("Choose the practice's visit types.", field="appointment_types")
    with transaction.atomic():
        block = TemplateBlock.objects.create(
            organization_id=template.organization_id,
            template=template,
            weekday=weekday,
            starts=starts,
            ends=ends,
            kind=kind,
            buffer_minutes=buffer_minutes,
            released_at=released_at if kind == BlockKind.HOLD else None,
        )
        block.appointment_types.set(appointment_types)
        record_audit(actor=acting_user, action="schedule.template_changed", target=template)
    return block


def check_remove_block(block: TemplateBlock, *, acting_user: User) -> None:
    """Audit: schedule.template_changed."""
    _check_draft(block.template)
    with transaction.atomic():
        block.delete()
        record_audit(actor=acting_user, action="schedule.template_changed", target=block.template)


@dataclass(frozen=True)
class DayPreview:
    weekday: str
    hours: list[str]  # "09:00-12:00 open", "12:00-13:00 break"...


@dataclass(frozen=True)
class Preview:
    days: list[DayPreview]
    outside: list[Appointment]  # booked visits the new week would leave outside its hours
    replaces: ScheduleTemplate | None


def _inside(visit: Appointment, blocks: list[TemplateBlock], location: Location) -> bool:
    zone = location_zone(location)
    local = visit.starts_at.astimezone(zone)
    for block in blocks:
        if block.weekday != local.weekday() or block.kind == BlockKind.BREAK:
            continue
        start = local_moment(local.date(), block.starts, zone)
        end = local_moment(local.date(), block.ends, zone)
        if (
            start is not None
            and end is not None
            and start <= visit.starts_at
            and visit.ends_at <= end
        ):
            return True
    return False


def preview_template(template: ScheduleTemplate, *, user: User | None = None) -> Preview:
    """What applying the draft would change: its hours per weekday, and the booked visits of the
    next weeks (from its first day) that would fall outside them. Shown to ``user``, it names
    patients: audited (appointment.list)."""
    blocks = list(template.blocks.order_by("weekday", "starts"))
    days = [
        DayPreview(
            WEEKDAYS[weekday],
            [
                f"{b.starts:%H:%M}-{b.ends:%H:%M} {BlockKind(b.kind).label.lower()}"
                for b in blocks
                if b.weekday == weekday
            ],
        )
        for weekday in range(7)
    ]
    zone = location_zone(template.location)
    first = max(template.starts_on, clock.now().astimezone(zone).date())
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = since + timedelta(weeks=PREVIEW_WEEKS)
    if template.ends_on is not None:
        until = min(
            until, datetime.combine(template.ends_on + timedelta(days=1), time.min, tzinfo=zone)
        )
    booked = Appointment.objects.filter(
        provider=template.provider,
        location=template.location,
        status__in=LIVE_STATUSES,
        starts_at__gte=since,
        starts_at__lt=until,
    ).select_related("patient", "appointment_type", "location")
    outside = [v for v in booked.order_by("starts_at") if not _inside(v, blocks, template.location)]
    if outside and user is not None:
        record_access(
            actor=user, target=None, action="appointment.list", organization=user.organization
        )
    return Preview(
        days, outside, _in_force(template.provider, template.location, template.starts_on)
    )


def check_apply_template(template: ScheduleTemplate, *, acting_user: User) -> Preview:
    """Put a draft in force from its first day: the week in force then ends the day before
    (one applied from the same day goes back to draft; one starting later still takes over on
    its own first day). Visits outside the new hours stay booked and are
    returned, to be moved. Audit: schedule.template_applied."""
    _check_draft(template)
    if not template.blocks.exists():
        raise RuleViolation("Add at least one block before applying the week.", code="empty")
    preview = preview_template(template)
    with transaction.atomic():
        later = ScheduleTemplate.objects.filter(
            provider=template.provider,
            location=template.location,
            status=TemplateStatus.APPLIED,
        ).exclude(ends_on__lt=template.starts_on)
        for other in later.exclude(pk=template.pk).select_for_update():
            if other.starts_on < template.starts_on:
                other.ends_on = template.starts_on - timedelta(days=1)
            elif other.starts_on == template.starts_on:
                other.status = TemplateStatus.DRAFT  # (replaced from its very first day)
            else:
                continue  # (a week starting later still takes over on its own first day)
            other.save(update_fields=["ends_on", "status"])
        changed = ScheduleTemplate.objects.filter(
            pk=template.pk, status=TemplateStatus.DRAFT
        ).update(status=TemplateStatus.APPLIED)
        if not changed:
            raise RuleViolation("This week was applied a moment ago.", code="stale")
        record_audit(actor=acting_user, action="schedule.template_applied", target=template)
    template.status = TemplateStatus.APPLIED
    return preview
