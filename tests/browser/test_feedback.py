""" "You said, we did" and the vendor's results in a browser, at desktop and phone widths: a
manager makes an action from a theme, is told which texts publishing still needs, writes
them, publishes, tells the respondents, marks it done and unpublishes it (each step checked in
the database); the public page in English and Spanish; the managers' home panel; and the
upload of a vendor's file. Every page passes axe and fits the window."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.messaging.models import Message
from carebond.surveys.feedback_actions import check_create_action, check_publish_action
from carebond.surveys.feedback_selectors import local_today
from carebond.surveys.models import FeedbackAction, VendorResult
from carebond.surveys.tests.conftest import Practice, make_practice
from carebond.surveys.tests.said import comment
from carebond.surveys.tests.test_feedback_actions import TEXTS
from carebond.testing.fixtures import make_organization, make_user
from tests.browser.accessibility import (
    axe_violations,
    broken_references,
    duplicate_ids,
    horizontal_overflow,
)
from tests.browser.conftest import open_as

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [1280, 390]


def _practice() -> Practice:
    organization = make_organization("alder", "Alder Family Practice")
    users = {role: make_user(organization, role) for role in Role.values}
    return make_practice(organization, users)


def _fine(page: Page) -> None:
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    assert duplicate_ids(page) == []
    assert broken_references(page) == []


def _action(practice: Practice) -> FeedbackAction:
    return FeedbackAction.objects.get(organization=practice.organization)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_turns_a_theme_into_an_action_publishes_it_and_tells_the_respondents(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    practice = _practice()
    today = local_today(practice.organization)
    comment(practice, day=today - timedelta(days=3))  # Rosa, who agreed to be texted
    comment(practice, day=today - timedelta(days=2), anonymous=True)
    open_as(page, str(live_server), practice.manager, "/surveys/actions/")
    expect(page.get_by_test_id("actions")).to_contain_text("No action here yet.")
    _fine(page)

    # a new action from the wait-time theme at the main clinic, English texts only
    page.get_by_role("link", name="New action").click()
    _fine(page)
    page.get_by_label("Theme").select_option(label="Wait time")
    page.get_by_label("Location").select_option(label="Main clinic")
    page.get_by_label("Due").fill((today + timedelta(days=20)).isoformat())
    page.get_by_label("You said (English)").fill(TEXTS["you_said_en"])
    page.get_by_label("We did (English)").fill(TEXTS["we_did_en"])
    page.get_by_role("button", name="Create the action").click()
    expect(page.get_by_test_id("baseline")).to_contain_text("2 comments mentioned it")
    action = _action(practice)
    assert (action.theme, action.location, action.owner) == (
        "wait_time",
        practice.main,
        practice.manager,
    )
    assert (action.baseline["comments"], action.baseline["negative"]) == (2, 2)
    expect(page.get_by_test_id("missing-texts")).to_contain_text("'You said' in Spanish")
    _fine(page)

    # publishing without the Spanish texts: each missing one is marked at its field
    page.get_by_label("Also tell the respondents").uncheck()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#id_you_said_es_error")).to_contain_text("before publishing")
    expect(page.locator("#id_we_did_es_error")).to_be_visible()
    _fine(page)
    assert _action(practice).published_at is None

    # the Spanish texts written, then published without telling anyone yet
    page.get_by_label("You said (Spanish)").fill(TEXTS["you_said_es"])
    page.get_by_label("We did (Spanish)").fill(TEXTS["we_did_es"])
    page.get_by_role("button", name="Save the texts").click()
    expect(page.get_by_role("status")).to_contain_text("Texts, owner and due date saved.")
    assert _action(practice).we_did_es == TEXTS["we_did_es"]
    page.get_by_label("Also tell the respondents").uncheck()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("published")).to_contain_text("Published")
    action = _action(practice)
    assert action.published_at is not None
    assert action.notified_at is None

    # telling the respondents: Rosa only (the anonymous comment has no one behind it)
    expect(page.get_by_text("1 identified respondent raised this theme")).to_be_visible()
    page.get_by_role("button", name="Tell the respondents").click()
    expect(page.get_by_test_id("notified")).to_contain_text("1 message queued")
    action = _action(practice)
    assert (action.notified_queued, action.notified_blocked) == (1, 0)
    assert Message.objects.get(template_key="you_said_we_did").person == practice.patient
    expect(page.get_by_role("button", name="Tell the respondents")).to_have_count(0)

    # marked done, with its evidence
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_label("Evidence").fill("Second nurse on the rota from 1 March.")
    page.get_by_role("button", name="Save progress").click()
    expect(page.get_by_test_id("action-status")).to_contain_text("Done since")
    expect(page.get_by_test_id("not-enough")).to_contain_text("Not enough comments yet")
    action = _action(practice)
    assert (action.status, action.evidence) == ("done", "Second nurse on the rota from 1 March.")
    assert action.done_at is not None
    _fine(page)

    # the list, filtered by status, shows it with its measurement
    page.get_by_role("link", name="You said, we did").first.click()
    page.get_by_label("Status").select_option(label="Done")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id(f"action-{action.public_id}")).to_contain_text("Not enough")
    page.get_by_label("Status").select_option(label="Planned")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("actions")).to_contain_text("No action here yet.")
    _fine(page)

    # and taken off the public page
    page.goto(f"{live_server}/surveys/actions/{action.public_id}/")
    page.get_by_role("button", name="Unpublish").click()
    expect(page.get_by_test_id("published")).to_contain_text("Not published")
    assert _action(practice).published_at is None


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_page_in_english_and_spanish(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    practice = _practice()
    here = check_create_action(
        practice.organization,
        theme="wait_time",
        location=practice.main,
        owner=practice.manager,
        due_on=local_today(practice.organization),
        texts=TEXTS,
        acting_user=practice.manager,
    )
    check_publish_action(here, notify=False, acting_user=practice.manager)
    page.goto(f"{live_server}/you-said-we-did/alder/{practice.main.public_id}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    action = page.get_by_test_id("said-action")
    expect(action).to_contain_text(TEXTS["you_said_en"])
    expect(action).to_contain_text(TEXTS["we_did_en"])
    expect(action.get_by_test_id("said-status")).to_have_text("Planned")
    _fine(page)
    page.get_by_role("link", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Usted dijo, nosotros hicimos")
    expect(action).to_contain_text(TEXTS["we_did_es"])
    expect(action.get_by_test_id("said-status")).to_have_text("Previsto")
    _fine(page)
    page.get_by_role("link", name="Cambios en todos los centros").click()
    expect(page.get_by_test_id("said-nothing")).to_have_text("Todavía no hay nada publicado aquí.")
    page.get_by_role("link", name="Main clinic").click()
    expect(page.get_by_test_id("said-action")).to_contain_text(TEXTS["we_did_es"])
    page.get_by_role("link", name="English").click()
    expect(page.get_by_test_id("said-action")).to_contain_text(TEXTS["we_did_en"])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_managers_home_lists_actions_due_and_overdue(
    width: int, page: Page, live_server: object
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    practice = _practice()
    late = check_create_action(
        practice.organization,
        theme="billing_cost",
        location=None,
        owner=practice.admin,
        due_on=local_today(practice.organization) - timedelta(days=1),
        texts={},
        acting_user=practice.manager,
    )
    open_as(page, str(live_server), practice.manager, "/")
    panel = page.get_by_test_id("said-panel")
    expect(panel).to_contain_text("Overdue")
    expect(page.get_by_test_id("said-panel-overdue")).to_have_text("1 overdue")
    _fine(page)
    panel.get_by_role("link", name="Billing and cost").click()
    expect(page).to_have_url(f"{live_server}/surveys/actions/{late.public_id}/")


def _analyst(practice: Practice) -> User:
    return User.objects.get(organization=practice.organization, role=Role.ANALYST)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_uploads_the_vendors_results(
    width: int, page: Page, live_server: object, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    practice = _practice()
    header = "survey,measure,period_start,period_end,location,top_box,mean_score,n,vendor\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "CG-CAHPS,Office staff,2025-10-01,2025-12-31,Lakeside,78,,640,Acme\n")
    good = tmp_path / "good.csv"
    good.write_text(
        header
        + "CG-CAHPS,Provider communication,2025-10-01,2025-12-31,Main clinic,84.5,,212,Acme\n"
        + "HCAHPS,Communication with nurses,2025-10-01,2025-12-31,,80,,305,Acme\n"
    )
    open_as(page, str(live_server), practice.manager, "/surveys/")
    page.get_by_role("link", name="Official results from your vendor").click()
    expect(page.get_by_test_id("vendor-none")).to_be_visible()
    _fine(page)
    page.get_by_label("The vendor's CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#id_file_error")).to_contain_text(
        "row 2, column location: no location of this organisation is named 'Lakeside'."
    )
    assert not VendorResult.objects.exists()
    _fine(page)
    page.get_by_label("The vendor's CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 new results, 0 updated")
    tables = page.get_by_test_id("vendor-results")
    expect(tables).to_have_count(2)
    expect(tables.first).to_contain_text("Provider communication")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Official survey results (from your vendor)"
    )
    assert set(VendorResult.objects.values_list("survey", "measure", "n")) == {
        ("CG-CAHPS", "Provider communication", 212),
        ("HCAHPS", "Communication with nurses", 305),
    }
    _fine(page)
    # the analyst sees the tables, and no upload
    open_as(page, str(live_server), _analyst(practice), "/surveys/vendor/")
    expect(page.get_by_test_id("vendor-results")).to_have_count(2)
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
