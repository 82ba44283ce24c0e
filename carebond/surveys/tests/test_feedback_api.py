""" "You said, we did" API: the same actions and rules as the pages; the analyst reads and
never writes; bad input is a 422 at its field with nothing written; another organisation
gets nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.permissions import Role
from carebond.messaging.models import Message
from carebond.surveys.models import FeedbackAction
from carebond.surveys.tests.conftest import Practice
from carebond.surveys.tests.said import comment
from carebond.surveys.tests.test_feedback_actions import TEXTS

API = "/api/v1/surveys/actions"
JSON = "application/json"


def _new(practice: Practice, **extra: Any) -> dict[str, Any]:
    return {
        "theme": "wait_time",
        "location": str(practice.main.public_id),
        "owner": str(practice.manager.public_id),
        "due_on": "2026-04-01",
        **extra,
    }


@pytest.fixture
def manager(practice: Practice, api_for: Callable[[User], Client]) -> Client:
    return api_for(practice.manager)


def test_a_client_makes_completes_publishes_and_lists_an_action(
    practice: Practice, manager: Client, api_for: Callable[[User], Client]
) -> None:
    comment(practice)
    # when an action is made with its English texts only
    made = manager.post(
        API, _new(practice, you_said_en="Long waits", we_did_en="A second nurse"), JSON
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["baseline"]["comments"] == 1
    assert (body["status"], body["published_at"], body["measurement"]) == ("planned", None, None)
    # then publishing is refused until the Spanish texts are written
    refused = manager.post(f"{API}/{body['id']}/publish", {"notify": True}, JSON)
    assert (refused.status_code, refused.json()["field"]) == (422, "you_said_es")
    changed = manager.patch(
        f"{API}/{body['id']}",
        {"you_said_es": TEXTS["you_said_es"], "we_did_es": TEXTS["we_did_es"], "status": "done"},
        JSON,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["measurement"]["compared"] is False
    published = manager.post(f"{API}/{body['id']}/publish", {"notify": True}, JSON).json()
    assert published["public_url"].endswith(
        f"/you-said-we-did/{practice.organization.slug}/{practice.main.public_id}/"
    )
    assert (published["notified_queued"], published["notified_blocked"]) == (1, 0)
    assert Message.objects.filter(template_key="you_said_we_did").count() == 1
    # and telling them again is a 409; publishing again too
    assert manager.post(f"{API}/{body['id']}/notify", {}, JSON).status_code == 409
    assert manager.post(f"{API}/{body['id']}/publish", {}, JSON).status_code == 409
    # the analyst lists and reads it, filtered by status and theme
    analyst = api_for(practice.organization.users.get(role=Role.ANALYST))
    assert [a["id"] for a in analyst.get(f"{API}?status=done&theme=wait_time").json()] == [
        body["id"]
    ]
    assert analyst.get(f"{API}?status=planned").json() == []
    assert analyst.get(f"{API}/{body['id']}").json()["we_did_es"] == TEXTS["we_did_es"]
    unpublished = manager.post(f"{API}/{body['id']}/unpublish", {}, JSON).json()
    assert (unpublished["published_at"], unpublished["public_url"]) == (None, None)


def test_junk_is_refused_at_its_field_and_nothing_is_written(
    practice: Practice, manager: Client, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    elsewhere = users_b[Role.MANAGER]
    for junk, field in (
        ({"theme": "made_up"}, "theme"),
        ({"theme": "Wait Time"}, "theme"),
        ({"owner": str(users_a[Role.CLINICIAN].public_id)}, "owner"),
        ({"owner": str(elsewhere.public_id)}, "owner"),
        ({"location": str(elsewhere.organization.public_id)}, "location"),
        ({"due_on": "1850-01-01"}, "due_on"),
        ({"status": "finished"}, "status"),
        ({"we_did_en": "x" * 501}, "we_did_en"),
        ({"evidence": "x" * 2001}, "evidence"),
        ({"colour": "red"}, "colour"),
    ):
        response = manager.post(API, _new(practice, **junk), JSON)
        assert response.status_code == 422, (junk, response.content)
        assert field in (response.json()["field"] or ""), (junk, response.json())
    assert not FeedbackAction.objects.exists()


def test_the_analyst_writes_nothing_and_another_organisation_gets_nothing(
    practice: Practice,
    manager: Client,
    users_a: dict[str, User],
    users_b: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    made = manager.post(API, _new(practice, **TEXTS), JSON).json()
    analyst = api_for(users_a[Role.ANALYST])
    assert analyst.post(API, _new(practice), JSON).status_code == 403
    assert analyst.patch(f"{API}/{made['id']}", {"status": "done"}, JSON).status_code == 403
    assert analyst.post(f"{API}/{made['id']}/publish", {}, JSON).status_code == 403
    assert api_for(users_a[Role.CLINICIAN]).get(API).status_code == 403
    outsider = api_for(users_b[Role.ADMIN])
    assert outsider.get(API).json() == []
    assert outsider.get(f"{API}/{made['id']}").status_code == 404
    assert outsider.patch(f"{API}/{made['id']}", {"status": "done"}, JSON).status_code == 404
    assert outsider.post(f"{API}/{made['id']}/publish", {}, JSON).status_code == 404
    found = FeedbackAction.objects.get()
    assert (found.status, found.published_at) == ("planned", None)
    assert FeedbackAction.objects.count() == 1
