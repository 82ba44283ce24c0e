""" "You said, we did" API, under /surveys/actions: the actions with their baseline and
measurement (survey readers, the analyst included), and creating, changing, publishing and
unpublishing them, and telling the respondents (managers and administrators). The same actions
and rules as the pages."""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.accounts.models import User
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS, access_action
from carebond.surveys.feedback_actions import (
    check_create_action,
    check_notify_respondents,
    check_publish_action,
    check_unpublish_action,
    check_update_action,
)
from carebond.surveys.feedback_schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionQuery,
    BaselineOut,
    MeasurementOut,
    PublishIn,
)
from carebond.surveys.feedback_selectors import (
    TEXT_LABELS,
    ActionRow,
    Measurement,
    get_action,
    list_actions,
    owner_of,
    public_url,
    stored_baseline,
)
from carebond.surveys.rule_actions import location_of

router = Router(tags=["surveys"])
READ = policy_auth(SURVEY_READERS)
WRITE = policy_auth(SURVEY_MANAGERS)


def _measurement_out(m: Measurement) -> MeasurementOut:
    c = m.comparison
    return MeasurementOut(
        since=m.after.since,
        until=m.after.until,
        comments=m.after.comments,
        negative=m.after.negative,
        compared=c is not None,
        reason=m.reason,
        negative_before_percent=c.first if c else None,
        negative_after_percent=c.second if c else None,
        change_points=c.change if c else None,
        p_value=c.p_value if c else None,
        change_low=c.interval[0] if c else None,
        change_high=c.interval[1] if c else None,
        significant=c.significant if c else None,
    )


def action_out(row: ActionRow, user: User) -> ActionOut:
    action = row.action
    return ActionOut(
        id=action.public_id,
        theme=action.theme,
        theme_name=row.theme_name,
        location_id=action.location.public_id if action.location else None,
        location_name=action.location.name if action.location else "",
        you_said_en=action.you_said_en,
        you_said_es=action.you_said_es,
        we_did_en=action.we_did_en,
        we_did_es=action.we_did_es,
        owner_id=action.owner.public_id if action.owner else None,
        owner_name=action.owner.display_name if action.owner else "",
        due_on=action.due_on,
        overdue=row.overdue,
        status=action.status,
        done_at=action.done_at,
        evidence=action.evidence,
        baseline=BaselineOut(**asdict(stored_baseline(action))),
        measurement=_measurement_out(row.measurement) if row.measurement else None,
        published_at=action.published_at,
        public_url=public_url(action, user.organization) if action.published_at else None,
        notified_at=action.notified_at,
        notified_queued=action.notified_queued,
        notified_blocked=action.notified_blocked,
        created_at=action.created_at,
    )


def _one(user: User, public_id: UUID) -> ActionOut:
    return action_out(get_action(user=user, public_id=public_id), user)


def _owner(user: User, public_id: UUID | None) -> User | None:
    return None if public_id is None else owner_of(user=user, public_id=public_id)


@router.get(
    "",
    response=list[ActionOut],
    auth=READ,
    summary="The actions, newest first, each done one measured against its baseline",
)
def actions(request: HttpRequest, query: Query[ActionQuery]) -> list[ActionOut]:
    user = acting_user(request)
    rows = list_actions(user=user, status=query.status or "", theme=query.theme or "")
    return [action_out(row, user) for row in rows]


@router.post(
    "",
    response={201: ActionOut},
    auth=WRITE,
    summary="Turn a theme into an action (its last 90 days become the baseline)",
)
def create(request: HttpRequest, payload: ActionIn) -> Status[ActionOut]:
    user = acting_user(request)
    location = location_of(user, str(payload.location)) if payload.location else None
    owner = owner_of(user=user, public_id=payload.owner)
    action = check_create_action(
        user.organization,
        theme=payload.theme,
        location=location,
        owner=owner,
        due_on=payload.due_on,
        texts={name: getattr(payload, name) for name in TEXT_LABELS},
        status=payload.status,
        evidence=payload.evidence,
        acting_user=user,
    )
    return Status(201, _one(user, action.public_id))


@router.get("/{action_id}", response=ActionOut, auth=READ, summary="One action")
def action(request: HttpRequest, action_id: UUID) -> ActionOut:
    return _one(acting_user(request), action_id)


@router.patch(
    "/{action_id}",
    response=ActionOut,
    auth=WRITE,
    summary="Change an action's texts, owner, due date, status or evidence",
)
def update(request: HttpRequest, action_id: UUID, payload: ActionPatch) -> ActionOut:
    user = acting_user(request)
    found = access_action(user, action_id)
    texts = {name: value for name in TEXT_LABELS if (value := getattr(payload, name)) is not None}
    check_update_action(
        found,
        texts=texts or None,
        owner=_owner(user, payload.owner),
        due_on=payload.due_on,
        status=payload.status,
        evidence=payload.evidence,
        acting_user=user,
    )
    return _one(user, action_id)


@router.post(
    "/{action_id}/publish",
    response=ActionOut,
    auth=WRITE,
    summary="Publish on the public page (all four texts written); optionally tell the "
    "respondents who raised the theme",
)
def publish(request: HttpRequest, action_id: UUID, payload: PublishIn) -> ActionOut:
    user = acting_user(request)
    check_publish_action(access_action(user, action_id), notify=payload.notify, acting_user=user)
    return _one(user, action_id)


@router.post(
    "/{action_id}/unpublish",
    response=ActionOut,
    auth=WRITE,
    summary="Take the action off the public page",
)
def unpublish(request: HttpRequest, action_id: UUID) -> ActionOut:
    user = acting_user(request)
    check_unpublish_action(access_action(user, action_id), acting_user=user)
    return _one(user, action_id)


@router.post(
    "/{action_id}/notify",
    response=ActionOut,
    auth=WRITE,
    summary="Tell the respondents who raised the theme (once, after publishing; messaging "
    "checks consent)",
)
def notify(request: HttpRequest, action_id: UUID) -> ActionOut:
    user = acting_user(request)
    check_notify_respondents(access_action(user, action_id), acting_user=user)
    return _one(user, action_id)
