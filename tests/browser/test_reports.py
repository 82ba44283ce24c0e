"""A manager opens a location's monthly report and subscribes to it by email, then
unsubscribes: the buttons store and switch off the subscription."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from carebond.accounts.actions import do_create_location
from carebond.analytics.actions import do_roll_up_days, local_today
from carebond.analytics.report_models import ReportSubscription
from carebond.analytics.tests.conftest import HandMadeFacts, visits
from carebond.core.kpis import Kpi, KpiKind
from carebond.core.permissions import Role
from carebond.core.registry import registered
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import axe_violations, horizontal_overflow
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def kept_visits_kpi(facts: HandMadeFacts) -> Kpi:
    return Kpi(
        key="test.kept",
        title="Visits kept",
        unit="%",
        definition="Of the visits due, the share kept.",
        kind=KpiKind.PROPORTION,
        facts=facts,
        app_label="analytics",
        group="Hand-made",
        dimensions=("provider",),
    )


def test_a_manager_subscribes_to_a_locations_report_and_unsubscribes(
    page: Page, live_server: object
) -> None:
    # given a manager of Alder Family Practice, whose Alder Main kept 50 of 55 visits last
    # month with one provider and 35 of 45 with another
    organization = make_organization("alder", "Alder Family Practice")
    location = do_create_location(organization, name="Alder Main", acting_user=None)
    manager = make_user(organization, Role.MANAGER, "morgan")
    facts = HandMadeFacts()
    last_month = local_today(organization).replace(day=1) - timedelta(days=20)
    for provider, kept, missed in (("p1", 50, 5), ("p2", 35, 10)):
        facts.add(
            organization.pk,
            visits(
                last_month, kept=kept, missed=missed, location_id=location.pk, provider=provider
            ),
        )
    with registered(kept_visits_kpi(facts)):
        do_roll_up_days(organization=organization, first=last_month, last=last_month)
        # when the manager opens Alder Main's report of last month from the list of reports
        open_as(page, str(live_server), manager, "/analytics/reports/")
        page.get_by_role("link", name="Alder Main, ").first.click()
        # then it shows the month's figure and its providers, readable at a desk and on a phone
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Relationship report: Alder Main"
        )
        expect(page.get_by_test_id("report-test.kept")).to_contain_text("85.0%")
        expect(page.get_by_test_id("providers-test.kept")).to_contain_text("90.9%")
        for width, height in ((1280, 800), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            assert axe_violations(page) == []
            assert horizontal_overflow(page) == 0
        # when they press Subscribe
        page.get_by_role("button", name="Subscribe", exact=True).click()
        # then they are back on the report, told so, and the subscription is stored
        expect(page.get_by_role("status")).to_contain_text("Subscribed: the report of Alder Main")
        subscription = ReportSubscription.objects.get(user=manager)
        assert (subscription.location_id, subscription.active) == (location.pk, True)
        # when they press Unsubscribe
        page.get_by_role("button", name="Unsubscribe").click()
        # then the subscription is off, and Subscribe is offered again
        expect(page.get_by_role("status")).to_contain_text("Unsubscribed")
        expect(page.get_by_role("button", name="Subscribe", exact=True)).to_be_visible()
        subscription.refresh_from_db()
        assert subscription.active is False
