"""Appointment adherence, the figures analytics and managers read: of the visits that were due
in a period, how many were kept, missed (no-show) or cancelled late; how far ahead they were
booked (lead time) and how long patients waited (arrival to room), per provider, location or
visit type. Aggregates only: no patient is named, so the analyst may read them.

Definitions (docs/scheduling.md): a visit counts once its start has passed and it was not
entered in error. Of those, the visits cancelled in time for the slot to go to someone else
leave the denominator (methods.md §4.1, the analytics KPIs' definitions): show rate = completed
/ (counted - timely cancellations); no-show rate and late-cancel rate likewise. Lead time is
the median of days from booking to the visit; waiting time the median of minutes from arriving
to being roomed, over the visits with both moments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from carebond.scheduling.models import Appointment, AppointmentStatus

GROUPS = {
    "provider": ("provider_id", "provider__given_name", "provider__family_name"),
    "location": ("location_id", "location__name", None),
    "appointment_type": ("appointment_type_id", "appointment_type__name", None),
}


@dataclass(frozen=True)
class Adherence:
    group: str
    visits: int
    completed: int
    no_shows: int
    late_cancellations: int
    cancellations: int
    lead_days: float | None
    wait_minutes: float | None

    @property
    def due(self) -> int:
        """The visits that should have happened: all counted, less the timely cancellations."""
        return self.visits - (self.cancellations - self.late_cancellations)

    def _share(self, count: int) -> float | None:
        return count / self.due if self.due else None

    @property
    def show_rate(self) -> float | None:
        return self._share(self.completed)

    @property
    def no_show_rate(self) -> float | None:
        return self._share(self.no_shows)

    @property
    def late_cancel_rate(self) -> float | None:
        return self._share(self.late_cancellations)

    @property
    def shown(self) -> dict[str, str]:
        """The rates as the page writes them ("75%", or "—" with nothing to divide by)."""
        return {
            name: "—" if rate is None else f"{rate:.0%}"
            for name, rate in (
                ("show", self.show_rate),
                ("no_show", self.no_show_rate),
                ("late_cancel", self.late_cancel_rate),
            )
        }


def adherence(
    organization_id: int, *, group_by: str, since: datetime, until: datetime
) -> list[Adherence]:
    """One row per group (by name), over the visits due in [since, until)."""
    key, first, second = GROUPS[group_by]
    fields = [key, first, *([second] if second else [])]
    rows = (
        Appointment.objects.filter(
            organization_id=organization_id, starts_at__gte=since, starts_at__lt=until
        )
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .values_list(
            *fields,
            "status",
            "late_cancellation",
            "booked_at",
            "starts_at",
            "arrived_at",
            "roomed_at",
        )
    )
    grouped: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for row in rows:
        name = " ".join(str(part) for part in row[1 : len(fields)] if part)
        grouped[name].append(row[len(fields) :])
    return [_figures(name, found) for name, found in sorted(grouped.items())]


def _figures(name: str, rows: list[tuple[object, ...]]) -> Adherence:
    statuses = [row[0] for row in rows]
    leads = [
        (starts - booked) / timedelta(days=1)  # type: ignore[operator]
        for _, _, booked, starts, _, _ in rows
        if booked is not None
    ]
    waits = [
        (roomed - arrived) / timedelta(minutes=1)  # type: ignore[operator]
        for _, _, _, _, arrived, roomed in rows
        if arrived is not None and roomed is not None
    ]
    return Adherence(
        group=name,
        visits=len(rows),
        completed=statuses.count(AppointmentStatus.FULFILLED),
        no_shows=statuses.count(AppointmentStatus.NOSHOW),
        late_cancellations=sum(1 for row in rows if row[1]),
        cancellations=statuses.count(AppointmentStatus.CANCELLED),
        lead_days=round(median(leads), 1) if leads else None,
        wait_minutes=round(median(waits), 1) if waits else None,
    )
