"""Rules of the account actions that the pages do not reach."""

from __future__ import annotations

import pytest

from carebond.accounts.actions import do_create_department
from carebond.core.errors import InvalidInput
from carebond.core.models import Department, Location, Organization

pytestmark = pytest.mark.django_db


def test_a_department_cannot_sit_in_another_organisations_location(
    org_b: Organization, location_a: Location
) -> None:
    with pytest.raises(InvalidInput, match="location of this organisation"):
        do_create_department(org_b, name="Cardiology", location=location_a, acting_user=None)
    assert not Department.objects.filter(organization=org_b).exists()
