"""What the value-maps app adds to core's registry: its page, its home panel, a panel on the
person page, and the person link a merge moves (a respondent linked to a patient follows the
patient's surviving record)."""

from __future__ import annotations

from carebond.core.registry import (
    AuditNames,
    HomePanel,
    NavEntry,
    PersonPanel,
    PersonRelation,
    register_audit_names,
    register_home_panel,
    register_navigation,
    register_person_panel,
    register_person_relation,
)
from carebond.value_maps.access import VALUE_MAP_EDITORS, VALUE_MAP_READERS
from carebond.value_maps.models import Respondent
from carebond.value_maps.panels import interviews_panel, studies_panel
from carebond.value_maps.selectors import study_names


def register() -> None:
    register_navigation(NavEntry("Value maps", "value_maps:studies", VALUE_MAP_READERS, order=60))
    register_home_panel(
        HomePanel(
            key="value_maps.studies",
            title="Value maps",
            template="value_maps/panels/studies.html",
            policy=VALUE_MAP_READERS,
            context=studies_panel,
            order=40,
        )
    )
    register_person_panel(
        PersonPanel(
            key="value_maps.interviews",
            title="Laddering interviews",
            template="value_maps/panels/interviews.html",
            policy=VALUE_MAP_EDITORS,
            context=interviews_panel,
            order=50,
        )
    )
    register_person_relation(PersonRelation(Respondent, "person"))
    register_audit_names(AuditNames("value_maps.study", study_names))
