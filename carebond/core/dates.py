"""The range of every date and time CareBond accepts, one per kind of date.

Checked where input arrives (API schemas, forms) and again in the actions. Python and the
databases disagree at the edges of the calendar (a year-1 time east of UTC cannot be converted
to UTC in Python, so SQLite failed on it, and PostgreSQL stored it as written), and no clinical
record needs those years: refused with a message that gives the range. The README's API section
lists the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from carebond.core import clock
from carebond.core.errors import InvalidInput

# The earliest time zone on Earth is UTC+14: "today" anywhere is at most this far ahead of UTC.
_AHEAD_OF_UTC = timedelta(hours=14)


@dataclass(frozen=True)
class DateRange:
    """From ``earliest`` to ``years_ahead`` years after today (0: today; for times, now)."""

    what: str
    earliest: date
    years_ahead: int = 0

    def latest(self) -> date:
        today = (clock.now() + _AHEAD_OF_UTC).date()
        if not self.years_ahead:
            return today
        try:
            return today.replace(year=today.year + self.years_ahead)
        except ValueError:  # 29 February
            return today.replace(year=today.year + self.years_ahead, day=28)

    def describe(self) -> str:
        end = "now" if self.years_ahead == 0 else f"{self.years_ahead} years after today"
        if self.years_ahead == 0 and self.what.endswith("date"):
            end = "today"
        return f"from {self.earliest.isoformat()} to {end}"

    def problem(self, value: date | datetime) -> str | None:
        """Why ``value`` is out of range, or None. Compares without converting ``value``, which
        could overflow (year 1 at UTC+14 is year 0 in UTC)."""
        shown = value.isoformat()
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return f"The {self.what} {shown} has no time zone."
            earliest = datetime.combine(self.earliest, time.min, UTC)
            if value < earliest:
                return f"The {self.what} {shown} is before {self.earliest.isoformat()}."
            latest = (
                clock.now()
                if not self.years_ahead
                else datetime.combine(self.latest(), time.max, UTC)
            )
            if value > latest:
                if not self.years_ahead:
                    return f"The {self.what} {shown} is in the future."
                return f"The {self.what} {shown} is after {self.latest().isoformat()}."
            return None
        if value < self.earliest:
            return f"The {self.what} {shown} is before {self.earliest.isoformat()}."
        if value > self.latest():
            if not self.years_ahead:
                return f"The {self.what} {shown} is in the future."
            return f"The {self.what} {shown} is after {self.latest().isoformat()}."
        return None

    def check(self, value: date | datetime, *, field: str) -> None:
        problem = self.problem(value)
        if problem:
            raise InvalidInput(f"{problem} Accepted: {self.describe()}.", field=field)


# People: the oldest records an organisation keeps (deceased family members included).
BIRTH_DATES = DateRange("birth date", date(1890, 1, 1))
# What already happened: touchpoints, the onset of a condition.
PAST_TIMES = DateRange("time", date(1900, 1, 1))
PAST_DATES = DateRange("date", date(1900, 1, 1))
# Dates of record and the ranges people filter by: a start date, a timeline's "from" and "to".
RECORD_DATES = DateRange("date", date(1900, 1, 1), years_ahead=5)
