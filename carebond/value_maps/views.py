"""Value-map pages: studies, the code book, the interview page, CSV import, the map, the report.

Every page works with plain form posts and links; value_maps.js only makes the map page livelier
(the cut-off slider redraws the map, a click on a code filters the ladders, PNG export).
"""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.csv_files import spreadsheet_safe
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.value_maps import actions
from carebond.value_maps.access import (
    VALUE_MAP_EDITORS,
    VALUE_MAP_READERS,
    access_study,
    may_read_words,
)
from carebond.value_maps.analysis import (
    LEVEL_NAMES,
    CountUnit,
    LadderAnalysis,
    compare_segments,
    suggest_cutoff,
)
from carebond.value_maps.forms import (
    CompareForm,
    EditStudyForm,
    MapForm,
    StudyForm,
)
from carebond.value_maps.models import Study
from carebond.value_maps.selectors import (
    get_analysis,
    ladder_warnings,
    list_codes,
    list_ladders,
    list_segments,
    list_studies,
    words_by_code,
)
from carebond.value_maps.svg import render_map

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
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, f"Study “{study.title}” created.")
                return redirect("value_maps:study", study_id=study.public_id)
        else:
            status = 400
    return render(request, "value_maps/new_study.html", {"form": form}, status=status)


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def edit_study(request: HttpRequest, study_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    study = access_study(user, study_id)
    segments = [(segment.pk, segment.name) for segment in list_segments(study)]
    initial = {
        "title": study.title,
        "question": study.question,
        "interview_guide": study.interview_guide,
    }
    form = EditStudyForm(request.POST or None, initial=initial, segments=segments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                study = actions.check_update_study(
                    study,
                    title=form.cleaned_data["title"],
                    question=form.cleaned_data["question"],
                    interview_guide=form.cleaned_data["interview_guide"],
                    segment_names=form.segment_names(),
                    acting_user=user,
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, f"Study “{study.title}” saved.")
                return redirect("value_maps:study", study_id=study.public_id)
        else:
            status = 400
    context = {"study": study, "form": form, "may_edit": True}
    return render(request, "value_maps/edit_study.html", context, status=status)


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
        "suggested_cutoff": suggest_cutoff(analysis.cutoff_table),
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
            spreadsheet_safe(
                [
                    one.id,
                    one.label,
                    one.level,
                    two.id,
                    two.label,
                    two.level,
                    matrix.count(one.id, two.id, "direct"),
                    matrix.count(one.id, two.id, "indirect"),
                    relation.count,
                ]
            )
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"implication-matrix{'-' + segment if segment else ''}-{unit}.csv"
    response["Content-Disposition"] = f'attachment; filename="{_safe_name(name)}"'
    return response


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
            show_error(form, error)
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
