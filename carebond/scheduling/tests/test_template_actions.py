"""Providers' weeks edited: a draft copied from the week in force, blocks that may not overlap,
a preview naming the booked visits the new hours leave outside, and applying it from its first
day (the old week ends the day before; nothing booked is touched)."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from carebond.accounts.models import User
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.permissions import Role
from carebond.scheduling.actions import check_book_appointment
from carebond.scheduling.availability import open_times
from carebond.scheduling.models import BlockKind, ScheduleTemplate, TemplateStatus
from carebond.scheduling.template_actions import (
    check_add_block,
    check_apply_template,
    check_remove_block,
    check_start_draft,
    preview_template,
)
from carebond.scheduling.tests.conftest import CHICAGO, MONDAY_MORNING, Clinic, at

NEXT_MONDAY = date(2026, 3, 9)


def test_a_draft_is_previewed_then_applied_from_its_first_day(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    manager = users_a[Role.MANAGER]
    # given a visit booked for the afternoon of next Monday
    late = check_book_appointment(
        clinic.patient,
        provider=clinic.doctor,
        location=clinic.location,
        appointment_type=clinic.follow_up,
        starts_at=at(NEXT_MONDAY, 15),
        acting_user=None,
    )
    # when a draft copied from the doctor's week drops Monday afternoons
    draft = check_start_draft(
        provider=clinic.doctor,
        location=clinic.location,
        name="Monday mornings only",
        starts_on=NEXT_MONDAY,
        copy_current=True,
        acting_user=manager,
    )
    assert draft.blocks.count() == 15  # (5 days x open, break, open)
    afternoon = draft.blocks.get(weekday=0, starts=time(13))
    check_remove_block(afternoon, acting_user=manager)
    # then the preview says Monday's new hours and names the visit left outside
    preview = preview_template(draft)
    assert preview.days[0].hours == ["09:00-12:00 open for booking", "12:00-13:00 break"]
    assert preview.outside == [late]
    assert preview.replaces is not None
    # and applied, the old week ends the day before; the visit stays booked
    check_apply_template(draft, acting_user=manager)
    old = ScheduleTemplate.objects.get(pk=preview.replaces.pk)
    assert old.ends_on == NEXT_MONDAY - timedelta(days=1)
    draft.refresh_from_db()
    assert draft.status == TemplateStatus.APPLIED
    late.refresh_from_db()
    assert late.status == "booked"

    # Monday afternoons are no longer open from then on; this Monday's still are
    def hours(day: date) -> set[int]:
        found = open_times(
            location=clinic.location,
            providers=[clinic.doctor],
            appointment_type=clinic.follow_up,
            first_day=day,
            last_day=day,
            now=MONDAY_MORNING,
        )
        return {t.starts_at.astimezone(CHICAGO).hour for t in found}

    assert max(hours(NEXT_MONDAY)) < 12
    assert max(hours(NEXT_MONDAY + timedelta(days=1))) >= 13
    with pytest.raises(RuleViolation):
        check_add_block(
            draft,
            weekday=0,
            starts=time(13),
            ends=time(14),
            kind=BlockKind.OPEN,
            acting_user=manager,
        )


def test_blocks_that_overlap_or_make_no_sense_are_refused(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    manager = users_a[Role.MANAGER]
    draft = check_start_draft(
        provider=clinic.doctor,
        location=clinic.location,
        name="New",
        starts_on=NEXT_MONDAY,
        copy_current=False,
        acting_user=manager,
    )
    check_add_block(
        draft, weekday=1, starts=time(9), ends=time(12), kind=BlockKind.OPEN, acting_user=manager
    )
    for kw, field in (
        ({"starts": time(11), "ends": time(13)}, "starts"),
        ({"starts": time(14), "ends": time(13)}, "ends"),
        ({"starts": time(13), "ends": time(15), "kind": BlockKind.HOLD}, "released_at"),
        ({"starts": time(13), "ends": time(15), "buffer_minutes": 500}, "buffer_minutes"),
    ):
        values = {"weekday": 1, "kind": BlockKind.OPEN} | kw
        with pytest.raises(InvalidInput) as refused:
            check_add_block(draft, acting_user=manager, **values)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert draft.blocks.count() == 1
    with pytest.raises(InvalidInput):
        check_start_draft(
            provider=clinic.doctor,
            location=clinic.location,
            name="Past",
            starts_on=date(2026, 2, 1),
            copy_current=False,
            acting_user=manager,
        )
