""" "Who looked at this patient?": the trail names people instead of ids, finds a patient by a
typed name, and the patient's own page shows its access log to administrators."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.merge_actions import check_merge_people
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db


def test_the_trail_names_who_and_whom_and_finds_a_patient_by_name(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    # given a clinician who opened one patient's record, and another patient opened by no one
    clinician = users_a[Role.CLINICIAN]
    clinician.first_name, clinician.last_name = "Priya", "Raman"
    clinician.save()
    looked_at = make_patient(org_a, "Zofia", "Kowalczyk")
    make_patient(org_a, "Ines", "Duarte")
    client_for(clinician).get(f"/people/{looked_at.public_id}/")
    # when the administrator filters the trail by the patient's name, with a typo
    page = client_for(users_a[Role.ADMIN]).get("/audit/", {"patient": "kowalcyk"})
    body = page.content.decode()
    # then the reads of that patient are listed with the reader's and the patient's names
    assert page.status_code == 200
    assert "Priya Raman (clinician-org-a)" in body
    assert "Zofia Kowalczyk" in body
    assert "Ines Duarte" not in body
    # and no global event number is shown (it would tell how busy other organisations are)
    assert not re.search(r"<th scope=\"col\">#</th>", body)


def test_the_patient_page_shows_its_access_log_to_administrators_only(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    patient = make_patient(org_a, "Zofia", "Kowalczyk")
    client_for(users_a[Role.FRONT_DESK]).get(f"/people/{patient.public_id}/")
    url = f"/people/{patient.public_id}/panels/"
    admin_panels = client_for(users_a[Role.ADMIN]).get(url).content.decode()
    assert "Access log" in admin_panels
    assert "front_desk-org-a" in admin_panels
    assert f"/audit/?patient_id={patient.public_id}" in admin_panels
    clinician_panels = client_for(users_a[Role.CLINICIAN]).get(url).content.decode()
    assert "Access log" not in clinician_panels


def test_a_patient_search_in_the_trail_is_itself_recorded(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    admin = users_a[Role.ADMIN]
    make_patient(org_a, "Zofia", "Kowalczyk")
    client_for(admin).get("/audit/", {"patient": "kowalczyk"})
    assert AuditEvent.objects.filter(actor=admin, action="people.search").exists()


def test_the_access_log_includes_the_records_merged_into_the_patient(
    client_for: Callable[[User], Client], org_a: Organization, users_a: dict[str, User]
) -> None:
    survivor = make_patient(org_a, "Zofia", "Kowalczyk")
    duplicate = make_patient(org_a, "Sofia", "Kowalczyk")
    client_for(users_a[Role.LIAISON]).get(f"/people/{duplicate.public_id}/")
    check_merge_people(survivor, duplicate, acting_user=users_a[Role.ADMIN])
    panels = client_for(users_a[Role.ADMIN]).get(f"/people/{survivor.public_id}/panels/")
    assert "liaison-org-a" in panels.content.decode()
