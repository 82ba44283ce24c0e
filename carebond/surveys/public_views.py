"""The respondent's page, reached by the link in their invitation: no sign-in, phone-first,
one part at a time, saved as they go, in their language (English or Spanish)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from carebond.core.errors import InvalidInput
from carebond.core.permissions import PUBLIC, page_policy
from carebond.surveys.definitions import RATING_ANCHORS, is_enabled, text_in
from carebond.surveys.instrument_actions import survey_settings
from carebond.surveys.response_actions import LinkProblem, Opened, check_save_section, open_survey
from carebond.surveys.selectors import answer_labels
from carebond.surveys.words import WORDS, answer_error


def _language(request: HttpRequest, opened: Opened) -> str:
    instrument = opened.invitation.wave.instrument
    asked = request.GET.get("lang") or request.POST.get("lang") or ""
    for candidate in (asked, opened.invitation.language[:2]):
        if candidate in instrument.languages:
            return candidate
    return instrument.fallback_language


def _problem_page(request: HttpRequest, code: str, language: str, status: int) -> HttpResponse:
    words = WORDS["es" if language == "es" else "en"]
    return render(
        request,
        "surveys/public/problem.html",
        {"language": language, "words": words, "message": words.get(code, words["missing"])},
        status=status,
    )


def _questions(
    section: dict[str, Any],
    answers: dict[str, Any],
    texts: dict[str, str],
    language: str,
    fallback: str,
) -> list[dict[str, Any]]:
    shown = []
    for item in section["items"]:
        if not is_enabled(item, answers):
            continue
        kind = item["type"]
        value = texts.get(item["link_id"]) if kind == "text" else answers.get(item["link_id"])
        choices: list[tuple[str, str]] = []
        if kind == "scale":
            choices = [(str(n), label) for n, label in enumerate(answer_labels(item, language), 1)]
        elif kind == "rating":
            choices = [(str(n), str(n)) for n in range(11)]
        elif kind == "yes_no":
            labels = answer_labels(item, language)
            choices = [("yes", labels[0]), ("no", labels[1])]
        elif kind in ("choice", "choices"):
            choices = [
                (option["code"], text_in(option["text"], language, fallback))
                for option in item.get("options", [])
            ]
        anchors = item.get("anchors") or (RATING_ANCHORS if kind == "rating" else None)
        shown.append(
            {
                "link_id": item["link_id"],
                "kind": kind,
                "text": text_in(item["text"], language, fallback),
                "required": item.get("required", False),
                "choices": choices,
                "value": value,
                "values": [str(v) for v in value] if isinstance(value, list) else [str(value)],
                "low": text_in(anchors["low"], language, fallback) if anchors else "",
                "high": text_in(anchors["high"], language, fallback) if anchors else "",
            }
        )
    return shown


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    asked = request.GET.get("lang") or request.POST.get("lang") or "en"
    try:
        opened = open_survey(token)
    except LinkProblem as problem:
        return _problem_page(
            request, problem.code, asked, 410 if problem.code == "expired" else 404
        )
    language = _language(request, opened)
    words = WORDS["es" if language == "es" else "en"]
    if opened.sent:
        return render(
            request,
            "surveys/public/thanks.html",
            {"language": language, "words": words, "already": True},
        )
    invitation = opened.invitation
    instrument = invitation.wave.instrument
    definition = invitation.version.definition
    sections = definition["sections"]
    part = request.POST.get("part") or request.GET.get("part") or "1"
    index = int(part) - 1 if part.isdigit() and 1 <= int(part) <= len(sections) else 0
    errors: dict[str, str] = {}
    answers, texts = opened.answers, opened.texts
    if request.method == "POST":
        raw: dict[str, Any] = {}
        for item in sections[index]["items"]:
            link = item["link_id"]
            raw[link] = (
                request.POST.getlist(link) if item["type"] == "choices" else request.POST.get(link)
            )
        send = request.POST.get("go") == "send" and index == len(sections) - 1
        try:
            opened = check_save_section(
                token, section_key=sections[index]["key"], raw=raw, language=language, send=send
            )
        except LinkProblem as problem:
            return _problem_page(request, problem.code, language, 409)
        except InvalidInput as error:
            errors[error.field or ""] = answer_error(error.code, language)
            answers = {**answers, **{k: v for k, v in raw.items() if v not in (None, "", [])}}
        else:
            if send:
                return redirect(f"{request.path}?lang={language}")
            step = index - 1 if request.POST.get("go") == "back" else index + 1
            step = max(0, min(step, len(sections) - 1))
            return redirect(f"{request.path}?lang={language}&part={step + 1}")
    section = sections[index]
    other = "es" if language == "en" else "en"
    return render(
        request,
        "surveys/public/answer.html",
        {
            "language": language,
            "words": words,
            "title": instrument.name_es
            if language == "es" and instrument.name_es
            else instrument.name,
            "instrument": instrument,
            "section_title": text_in(
                section.get("title", {}), language, instrument.fallback_language
            ),
            "questions": _questions(
                section, answers, texts, language, instrument.fallback_language
            ),
            "part": index + 1,
            "parts": len(sections),
            "part_label": words["part"].format(n=index + 1, total=len(sections)),
            "last": index == len(sections) - 1,
            "errors": errors,
            "switch": f"{request.path}?lang={other}&part={index + 1}"
            if other in instrument.languages
            else "",
            "other_language": other,
            "kept_note": words["later_anonymous"].format(
                k=survey_settings(instrument.organization_id).k_metric
            )
            if instrument.anonymous
            else words["later"].format(day=f"{invitation.expires_at:%Y-%m-%d}"),
        },
        status=422 if errors else 200,
    )
