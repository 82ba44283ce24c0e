"""The date ranges: edges, time zones at the ends of the calendar, and the words used."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from carebond.core.dates import BIRTH_DATES, PAST_TIMES, RECORD_DATES
from carebond.core.errors import InvalidInput


@time_machine.travel(datetime.fromisoformat("2028-02-29T09:00:00+00:00"), tick=False)
def test_ranges_end_today_now_or_some_years_ahead() -> None:
    assert BIRTH_DATES.latest() == date(2028, 2, 29)  # 23:00 at UTC+14, the latest zone
    assert RECORD_DATES.latest() == date(2033, 2, 28)
    assert BIRTH_DATES.describe() == "from 1890-01-01 to today"
    assert PAST_TIMES.describe() == "from 1900-01-01 to now"
    assert RECORD_DATES.describe() == "from 1900-01-01 to 5 years after today"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0001-01-01T00:00:00+14:00", "The time 0001-01-01T00:00:00+14:00 is before 1900-01-01."),
        ("9999-12-31T23:59:59-12:00", "The time 9999-12-31T23:59:59-12:00 is in the future."),
        ("1900-01-01T00:00:00+00:00", None),
        ("1900-01-01T00:00:00+01:00", "The time 1900-01-01T00:00:00+01:00 is before 1900-01-01."),
    ],
)
def test_times_at_the_ends_of_the_calendar_are_compared_without_overflow(
    value: str, problem: str | None
) -> None:
    assert PAST_TIMES.problem(datetime.fromisoformat(value)) == problem


def test_check_names_the_field_and_the_range() -> None:
    with pytest.raises(InvalidInput) as raised:
        BIRTH_DATES.check(date(1889, 12, 31), field="birth_date")
    assert raised.value.field == "birth_date"
    assert raised.value.message == (
        "The birth date 1889-12-31 is before 1890-01-01. Accepted: from 1890-01-01 to today."
    )
