"""The dashboards from hand-made facts: the overview's tile says the figure, its n, interval and
whether the change is a signal; a KPI's page has its chart, table and funnel; the drill-down
names the patients (audited per patient, never for the analyst); bad filters are messages."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.tests.conftest import NOVEMBER, OCTOBER, HandMadeFacts, visits
from carebond.audit.models import AuditEvent
from carebond.core.kpis import Kpi
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.people.tests.factories import make_patient


@pytest.fixture
def two_months(kept_visits: tuple[Kpi, HandMadeFacts], location_a: Location) -> None:
    """October at 60 of 100 kept (provider p1); November at 50 of 55 (p1) and 35 of 45 (p2);
    rolled up."""
    _two_months(location_a.organization.pk, location_a, kept_visits[1])
    do_roll_up_days(
        organization=location_a.organization, first=OCTOBER, last=NOVEMBER + timedelta(days=29)
    )


def _two_months(org_id: int, location: Location, facts: HandMadeFacts) -> None:
    facts.add(
        org_id,
        visits(
            OCTOBER + timedelta(days=3), kept=60, missed=40, location_id=location.pk, provider="p1"
        ),
    )
    facts.add(
        org_id,
        visits(
            NOVEMBER + timedelta(days=3), kept=50, missed=5, location_id=location.pk, provider="p1"
        ),
    )
    facts.add(
        org_id,
        visits(
            NOVEMBER + timedelta(days=9), kept=35, missed=10, location_id=location.pk, provider="p2"
        ),
    )


def test_the_overview_tile_gives_the_figure_its_interval_and_a_signal(
    two_months: None,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # given October at 60 of 100 kept and November at 85 of 100, rolled up
    # when the analyst opens the key figures (November is the last complete month)
    page = client_for(users_a[Role.ANALYST]).get("/analytics/")
    # then the tile says 85.0%, n = 100, its Wilson interval, and that the rise is real
    html = page.content.decode()
    assert page.status_code == 200
    assert "85.0%" in html
    assert "n = 100" in html
    assert "95% CI 76.7 to 90.7" in html
    assert "+25.0 points against October 2026" in html
    assert "A signal (p = 0.000): a real improvement." in html
    assert AuditEvent.objects.filter(action="kpi.overview.read").count() == 1
    # and the CSV has the same row
    exported = client_for(users_a[Role.ANALYST]).get("/analytics/?format=csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[1][:5] == ["Hand-made", "Visits kept", "85.0%", "95% CI 76.7 to 90.7", "100"]


def test_a_change_within_the_noise_is_called_noise(
    kept_visits: tuple[Kpi, HandMadeFacts],
    location_a: Location,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # given 18 of 20 kept in October and 16 of 20 in November
    _kpi, facts = kept_visits
    organization = location_a.organization
    facts.add(organization.pk, visits(OCTOBER, kept=18, missed=2, location_id=location_a.pk))
    facts.add(organization.pk, visits(NOVEMBER, kept=16, missed=4, location_id=location_a.pk))
    do_roll_up_days(organization=organization, first=OCTOBER, last=NOVEMBER + timedelta(days=29))
    # when a manager opens the key figures
    html = client_for(users_a[Role.MANAGER]).get("/analytics/").content.decode()
    # then the ten-point fall is within the noise
    assert "-10.0 points against October 2026" in html
    assert "Within the noise (p = 0.38): no real change." in html


def test_the_kpi_page_shows_the_chart_the_table_and_units_on_a_funnel(
    two_months: None,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # given two months of visits, rolled up
    client = client_for(users_a[Role.ANALYST])
    # when the analyst compares providers
    page = client.get("/analytics/kpi/test.kept/?breakdown=provider")
    html = page.content.decode()
    # then the chart and the funnel are images with words, and the table has both providers
    assert page.status_code == 200
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "Of the visits due, the share kept." in html
    assert "November 2026" in html
    assert "October 2026" in html
    # and the analyst cannot drill down to patients
    assert "See the patients behind this figure" not in html
    units = client.get("/analytics/kpi/test.kept/?breakdown=provider&export=breakdown")
    rows = list(csv.reader(io.StringIO(units.content.decode())))
    assert [row[:4] for row in rows[1:]] == [
        ["p1", "90.9%", "95% CI 80.4 to 96.1", "55"],
        ["p2", "77.8%", "95% CI 63.7 to 87.5", "45"],
    ]
    assert rows[1][4] == "within the limits"


def test_bad_filters_are_messages_not_errors(
    kept_visits: tuple[Kpi, HandMadeFacts],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(users_a[Role.MANAGER])
    for query, message in (
        ("month=2026-13", "is not a month"),
        ("month=2031-01", "outside the months with figures"),
        ("span=5", "A period is 1, 3 or 12 months"),
        ("location=not-an-id", "Choose one of the listed locations."),
        ("segment=shoe_size:9", "Choose one of the listed segments"),
    ):
        page = client.get(f"/analytics/?{query}")
        assert page.status_code == 200, query
        assert message in page.content.decode(), query
    wrong = client.get("/analytics/kpi/test.kept/?breakdown=shoe_size")
    assert wrong.status_code == 200
    assert "cannot be broken down by &#x27;shoe_size&#x27;" in wrong.content.decode()
    assert client.get("/analytics/kpi/no.such/").status_code == 404


def test_the_drill_down_names_the_patients_and_audits_each(
    kept_visits: tuple[Kpi, HandMadeFacts],
    location_a: Location,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # given November's visits of two patients, one of whom missed all three of his
    _kpi, facts = kept_visits
    organization = location_a.organization
    amara = make_patient(organization, "Amara", "Nwosu")
    bruno = make_patient(organization, "Bruno", "Salas")
    facts.add(
        organization.pk,
        visits(
            NOVEMBER,
            kept=2,
            missed=0,
            location_id=location_a.pk,
            provider="p1",
            person_ids=[amara.pk],
        ),
    )
    facts.add(
        organization.pk,
        visits(
            NOVEMBER,
            kept=0,
            missed=3,
            location_id=location_a.pk,
            provider="p2",
            person_ids=[bruno.pk],
        ),
    )
    # when a manager asks who is behind provider p2's figure
    page = client_for(users_a[Role.MANAGER]).get(
        "/analytics/kpi/test.kept/people/?breakdown=provider&unit=p2"
    )
    # then Bruno is listed with his three visits, and only his record's read is audited
    html = page.content.decode()
    assert page.status_code == 200
    assert "Bruno Salas" in html
    assert "Amara Nwosu" not in html
    reads = AuditEvent.objects.filter(action="kpi.people.read")
    assert list(reads.values_list("patient_id", flat=True)) == [str(bruno.public_id)]
    # and the analyst and the front desk may not drill down; another organisation sees nothing
    assert (
        client_for(users_a[Role.ANALYST]).get("/analytics/kpi/test.kept/people/").status_code == 403
    )
    assert client_for(users_a[Role.FRONT_DESK]).get("/analytics/").status_code == 403


def test_a_segment_narrows_every_figure(
    two_months: None,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # when the manager narrows November to provider p2's visits
    html = client_for(users_a[Role.MANAGER]).get("/analytics/?segment=provider:p2").content
    # then the tile counts p2's 45 visits (35 kept) only, with nothing to compare in October
    text = html.decode()
    assert "77.8%" in text
    assert "n = 45" in text
    assert "Too few to compare with the period before." in text
