"""What the privacy app adds to core's registry: the break-glass opener the people app asks,
the withheld-parts panel on the person page, the review queue's page and home panel, and the
exemption of a grant's person from merges."""

from __future__ import annotations

from carebond.core.registry import (
    HomePanel,
    NavEntry,
    PersonLinkExemption,
    PersonPanel,
    RecordPartOpener,
    exempt_person_link,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_record_part_opener,
)
from carebond.privacy.access import BREAK_GLASS_USERS, PRIVACY_OFFICERS
from carebond.privacy.actions import READ_UNDER_GRANT
from carebond.privacy.models import BreakGlassGrant
from carebond.privacy.panels import review_panel, withheld_panel
from carebond.privacy.selectors import opened_parts


def register() -> None:
    register_record_part_opener(RecordPartOpener("break_glass", opened_parts, READ_UNDER_GRANT))
    register_person_panel(
        PersonPanel(
            key="privacy.withheld",
            title="Withheld for your role",
            template="privacy/panels/withheld.html",
            policy=BREAK_GLASS_USERS,
            context=withheld_panel,
            order=5,
        )
    )
    register_navigation(NavEntry("Break-glass reviews", "privacy:queue", PRIVACY_OFFICERS, 85))
    register_home_panel(
        HomePanel(
            key="privacy.reviews",
            title="Break-glass reviews",
            template="privacy/panels/reviews.html",
            policy=PRIVACY_OFFICERS,
            context=review_panel,
            order=10,
        )
    )
    exempt_person_link(
        PersonLinkExemption(
            BreakGlassGrant,
            "person",
            "A grant records which record was opened, and its review what was found; a merge "
            "neither extends the grant to the surviving record nor rewrites its history.",
        )
    )
