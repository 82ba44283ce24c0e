""" "You said, we did" actions: the baseline stored at creation, every rule with the outsider,
the texts publishing needs, and telling the respondents who raised the theme (with consent,
once, never the anonymous)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.errors import InvalidFields, InvalidInput, NotFound, RuleViolation
from carebond.core.models import Location
from carebond.core.permissions import Role
from carebond.messaging.models import Message
from carebond.people.tests.factories import make_patient
from carebond.surveys.access import access_action
from carebond.surveys.feedback_actions import (
    check_create_action,
    check_notify_respondents,
    check_publish_action,
    check_unpublish_action,
    check_update_action,
)
from carebond.surveys.feedback_selectors import theme_choices
from carebond.surveys.models import FeedbackAction
from carebond.surveys.tests.conftest import TUESDAY, Practice, consent
from carebond.surveys.tests.said import comment

TEXTS = {
    "you_said_en": "You waited too long past your appointment time.",
    "you_said_es": "Esperó demasiado después de la hora de su cita.",
    "we_did_en": "We added a second nurse in the mornings.",
    "we_did_es": "Añadimos una segunda enfermera por las mañanas.",
}
DUE = date(2026, 4, 1)


def make_action(
    practice: Practice,
    *,
    theme: str = "wait_time",
    location: Any = "main",
    texts: dict[str, str] | None = None,
    due_on: date = DUE,
    **extra: Any,
) -> FeedbackAction:
    place = practice.main if location == "main" else location
    return check_create_action(
        practice.organization,
        theme=theme,
        location=place,
        owner=practice.manager,
        due_on=due_on,
        texts=TEXTS if texts is None else texts,
        acting_user=practice.manager,
        **extra,
    )


def test_an_action_keeps_the_themes_last_90_days_as_its_baseline(practice: Practice) -> None:
    # given wait-time comments at the main clinic: 3 unhappy, 1 happy and 1 anonymous unhappy
    for _ in range(3):
        comment(practice)
    comment(practice, themes={"wait_time": "positive"})
    comment(practice, anonymous=True)
    # and others that are not its: another theme, another clinic, and before the 90 days
    comment(practice, themes={"billing_cost": "negative"})
    comment(practice, location=practice.north)
    comment(practice, day=TUESDAY.date() - timedelta(days=90))
    # when an action is made for wait time at the main clinic, and one for everywhere
    action = make_action(practice)
    everywhere = make_action(practice, location=None)
    # then each keeps its baseline: comments mentioning the theme, and the unhappy ones
    assert action.baseline == {
        "since": "2025-12-04",
        "until": "2026-03-03",
        "comments": 5,
        "negative": 4,
    }
    assert (everywhere.baseline["comments"], everywhere.baseline["negative"]) == (6, 5)
    assert AuditEvent.objects.filter(
        action="feedback_action.created", target_id=str(action.public_id)
    ).exists()


def test_every_problem_is_named_at_its_field_and_nothing_is_written(
    practice: Practice, users_a: dict[str, User], users_b: dict[str, User]
) -> None:
    elsewhere = Location.objects.create(organization=users_b[Role.ADMIN].organization, name="B")
    with pytest.raises(InvalidFields) as refused:
        check_create_action(
            practice.organization,
            theme="made_up",
            location=elsewhere,
            owner=users_a[Role.CLINICIAN],
            due_on=date(1850, 1, 1),
            texts={"you_said_en": "x" * 301},
            status="finished",
            acting_user=practice.manager,
        )
    assert {error.field for error in refused.value.errors} == {
        "theme",
        "location",
        "owner",
        "due_on",
        "you_said_en",
        "status",
    }
    # an owner from another organisation, even its manager, is refused too
    with pytest.raises(InvalidInput) as outsider:
        check_create_action(
            practice.organization,
            theme="wait_time",
            location=None,
            owner=users_b[Role.MANAGER],
            due_on=DUE,
            texts={},
            acting_user=practice.manager,
        )
    assert outsider.value.field == "owner"
    assert not FeedbackAction.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="feedback_action.").exists()


def test_a_theme_the_comments_raised_can_be_chosen_beside_the_fixed_ones(
    practice: Practice,
) -> None:
    comment(practice, themes={"parking": "negative"})
    keys = [key for key, _ in theme_choices(user=practice.manager)]
    assert {"wait_time", "billing_cost", "staff_praise", "parking"} <= set(keys)
    action = make_action(practice, theme="parking")
    assert action.baseline["comments"] == 1


def test_marking_done_starts_the_measurement_and_undoing_it_stops_it(
    practice: Practice, tuesday: Any
) -> None:
    action = make_action(practice)
    check_update_action(
        action, status="in_progress", evidence="Rota drafted", acting_user=practice.admin
    )
    action.refresh_from_db()
    assert (action.status, action.evidence, action.done_at) == ("in_progress", "Rota drafted", None)
    tuesday.shift(timedelta(days=2))
    check_update_action(action, status="done", acting_user=practice.manager)
    action.refresh_from_db()
    assert action.done_at is not None
    assert action.done_at.date() == date(2026, 3, 5)
    check_update_action(action, status="in_progress", acting_user=practice.manager)
    assert FeedbackAction.objects.get(pk=action.pk).done_at is None
    events = AuditEvent.objects.filter(
        action="feedback_action.updated", target_id=str(action.public_id)
    ).order_by("id")
    assert [e.changed_fields for e in events] == [
        ["evidence", "status"],
        ["done_at", "status"],
        ["done_at", "status"],
    ]


def test_publishing_needs_all_four_texts_and_a_published_action_keeps_them(
    practice: Practice,
) -> None:
    action = make_action(practice, texts={"you_said_en": "Long waits"})
    with pytest.raises(InvalidFields) as refused:
        check_publish_action(action, notify=False, acting_user=practice.manager)
    assert [e.field for e in refused.value.errors] == ["you_said_es", "we_did_en", "we_did_es"]
    action.refresh_from_db()
    assert action.published_at is None
    check_update_action(action, texts=TEXTS, acting_user=practice.manager)
    published = check_publish_action(action, notify=False, acting_user=practice.manager)
    assert published.published_at is not None
    assert published.notified_at is None
    with pytest.raises(RuleViolation):
        check_publish_action(action, notify=False, acting_user=practice.manager)
    with pytest.raises(InvalidInput) as emptied:
        check_update_action(action, texts={"we_did_es": " "}, acting_user=practice.manager)
    assert emptied.value.field == "we_did_es"
    check_unpublish_action(action, acting_user=practice.manager)
    action.refresh_from_db()
    assert action.published_at is None
    with pytest.raises(RuleViolation):
        check_unpublish_action(action, acting_user=practice.manager)
    assert list(
        AuditEvent.objects.filter(target_id=str(action.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "feedback_action.created",
        "feedback_action.updated",
        "feedback_action.published",
        "feedback_action.unpublished",
    ]


def test_publishing_tells_the_respondents_who_raised_the_theme_with_consent_once(
    practice: Practice,
) -> None:
    # given Rosa (who agreed to texts) twice unhappy about waiting at the main clinic
    comment(practice)
    comment(practice, themes={"wait_time": "neutral", "billing_cost": "negative"})
    # Luis, unhappy too, who never agreed to be texted; Ana, who reads Spanish
    luis = make_patient(practice.organization, "Luis", "Ortega", phone="+13125550177")
    comment(practice, luis)
    ana = make_patient(
        practice.organization, "Ana", "Ruiz", phone="+13125550155", preferred_language="es"
    )
    consent(ana)
    comment(practice, ana)
    # and people who are not to be told: praise, another clinic, before the baseline, anonymous
    mia = practice.patient_named("Mia", "Chen", phone="+13125550166")
    comment(practice, mia, themes={"wait_time": "positive"})
    comment(practice, mia, location=practice.north)
    comment(practice, mia, day=TUESDAY.date() - timedelta(days=120))
    comment(practice, anonymous=True)
    action = make_action(practice)
    # when it is published with the respondents told
    told = check_publish_action(action, notify=True, acting_user=practice.manager)
    # then one message each to Rosa, Luis and Ana: Luis's refused by the rules, and counted
    messages = {m.person_id: m for m in Message.objects.filter(template_key="you_said_we_did")}
    assert set(messages) == {practice.patient.id, luis.id, ana.id}
    assert messages[luis.id].status == "blocked"
    assert {messages[p].status for p in (practice.patient.id, ana.id)} != {"blocked"}
    assert (told.notified_queued, told.notified_blocked) == (2, 1)
    assert told.notified_at is not None
    assert all(m.purpose == "survey" for m in messages.values())
    path = f"/you-said-we-did/{practice.organization.slug}/{practice.main.public_id}/"
    assert path in messages[practice.patient.id].body
    assert f"{path}?lang=es" in messages[ana.id].body
    assert messages[ana.id].language == "es"
    assert messages[ana.id].idempotency_key == f"you-said:{action.public_id}:{ana.public_id}"
    # and telling them again is refused, with nothing more sent
    with pytest.raises(RuleViolation):
        check_notify_respondents(action, acting_user=practice.manager)
    assert Message.objects.filter(template_key="you_said_we_did").count() == 3
    assert (
        AuditEvent.objects.filter(
            action="feedback_action.notified", target_id=str(action.public_id)
        ).count()
        == 1
    )


def test_the_respondents_are_told_only_once_it_is_published(practice: Practice) -> None:
    comment(practice)
    action = make_action(practice)
    with pytest.raises(RuleViolation):
        check_notify_respondents(action, acting_user=practice.manager)
    assert not Message.objects.filter(template_key="you_said_we_did").exists()
    check_publish_action(action, notify=False, acting_user=practice.manager)
    told = check_notify_respondents(action, acting_user=practice.manager)
    assert (told.notified_queued, told.notified_blocked) == (1, 0)


def test_an_organisation_wide_action_links_to_the_organisations_page(practice: Practice) -> None:
    comment(practice, location=practice.north)
    action = make_action(practice, location=None)
    check_publish_action(action, notify=True, acting_user=practice.manager)
    message = Message.objects.get(template_key="you_said_we_did")
    assert f"/you-said-we-did/{practice.organization.slug}/ " in message.body + " "


def test_another_organisation_cannot_reach_an_action(
    practice: Practice, users_b: dict[str, User]
) -> None:
    action = make_action(practice)
    outsider = users_b[Role.ADMIN]
    with pytest.raises(NotFound) as foreign:
        access_action(outsider, action.public_id)
    with pytest.raises(NotFound) as missing:
        access_action(outsider, uuid.uuid4())
    assert foreign.value.message == missing.value.message
    assert not AuditEvent.objects.filter(actor=outsider).exists()
