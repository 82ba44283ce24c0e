"""Answering a survey by its link: partial saves, the final send, and what a sent response
starts (comment analysis, service recovery for a detractor or a complaint).

Identified responses are one row per invitation, ``in-progress`` until sent. Anonymous ones are
kept as a draft under the link's slip (a second keyed digest of the token) until sent; then the
answers are written as an ``AnonymousResponse`` with no link to anyone, and, in a separate
transaction and without a time, the invitation's ``responded`` flag (docs/surveys.md).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.people.models import StaffProfile
from carebond.surveys.comment_actions import analyse_new_comments, save_comment_texts
from carebond.surveys.definitions import clean_answer, is_enabled, item_by_link, items
from carebond.surveys.distribution_actions import token_digest
from carebond.surveys.models import (
    AnonymousResponse,
    AnonymousSlip,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
)
from carebond.surveys.recovery_actions import open_cases_for_response, open_contact_request
from carebond.touchpoints.actions import record_touchpoint


class LinkProblem(RuleViolation):
    """A link that cannot be answered: its code names the page the respondent sees."""


@dataclass(frozen=True)
class Opened:
    invitation: Invitation
    answers: dict[str, Any]
    texts: dict[str, str]
    sent: bool


def slip_digest(token: str) -> str:
    """A second digest of the token, keyed, that the invitation's digest cannot be matched
    with: it marks an anonymous link spent without saying whose link it was."""
    key = hashlib.sha256(("survey-slip:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def find_invitation(token: str, *, for_update: bool = False) -> Invitation:
    """The invitation behind a link, or LinkProblem: unknown, withdrawn or expired."""
    found = Invitation.objects.select_related(
        "wave__instrument", "version", "person__organization", "location", "department"
    )
    if for_update:
        found = found.select_for_update(of=("self",))
    invitation = found.filter(token_digest=token_digest(token)).first()
    if invitation is None or invitation.status == InvitationStatus.CANCELLED:
        raise LinkProblem("This link is not valid.", code="missing")
    if invitation.expires_at <= clock.now():
        raise LinkProblem("This survey has closed.", code="expired")
    return invitation


def open_survey(token: str) -> Opened:
    """What the page shows: the saved answers so far, and whether it was already sent."""
    invitation = find_invitation(token)
    if invitation.wave.instrument.anonymous:
        slip = AnonymousSlip.objects.filter(slip_digest=slip_digest(token)).first()
        if slip is None:
            return Opened(invitation, {}, {}, invitation.responded)
        return Opened(
            invitation, slip.draft.get("answers", {}), slip.draft.get("texts", {}), slip.sent
        )
    response = Response.objects.filter(invitation=invitation).first()
    if response is None:
        return Opened(invitation, {}, {}, False)
    texts = {comment.link_id: comment.text for comment in response.comments.all()}
    return Opened(invitation, response.answers, texts, response.status == ResponseStatus.COMPLETED)


def clean_section(
    definition: dict[str, Any], section_key: str, raw: dict[str, Any], earlier: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The section's answers as stored: scored answers and texts apart. Questions hidden by
    their condition are dropped; an answer out of range is InvalidInput naming the question."""
    sections = {section["key"]: section for section in definition["sections"]}
    if section_key not in sections:
        raise InvalidInput("No such part of this survey.", field="section")
    answers: dict[str, Any] = {}
    texts: dict[str, str] = {}
    for item in sections[section_key]["items"]:
        if not is_enabled(item, earlier):
            continue
        value = clean_answer(item, raw.get(item["link_id"]))
        if value is None:
            if item.get("required"):
                raise InvalidInput(
                    "Please answer this question.", field=item["link_id"], code="answer_required"
                )
            continue
        if item["type"] == "text":
            texts[item["link_id"]] = value
        else:
            answers[item["link_id"]] = value
    return answers, texts


def _section_links(definition: dict[str, Any], section_key: str) -> set[str]:
    return {
        item["link_id"]
        for section in definition["sections"]
        if section["key"] == section_key
        for item in section["items"]
    }


def _merge(old: dict[str, Any], new: dict[str, Any], links: set[str]) -> dict[str, Any]:
    """A section saved again replaces that section's answers (a cleared answer is a skip)."""
    kept = {link: value for link, value in old.items() if link not in links}
    return {**kept, **new}


def _drop_disabled(definition: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """An answer to a question that an edited earlier answer now hides is not kept."""
    return {
        link: value
        for link, value in answers.items()
        if link in item_by_link(definition) and is_enabled(item_by_link(definition)[link], answers)
    }


def check_save_section(
    token: str, *, section_key: str, raw: dict[str, Any], language: str, send: bool
) -> Opened:
    """Save one part of the survey (partial answers are kept), and send it when ``send``.
    A sent survey cannot be answered again (the same page twice: the first one counts).
    Audit: response.saved / response.completed (identified), survey.anonymous_response."""
    with transaction.atomic():
        invitation = find_invitation(token, for_update=True)
        definition = invitation.version.definition
        if not invitation.wave.instrument.anonymous:
            return _save_identified(token, invitation, definition, section_key, raw, language, send)
        opened, apart = _save_anonymous(
            token, invitation, definition, section_key, raw, language, send
        )
    if apart is not None:
        _after_anonymous(*apart)
    return opened


def _save_identified(
    token: str,
    invitation: Invitation,
    definition: dict[str, Any],
    section_key: str,
    raw: dict[str, Any],
    language: str,
    send: bool,
) -> Opened:
    response = Response.objects.select_for_update().filter(invitation=invitation).first()
    if response is not None and response.status == ResponseStatus.COMPLETED:
        raise LinkProblem("You already answered this survey. Thank you.", code="answered")
    earlier = response.answers if response else {}
    answers, texts = clean_section(definition, section_key, raw, earlier)
    links = _section_links(definition, section_key)
    now = clock.now()
    if response is None:
        response = Response(
            organization_id=invitation.organization_id,
            invitation=invitation,
            wave=invitation.wave,
            version=invitation.version,
            person=invitation.person,
            status=ResponseStatus.IN_PROGRESS,
            started_at=now,
            location=invitation.location,
            provider=invitation.provider,
            department=invitation.department,
        )
    response.answers = _drop_disabled(definition, _merge(earlier, answers, links))
    response.language = language
    response.updated_at = now
    response.may_contact = _contact(definition, response.answers)
    if send:
        response.status = ResponseStatus.COMPLETED
        response.submitted_at = now
    response.save()
    save_comment_texts(response, texts, links)
    record_audit(
        actor=None,
        actor_label="respondent",
        action="response.completed" if send else "response.saved",
        target=response,
        patient=invitation.person,
        changed_fields=sorted(answers) + sorted(texts),
    )
    if send:
        Invitation.objects.filter(pk=invitation.pk).update(responded=True)
        record_touchpoint(
            invitation.person,
            kind="survey_response",
            channel="web",
            direction="inbound",
            occurred_at=now,
            staff=invitation.provider,
            location=invitation.location,
            moment_of_truth=_moment(invitation),
            summary=f"Answered {invitation.wave.instrument.name}",
            source=response,
        )
        analyse_new_comments(response.organization, response=response)
        open_cases_for_response(response)
    return Opened(invitation, response.answers, texts, send)


def _moment(invitation: Invitation) -> str:
    moment = invitation.wave.instrument.moment
    return "communications" if moment == "telehealth" else moment


def _contact(definition: dict[str, Any], answers: dict[str, Any]) -> bool:
    return any(
        item.get("measure") == "contact" and answers.get(item["link_id"]) == "yes"
        for item in items(definition)
    )


def _save_anonymous(
    token: str,
    invitation: Invitation,
    definition: dict[str, Any],
    section_key: str,
    raw: dict[str, Any],
    language: str,
    send: bool,
) -> tuple[Opened, tuple[int, bool, dict[str, str]] | None]:
    slip, _ = AnonymousSlip.objects.select_for_update().get_or_create(
        slip_digest=slip_digest(token), defaults={"organization_id": invitation.organization_id}
    )
    if slip.sent or invitation.responded:
        raise LinkProblem("You already answered this survey. Thank you.", code="answered")
    draft_answers = dict(slip.draft.get("answers", {}))
    draft_texts = dict(slip.draft.get("texts", {}))
    answers, texts = clean_section(definition, section_key, raw, draft_answers)
    links = _section_links(definition, section_key)
    merged = _drop_disabled(definition, _merge(draft_answers, answers, links))
    merged_texts = {
        **{link: text for link, text in draft_texts.items() if link not in links},
        **texts,
    }
    if not send:
        slip.draft = {"answers": merged, "texts": merged_texts}
        slip.save(update_fields=["draft"])
        return Opened(invitation, merged, merged_texts, False), None
    today = clock.now().date()
    anonymous = AnonymousResponse.objects.create(
        organization_id=invitation.organization_id,
        wave=invitation.wave,
        version=invitation.version,
        answers=merged,
        language=language,
        week_of=today - timedelta(days=today.weekday()),
        location=invitation.location,
        department=invitation.department,
        role_group=_role_group(invitation),
    )
    save_comment_texts(anonymous, merged_texts, set(merged_texts), anonymous=True)
    analyse_new_comments(anonymous.organization, anonymous_response=anonymous)
    slip.draft = {}
    slip.sent = True
    slip.save(update_fields=["draft", "sent"])
    # The wave, never the response or the invitation: the audit trail cannot join them either.
    record_audit(
        actor=None,
        actor_label="anonymous respondent",
        action="survey.anonymous_response",
        target=invitation.wave,
    )
    apart = (invitation.pk, _contact(definition, merged), merged_texts)
    return Opened(invitation, merged, merged_texts, True), apart


def _after_anonymous(invitation_id: int, wants_contact: bool, texts: dict[str, str]) -> None:
    """Written apart from the answers, in its own transaction and with no time: the flag that
    stops reminders, and, only when the author asked for it, a recovery case with their name
    and their own words (their choice; the answers stay anonymous)."""
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation_id).update(responded=True)
        if wants_contact and any(texts.values()):
            invitation = Invitation.objects.select_related("person", "location").get(
                pk=invitation_id
            )
            open_contact_request(invitation, "\n\n".join(t for t in texts.values() if t))


def _role_group(invitation: Invitation) -> str:
    profile = StaffProfile.objects.filter(person_id=invitation.person_id).first()
    if profile is None:
        return ""
    return "clinical" if profile.is_clinical else "non_clinical"
