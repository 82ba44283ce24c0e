"""Responses as a table across versions: one column per question id, in the order questions
first appeared, so that a question dropped or added by a later version keeps its own column
and no answer moves under another question's heading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.surveys.access import SURVEY_MANAGERS
from carebond.surveys.definitions import items
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.models import (
    AnonymousResponse,
    Comment,
    Instrument,
    InstrumentVersion,
    Response,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User


def question_columns(instrument: Instrument) -> list[str]:
    columns: list[str] = []
    for version in InstrumentVersion.objects.filter(instrument=instrument).order_by("number"):
        for item in items(version.definition):
            if item["link_id"] not in columns:
                columns.append(item["link_id"])
    return columns


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return "" if value is None else str(value)


def response_table(*, user: User, instrument: Instrument) -> tuple[list[str], list[list[str]]]:
    """Audited as an export of the instrument's responses (identified ones name no one here,
    but their comments are the patients' own words)."""
    if not SURVEY_MANAGERS.allows(user.role) or instrument.organization_id != user.organization_id:
        raise NotFound("No such survey.")
    columns = question_columns(instrument)
    record_access(actor=user, target=instrument, action="survey.responses_exported")
    header = ["response", "version", "status", "received", "language", "location", *columns]
    rows: list[list[str]] = []
    if instrument.anonymous:
        # The anonymity rules hold for the file too: no slice a row could be narrowed by (no
        # location), nothing under the threshold, and comments only when there are enough of
        # them that a writing voice is lost among them.
        rules = survey_settings(instrument.organization_id)
        found = AnonymousResponse.objects.filter(version__instrument=instrument).select_related(
            "version"
        )
        if found.count() < rules.k_metric:
            return header, rows
        comments = Comment.objects.filter(anonymous_response__in=found)
        texts: dict[Any, dict[str, str]] = {}
        if comments.count() >= rules.k_comment:
            for comment in comments:
                texts.setdefault(comment.anonymous_response_id, {})[comment.link_id] = comment.text
        for number, response in enumerate(found.order_by("week_of", "id"), start=1):
            answers = {**response.answers, **texts.get(response.pk, {})}
            rows.append(
                [
                    f"anonymous-{number}",
                    str(response.version.number),
                    "completed",
                    f"week of {response.week_of:%Y-%m-%d}",
                    response.language,
                    "",
                    *(_cell(answers.get(column)) for column in columns),
                ]
            )
        return header, rows
    responses = Response.objects.filter(version__instrument=instrument).select_related(
        "version", "location"
    )
    said: dict[Any, dict[str, str]] = {}
    for comment in Comment.objects.filter(response__in=responses):
        said.setdefault(comment.response_id, {})[comment.link_id] = comment.text
    for one in responses.order_by("started_at", "id"):
        answers = {**one.answers, **said.get(one.pk, {})}
        rows.append(
            [
                str(one.public_id),
                str(one.version.number),
                one.status,
                f"{one.submitted_at or one.updated_at:%Y-%m-%d %H:%M}",
                one.language,
                one.location.name if one.location else "",
                *(_cell(answers.get(column)) for column in columns),
            ]
        )
    return header, rows
