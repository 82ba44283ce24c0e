"""The relationship-health pages: who may open each, the worklist's buttons writing what was
done, the override form's error beside the comment, bands only until the bands are shown to
order real lapses, and the home and person-page panels."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from carebond.accounts.models import User
from carebond.analytics import health_selectors
from carebond.analytics.health import Band, BandOutcome, Calibration
from carebond.analytics.health_actions import do_score_patients
from carebond.analytics.health_models import AtRiskAction, HealthOverride
from carebond.analytics.tests.history import (
    TODAY,
    add_visits,
    drifting_patient,
    regular_patient,
)
from carebond.core.models import Department
from carebond.core.permissions import Role
from carebond.people.models import StaffProfile
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.tests.conftest import Clinic
from carebond.testing.fixtures import sign_in

ORDERED = Calibration(
    scored_on=date(2025, 3, 2),
    checked_on=date(2026, 3, 2),
    bands=tuple(BandOutcome(band, 40, 4 * (i + 1)) for i, band in enumerate(Band)),
    ordered=True,
    reason="",
)


def _client(user: User) -> Client:
    return sign_in(Client(), user)


@pytest.mark.parametrize(
    ("role", "worklist", "aggregates"),
    [
        (Role.FRONT_DESK, 200, 403),
        (Role.MANAGER, 200, 200),
        (Role.ANALYST, 403, 200),
        (Role.CLINICIAN, 403, 403),
    ],
)
def test_each_page_opens_for_the_roles_its_policy_names(
    clinic: Clinic, users_a: dict[str, User], role: str, worklist: int, aggregates: int
) -> None:
    client = _client(users_a[role])
    assert client.get(reverse("analytics_health:worklist")).status_code == worklist
    assert client.get(reverse("analytics_health:departments")).status_code == aggregates
    assert client.get(reverse("analytics_health:lapse")).status_code == aggregates


def test_the_worklist_shows_bands_only_and_says_why_until_the_bands_are_checked(
    clinic: Clinic, users_a: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    drifting = drifting_patient(clinic, "Omar")
    do_score_patients(clinic.organization, on=TODAY)
    client = _client(users_a[Role.FRONT_DESK])
    # when the bands have not been shown to order lapses (too few patients)
    page = client.get(reverse("analytics_health:worklist")).content.decode()
    # then the row shows the band, no number, and the page says why
    assert "Omar Drifting" in page
    assert 'data-testid="bands-only"' in page
    assert "<strong>36</strong>" not in page
    assert "Next step: <strong>Call</strong>" in page
    # and the front desk is offered no link to the aggregate pages it may not open
    assert reverse("analytics_health:departments") not in page
    # and once they do, the number is shown
    monkeypatch.setattr(health_selectors, "band_calibration", lambda organization: ORDERED)
    page = client.get(reverse("analytics_health:worklist")).content.decode()
    assert 'data-testid="bands-only"' not in page
    assert "<strong>36</strong>" in page
    assert str(drifting.public_id) in page


def test_marking_a_step_taken_writes_it_and_comes_back(
    clinic: Clinic, users_a: dict[str, User], outsider_b: User
) -> None:
    drifting = drifting_patient(clinic, "Omar")
    url = reverse("analytics_health:record_action", args=[drifting.public_id])
    # when the desk presses "Mark taken"
    response = _client(users_a[Role.FRONT_DESK]).post(url, {"taken": "yes"})
    # then the step is stored as taken, and the worklist comes back
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics_health:worklist")
    action = AtRiskAction.objects.get()
    assert (action.person, action.suggested, action.taken) == (drifting, "call", True)
    # and another organisation's user finds no such patient
    assert _client(outsider_b).post(url, {"taken": "no"}).status_code == 404
    assert AtRiskAction.objects.count() == 1


def test_an_override_without_a_comment_is_refused_beside_the_field(
    clinic: Clinic, manager_a: User
) -> None:
    patient = regular_patient(clinic, "Rosa")
    url = reverse("analytics_health:patient", args=[patient.public_id])
    client = _client(manager_a)
    # when the manager sends the form with no comment
    response = client.post(url, {"part": "overall", "score": "30", "comment": ""})
    # then the page comes back with the message beside the comment
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_comment_error"' in page
    assert "Say why: an override needs a comment that explains it." in page
    assert not HealthOverride.objects.exists()
    # and with one, it is stored and shown
    response = client.post(url, {"part": "overall", "score": "30", "comment": "Moving away"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Moving away" in page
    assert HealthOverride.objects.get().score == 30


def test_the_health_page_lists_each_dimension_with_its_inputs(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    patient = regular_patient(clinic, "Rosa")
    page = (
        _client(users_a[Role.FRONT_DESK])
        .get(reverse("analytics_health:patient", args=[patient.public_id]))
        .content.decode()
    )
    assert "Time since the last visit: 30 days, 0.3 x the expected cycle" in page
    assert "Insufficient evidence: nothing yet on messages from them, consent to messages" in page
    # the front desk reads health but may not override it
    assert "Override a score" not in page


def test_the_home_and_person_panels_show_health_to_outreach_roles(
    clinic: Clinic, users_a: dict[str, User]
) -> None:
    drifting = drifting_patient(clinic, "Omar")
    desk = _client(users_a[Role.FRONT_DESK])
    # before the night's scoring, the home page has no panel: nothing to show yet
    assert 'data-testid="at-risk-panel"' not in desk.get("/").content.decode()
    do_score_patients(clinic.organization, on=TODAY)
    # after it, the home page's panel lists the top of the worklist
    home = desk.get("/").content.decode()
    assert 'data-testid="at-risk-panel"' in home
    assert "Omar Drifting" in home
    # the analyst's home has no such panel
    assert (
        'data-testid="at-risk-panel"'
        not in _client(users_a[Role.ANALYST]).get("/").content.decode()
    )
    # the person page's side panel summarises their health
    side = desk.get(reverse("people:panels", args=[drifting.public_id])).content.decode()
    assert 'data-testid="person-health"' in side
    assert "Next step: call." in side
    # and a clinician's person page has none: the score never colours care
    clinician = _client(users_a[Role.CLINICIAN])
    side = clinician.get(reverse("people:panels", args=[drifting.public_id])).content.decode()
    assert 'data-testid="person-health"' not in side


def test_time_to_lapse_draws_a_chart_with_its_words_and_a_table(
    clinic: Clinic, analyst_a: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 10 patients first seen 1000 days ago, 5 of them lapsed 100 days in
    monkeypatch.setattr(health_selectors, "MIN_SEGMENT", 10)
    for i in range(10):
        patient = make_patient(clinic.organization, f"P{i}", "Chart")
        add_visits(clinic, patient, [(1000, "completed"), (900 if i < 5 else 30, "completed")])
    # when the analyst opens the page
    page = _client(analyst_a).get(reverse("analytics_health:lapse")).content.decode()
    # then the chart is an embedded SVG image, described in words, beside the table
    assert 'src="data:image/svg+xml;base64,' in page
    assert (
        'alt="Lapse by months since the first visit. All patients: 50% at 12 months, 50% at 36."'
        in page
    )
    assert 'data-testid="lapse-all"' in page


def test_department_health_shows_figures_and_hides_small_departments(
    clinic: Clinic, analyst_a: User
) -> None:
    # given a front desk of 5 staff there for two years and a lab of 2
    for name, size in (("Front desk", 5), ("Lab", 2)):
        department = Department.objects.create(organization=clinic.organization, name=name)
        for i in range(size):
            staff = make_staff(clinic.organization, f"{name[:3]}{i}", "Staff")
            StaffProfile.objects.filter(person=staff).update(
                department=department, start_date=date(2024, 1, 1)
            )
    # when the analyst opens department health
    page = _client(analyst_a).get(reverse("analytics_health:departments")).content.decode()
    # then the front desk's retention shows, the lab is hidden whole
    assert "5 of 5 still here" in page
    assert "Fewer than 5 staff: hidden" in page
