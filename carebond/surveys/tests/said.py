"""Comments for the "you said, we did" tests, written as the comment analysis stores them (a
theme per entry in ``themes``, its key in ``theme_keys``), so that the tests depend on the
stored fields and not on how a text is read."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from carebond.core.models import Location
from carebond.people.models import Person
from carebond.surveys.instrument_actions import current_version
from carebond.surveys.models import AnonymousResponse, Comment, Response, ResponseStatus
from carebond.surveys.tests.conftest import CHICAGO, TUESDAY, Practice

NAMES = {"wait_time": ("Wait time", "Tiempo de espera"), "billing_cost": ("Billing", "Facturación")}
DEFAULT = object()


def comment(
    practice: Practice,
    person: Person | None = None,
    *,
    themes: dict[str, str] | None = None,
    day: date | None = None,
    location: Any = DEFAULT,
    anonymous: bool = False,
) -> Comment:
    """A comment received on ``day`` (default: the practice's Tuesday) carrying ``themes``
    ({key: label}, default wait_time negative), from ``person``'s response or an anonymous
    one."""
    themes = {"wait_time": "negative"} if themes is None else themes
    day = day or TUESDAY.date()
    place: Location | None = practice.main if location is DEFAULT else location
    organization = practice.organization
    stored = [
        {
            "key": key,
            "name": NAMES.get(key, (key.replace("_", " ").capitalize(),))[0],
            "name_es": NAMES.get(key, ("", key))[1],
            "label": label,
            "compound": -0.6 if label == "negative" else 0.5,
            "words": [[0, 4]],
        }
        for key, label in themes.items()
    ]
    found = Comment(
        organization=organization,
        link_id="went_well",
        text="(a comment)",
        language="en",
        label="negative",
        themes=stored,
        theme_keys=" " + " ".join(themes) + " " if themes else "",
        location=place,
        received_on=day,
        anonymous=anonymous,
        analysed=True,
    )
    if anonymous:
        instrument = practice.instrument("staff-pulse")
        version = current_version(instrument)
        assert version is not None
        week = day - timedelta(days=day.weekday())
        found.anonymous_response = AnonymousResponse.objects.create(
            organization=organization,
            wave=practice.wave("staff-pulse"),
            version=version,
            language="en",
            week_of=week,
            location=place,
        )
        found.received_on = week
        found.instrument = instrument
    else:
        instrument = practice.instrument("post-visit")
        version = current_version(instrument)
        assert version is not None
        moment = datetime.combine(day, time(9), CHICAGO)
        found.response = Response.objects.create(
            organization=organization,
            version=version,
            person=person or practice.patient,
            status=ResponseStatus.COMPLETED,
            language="en",
            started_at=moment,
            updated_at=moment,
            submitted_at=moment,
            location=place,
        )
        found.instrument = instrument
    found.save()
    return found
