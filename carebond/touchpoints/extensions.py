"""What the touchpoints app adds to core's registry: the timeline's own kinds, and the two person
links a merge moves (the person's timeline, and the staff member named on entries)."""

from __future__ import annotations

from carebond.core.registry import (
    PersonPanel,
    PersonRelation,
    TouchpointKindEntry,
    register_person_panel,
    register_person_relation,
    register_touchpoint_kind,
)
from carebond.touchpoints.access import TIMELINE_USERS
from carebond.touchpoints.models import Touchpoint, TouchpointKind
from carebond.touchpoints.panels import timeline_panel


def register() -> None:
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
    register_person_relation(PersonRelation(Touchpoint, "person"))
    register_person_relation(PersonRelation(Touchpoint, "staff"))
    for kind in TouchpointKind:
        register_touchpoint_kind(TouchpointKindEntry(kind.value, kind.label, "touchpoints"))
