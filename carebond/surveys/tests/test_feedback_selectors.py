""" "You said, we did" reads: a done action measured against its baseline (a z test, nothing
below the minimum), the list's filters and query budget, the managers' home panel, and the
public page (published actions only, in the reader's language, no small numbers, no comment
text)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.surveys.feedback_actions import (
    check_publish_action,
    check_unpublish_action,
    check_update_action,
)
from carebond.surveys.feedback_selectors import (
    due_actions_panel,
    get_action,
    get_public_page,
    list_actions,
)
from carebond.surveys.tests.conftest import TUESDAY, Practice
from carebond.surveys.tests.said import comment
from carebond.surveys.tests.test_feedback_actions import make_action


def _mentions(practice: Practice, *, total: int, negative: int, day: date) -> None:
    for n in range(total):
        comment(practice, themes={"wait_time": "negative" if n < negative else "positive"}, day=day)


def _done_with_baseline(practice: Practice, *, total: int = 20, negative: int = 12) -> Any:
    _mentions(practice, total=total, negative=negative, day=TUESDAY.date() - timedelta(days=10))
    action = make_action(practice)
    check_update_action(action, status="done", acting_user=practice.manager)
    return action


def test_a_done_action_is_measured_on_the_comments_after_the_change(
    practice: Practice, tuesday: Any
) -> None:
    # given 12 of 20 wait-time mentions unhappy before; the action is done on Tuesday
    action = _done_with_baseline(practice)
    comment(practice)  # the day it was done: neither before nor after
    # when four mentions arrive in the next days
    _mentions(practice, total=4, negative=0, day=TUESDAY.date() + timedelta(days=1))
    tuesday.shift(timedelta(days=3))
    row = get_action(user=practice.manager, public_id=action.public_id)
    # then there is no comparison yet, and it says why
    assert row.measurement is not None
    assert row.measurement.comparison is None
    assert row.measurement.after.comments == 4
    assert row.measurement.reason.startswith("Not enough comments yet")
    assert row.measurement.after_share is None
    # when 16 more arrive, 2 of them unhappy (2 of 20 after, against 12 of 20 before)
    _mentions(practice, total=16, negative=2, day=TUESDAY.date() + timedelta(days=2))
    row = get_action(user=practice.manager, public_id=action.public_id)
    # then the drop from 60% to 10% is tested, and real
    assert row.measurement is not None
    comparison = row.measurement.comparison
    assert comparison is not None
    assert (round(comparison.first), round(comparison.second)) == (60, 10)
    assert comparison.p_value < 0.01
    assert row.measurement.verdict == "better"
    assert (row.measurement.before.comments, row.measurement.after.comments) == (20, 20)


def test_a_baseline_under_the_minimum_is_not_compared(practice: Practice, tuesday: Any) -> None:
    action = _done_with_baseline(practice, total=3, negative=3)
    _mentions(practice, total=10, negative=1, day=TUESDAY.date() + timedelta(days=1))
    tuesday.shift(timedelta(days=2))
    measurement = get_action(user=practice.manager, public_id=action.public_id).measurement
    assert measurement is not None
    assert measurement.comparison is None
    assert "nothing to compare with" in measurement.reason


def test_the_list_filters_by_status_and_theme_in_a_fixed_number_of_queries(
    practice: Practice,
    django_assert_max_num_queries: Any,
) -> None:
    comment(practice, themes={"billing_cost": "negative", "wait_time": "negative"})
    done = [make_action(practice) for _ in range(3)]
    for action in done:
        check_update_action(action, status="done", acting_user=practice.manager)
    billing = make_action(practice, theme="billing_cost", location=None)
    with django_assert_max_num_queries(6):
        rows = list_actions(user=practice.manager)
    assert len(rows) == 4
    assert [r.action for r in list_actions(user=practice.manager, status="planned")] == [billing]
    assert {r.action for r in list_actions(user=practice.manager, theme="wait_time")} == set(done)
    assert list_actions(user=practice.manager, theme="parking") == []
    with pytest.raises(InvalidInput):
        list_actions(user=practice.manager, status="finished")


def test_the_analyst_reads_the_actions_and_another_organisation_sees_none(
    practice: Practice, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    action = make_action(practice)
    assert [r.action for r in list_actions(user=users_a[Role.ANALYST])] == [action]
    assert list_actions(user=users_b[Role.ADMIN]) == []
    with pytest.raises(NotFound):
        get_action(user=users_b[Role.ADMIN], public_id=action.public_id)
    with pytest.raises(NotFound):
        list_actions(user=users_a[Role.CLINICIAN])


def test_the_home_panel_lists_actions_due_within_a_week_overdue_first(
    practice: Practice, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    # given nothing due: no panel
    later = make_action(practice, due_on=TUESDAY.date() + timedelta(days=30))
    assert due_actions_panel(practice.manager) is None
    assert "You said, we did" not in client_for(practice.manager).get("/").content.decode()
    # when one is due on Friday and one was due yesterday, and a done one was due too
    soon = make_action(practice, due_on=TUESDAY.date() + timedelta(days=3))
    late = make_action(practice, due_on=TUESDAY.date() - timedelta(days=1), location=None)
    finished = make_action(practice, due_on=TUESDAY.date() - timedelta(days=2))
    check_update_action(finished, status="done", acting_user=practice.manager)
    panel = due_actions_panel(practice.manager)
    # then the panel lists the two, overdue first, and marks whose they are
    assert panel is not None
    assert [row["action"] for row in panel["rows"]] == [late, soon]
    assert panel["overdue"] == 1
    assert all(row["mine"] for row in panel["rows"])
    assert later not in [row["action"] for row in panel["rows"]]
    page = client_for(practice.manager).get("/").content.decode()
    assert "You said, we did" in page
    assert 'data-testid="said-panel-overdue"' in page
    # and only managers and administrators see it
    assert due_actions_panel(users_a[Role.ANALYST]) is None
    assert "said-panel" not in client_for(users_a[Role.ANALYST]).get("/").content.decode()


def test_the_public_page_shows_published_actions_in_the_readers_language(
    practice: Practice, tuesday: Any, users_b: dict[str, User]
) -> None:
    # given an action published at the main clinic, one everywhere, and one not published
    here = make_action(practice)
    everywhere = make_action(practice, location=None)
    make_action(practice)
    for action in (here, everywhere):
        check_publish_action(action, notify=False, acting_user=practice.manager)
    slug = practice.organization.slug
    main = get_public_page(slug=slug, location_id=practice.main.public_id, language="en")
    north = get_public_page(slug=slug, location_id=practice.north.public_id, language="es")
    whole = get_public_page(slug=slug, location_id=None, language="en")
    # then the main clinic's page shows both, the north's only the one everywhere (in Spanish)
    assert [a.we_did for a in main.actions] == [everywhere.we_did_en, here.we_did_en]
    assert [a.we_did for a in north.actions] == [everywhere.we_did_es]
    assert north.actions[0].theme_name == "Tiempo de espera"
    assert [a.we_did for a in whole.actions] == [everywhere.we_did_en]
    assert whole.locations == [practice.main]
    # and no page for an unknown organisation, or for another organisation's location
    elsewhere = Location.objects.create(organization=users_b[Role.ADMIN].organization, name="B")
    with pytest.raises(NotFound):
        get_public_page(slug="nobody", location_id=None, language="en")
    with pytest.raises(NotFound):
        get_public_page(slug=slug, location_id=elsewhere.public_id, language="en")


def test_the_public_page_shows_no_number_under_the_minimum_and_no_comment(
    practice: Practice, tuesday: Any
) -> None:
    action = _done_with_baseline(practice)
    check_publish_action(action, notify=False, acting_user=practice.manager)
    _mentions(practice, total=4, negative=1, day=TUESDAY.date() + timedelta(days=1))
    tuesday.shift(timedelta(days=2))
    path = f"/you-said-we-did/{practice.organization.slug}/{practice.main.public_id}/"
    page = Client().get(path).content.decode()
    assert action.we_did_en in page
    assert 'data-testid="said-figures"' not in page
    assert "(a comment)" not in page
    # with enough comments since the change, both shares and their n are shown
    _mentions(practice, total=16, negative=1, day=TUESDAY.date() + timedelta(days=1))
    spanish = Client().get(path + "?lang=es").content.decode()
    assert action.we_did_es in spanish
    assert "el 60% de 20 comentarios" in spanish
    assert "el 10% de 20" in spanish
    assert 'lang="es"' in spanish
    assert "(a comment)" not in spanish
    # an unknown page is a 404 in the reader's language
    missing = Client().get("/you-said-we-did/nobody/?lang=es")
    assert missing.status_code == 404
    assert "Esta página no existe." in missing.content.decode()


def test_an_unpublished_action_leaves_the_public_page(practice: Practice) -> None:
    action = make_action(practice)
    check_publish_action(action, notify=False, acting_user=practice.manager)
    check_unpublish_action(action, acting_user=practice.manager)
    page = get_public_page(
        slug=practice.organization.slug, location_id=practice.main.public_id, language="en"
    )
    assert page.actions == []
