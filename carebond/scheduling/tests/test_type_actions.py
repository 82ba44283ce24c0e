"""Visit types kept on a page: added with a key from the name, changed with the fields named in
the audit trail, and refused with the reason when a value makes no sense."""

from __future__ import annotations

from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidInput
from carebond.core.permissions import Role
from carebond.scheduling.tests.conftest import Clinic
from carebond.scheduling.type_actions import check_save_appointment_type

GOOD: dict[str, Any] = {
    "name": "Flu shot",
    "name_es": "Vacuna contra la gripe",
    "duration_minutes": 10,
    "mode": "in_person",
    "patients": "any",
    "specialty": "",
    "referral_required": False,
    "capacity": 1,
    "min_notice_minutes": 0,
    "not_same_day": False,
    "max_days_ahead": 60,
    "cancel_notice_hours": 2,
    "max_per_patient": 1,
    "online": True,
    "active": True,
    "reminder_hours": [24, 2],
}


def test_a_type_is_added_then_changed_and_audited(clinic: Clinic, users_a: dict[str, User]) -> None:
    manager = users_a[Role.MANAGER]
    added = check_save_appointment_type(
        None, values=dict(GOOD), providers=[clinic.nurse], acting_user=manager
    )
    assert (added.key, added.reminder_hours) == ("flu-shot", [24, 2])
    assert list(added.providers.all()) == [clinic.nurse]
    changed = check_save_appointment_type(
        added, values=GOOD | {"duration_minutes": 15}, providers=[], acting_user=manager
    )
    assert changed.duration_minutes == 15
    assert not changed.providers.exists()
    event = AuditEvent.objects.get(action="appointment_type.changed")
    assert event.changed_fields == ["duration_minutes"]
    # a second type of the same name gets its own key
    again = check_save_appointment_type(None, values=dict(GOOD), providers=[], acting_user=manager)
    assert again.key == "flu-shot-2"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"duration_minutes": 2}, "duration_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"max_days_ahead": 5000}, "max_days_ahead"),
        ({"reminder_hours": [24, 0]}, "reminder_hours"),
        ({"patients": "new", "specialty": ""}, "specialty"),
        ({"mode": "carrier pigeon"}, "mode"),
    ],
)
def test_values_that_make_no_sense_are_refused(
    clinic: Clinic, users_a: dict[str, User], change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_save_appointment_type(
            None, values=GOOD | change, providers=[], acting_user=users_a[Role.MANAGER]
        )
    assert refused.value.field == field
