"""Open times, computed on demand: a provider's applied weekly template at a location, minus
exceptions (leave, holidays) and the appointments already booked, within the type's booking
rules. Nothing here is stored, so a template change or a cancellation shows at once.

Times are worked out in the location's time zone, day by day, so a visit at 09:00 stays at
09:00 across a daylight-saving change; a wall-clock time that does not exist that night (the
spring-forward hour) is never offered. Everything one search needs is read in a few queries
(templates, exceptions, appointments, held times), then computed in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from carebond.core import clock
from carebond.core.models import Location
from carebond.people.models import Person
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    BlockKind,
    ScheduleException,
    ScheduleTemplate,
    SelfBooking,
    SelfBookingStatus,
    TemplateBlock,
    TemplateStatus,
)


def location_zone(location: Location) -> ZoneInfo:
    return ZoneInfo(location.time_zone or location.organization.time_zone)


def local_moment(day: date, clock_time: time, zone: ZoneInfo) -> datetime | None:
    """The instant of a wall-clock time on a day, or None when that time does not exist there
    (skipped by the spring-forward change). In the repeated autumn hour, the first one."""
    moment = datetime.combine(day, clock_time, tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


@dataclass(frozen=True)
class OpenTime:
    provider_id: int
    starts_at: datetime  # in the location's time zone
    ends_at: datetime
    seats_left: int = 1


@dataclass
class _Calendar:
    """What one search read: per provider, the applied templates with their blocks, the
    exceptions, and the live appointments (as intervals, with group keys)."""

    templates: dict[int, list[ScheduleTemplate]] = field(default_factory=lambda: defaultdict(list))
    blocks: dict[int, list[TemplateBlock]] = field(default_factory=lambda: defaultdict(list))
    block_types: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    away: dict[int | None, list[tuple[datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # By provider and local day (a visit crossing midnight is under both days).
    booked: dict[tuple[int, date], list[tuple[datetime, datetime, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _read(
    location: Location,
    provider_ids: Sequence[int],
    first: datetime,
    last: datetime,
    zone: ZoneInfo,
) -> _Calendar:
    calendar = _Calendar()
    templates = ScheduleTemplate.objects.filter(
        location=location,
        provider_id__in=provider_ids,
        status=TemplateStatus.APPLIED,
        starts_on__lte=last.date(),
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first.date()))
    for template in templates:
        calendar.templates[template.provider_id].append(template)
    blocks = TemplateBlock.objects.filter(
        template__in=[t for ts in calendar.templates.values() for t in ts]
    )
    for block in blocks:
        calendar.blocks[block.template_id].append(block)
    through = TemplateBlock.appointment_types.through
    for block_id, type_id in through.objects.filter(
        templateblock_id__in=[b.pk for b in blocks]
    ).values_list("templateblock_id", "appointmenttype_id"):
        calendar.block_types[block_id].add(type_id)
    exceptions = ScheduleException.objects.filter(
        organization_id=location.organization_id, starts_at__lt=last, ends_at__gt=first
    ).filter(Q(provider_id__in=provider_ids) | Q(provider__isnull=True, location=location))
    for exception in exceptions:
        calendar.away[exception.provider_id].append((exception.starts_at, exception.ends_at))
    # In time order; the end from the duration (one date fewer to read per row: a full
    # calendar has thousands).
    appointments = (
        Appointment.objects.filter(
            provider_id__in=provider_ids,
            status__in=LIVE_STATUSES,
            overbooked=False,
            starts_at__lt=last,
            ends_at__gt=first,
        )
        .order_by("starts_at")
        .values_list("provider_id", "starts_at", "duration_minutes", "group_key")
    )
    taken = [(p, s, s + timedelta(minutes=m), g) for p, s, m, g in appointments]
    # A time a patient holds while confirming who they are is taken until the hold runs out.
    holds = SelfBooking.objects.filter(
        provider_id__in=provider_ids,
        status=SelfBookingStatus.HELD,
        hold_expires_at__gt=clock.now(),
        starts_at__lt=last,
        ends_at__gt=first,
    ).values_list("provider_id", "starts_at", "ends_at", "group_key")
    if held := list(holds):
        taken = sorted(taken + held, key=lambda row: row[1])  # (each day's list in time order)
    for provider_id, starts_at, ends_at, group_key in taken:
        day = starts_at.astimezone(zone).date()
        while True:
            calendar.booked[(provider_id, day)].append((starts_at, ends_at, group_key))
            day += timedelta(days=1)
            if datetime.combine(day, time.min, tzinfo=zone) >= ends_at:
                break
    return calendar


def _template_for(templates: Iterable[ScheduleTemplate], day: date) -> ScheduleTemplate | None:
    """The template in force on a day: the newest one that covers it."""
    covering = [
        t for t in templates if t.starts_on <= day and (t.ends_on is None or t.ends_on >= day)
    ]
    return max(covering, key=lambda t: (t.starts_on, t.pk), default=None)


def group_key_for(appointment_type: AppointmentType, starts_at: datetime) -> str | None:
    """The key shared by the seats of one group visit (None for a one-to-one type)."""
    if appointment_type.capacity <= 1:
        return None
    return f"{appointment_type.pk}:{starts_at.astimezone(UTC):%Y%m%dT%H%M}"


def open_times(
    *,
    location: Location,
    providers: Sequence[Person],
    appointment_type: AppointmentType,
    first_day: date,
    last_day: date,
    now: datetime,
    apply_rules: bool = True,
    limit: int | None = None,
    not_before: datetime | None = None,
) -> list[OpenTime]:
    """Every open start for the type with these providers at the location, day by day, in time
    order. ``apply_rules=False``: the booking rules (notice, furthest day) are left to the
    caller (staff overriding them with a reason); the schedule itself always applies.
    ``not_before``: no start earlier (a patient's move must stay outside the change notice)."""
    zone = location_zone(location)
    provider_ids = [p.pk for p in providers]
    first = datetime.combine(first_day, time.min, tzinfo=zone)
    last = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    calendar = _read(location, provider_ids, first, last, zone)
    today = now.astimezone(zone).date()
    duration = appointment_type.duration
    grid = timedelta(minutes=settings.SCHEDULING_GRID_MINUTES)
    earliest = now + timedelta(minutes=appointment_type.min_notice_minutes) if apply_rules else now
    if not_before is not None:
        earliest = max(earliest, not_before)
    furthest = today + timedelta(days=appointment_type.max_days_ahead)
    found: list[OpenTime] = []
    day = first_day
    while day <= last_day:
        if apply_rules and (day > furthest or (appointment_type.not_same_day and day <= today)):
            day += timedelta(days=1)
            continue
        for provider_id in provider_ids:
            template = _template_for(calendar.templates[provider_id], day)
            if template is None:
                continue
            for block in calendar.blocks[template.pk]:
                if block.weekday != day.weekday() or not _block_takes(
                    block, calendar.block_types[block.pk], appointment_type, day, today, now, zone
                ):
                    continue
                found += _starts_in_block(
                    block,
                    day,
                    zone,
                    duration,
                    grid,
                    earliest,
                    calendar,
                    provider_id,
                    appointment_type,
                )
        day += timedelta(days=1)
        if limit is not None and len(found) >= limit:
            break
    found.sort(key=lambda o: (o.starts_at, o.provider_id))
    return found[:limit] if limit is not None else found


def _block_takes(
    block: TemplateBlock,
    type_ids: set[int],
    appointment_type: AppointmentType,
    day: date,
    today: date,
    now: datetime,
    zone: ZoneInfo,
) -> bool:
    if block.kind == BlockKind.BREAK:
        return False
    if block.kind == BlockKind.HOLD:
        # Held for same-day visits: open to every type on the day itself, from its release time.
        if day != today or block.released_at is None:
            return False
        released = local_moment(day, block.released_at, zone)
        return released is not None and now >= released
    return not type_ids or appointment_type.pk in type_ids


def _starts_in_block(
    block: TemplateBlock,
    day: date,
    zone: ZoneInfo,
    duration: timedelta,
    grid: timedelta,
    earliest: datetime,
    calendar: _Calendar,
    provider_id: int,
    appointment_type: AppointmentType,
) -> list[OpenTime]:
    block_start = local_moment(day, block.starts, zone)
    block_end = local_moment(day, block.ends, zone)
    if block_start is None or block_end is None:
        return []
    buffer = timedelta(minutes=block.buffer_minutes)
    away = [
        (a, b)
        for a, b in calendar.away[provider_id] + calendar.away[None]
        if a < block_end + buffer and block_start < b
    ]
    booked = [
        (a, b, key)
        for a, b, key in calendar.booked[(provider_id, day)]  # (in time order)
        if a < block_end + buffer and block_start < b
    ]
    one_to_one = appointment_type.capacity <= 1
    starts: list[OpenTime] = []
    start = block_start
    passed = 0  # booked visits that end before the current start (they are in time order)
    while start + duration <= block_end:
        end = start + duration
        while passed < len(booked) and booked[passed][1] <= start:
            passed += 1
        if one_to_one and passed < len(booked) and booked[passed][0] < end + buffer:
            # Taken: go on from the first start on the grid after that visit ends (a full
            # day is then a step per visit, not per grid line).
            steps = max(1, -((start - booked[passed][1]) // grid))
            start += grid * steps
            continue
        if start >= earliest and not any(a < end + buffer and start < b for a, b in away):
            seats = _seats_left(start, end + buffer, booked[passed:], appointment_type)
            if seats > 0:
                starts.append(OpenTime(provider_id, start, end, seats))
        start += grid
    return starts


def _seats_left(
    start: datetime,
    end: datetime,
    booked: list[tuple[datetime, datetime, str]],
    appointment_type: AppointmentType,
) -> int:
    """Seats still free at this start: one for a free one-to-one time; for a group visit, its
    capacity less the seats taken at exactly this start (any other overlap: none)."""
    group = group_key_for(appointment_type, start)
    taken = 0
    for a, b, key in booked:  # in time order, none ending before ``start``
        if a >= end:
            break
        if start < b:
            if group is None or key != group:
                return 0
            taken += 1
    return max(appointment_type.capacity - taken, 0)


def first_available(
    *,
    location: Location,
    providers: Sequence[Person],
    appointment_type: AppointmentType,
    now: datetime,
    days: int = 90,
    count: int = 5,
    from_day: date | None = None,
    not_before: datetime | None = None,
) -> list[OpenTime]:
    """The first open times across providers from a day on (today by default), searched a
    week at a time so that a full calendar costs a few queries per week, not one per day. The
    booking rules count from ``now``; ``not_before`` is as for ``open_times``."""
    zone = location_zone(location)
    today = max(now.astimezone(zone).date(), from_day or date.min)
    if not_before is not None:
        today = max(today, not_before.astimezone(zone).date())
    found: list[OpenTime] = []
    window = 7
    for offset in range(0, days, window):
        first = today + timedelta(days=offset)
        last = min(today + timedelta(days=days - 1), first + timedelta(days=window - 1))
        found += open_times(
            location=location,
            providers=providers,
            appointment_type=appointment_type,
            first_day=first,
            last_day=last,
            now=now,
            limit=count - len(found),
            not_before=not_before,
        )
        if len(found) >= count:
            break
    return found[:count]
