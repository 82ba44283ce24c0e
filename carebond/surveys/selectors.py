"""Reads for the survey pages: instruments and versions, distribution rules, waves with their
response rates, the recovery queue and cases, recognition suggestions. Scores live in
``result_selectors.py``, comments in ``comment_selectors.py``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Count, Q

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.surveys.access import (
    SURVEY_MANAGERS,
    SURVEY_READERS,
    access_case,
    access_instrument,
)
from carebond.surveys.definitions import SCALES, item_by_link, items, text_in
from carebond.surveys.models import (
    AnonymousResponse,
    DistributionRule,
    Instrument,
    InstrumentVersion,
    Invitation,
    InvitationStatus,
    RecognitionSuggestion,
    RecoveryCase,
    RecoveryStatus,
    Response,
    ResponseStatus,
    SuggestionStatus,
    VersionStatus,
    Wave,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User


def _readers_only(user: User) -> None:
    if not SURVEY_READERS.allows(user.role):
        raise NotFound("No such survey.")


def _managers_only(user: User) -> None:
    if not SURVEY_MANAGERS.allows(user.role):
        raise NotFound("No such page.")


# --- instruments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentRow:
    instrument: Instrument
    published: int | None
    draft: int | None
    responses: int


def list_instruments(*, user: User) -> list[InstrumentRow]:
    _readers_only(user)
    instruments = list(Instrument.objects.filter(organization_id=user.organization_id))
    versions = InstrumentVersion.objects.filter(organization_id=user.organization_id).values_list(
        "instrument_id", "number", "status"
    )
    published: dict[int, int] = {}
    draft: dict[int, int] = {}
    for instrument_id, number, status in versions:
        if status == VersionStatus.PUBLISHED:
            published[instrument_id] = number
        elif status == VersionStatus.DRAFT:
            draft[instrument_id] = number
    counts: dict[int, int] = dict(
        Response.objects.filter(
            organization_id=user.organization_id, status=ResponseStatus.COMPLETED
        )
        .values_list("version__instrument_id")
        .annotate(n=Count("id"))
        .values_list("version__instrument_id", "n")
    )
    for instrument_id, n in (
        AnonymousResponse.objects.filter(organization_id=user.organization_id)
        .values_list("version__instrument_id")
        .annotate(n=Count("id"))
        .values_list("version__instrument_id", "n")
    ):
        counts[instrument_id] = counts.get(instrument_id, 0) + n
    return [
        InstrumentRow(i, published.get(i.id), draft.get(i.id), counts.get(i.id, 0))
        for i in instruments
    ]


@dataclass(frozen=True)
class ItemView:
    link_id: str
    kind: str
    text: str
    other_text: str
    answers: list[str]
    details: list[str]
    raw: dict[str, Any]


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    items: list[ItemView]


@dataclass(frozen=True)
class InstrumentPage:
    instrument: Instrument
    versions: list[InstrumentVersion]
    shown: InstrumentVersion | None
    editing: bool
    sections: list[SectionView]
    responses_to_shown: int
    condition_choices: list[tuple[str, str]]


def answer_labels(item: dict[str, Any], language: str) -> list[str]:
    kind = item["type"]
    if kind == "scale":
        return [label.get(language) or label["en"] for label in SCALES[item["scale"]].labels]
    if kind == "rating":
        return ["0-10"]
    if kind == "yes_no":
        return ["Yes", "No"] if language == "en" else ["Sí", "No"]
    if kind in ("choice", "choices"):
        return [text_in(option["text"], language, "en") for option in item.get("options", [])]
    return []


def _item_details(item: dict[str, Any]) -> list[str]:
    details = []
    if item.get("required"):
        details.append("required")
    if item.get("measure"):
        details.append(f"feeds {item['measure'].replace('_', ' ')}")
    if item.get("composite"):
        details.append(f"composite: {item['composite'].replace('_', ' ')}")
    if item.get("reverse"):
        details.append("reverse-scored")
    condition = item.get("enable_when")
    if condition:
        details.append(
            f"shown when {condition['link_id']} {condition['operator']} {condition['value']}"
        )
    return details


def section_views(definition: dict[str, Any], language: str = "en") -> list[SectionView]:
    other = "es" if language == "en" else "en"
    return [
        SectionView(
            key=section["key"],
            title=text_in(section.get("title", {}), language, "en"),
            items=[
                ItemView(
                    link_id=item["link_id"],
                    kind=item["type"],
                    text=text_in(item.get("text", {}), language, "en"),
                    other_text=item.get("text", {}).get(other, ""),
                    answers=answer_labels(item, language),
                    details=_item_details(item),
                    raw=item,
                )
                for item in section["items"]
            ],
        )
        for section in definition.get("sections", [])
    ]


def get_instrument_page(
    *, user: User, public_id: UUID | str, version: int | None = None
) -> InstrumentPage:
    _readers_only(user)
    instrument = access_instrument(user, public_id)
    versions = list(InstrumentVersion.objects.filter(instrument=instrument).order_by("-number"))
    shown = None
    if version is not None:
        shown = next((v for v in versions if v.number == version), None)
        if shown is None:
            raise NotFound("No such version.")
    else:
        shown = next((v for v in versions if v.status == VersionStatus.DRAFT), None) or next(
            (v for v in versions if v.status == VersionStatus.PUBLISHED), None
        )
    definition = shown.definition if shown else {"sections": []}
    answered = 0
    if shown is not None:
        answered = (
            Response.objects.filter(version=shown).count()
            + AnonymousResponse.objects.filter(version=shown).count()
        )
    return InstrumentPage(
        instrument=instrument,
        versions=versions,
        shown=shown,
        editing=shown is not None and shown.status == VersionStatus.DRAFT,
        sections=section_views(definition),
        responses_to_shown=answered,
        condition_choices=[
            (item["link_id"], text_in(item["text"], "en", "es")[:60])
            for item in items(definition)
            if item["type"] in ("scale", "rating", "yes_no", "choice")
        ],
    )


# --- rules and waves --------------------------------------------------------------------------


def list_rules(*, user: User) -> list[DistributionRule]:
    _managers_only(user)
    return list(
        DistributionRule.objects.filter(organization_id=user.organization_id).select_related(
            "instrument", "department", "location"
        )
    )


def get_rule(*, user: User, public_id: UUID | str) -> DistributionRule:
    _managers_only(user)
    rule = DistributionRule.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    ).first()
    if rule is None:
        raise NotFound("No such rule.")
    return rule


@dataclass(frozen=True)
class WaveRow:
    wave: Wave
    invited: int
    not_sent: int
    completed: int
    partial: int | None  # None for anonymous waves: partial answers are not kept apart
    rate: float | None

    @property
    def rate_shown(self) -> str:
        return "-" if self.rate is None else f"{round(100 * self.rate)}%"


def list_waves(
    *, user: User, instrument: Instrument | None = None, limit: int = 24
) -> list[WaveRow]:
    """Response rate per wave: completed responses over invitations sent. Partial answers
    (saved, never sent) are counted apart, never as responses."""
    _readers_only(user)
    waves = Wave.objects.filter(organization_id=user.organization_id).select_related("instrument")
    if instrument is not None:
        waves = waves.filter(instrument=instrument)
    waves = waves.annotate(
        invited=Count("invitations", filter=Q(invitations__status=InvitationStatus.SENT)),
        not_sent=Count("invitations", filter=Q(invitations__status=InvitationStatus.NOT_SENT)),
        answered=Count("invitations", filter=Q(invitations__responded=True)),
    ).order_by("-starts_on", "-id")[:limit]
    rows = list(waves)
    wave_ids = [wave.id for wave in rows]
    partial: dict[int, int] = dict(
        Response.objects.filter(
            wave_id__in=wave_ids,
            status__in=[ResponseStatus.IN_PROGRESS, ResponseStatus.STOPPED],
        )
        .values_list("wave_id")
        .annotate(n=Count("id"))
        .values_list("wave_id", "n")
    )
    return [
        WaveRow(
            wave=wave,
            invited=wave.invited,
            not_sent=wave.not_sent,
            completed=wave.answered,
            partial=None if wave.instrument.anonymous else partial.get(wave.id, 0),
            rate=wave.answered / wave.invited if wave.invited else None,
        )
        for wave in rows
    ]


# --- recovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    case: RecoveryCase
    overdue: bool
    escalated: bool


def list_recovery_cases(
    *, user: User, status: str = "open", mine: bool = False, limit: int = 200
) -> list[CaseRow]:
    """The recovery queue, due first; patients are named (PHI), so the read is audited."""
    _managers_only(user)
    cases = RecoveryCase.objects.filter(organization_id=user.organization_id).select_related(
        "person", "location", "owner", "escalated_to", "response"
    )
    if status == "open":
        cases = cases.exclude(status=RecoveryStatus.CLOSED)
    elif status in RecoveryStatus.values:
        cases = cases.filter(status=status)
    if mine:
        cases = cases.filter(Q(owner=user) | Q(escalated_to=user))
    found = list(cases.order_by("due_at", "id")[:limit])
    if found:
        record_access(actor=user, target=found[0], action="recovery.queue_read")
    now = clock.now()
    return [
        CaseRow(
            case=case,
            overdue=case.first_contact_at is None
            and case.status != RecoveryStatus.CLOSED
            and case.due_at <= now,
            escalated=case.escalated_at is not None,
        )
        for case in found
    ]


@dataclass(frozen=True)
class CasePage:
    case: RecoveryCase
    steps: list[Any]
    overdue: bool
    response_answers: list[tuple[str, str]]


def get_case(*, user: User, public_id: UUID | str) -> CasePage:
    case = access_case(user, public_id)
    record_access(actor=user, target=case, patient=case.person, action="recovery.read")
    answers: list[tuple[str, str]] = []
    if case.response is not None:
        definition = case.response.version.definition
        by_link = item_by_link(definition)
        for link, value in case.response.answers.items():
            item = by_link.get(link)
            if item is None:
                continue
            shown = value
            if item["type"] == "scale":
                shown = SCALES[item["scale"]].labels[int(value) - 1]["en"]
            answers.append((text_in(item["text"], "en", "es"), str(shown)))
    now = clock.now()
    return CasePage(
        case=case,
        steps=list(case.steps.select_related("by").order_by("at", "id")),
        overdue=case.first_contact_at is None
        and case.status != RecoveryStatus.CLOSED
        and case.due_at <= now,
        response_answers=answers,
    )


def list_recognition_suggestions(*, user: User, limit: int = 50) -> list[RecognitionSuggestion]:
    _managers_only(user)
    return list(
        RecognitionSuggestion.objects.filter(
            organization_id=user.organization_id, status=SuggestionStatus.NEW
        )
        .select_related("staff", "comment")
        .order_by("-created_at")[:limit]
    )


@dataclass(frozen=True)
class PersonFeedback:
    invitations: list[Invitation]
    cases: list[RecoveryCase]


def person_feedback(*, user: User, person: Any) -> PersonFeedback:
    """What the person page shows (the page's own read is audited by the people app)."""
    if person.organization_id != user.organization_id:
        raise NotFound("No such person.")
    invitations: list[Invitation] = []
    cases: list[RecoveryCase] = []
    if SURVEY_MANAGERS.allows(user.role):
        invitations = list(
            Invitation.objects.filter(person=person)
            .select_related("wave__instrument")
            .order_by("-created_at")[:10]
        )
        cases = list(RecoveryCase.objects.filter(person=person).order_by("-opened_at")[:10])
    return PersonFeedback(invitations, cases)
