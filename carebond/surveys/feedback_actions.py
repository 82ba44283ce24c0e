""" "You said, we did" writes: an action made from a theme (with the theme's baseline), its
texts, owner, due date, status and evidence, publishing it on the public page, and telling the
respondents who raised the theme.

Telling goes through messaging with the survey purpose: consent in force for the channel,
quiet hours and opt-outs are decided there, and a message they refuse is kept as blocked (and
counted). Anonymous comments have no one behind them: they are counted in the baseline and the
measurement, and never lead to a message.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput, NotFound, Problems, RuleViolation
from carebond.core.models import Location, Organization
from carebond.messaging.actions import check_queue_message
from carebond.surveys.distribution_actions import pick_channel
from carebond.surveys.feedback_selectors import (
    OWNER_ROLES,
    TEXT_LABELS,
    baseline_window,
    check_theme,
    count_mentions,
    missing_texts,
    public_url,
    respondents_who_raised,
)
from carebond.surveys.models import ActionStatus, FeedbackAction

if TYPE_CHECKING:
    from carebond.accounts.models import User

MAX_EVIDENCE = 2000
TEXT_LIMITS = {"you_said_en": 300, "you_said_es": 300, "we_did_en": 500, "we_did_es": 500}
PURPOSE = "survey"
TEMPLATE = "you_said_we_did"


def _check_owner(organization: Organization, owner: User) -> None:
    if (
        owner.organization_id != organization.id
        or owner.role not in OWNER_ROLES
        or not owner.is_active
        or owner.disabled_at is not None
    ):
        raise InvalidInput(
            "Choose a manager or administrator of this organisation as the owner.", field="owner"
        )


def _check_texts(texts: dict[str, str]) -> dict[str, str]:
    problems = Problems()
    cleaned = {}
    for name, value in texts.items():
        cleaned[name] = value.strip()
        if len(cleaned[name]) > TEXT_LIMITS[name]:
            with problems.check():
                raise InvalidInput(
                    f"{TEXT_LABELS[name]} is {len(cleaned[name])} characters long; keep it "
                    f"within {TEXT_LIMITS[name]}.",
                    field=name,
                )
    problems.raise_any()
    return cleaned


def _check_evidence(evidence: str) -> str:
    evidence = evidence.strip()
    if len(evidence) > MAX_EVIDENCE:
        raise InvalidInput(
            f"Keep the evidence within {MAX_EVIDENCE} characters (it has {len(evidence)}).",
            field="evidence",
        )
    return evidence


def _check_status(status: str) -> str:
    if status not in ActionStatus.values:
        raise InvalidInput("Choose planned, in progress or done.", field="status")
    return status


@transaction.atomic
def check_create_action(
    organization: Organization,
    *,
    theme: str,
    location: Location | None,
    owner: User,
    due_on: date,
    texts: dict[str, str],
    status: str = ActionStatus.PLANNED,
    evidence: str = "",
    acting_user: User,
) -> FeedbackAction:
    """Validate every field (each problem reported beside its own) and make the action. The
    four texts may be written later; publishing needs them all."""
    problems = Problems()
    with problems.check():
        check_theme(organization.id, theme)
    with problems.check():
        if location is not None and location.organization_id != organization.id:
            raise InvalidInput("Choose a location of this organisation.", field="location")
    with problems.check():
        _check_owner(organization, owner)
    with problems.check():
        RECORD_DATES.check(due_on, field="due_on")
    with problems.check():
        texts = _check_texts({name: texts.get(name, "") for name in TEXT_LIMITS})
    with problems.check():
        status = _check_status(status)
    with problems.check():
        evidence = _check_evidence(evidence)
    problems.raise_any()
    return do_create_action(
        organization,
        theme=theme,
        location=location,
        owner=owner,
        due_on=due_on,
        texts=texts,
        status=status,
        evidence=evidence,
        acting_user=acting_user,
    )


@transaction.atomic
def do_create_action(
    organization: Organization,
    *,
    theme: str,
    location: Location | None,
    owner: User,
    due_on: date,
    texts: dict[str, str],
    status: str,
    evidence: str,
    acting_user: User,
) -> FeedbackAction:
    """Store the theme's baseline with the action: its mentions over the last 90 days (at the
    location when there is one) and how many were negative. Audit: feedback_action.created."""
    since, until = baseline_window(organization)
    baseline = count_mentions(
        organization.id,
        theme,
        since=since,
        until=until,
        location_id=location.id if location else None,
    )
    action = FeedbackAction.objects.create(
        organization=organization,
        theme=theme,
        location=location,
        owner=owner,
        due_on=due_on,
        status=status,
        evidence=evidence,
        baseline=baseline.as_baseline(),
        done_at=clock.now() if status == ActionStatus.DONE else None,
        **texts,
    )
    record_audit(actor=acting_user, action="feedback_action.created", target=action)
    return action


def _locked(action: FeedbackAction) -> FeedbackAction:
    found = (
        FeedbackAction.objects.select_for_update(of=("self",))
        .select_related("organization", "location")
        .filter(pk=action.pk, organization_id=action.organization_id)
        .first()
    )
    if found is None:
        raise NotFound("No such action.")
    return found


@transaction.atomic
def check_update_action(
    action: FeedbackAction,
    *,
    texts: dict[str, str] | None = None,
    owner: User | None = None,
    due_on: date | None = None,
    status: str | None = None,
    evidence: str | None = None,
    acting_user: User,
) -> FeedbackAction:
    """Change what is given (None leaves a field as it is). A published action keeps its four
    texts. Marking it done starts its measurement; moving it back from done stops it."""
    action = _locked(action)
    problems = Problems()
    changes: dict[str, object] = {}
    if texts:
        unknown = set(texts) - set(TEXT_LIMITS)
        if unknown:
            raise InvalidInput("Only the four texts can be written here.", field=sorted(unknown)[0])
        with problems.check():
            cleaned = _check_texts(texts)
            if action.published_at is not None:
                for name in TEXT_LIMITS:
                    if name in cleaned and not cleaned[name]:
                        raise InvalidInput(
                            f"A published action keeps its four texts: write {TEXT_LABELS[name]}, "
                            "or unpublish it first.",
                            field=name,
                        )
            changes.update(cleaned)
    if owner is not None:
        with problems.check():
            _check_owner(action.organization, owner)
            changes["owner"] = owner
    if due_on is not None:
        with problems.check():
            RECORD_DATES.check(due_on, field="due_on")
            changes["due_on"] = due_on
    if status is not None:
        with problems.check():
            changes["status"] = _check_status(status)
    if evidence is not None:
        with problems.check():
            changes["evidence"] = _check_evidence(evidence)
    problems.raise_any()
    return do_update_action(action, changes=changes, acting_user=acting_user)


@transaction.atomic
def do_update_action(
    action: FeedbackAction, *, changes: dict[str, object], acting_user: User
) -> FeedbackAction:
    """Audit: feedback_action.updated (the names of the fields that changed, never values)."""
    changed = [name for name, value in changes.items() if getattr(action, name) != value]
    for name in changed:
        setattr(action, name, changes[name])
    if "status" in changed:
        done_at = clock.now() if action.status == ActionStatus.DONE else None
        if done_at != action.done_at:
            action.done_at = done_at
            changed.append("done_at")
    if not changed:
        return action
    action.save(update_fields=[*changed, "updated_at"])
    record_audit(
        actor=acting_user, action="feedback_action.updated", target=action, changed_fields=changed
    )
    return action


@transaction.atomic
def check_publish_action(
    action: FeedbackAction, *, notify: bool, acting_user: User
) -> FeedbackAction:
    """Put the action on its public page, once its four texts are written; with ``notify``,
    tell the respondents who raised the theme in the same step."""
    action = _locked(action)
    if action.published_at is not None:
        raise RuleViolation("This action is already published.")
    problems = Problems()
    for name in missing_texts(action):
        with problems.check():
            raise InvalidInput(f"Write {TEXT_LABELS[name]} before publishing.", field=name)
    problems.raise_any()
    action = do_publish_action(action, acting_user=acting_user)
    if notify:
        action = do_notify_respondents(action, acting_user=acting_user)
    return action


@transaction.atomic
def do_publish_action(action: FeedbackAction, *, acting_user: User) -> FeedbackAction:
    """Audit: feedback_action.published."""
    action.published_at = clock.now()
    action.save(update_fields=["published_at", "updated_at"])
    record_audit(actor=acting_user, action="feedback_action.published", target=action)
    return action


@transaction.atomic
def check_unpublish_action(action: FeedbackAction, *, acting_user: User) -> FeedbackAction:
    """Take the action off its public page. Audit: feedback_action.unpublished."""
    action = _locked(action)
    if action.published_at is None:
        raise RuleViolation("This action is not published.")
    action.published_at = None
    action.save(update_fields=["published_at", "updated_at"])
    record_audit(actor=acting_user, action="feedback_action.unpublished", target=action)
    return action


@transaction.atomic
def check_notify_respondents(action: FeedbackAction, *, acting_user: User) -> FeedbackAction:
    """Tell the respondents who raised the theme, once, after the action is published (the
    message links to its public page)."""
    action = _locked(action)
    if action.published_at is None:
        raise RuleViolation("Publish the action first: the message links to its public page.")
    if action.notified_at is not None:
        raise RuleViolation(f"The respondents were already told on {action.notified_at:%Y-%m-%d}.")
    return do_notify_respondents(action, acting_user=acting_user)


@transaction.atomic
def do_notify_respondents(action: FeedbackAction, *, acting_user: User) -> FeedbackAction:
    """One message per identified respondent (purpose survey, template you_said_we_did, the
    public page as its link, one idempotency key per action and person). Messaging decides
    whether each may go; the refused ones are kept as blocked and counted. Audit:
    feedback_action.notified (counts only; each message is audited by messaging)."""
    queued = blocked = 0
    organization = action.organization
    for person in respondents_who_raised(action):
        message = check_queue_message(
            person,
            purpose=PURPOSE,
            channel=pick_channel(person, purpose=PURPOSE),
            template_key=TEMPLATE,
            idempotency_key=f"you-said:{action.public_id}:{person.public_id}",
            extra={"link": public_url(action, organization, language=person.preferred_language)},
            acting_user=acting_user,
        )
        if message.status == "blocked":
            blocked += 1
        else:
            queued += 1
    action.notified_at = clock.now()
    action.notified_queued, action.notified_blocked = queued, blocked
    action.save(update_fields=["notified_at", "notified_queued", "notified_blocked", "updated_at"])
    record_audit(
        actor=acting_user,
        action="feedback_action.notified",
        target=action,
        changed_fields=["notified_at", "notified_queued", "notified_blocked"],
    )
    return action
