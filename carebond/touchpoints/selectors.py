"""Reading a timeline: filtered, newest first, a page at a time, N+1-safe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.registry import touchpoint_kind_label
from carebond.people.models import Person, PersonKind
from carebond.touchpoints.access import access_timeline
from carebond.touchpoints.models import Touchpoint

if TYPE_CHECKING:
    from carebond.accounts.models import User

PAGE_SIZE = 50


@dataclass(frozen=True)
class TimelineFilters:
    kind: str = ""
    channel: str = ""
    staff_id: str = ""  # the staff member's public id
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class TimelinePage:
    items: list[Touchpoint]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def list_timeline(
    person: Person,
    *,
    filters: TimelineFilters = TimelineFilters(),
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TimelinePage:
    """One query: the page plus one row to know whether another page follows."""
    page = max(page, 1)
    # Days are the organisation's days (the middleware activates its time zone).
    zone = timezone.get_current_timezone()
    rows = Touchpoint.objects.filter(person=person).select_related(
        "staff", "location", "recorded_by"
    )
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.staff_id:
        rows = rows.filter(staff__public_id=filters.staff_id)
    if filters.since:
        rows = rows.filter(occurred_at__gte=datetime.combine(filters.since, time.min, zone))
    if filters.until:
        rows = rows.filter(occurred_at__lte=datetime.combine(filters.until, time.max, zone))
    start = (min(page, 10_000) - 1) * page_size
    items = list(rows.order_by("-occurred_at", "-id")[start : start + page_size + 1])
    return TimelinePage(items=items[:page_size], page=page, has_next=len(items) > page_size)


def get_person_timeline(
    *,
    user: User,
    public_id: UUID | str,
    filters: TimelineFilters = TimelineFilters(),
    page: int = 1,
) -> TimelinePage:
    """A person's timeline for the API. Audited: person.timeline_read (a PHI read)."""
    person = access_timeline(user, public_id)
    timeline = list_timeline(person, filters=filters, page=page)
    record_access(
        actor=user,
        target=person,
        action="person.timeline_read",
        patient=person if person.kind == PersonKind.PATIENT else None,
    )
    return timeline


def list_staff_on_timeline(person: Person) -> list[Person]:
    """The staff members who appear on a person's timeline: the choices of its staff filter."""
    staff_ids = Touchpoint.objects.filter(person=person, staff__isnull=False).values("staff_id")
    return list(Person.objects.filter(pk__in=staff_ids).order_by("family_name", "given_name"))


@dataclass(frozen=True)
class RecentPerson:
    person: Person
    last_at: datetime
    last_kind: str


RECENT_DAYS = 30


def list_people_recently_worked_with(*, user: User, limit: int = 8) -> list[RecentPerson]:
    """Patients whose timeline names the user in the last 30 days (as the staff member on the
    touchpoint, or as who logged it), most recent first. Audited: a list of patients' names
    is a PHI read (touchpoints.recent_people_read); nothing is recorded when it is empty."""
    since = clock.now() - timedelta(days=RECENT_DAYS)
    staff_ids = Person.objects.filter(
        organization_id=user.organization_id, staff_profile__user=user
    ).values("id")
    mine = Touchpoint.objects.filter(
        organization_id=user.organization_id,
        occurred_at__gte=since,
        person__kind=PersonKind.PATIENT,
    ).filter(Q(staff_id__in=staff_ids) | Q(recorded_by=user))
    latest = mine.values("person_id").annotate(last_at=Max("occurred_at")).order_by("-last_at")
    rows = list(latest[:limit])
    if not rows:
        return []
    people = Person.objects.in_bulk([row["person_id"] for row in rows])
    kinds = {
        (t.person_id, t.occurred_at): t.kind
        for t in mine.filter(person_id__in=people).only("person_id", "occurred_at", "kind")
    }
    record_access(
        actor=user,
        target=None,
        action="touchpoints.recent_people_read",
        organization=user.organization,
    )
    return [
        RecentPerson(
            person=people[row["person_id"]],
            last_at=row["last_at"],
            last_kind=touchpoint_kind_label(kinds.get((row["person_id"], row["last_at"]), "")),
        )
        for row in rows
    ]


def people_with_touchpoints(
    organization_id: int, *, kinds: list[str], since: datetime | None = None
) -> QuerySet[Touchpoint, int]:
    """The ids of people with a touchpoint of these kinds (since a time): a subquery for
    segments such as "no visit in 12 months". Ids only: nothing of the touchpoints is read."""
    found = Touchpoint.objects.filter(organization_id=organization_id, kind__in=kinds)
    if since is not None:
        found = found.filter(occurred_at__gte=since)
    return found.values_list("person_id", flat=True)
