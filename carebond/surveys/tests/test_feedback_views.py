""" "You said, we did" pages, as each role gets them: managers make and change actions, the
analyst reads them, other roles and other organisations get nothing. (Every button is pressed
in tests/browser/test_feedback.py.)"""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.surveys.models import FeedbackAction
from carebond.surveys.tests.conftest import Practice
from carebond.surveys.tests.said import comment
from carebond.surveys.tests.test_feedback_actions import TEXTS, make_action


def test_a_manager_makes_an_action_and_a_bad_one_is_refused_at_its_fields(
    practice: Practice, client_for: Callable[[User], Client]
) -> None:
    comment(practice)
    manager = client_for(practice.manager)
    assert manager.get("/surveys/actions/new/").status_code == 200
    refused = manager.post(
        "/surveys/actions/new/",
        {"theme": "wait_time", "owner": str(practice.manager.public_id), "due_on": "1850-01-01"},
    )
    assert refused.status_code == 422
    assert 'id="id_due_on_error"' in refused.content.decode()
    assert not FeedbackAction.objects.exists()
    made = manager.post(
        "/surveys/actions/new/",
        {
            "theme": "wait_time",
            "location": str(practice.main.public_id),
            "owner": str(practice.admin.public_id),
            "due_on": "2026-04-01",
            **TEXTS,
        },
    )
    action = FeedbackAction.objects.get()
    assert made.status_code == 302
    assert made["Location"] == f"/surveys/actions/{action.public_id}/"
    assert (action.owner, action.location, action.baseline["comments"]) == (
        practice.admin,
        practice.main,
        1,
    )
    page = manager.get(made["Location"]).content.decode()
    assert "1 identified respondent raised this theme" in page


def test_the_analyst_reads_but_changes_nothing_and_others_get_nothing(
    practice: Practice,
    users_a: dict[str, User],
    users_b: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    action = make_action(practice)
    page = f"/surveys/actions/{action.public_id}/"
    analyst = client_for(users_a[Role.ANALYST])
    assert analyst.get("/surveys/actions/").status_code == 200
    shown = analyst.get(page)
    assert shown.status_code == 200
    assert "Save progress" not in shown.content.decode()
    assert analyst.get("/surveys/actions/new/").status_code == 403
    assert analyst.post(page + "progress/", {"status": "done"}).status_code == 403
    assert client_for(users_a[Role.FRONT_DESK]).get("/surveys/actions/").status_code == 403
    outsider = client_for(users_b[Role.ADMIN])
    assert outsider.get(page).status_code == 404
    assert outsider.post(page + "publish/", {"notify": "on"}).status_code == 404
    action.refresh_from_db()
    assert (action.status, action.published_at) == ("planned", None)


def test_a_filter_out_of_the_list_is_said_not_failed(
    practice: Practice, client_for: Callable[[User], Client]
) -> None:
    response = client_for(practice.manager).get("/surveys/actions/?status=finished")
    assert response.status_code == 422
    assert "Choose planned, in progress or done." in response.content.decode()
