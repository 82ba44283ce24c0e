"""What the touchpoints app adds to core's registry: the timeline's own kinds, the two person
links a merge moves (the person's timeline, and the staff member named on entries), and its
KPIs (touchpoints, and touchpoints per patient) with the dimensions "moment" and "channel"."""

from __future__ import annotations

from carebond.core.kpis import KpiDimension
from carebond.core.registry import (
    HistoryTable,
    HomePanel,
    PersonPanel,
    PersonRelation,
    TouchpointKindEntry,
    register_history_table,
    register_home_panel,
    register_kpi,
    register_kpi_dimension,
    register_person_panel,
    register_person_relation,
    register_touchpoint_kind,
)
from carebond.touchpoints.access import HANDS_ON_STAFF, TIMELINE_USERS
from carebond.touchpoints.kpi_selectors import channel_names, moment_names, touchpoints_kpis
from carebond.touchpoints.models import Touchpoint, TouchpointKind
from carebond.touchpoints.panels import recent_people_panel, timeline_panel


def register() -> None:
    register_history_table(HistoryTable(Touchpoint, "occurred_at", retention="touchpoints"))
    for kpi in touchpoints_kpis():
        register_kpi(kpi)
    register_kpi_dimension(KpiDimension("moment", "Moment of truth", moment_names, "touchpoints"))
    # A message's channel (text or email) is one of a touchpoint's: messaging's KPIs use it too.
    register_kpi_dimension(KpiDimension("channel", "Channel", channel_names, "touchpoints"))
    register_home_panel(
        HomePanel(
            key="touchpoints.recent_people",
            title="Patients you worked with lately",
            template="touchpoints/panels/recent_people.html",
            policy=HANDS_ON_STAFF,
            context=recent_people_panel,
            order=5,
        )
    )
    register_person_panel(
        PersonPanel(
            key="touchpoints.timeline",
            title="Timeline",
            template="touchpoints/timeline.html",
            policy=TIMELINE_USERS,
            context=timeline_panel,
            order=0,
            column="main",
        )
    )
    # The same interaction on both records (a visit logged twice, or sent by two feeds) stays
    # with the record merged away instead of showing twice on the survivor's timeline.
    register_person_relation(
        PersonRelation(
            Touchpoint,
            "person",
            unique_with=("kind", "occurred_at", "channel", "direction", "summary"),
        )
    )
    register_person_relation(PersonRelation(Touchpoint, "staff"))
    for kind in TouchpointKind:
        register_touchpoint_kind(TouchpointKindEntry(kind.value, kind.label, "touchpoints"))
