"""Early warning in a browser, at a phone's width: a manager opens the open alerts,
follows one to its page, finds the chart (an image with its alt text) and the table of its
months, and acknowledges it with a note (checked in the database). Every page passes axe and
fits the window."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from carebond.accounts.actions import do_create_location
from carebond.analytics.tests.warning_factories import make_alert
from carebond.analytics.warning_models import EarlyWarningAlert
from carebond.core.permissions import Role
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import (
    axe_violations,
    broken_references,
    duplicate_ids,
    horizontal_overflow,
)
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fine(page: Page) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    assert duplicate_ids(page) == []
    assert broken_references(page) == []


# At a phone's width, the harder one; the accessibility gate walks the demo's alert at both.
@pytest.mark.parametrize("width", [390])
def test_a_manager_reads_an_alerts_chart_and_acknowledges_it(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    organization = make_organization("alder", "Alder Family Practice")
    manager = make_user(organization, Role.MANAGER)
    north = do_create_location(organization, name="North", address="", acting_user=None)
    alert = make_alert(organization, north, responsible=manager)

    # the open alerts list it
    open_as(page, str(live_server), manager, "/analytics/early-warning/")
    expect(page.get_by_test_id("alerts")).to_contain_text("No-show rate")
    _fine(page)

    # its page: the chart as an image with an alt text, and a row per month
    page.get_by_role("link", name="No-show rate").click()
    chart = page.get_by_test_id("alert-chart")
    expect(chart).to_be_visible()
    assert (chart.get_attribute("src") or "").startswith("data:image/svg+xml;base64,")
    expect(chart).to_have_attribute("alt", "Control chart of No-show rate (value) for North, "
        "August 2026 to November 2026. The rule 'outside limits' fired at Nov 2026. The table "
        "below lists every month's value and limits.")  # fmt: skip
    assert page.evaluate("() => document.querySelector('[data-testid=alert-chart]').naturalWidth")
    table = page.get_by_test_id("alert-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table.locator("tbody tr").nth(2)).to_contain_text("too few")
    expect(table.locator("tbody tr").nth(3)).to_contain_text("Yes")
    _fine(page)

    # acknowledged with a blank note, then with one
    page.get_by_label("Note").fill("   ")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#id_note_error")).to_contain_text("Say what you found")
    _fine(page)
    assert EarlyWarningAlert.objects.get(pk=alert.pk).acknowledged_at is None
    page.get_by_label("Note").fill("Two doctors were off sick; rebooking calls started.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("Alert acknowledged.")
    expect(page.get_by_test_id("alert-state")).to_contain_text("rebooking calls started")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    _fine(page)
    stored = EarlyWarningAlert.objects.get(pk=alert.pk)
    assert stored.acknowledged_by == manager
    assert stored.note == "Two doctors were off sick; rebooking calls started."
