"""Value-map pages: studies, the code book, the interview page, CSV import, the map, the report.

Every page works with plain form posts and links; value_maps.js only makes the map page livelier
(the cut-off slider redraws the map, a click on a code filters the ladders, PNG export).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from carebond.accounts.access import signed_in_user
from carebond.accounts.models import User
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.fields import decrypt, encrypt
from carebond.core.permissions import page_policy, require_role
from carebond.people.access import access_person
from carebond.value_maps import actions
from carebond.value_maps.access import (
    VALUE_MAP_EDITORS,
    VALUE_MAP_READERS,
    access_code,
    access_respondent,
    access_study,
    may_read_words,
    may_see_people,
)
from carebond.value_maps.analysis import (
    LEVEL_NAMES,
    CountUnit,
    LadderAnalysis,
    compare_segments,
)
from carebond.value_maps.forms import (
    CodeForm,
    CompareForm,
    ImportForm,
    MapForm,
    MergeCodesForm,
    RenameCodeForm,
    RespondentForm,
    RungForm,
    SegmentForm,
    StudyForm,
)
from carebond.value_maps.models import Code, Respondent, Study
from carebond.value_maps.selectors import (
    current_codes,
    get_analysis,
    get_ladder,
    get_segment,
    ladder_warnings,
    list_codes,
    list_ladders,
    list_respondents,
    list_segments,
    list_studies,
    words_by_code,
)
from carebond.value_maps.svg import render_map

# The ladders being built, one per study and respondent: {"<study>:<respondent>": encrypted}.
DRAFTS_KEY = "value_maps_drafts"
MAX_DRAFTS = 20


def _field_error(form: Any, error: CareBondError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- studies ----------------------------------------------------------------------------------


@page_policy(VALUE_MAP_READERS)
@require_GET
def studies(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "value_maps/studies.html",
        {"studies": list_studies(user=user), "may_edit": VALUE_MAP_EDITORS.allows(user.role)},
    )


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def new_study(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = StudyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                study = actions.check_create_study(
                    user.organization,
                    title=form.cleaned_data["title"],
                    question=form.cleaned_data["question"],
                    interview_guide=form.cleaned_data["interview_guide"],
                    segments=form.segment_names(),
                    acting_user=user,
                )
            except CareBondError as error:
                _field_error(form, error)
                status = error.status
            else:
                messages.success(request, f"Study “{study.title}” created.")
                return redirect("value_maps:study", study_id=study.public_id)
        else:
            status = 400
    return render(request, "value_maps/new_study.html", {"form": form}, status=status)


# --- the map page -----------------------------------------------------------------------------


def _map_settings(
    request: HttpRequest, study: Study
) -> tuple[MapForm, str | None, int | None, CountUnit, str]:
    segments = [s.name for s in list_segments(study)]
    form = MapForm(request.GET or None, segment_choices=segments)
    segment, cutoff, unit, code = None, None, "respondent", ""
    if form.is_bound and form.is_valid():
        segment = form.cleaned_data["segment"] or None
        cutoff = form.cleaned_data["cutoff"]
        unit = form.cleaned_data["unit"] or "respondent"
        code = form.cleaned_data["code"]
    elif form.is_bound:
        # Keep the valid parts; the invalid ones are shown next to their fields.
        valid = {
            name: form.cleaned_data.get(name) for name in form.fields if name not in form.errors
        }
        segment = valid.get("segment") or None
        cutoff = valid.get("cutoff")
        unit = valid.get("unit") or "respondent"
        code = valid.get("code") or ""
    return form, segment, cutoff, unit, code  # type: ignore[return-value]


def _analyse(
    study: Study, form: MapForm, *, segment: str | None, cutoff: int | None, unit: CountUnit
) -> LadderAnalysis:
    try:
        return get_analysis(study, segment=segment, cutoff=cutoff, count_unit=unit)[1]
    except InvalidInput as error:
        # A segment with no ladders yet: say so beside the selector, show everyone.
        form.add_error("segment", error.message)
        return get_analysis(study, cutoff=cutoff, count_unit=unit)[1]


def _query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def _code_link(segment: str | None, cutoff: int, unit: str) -> str:
    """The link a map node carries without JavaScript: the same map, ladders filtered."""
    query = _query(segment=segment, cutoff=cutoff, unit=unit if unit != "respondent" else "")
    return "?" + query + ("&" if query else "") + "code="


@page_policy(VALUE_MAP_READERS)
@require_GET
def study(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """The map page: settings, the SVG map (server-drawn), the cut-off table, the dominant
    paths, the indices and the ladders (filtered by a clicked code)."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    form, segment, cutoff, unit, code = _map_settings(request, the_study)
    analysis = _analyse(the_study, form, segment=segment, cutoff=cutoff, unit=unit)
    segment = analysis.segment
    ladders = list_ladders(user=user, study=the_study, segment=segment)
    shown = [ladder for ladder in ladders if not code or code in ladder.codes]
    settings_query = _query(segment=segment, unit=unit if unit != "respondent" else "")
    svg = render_map(
        analysis,
        # Empty for the analyst: list_ladders gives words to editors only (an audited read).
        words=words_by_code(ladders),
        link=_code_link(segment, analysis.cutoff, unit),
        title=the_study.title,
    )
    labels = {c.id: c.label for c in analysis.matrix.codes}
    max_cutoff = max((row.cutoff for row in analysis.cutoff_table), default=1)
    context = {
        "study": the_study,
        "form": form,
        "analysis": analysis,
        "svg": mark_safe(svg),  # noqa: S308  (built by render_map, every text escaped)
        "segments": [s.name for s in list_segments(the_study)],
        # Every ladder is on the page; those not through the chosen code are hidden, so the
        # script can filter again without a reload.
        "ladders": ladders,
        "shown_count": len(shown),
        "ladder_total": len(ladders),
        "code": code,
        "code_label": labels.get(code, ""),
        "max_cutoff": max(max_cutoff, analysis.cutoff),
        "paths": [
            {
                "steps": [(c, labels.get(c, c)) for c in p.codes],
                "strength": p.strength,
                "support": p.support,
                "ladders": p.ladders,
                "uses_indirect": p.uses_indirect,
            }
            for p in analysis.pathways.top(5)
        ],
        "indices": [
            index for index in analysis.indices.codes if index.in_degree or index.out_degree
        ],
        "warnings": ladder_warnings(get_analysis(the_study)[0]) if ladders else [],
        "may_edit": VALUE_MAP_EDITORS.allows(user.role),
        "with_words": may_read_words(user),
        "drawn_segment": segment or "",
        "drawn_unit": unit,
        "svg_url": reverse("value_maps:map_svg", args=[the_study.public_id]),
        "settings_query": settings_query,
        "level_names": LEVEL_NAMES,
        "unit_word": "respondents" if unit == "respondent" else "ladders",
    }
    return render(request, "value_maps/study.html", context, status=400 if form.errors else 200)


@page_policy(VALUE_MAP_READERS)
@require_GET
def map_svg(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """The map alone: the fragment the slider fetches, or a standalone file (download=1)."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    form, segment, cutoff, unit, _ = _map_settings(request, the_study)
    if form.errors:
        raise InvalidInput("; ".join(str(e) for errors in form.errors.values() for e in errors))
    try:
        analysis = get_analysis(the_study, segment=segment, cutoff=cutoff, count_unit=unit)[1]
    except InvalidInput as error:
        raise NotFound(error.message) from error
    words = (
        words_by_code(list_ladders(user=user, study=the_study, segment=segment, name_people=False))
        if may_read_words(user)
        else {}
    )
    svg = render_map(
        analysis,
        words=words,
        link=None if request.GET.get("download") else _code_link(segment, analysis.cutoff, unit),
        title=the_study.title,
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["X-Cutoff"] = str(analysis.cutoff)
    if request.GET.get("download"):
        name = f"value-map-cutoff-{analysis.cutoff}{'-' + segment if segment else ''}.svg"
        response["Content-Disposition"] = f'attachment; filename="{_safe_name(name)}"'
        response.content = ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode()
    return response


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)


@page_policy(VALUE_MAP_READERS)
@require_GET
def matrix_csv(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """The summary implication matrix, one row per non-empty cell (direct, indirect, total)."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    form, segment, _, unit, _ = _map_settings(request, the_study)
    if form.errors:
        raise InvalidInput("; ".join(str(e) for errors in form.errors.values() for e in errors))
    analysis = get_analysis(the_study, segment=segment, count_unit=unit)[1]
    matrix = analysis.matrix
    codes = {code.id: code for code in matrix.codes}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "from",
            "from_label",
            "from_level",
            "to",
            "to_label",
            "to_level",
            "direct",
            "indirect",
            "total",
        ]
    )
    for relation in matrix.relations("total"):
        one, two = codes[relation.source], codes[relation.target]
        writer.writerow(
            [
                one.id,
                _cell(one.label),
                one.level,
                two.id,
                _cell(two.label),
                two.level,
                matrix.count(one.id, two.id, "direct"),
                matrix.count(one.id, two.id, "indirect"),
                relation.count,
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"implication-matrix{'-' + segment if segment else ''}-{unit}.csv"
    response["Content-Disposition"] = f'attachment; filename="{_safe_name(name)}"'
    return response


def _cell(text: str) -> str:
    """No spreadsheet formulas from labels (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@page_policy(VALUE_MAP_READERS)
@require_GET
def compare(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """Two segments side by side: both maps, and the codes and links each one has alone."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    segments = [s.name for s in list_segments(the_study)]
    data = request.GET.copy()
    if len(segments) >= 2:
        # What the query leaves out comes from the defaults: ?unit=ladder compares the first two.
        data.setdefault("first", segments[0])
        data.setdefault("second", segments[1])
    form = CompareForm(data or None, segment_choices=segments)
    context: dict[str, Any] = {
        "study": the_study,
        "form": form,
        "segments": segments,
        "may_edit": VALUE_MAP_EDITORS.allows(user.role),
    }
    status = 200
    if len(segments) >= 2 and form.is_valid():
        unit: CountUnit = form.cleaned_data["unit"] or "respondent"
        try:
            comparison = compare_segments(
                get_analysis(the_study)[0],
                form.cleaned_data["first"],
                form.cleaned_data["second"],
                count_unit=unit,
            )
        except InvalidInput as error:
            _field_error(form, error)
            status = 400
        else:
            # Each map with its own segment's words; editors only (an audited read).
            ladders = (
                list_ladders(user=user, study=the_study, name_people=False)
                if may_read_words(user)
                else []
            )
            labels = {c.id: c.label for c in comparison.first.matrix.codes}
            labels |= {c.id: c.label for c in comparison.second.matrix.codes}
            context |= {
                "comparison": comparison,
                "labels": labels,
                "first_svg": mark_safe(  # noqa: S308  (render_map escapes every text)
                    render_map(
                        comparison.first,
                        words=words_by_code(ladders, segment=comparison.first.segment),
                        title=comparison.first.segment or "",
                    )
                ),
                "second_svg": mark_safe(  # noqa: S308
                    render_map(
                        comparison.second,
                        words=words_by_code(ladders, segment=comparison.second.segment),
                        title=comparison.second.segment or "",
                    )
                ),
            }
    elif form.is_bound and len(segments) >= 2:
        status = 400
    return render(request, "value_maps/compare.html", context, status=status)


_SETTING_NAMES = {
    "cutoff": "cut-off",
    "segment": "segment",
    "unit": "counting unit",
    "code": "code",
}


@page_policy(VALUE_MAP_READERS)
@require_GET
def report(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """The printable report: aggregates only (respondents by number, never by name or words).
    Bad settings are listed at the top (400) and the report uses the valid ones, as the map
    page does."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    form, segment, cutoff, unit, _ = _map_settings(request, the_study)
    analysis = _analyse(the_study, form, segment=segment, cutoff=cutoff, unit=unit)
    labels = {c.id: c.label for c in analysis.matrix.codes}
    context = {
        "study": the_study,
        "setting_errors": [
            f"{_SETTING_NAMES.get(name, name)}: {error}"
            for name, errors in form.errors.items()
            for error in errors
        ],
        "analysis": analysis,
        "svg": mark_safe(render_map(analysis, title=the_study.title)),  # noqa: S308
        "codes": list_codes(the_study),
        "segments": [s.name for s in list_segments(the_study)],
        "paths": [
            {"steps": [(c, labels.get(c, c)) for c in p.codes], "pathway": p}
            for p in analysis.pathways.top(5)
        ],
        "indices": [i for i in analysis.indices.codes if i.in_degree or i.out_degree],
        "unit_word": "respondents" if unit == "respondent" else "ladders",
        "may_edit": VALUE_MAP_EDITORS.allows(user.role),
    }
    return render(request, "value_maps/report.html", context, status=400 if form.errors else 200)


# --- the code book ----------------------------------------------------------------------------


@page_policy(VALUE_MAP_READERS)
@require_http_methods(["GET", "POST"])
def code_book(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """List, add, rename and merge codes (writes: editors only)."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    codes = list_codes(the_study)
    choices = [(str(c.public_id), f"{c.key} {c.label} ({c.level})") for c in codes]
    action = request.POST.get("action", "") if request.method == "POST" else ""
    add_form = CodeForm(request.POST if action == "add" else None)
    rename_form = RenameCodeForm(request.POST if action == "rename" else None)
    merge_form = MergeCodesForm(request.POST if action == "merge" else None, code_choices=choices)
    segment_form = SegmentForm(request.POST if action == "segment" else None)
    status = 200
    if request.method == "POST":
        require_role(user, VALUE_MAP_EDITORS)
        done, status = _code_book_post(
            request, user, the_study, action, add_form, rename_form, merge_form, segment_form
        )
        if done:
            return redirect("value_maps:codes", study_id=the_study.public_id)
    return render(
        request,
        "value_maps/codes.html",
        {
            "study": the_study,
            "codes": codes,
            "segments": list_segments(the_study),
            "add_form": add_form,
            "rename_form": rename_form,
            "merge_form": merge_form,
            "segment_form": segment_form,
            "may_edit": VALUE_MAP_EDITORS.allows(user.role),
            "renaming": request.POST.get("code", "") if action == "rename" else "",
        },
        status=status,
    )


def _code_book_post(
    request: HttpRequest,
    user: User,
    study: Study,
    action: str,
    add_form: CodeForm,
    rename_form: RenameCodeForm,
    merge_form: MergeCodesForm,
    segment_form: SegmentForm,
) -> tuple[bool, int]:
    form: Any = {"add": add_form, "rename": rename_form, "merge": merge_form}.get(
        action, segment_form
    )
    if not form.is_valid():
        return False, 400
    data = form.cleaned_data
    try:
        if action == "add":
            code = actions.check_create_code(
                study,
                label=data["label"],
                level=data["level"],
                key=data["key"],
                definition=data["definition"],
                synonyms=add_form.synonym_list(),
                acting_user=user,
            )
            messages.success(request, f"Code {code.key} “{code.label}” added.")
        elif action == "rename":
            code = actions.check_rename_code(
                access_code(study, data["code"]),
                label=data["label"],
                key=data["key"],
                definition=data["definition"],
                acting_user=user,
            )
            messages.success(request, f"Code {code.key} is now “{code.label}”.")
        elif action == "merge":
            merged = access_code(study, data["merged"])
            into = actions.check_merge_codes(
                merged, access_code(study, data["into"]), acting_user=user
            )
            messages.success(
                request, f"Merged into {into.key} “{into.label}”; its ladders keep every rung."
            )
        else:
            segment = actions.check_add_segment(study, data["segment"], acting_user=user)
            messages.success(request, f"Segment “{segment.name}” is ready.")
    except NotFound as error:
        form.add_error(None, error.message)
        return False, 404
    except CareBondError as error:
        _field_error(form, error)
        return False, error.status
    return True, 302


# --- the interview page -----------------------------------------------------------------------


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def interview(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """Step 1: choose a respondent of the study, or add one (label, segment, linked person)."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    segments = [s.name for s in list_segments(the_study)]
    form = RespondentForm(
        request.POST or None,
        segment_choices=segments,
        initial={"label": actions.next_respondent_label(the_study)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = access_person(user, data["person"]) if data["person"] else None
            except NotFound:
                form.add_error("person", "No person with this id in your organisation.")
                status = 422
            else:
                try:
                    respondent = actions.check_create_respondent(
                        the_study,
                        label=data["label"],
                        segment=get_segment(the_study, data["segment"])
                        if data["segment"]
                        else None,
                        person=person,
                        acting_user=user,
                    )
                except CareBondError as error:
                    _field_error(form, error)
                    status = error.status
                else:
                    return redirect(
                        "value_maps:interview_respondent",
                        study_id=the_study.public_id,
                        respondent_id=respondent.public_id,
                    )
        else:
            status = 400
    return render(
        request,
        "value_maps/interview.html",
        {
            "study": the_study,
            "form": form,
            "respondents": list_respondents(user=user, study=the_study),
        },
        status=status,
    )


def _draft_key(study: Study, respondent: Respondent) -> str:
    return f"{study.public_id}:{respondent.public_id}"


def _draft(request: HttpRequest, key: str) -> list[dict[str, str]]:
    """The ladder being built for one respondent of one study, kept in the session (encrypted:
    it holds the respondent's words) until it is finished, so no half ladder is ever stored.
    Each respondent has their own: interviewing R2 leaves R1's ladder as it was."""
    drafts = request.session.get(DRAFTS_KEY)
    stored = drafts.get(key) if isinstance(drafts, dict) else None
    if not isinstance(stored, str):
        return []
    try:
        rungs = json.loads(decrypt(stored))
    except (KeyError, ValueError, TypeError):
        return []
    return [r for r in rungs if isinstance(r, dict)] if isinstance(rungs, list) else []


def _save_draft(request: HttpRequest, key: str, rungs: list[dict[str, str]]) -> None:
    stored = request.session.get(DRAFTS_KEY)
    drafts: dict[str, str] = dict(stored) if isinstance(stored, dict) else {}
    drafts.pop(key, None)
    if rungs:
        drafts[key] = encrypt(json.dumps(rungs))
        # The newest last; past the limit the oldest drafts go (sessions stay small).
        drafts = dict(list(drafts.items())[-MAX_DRAFTS:])
    if drafts:
        request.session[DRAFTS_KEY] = drafts
    else:
        request.session.pop(DRAFTS_KEY, None)


def _draft_codes(study: Study, draft: list[dict[str, str]]) -> list[Code | None]:
    """Each draft rung's code now, following merges (see ``current_codes``)."""
    return current_codes(study, [(r.get("code", ""), r.get("label", "")) for r in draft])


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def interview_respondent(request: HttpRequest, study_id: UUID, respondent_id: UUID) -> HttpResponse:
    """Step 2: build a ladder rung by rung (pick or create a code, keep the words), then finish
    it; the respondent's finished ladders are listed below."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    respondent = access_respondent(user, the_study, respondent_id)
    key = _draft_key(the_study, respondent)
    codes = list_codes(the_study)
    by_id = {str(c.public_id): c for c in codes}
    choices = _grouped_choices(codes)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    draft = _draft(request, key)
    form = RungForm(request.POST if action == "add" else None, code_choices=choices)
    ladder_error = ""
    status = 200
    if action == "add":
        if form.is_valid():
            try:
                code = _rung_code(form, the_study, by_id, user)
            except CareBondError as error:
                _field_error(form, error)
                status = error.status
            else:
                draft.append(
                    {
                        "code": str(code.public_id),
                        # The label too: if the code is merged away, the merge target keeps it.
                        "label": code.label,
                        "words": form.cleaned_data["words"],
                    }
                )
                _save_draft(request, key, draft)
                return redirect(request.path + "#rung-form")
        else:
            status = 400
    elif action == "undo":
        _save_draft(request, key, draft[:-1])
        return redirect(request.path + "#rung-form")
    elif action == "discard":
        _save_draft(request, key, [])
        messages.info(request, "The ladder was discarded.")
        return redirect(request.path)
    elif action == "finish":
        resolved = _draft_codes(the_study, draft)
        lost = [
            f"rung {position} (“{rung.get('label') or 'unknown code'}”)"
            for position, (rung, code) in enumerate(zip(draft, resolved, strict=True), start=1)
            if code is None
        ]
        if lost:
            # Never store a ladder with a rung silently left out.
            ladder_error = (
                f"The code of {', '.join(lost)} is no longer in the code book; remove that "
                "rung (or discard the ladder) and add it again with a code of the book."
            )
            status = 409
        else:
            rungs = [
                actions.RungInput(code=code, words=rung.get("words", ""))
                for rung, code in zip(draft, resolved, strict=True)
                if code is not None
            ]
            try:
                ladder = actions.check_add_ladder(respondent, rungs, acting_user=user)
            except CareBondError as error:
                ladder_error = error.message
                status = error.status
            else:
                _save_draft(request, key, [])
                messages.success(request, f"Ladder {ladder.key} saved with {len(rungs)} rungs.")
                return redirect(request.path)
    elif action == "delete":
        to_delete = get_ladder(respondent, request.POST.get("ladder", ""))
        if to_delete is None:
            raise NotFound("No such ladder.")
        actions.check_delete_ladder(to_delete, acting_user=user)
        messages.info(request, f"Ladder {to_delete.key} deleted.")
        return redirect(request.path)
    draft_rungs = [
        {"code": code, "label": r.get("label", ""), "words": r.get("words", "")}
        for r, code in zip(draft, _draft_codes(the_study, draft), strict=True)
    ]
    return render(
        request,
        "value_maps/interview_respondent.html",
        {
            "study": the_study,
            "respondent": respondent,
            "person": respondent.person.display_name
            if respondent.person and may_see_people(user)
            else "",
            "form": form,
            "ladder_error": ladder_error,
            "draft": draft_rungs,
            "ladders": list_ladders(user=user, study=the_study, respondent=respondent),
            "next_position": len(draft_rungs) + 1,
        },
        status=status,
    )


def _grouped_choices(codes: list[Code]) -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {"A": [], "C": [], "V": []}
    for code in codes:
        groups[code.level[0]].append((str(code.public_id), f"{code.key} {code.label}"))
    names = {"A": "Attributes", "C": "Consequences", "V": "Values"}
    return [(names[level], options) for level, options in groups.items() if options]


def _rung_code(form: RungForm, study: Study, by_id: dict[str, Code], user: User) -> Code:
    data = form.cleaned_data
    if data["code"]:
        code = by_id.get(data["code"])
        if code is None:
            raise InvalidInput("That code is no longer in the code book.", field="code")
        return code
    return actions.check_create_code(
        study, label=data["new_label"], level=data["new_level"], acting_user=user
    )


# --- CSV import -------------------------------------------------------------------------------


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def import_ladders(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """Upload a CSV of ladders: check it (dry run) or import it, all or nothing."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"study": the_study, "form": form}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = actions.check_import_ladders(
                the_study,
                form.cleaned_data["file"],
                dry_run=request.POST.get("step") == "check",
                acting_user=user,
            )
            context["result"] = result
            context["errors_shown"] = result.errors[:500]
            context["errors_hidden"] = max(0, len(result.errors) - 500)
            status = 422 if result.rejected else 200
            if result.written:
                context["form"] = ImportForm()
        else:
            status = 400
    return render(request, "value_maps/import.html", context, status=status)
