"""The analytics API gives the figures the pages show: the period's figures with interval, n
and change, a KPI's months and its breakdown; bad filters name their field; the front desk and
other organisations get nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.test import Client

from carebond.accounts.models import User
from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.tests.conftest import NOVEMBER, OCTOBER, HandMadeFacts, visits
from carebond.core.kpis import Kpi
from carebond.core.models import Location
from carebond.core.permissions import Role


def test_the_api_gives_the_figures_of_the_pages(
    kept_visits: tuple[Kpi, HandMadeFacts],
    location_a: Location,
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    # given October at 60 of 100 kept and November at 85 of 100, rolled up
    facts = kept_visits[1]
    org = location_a.organization
    facts.add(org.pk, visits(OCTOBER, kept=60, missed=40, location_id=location_a.pk, provider="p1"))
    facts.add(
        org.pk, visits(NOVEMBER, kept=85, missed=15, location_id=location_a.pk, provider="p2")
    )
    do_roll_up_days(organization=org, first=OCTOBER, last=NOVEMBER + timedelta(days=29))
    api = api_for(users_a[Role.ANALYST])
    # when the analyst asks for November's figures
    body = api.get("/api/v1/analytics/figures", {"month": "2026-11"}).json()
    # then the hand-made KPI has its figure, interval, n and a signal
    (kept,) = [f for f in body["figures"] if f["key"] == "test.kept"]
    assert body["first_day"] == "2026-11-01"
    assert kept["figure"]["value"] == 85.0
    assert round(kept["figure"]["low"], 1) == 76.7
    assert kept["figure"]["n"] == 100
    assert kept["change"] == 25.0
    assert kept["signal"] is True
    # and its months and breakdown by provider
    months = api.get("/api/v1/analytics/kpis/test.kept/months", {"month": "2026-11"}).json()
    assert [(m["month"], m["figure"]["n"]) for m in months["months"][-2:]] == [
        ("2026-10", 100),
        ("2026-11", 100),
    ]
    units = api.get(
        "/api/v1/analytics/kpis/test.kept/breakdown", {"month": "2026-11", "dimension": "provider"}
    ).json()
    assert [(u["value"], u["figure"]["value"]) for u in units["units"]] == [("p2", 85.0)]


def test_bad_filters_name_their_field_and_strangers_get_nothing(
    kept_visits: tuple[Kpi, HandMadeFacts],
    users_a: dict[str, User],
    outsider_b: User,
    api_for: Callable[[User], Client],
) -> None:
    api = api_for(users_a[Role.MANAGER])
    for params, field in (
        ({"month": "2026-13"}, "month"),
        ({"month": "2031-01"}, "month"),
        ({"segment": "shoe_size:9"}, "segment"),
        ({"location": "6c1c7f4e-1111-4222-8333-944445555666"}, "location"),
    ):
        answer = api.get("/api/v1/analytics/figures", params)
        assert answer.status_code == 422, params
        assert field in answer.content.decode(), params
    wrong = api.get("/api/v1/analytics/kpis/test.kept/breakdown", {"dimension": "shoe_size"})
    assert wrong.status_code == 422
    assert api.get("/api/v1/analytics/kpis/no.such/months").status_code == 404
    assert api_for(users_a[Role.FRONT_DESK]).get("/api/v1/analytics/figures").status_code == 403
    outsider = api_for(outsider_b).get("/api/v1/analytics/figures", {"month": "2026-11"})
    assert outsider.status_code == 200
    assert [f for f in outsider.json()["figures"] if f["key"] == "test.kept"] == []
