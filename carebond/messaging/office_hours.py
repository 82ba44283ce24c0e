"""Office hours: when the inbox is staffed, in the organisation's time zone, with split shifts and
closed days. Reply times are counted in office time (a text at 18:00 Friday answered at 09:00
Monday waited minutes, not a weekend), and a text outside the hours gets the after-hours answer.

The hours are written as one line per weekday, which is how a practice says them:

    Mon 08:00-12:00, 13:00-17:00
    Sat 09:00-12:00

and closed days one per line: ``2026-12-25 Christmas Day``. An organisation without hours is
treated as always open (reply times are wall-clock time; no after-hours answer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from carebond.core.errors import InvalidInput
from carebond.core.models import Organization
from carebond.messaging.models import OfficeClosure, OfficeHours

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LINE = re.compile(r"^\s*(?P<day>[A-Za-z]{3})[a-z]*\s+(?P<spans>.+?)\s*$")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_CLOSURE = re.compile(r"^\s*(?P<day>\d{4}-\d{2}-\d{2})\s*(?P<name>.*?)\s*$")


@dataclass(frozen=True)
class Schedule:
    """An organisation's hours, loaded once, asked many times."""

    zone: ZoneInfo
    hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    closed: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not self.hours

    def openings(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's open spans as aware datetimes (none on a closed day)."""
        if day in self.closed:
            return []
        return [
            (datetime.combine(day, opens, self.zone), datetime.combine(day, closes, self.zone))
            for opens, closes in self.hours.get(day.weekday(), [])
        ]

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        return any(
            start <= at < end for start, end in self.openings(at.astimezone(self.zone).date())
        )

    def office_seconds(self, start: datetime, end: datetime) -> float:
        """How much of [start, end) the office was open."""
        # In UTC: two times in one zone subtract as wall clocks, wrong on the day clocks change.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        total = 0.0
        day = start.astimezone(self.zone).date()
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.openings(day):
                overlap = min(end, closes.astimezone(UTC)) - max(start, opens.astimezone(UTC))
                total += max(0.0, overlap.total_seconds())
            day += timedelta(days=1)
        return total


def schedule_for(organization: Organization) -> Schedule:
    hours: dict[int, list[tuple[time, time]]] = {}
    for row in OfficeHours.objects.filter(organization=organization):
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    closed = frozenset(
        OfficeClosure.objects.filter(organization=organization).values_list("day", flat=True)
    )
    return Schedule(zone=ZoneInfo(organization.time_zone), hours=hours, closed=closed)


def hours_as_text(organization: Organization) -> tuple[str, str]:
    """The hours and the closed days as the form shows them."""
    schedule = schedule_for(organization)
    lines = [
        f"{DAYS[weekday]} "
        + ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in sorted(schedule.hours[weekday]))
        for weekday in sorted(schedule.hours)
    ]
    closures = [
        f"{c.day.isoformat()} {c.name}".strip()
        for c in OfficeClosure.objects.filter(organization=organization)
    ]
    return "\n".join(lines), "\n".join(closures)


def parse_hours(text: str) -> dict[int, list[tuple[time, time]]]:
    """ "Mon 08:00-12:00, 13:00-17:00" lines; every problem named with its line."""
    hours: dict[int, list[tuple[time, time]]] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        day = match["day"].title() if match else ""
        if not match or day not in DAYS:
            problems.append(f"line {number}: start with a day (Mon, Tue ... Sun), then hours")
            continue
        weekday = DAYS.index(day)
        if weekday in hours:
            problems.append(f"line {number}: {day} is on another line too")
            continue
        spans = []
        for span in match["spans"].split(","):
            found = _SPAN.match(span.strip())
            try:
                opens = time(int(found[1]), int(found[2])) if found else None
                closes = time(int(found[3]), int(found[4])) if found else None
            except ValueError:
                opens = closes = None
            if opens is None or closes is None:
                problems.append(f"line {number}: {span.strip()!r} is not like 08:00-12:00")
                continue
            if closes <= opens:
                problems.append(f"line {number}: {span.strip()} closes before it opens")
                continue
            spans.append((opens, closes))
        spans.sort()
        if any(later[0] < earlier[1] for earlier, later in pairwise(spans)):
            problems.append(f"line {number}: the hours overlap")
        hours[weekday] = spans
    if problems:
        raise InvalidInput("; ".join(problems) + ".", field="hours")
    return hours


def parse_closures(text: str) -> dict[date, str]:
    closures: dict[date, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CLOSURE.match(line)
        try:
            day = date.fromisoformat(match["day"]) if match else None
        except ValueError:
            day = None
        if match is None or day is None:
            problems.append(f"line {number}: start with a date like 2026-12-25")
            continue
        closures[day] = match["name"][:100]
    if problems:
        raise InvalidInput("; ".join(problems) + ".", field="closures")
    return closures
