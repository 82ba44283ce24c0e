"""The capturing side of value maps, for editors: the code book (create, rename, merge), the
interview page (ladders built rung by rung, drafts kept per respondent in the session) and the
CSV import. The reading side (studies, map, compare, report) is in views.py.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from carebond.accounts.models import User
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.fields import decrypt, encrypt
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy, require_role
from carebond.people.access import access_person
from carebond.people.selectors import SearchResult, search_people
from carebond.value_maps import actions, code_actions, import_actions
from carebond.value_maps.access import (
    VALUE_MAP_EDITORS,
    VALUE_MAP_READERS,
    access_code,
    access_respondent,
    access_study,
    may_see_people,
)
from carebond.value_maps.forms import (
    CodeForm,
    FindPersonForm,
    ImportForm,
    MergeCodesForm,
    RenameCodeForm,
    RespondentForm,
    RungForm,
    SegmentForm,
)
from carebond.value_maps.models import Code, Respondent, Study
from carebond.value_maps.selectors import (
    current_codes,
    get_ladder,
    get_segment,
    list_codes,
    list_ladders,
    list_respondents,
    list_segments,
)

# The ladders being built, one per study and respondent: {"<study>:<respondent>": encrypted}.
DRAFTS_KEY = "value_maps_drafts"
MAX_DRAFTS = 20


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
            code = code_actions.check_create_code(
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
            code = code_actions.check_rename_code(
                access_code(study, data["code"]),
                label=data["label"],
                key=data["key"],
                definition=data["definition"],
                acting_user=user,
            )
            messages.success(request, f"Code {code.key} is now “{code.label}”.")
        elif action == "merge":
            merged = access_code(study, data["merged"])
            into = code_actions.check_merge_codes(
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
        show_error(form, error)
        return False, error.status
    return True, 302


# --- the interview page -----------------------------------------------------------------------


@page_policy(VALUE_MAP_EDITORS)
@require_http_methods(["GET", "POST"])
def interview(request: HttpRequest, study_id: UUID) -> HttpResponse:
    """Step 1: choose a respondent of the study, or add one (label, segment, linked person).

    ``?find=`` searches the organisation's people (an audited people.search) and offers the
    matches as the person to link, so nobody has to copy ids between pages."""
    user = signed_in_user(request)
    the_study = access_study(user, study_id)
    segments = [s.name for s in list_segments(the_study)]
    searched = request.POST.get("searched_for", "") if request.method == "POST" else None
    find_form = FindPersonForm({"find": searched} if searched is not None else request.GET)
    form = RespondentForm(
        request.POST or None,
        segment_choices=segments,
        initial={
            "label": actions.next_respondent_label(the_study),
            "searched_for": find_form.data.get("find", ""),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                respondent = _start_respondent(user, the_study, data)
            except NotFound:
                form.add_error("person", "No person with this id in your organisation.")
                status = 422
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                return redirect(
                    "value_maps:interview_respondent",
                    study_id=the_study.public_id,
                    respondent_id=respondent.public_id,
                )
        else:
            status = 400
    # The search runs only for a page that is shown (a refused start lists the matches again).
    matches = _people_matching(user, find_form)
    form.offer_people([(str(m.person.public_id), _person_choice(m)) for m in matches])
    return render(
        request,
        "value_maps/interview.html",
        {
            "study": the_study,
            "form": form,
            "find_form": find_form,
            "searched": bool(find_form.cleaned_data.get("find")),
            "matches": matches,
            "respondents": list_respondents(user=user, study=the_study),
        },
        status=status,
    )


def _start_respondent(user: User, study: Study, data: dict[str, Any]) -> Respondent:
    """NotFound when the person to link is not one of the organisation's."""
    person = access_person(user, data["person"]) if data["person"] else None
    return actions.check_create_respondent(
        study,
        label=data["label"],
        segment=get_segment(study, data["segment"]) if data["segment"] else None,
        person=person,
        acting_user=user,
    )


def _people_matching(user: User, find_form: FindPersonForm) -> list[SearchResult]:
    """The people a search names (none without one); a bad search is told beside its field."""
    if not find_form.is_valid() or not find_form.cleaned_data["find"].strip():
        return []
    try:
        return search_people(user=user, q=find_form.cleaned_data["find"], limit=10)
    except InvalidInput as error:
        find_form.add_error("find", error.message)
        return []


def _person_choice(match: SearchResult) -> str:
    person = match.person
    born = f", born {person.birth_date:%Y-%m-%d}" if person.birth_date else ""
    contact = f", {match.contact}" if match.contact else ""
    return f"{person.display_name} ({person.get_kind_display().lower()}{born}{contact})"


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
                show_error(form, error)
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
    return code_actions.check_create_code(
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
            result = import_actions.check_import_ladders(
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
