"""The demo's no-show model: trained on the demo practice's own history while the demo is
built, its risk on today's schedule, and visits at risk on the front desk's home."""

from __future__ import annotations

import pytest

from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.demo.builder import build_demo
from carebond.scheduling.models import NoShowModel
from carebond.scheduling.noshow_selectors import add_risk_to_day, list_visits_at_risk
from carebond.scheduling.selectors import list_day_by_provider, local_today

pytestmark = pytest.mark.demo


@pytest.mark.django_db
def test_the_demo_has_a_trained_model_and_risks_on_todays_schedule() -> None:
    # given the demo practice
    demo = build_demo(seed=42)
    desk = demo.organization.users.get(role=Role.FRONT_DESK)

    # then its model was trained on months of its own visits, tested on the later ones
    model = NoShowModel.objects.get(organization=demo.organization)
    assert model.trained_on + model.tested_on > 1000
    assert model.auc > 0.6

    # and today's booked visits carry a risk, some of the week's are at risk, and one already
    # had a confirmation call
    location = Location.objects.get(organization=demo.organization, name="Riverbend Main Clinic")
    columns = list_day_by_provider(user=desk, location=location, day=local_today(location))
    add_risk_to_day(user=desk, columns=columns)
    booked = [row for column in columns for row in column.visits if row.can_cancel]
    assert all(
        row.risk is not None for row in booked if row.appointment.starts_at > model.trained_at
    )
    found = list_visits_at_risk(user=desk)
    assert found.visits
    assert any(row.offers for row in found.visits)
