"""The front desk's live board: today's visits at a location by where each patient is (expected,
waiting, in a room, with the provider, done), with how long they have been there and a warning
when that is longer than the practice wants. The board page is kept current by a stream that
sends it again whenever the day changes (``board_signature``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.selectors import VisitRow, day_bounds, local_today, visit_row

if TYPE_CHECKING:
    from carebond.accounts.models import User

WAITING = (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN)


@dataclass(frozen=True)
class BoardCard:
    row: VisitRow
    minutes: int | None  # in this place so far (late: past the start)
    warning: str  # "", "warn" or "alert"
    says: str  # the warning in words, for everyone (not only by colour)


@dataclass(frozen=True)
class BoardColumn:
    key: str
    title: str
    cards: list[BoardCard]


@dataclass(frozen=True)
class Board:
    location: Location
    columns: list[BoardColumn]
    done: int
    missed: int
    at: datetime


def _minutes(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def _card(row: VisitRow, place: str, since: datetime | None, now: datetime) -> BoardCard:
    """How long in this place, and whether that is past the practice's warning times."""
    minutes = _minutes(since, now)
    warn, alert = settings.SCHEDULING_WAIT_WARNINGS[place]
    level = ""
    if minutes is not None and minutes >= alert:
        level = "alert"
    elif minutes is not None and minutes >= warn:
        level = "warn"
    words = {
        "late": "late: not arrived {} min after the start",
        "waiting": "waiting {} min",
        "roomed": "in the room {} min",
        "seen": "with the provider {} min",
    }[place]
    says = words.format(minutes) if minutes is not None else ""
    return BoardCard(row, minutes, level, says)


def list_board(*, user: User, location: Location, audited: bool = True) -> Board:
    """Today's board at a location. Audited as one read of the day's list (a stream that keeps
    a board current is audited once, when it opens: ``audited=False`` for what it sends)."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    now = clock.now()
    first, last = day_bounds(location, local_today(location))
    visits = list(
        Appointment.objects.filter(
            organization_id=user.organization_id,
            location=location,
            starts_at__gte=first,
            starts_at__lt=last,
        )
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR))
        .select_related("patient", "provider", "appointment_type", "location")
        .order_by("starts_at", "provider_id")
    )
    if audited:
        record_access(
            actor=user, target=None, action="appointment.list", organization=user.organization
        )
    expected, waiting, roomed, seen = [], [], [], []
    done = missed = 0
    for visit in visits:
        row = visit_row(visit)
        if visit.status == AppointmentStatus.BOOKED:
            late = visit.starts_at if now > visit.starts_at else None
            expected.append(_card(row, "late", late, now))
        elif visit.status in WAITING and visit.seen_at is not None:
            seen.append(_card(row, "seen", visit.seen_at, now))
        elif visit.status in WAITING and visit.roomed_at is not None:
            roomed.append(_card(row, "roomed", visit.roomed_at, now))
        elif visit.status in WAITING:
            waiting.append(_card(row, "waiting", visit.arrived_at, now))
        elif visit.status == AppointmentStatus.FULFILLED:
            done += 1
        elif visit.status == AppointmentStatus.NOSHOW:
            missed += 1
    return Board(
        location=location,
        columns=[
            BoardColumn("expected", "Expected", expected),
            BoardColumn("waiting", "In the waiting room", waiting),
            BoardColumn("roomed", "In a room", roomed),
            BoardColumn("seen", "With the provider", seen),
        ],
        done=done,
        missed=missed,
        at=now,
    )


def board_signature(location: Location) -> str:
    """A fingerprint of today's visits at a location: it changes when any of them changes
    (booked, moved, cancelled, a step taken), so a stream knows when to send the board again."""
    first, last = day_bounds(location, local_today(location))
    rows = Appointment.objects.filter(
        location=location, starts_at__gte=first - timedelta(hours=1), starts_at__lt=last
    ).values_list("id", "status", "starts_at", "provider_id", "arrived_at", "roomed_at", "seen_at")
    return hashlib.blake2b(repr(sorted(rows)).encode(), digest_size=16).hexdigest()
