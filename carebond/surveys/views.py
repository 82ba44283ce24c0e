"""Staff pages of surveys: the overview, the builder, distribution rules, results, the
recovery queue and its cases, and complaints logged from the person page."""

from __future__ import annotations

import csv
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.forms import show_error
from carebond.core.ids import is_uuid
from carebond.core.permissions import page_policy
from carebond.people.access import access_person
from carebond.surveys import rule_actions
from carebond.surveys.access import (
    COMPLAINT_LOGGERS,
    SURVEY_MANAGERS,
    SURVEY_READERS,
    access_case,
    access_instrument,
)
from carebond.surveys.comment_selectors import PERIODS as COMMENT_PERIODS
from carebond.surveys.comment_selectors import explore_comments, theme_choices
from carebond.surveys.export_selectors import response_table
from carebond.surveys.forms import (
    CloseForm,
    ComplaintForm,
    ContactForm,
    GrievanceForm,
    InstrumentForm,
    ItemForm,
    NoteForm,
    RuleForm,
    SectionForm,
    WrittenResponseForm,
)
from carebond.surveys.instrument_actions import (
    check_add_section,
    check_create_instrument,
    check_publish_version,
    check_remove_item,
    check_save_item,
    ensure_built_in_instruments,
)
from carebond.surveys.recovery_actions import (
    check_add_note,
    check_close_case,
    check_log_complaint,
    check_mark_grievance,
    check_record_contact,
    check_record_written_response,
)
from carebond.surveys.result_selectors import (
    BREAKDOWNS,
    PERIODS,
    get_results,
    list_scored_instruments,
)
from carebond.surveys.selectors import (
    get_case,
    get_instrument_page,
    list_instruments,
    list_recognition_suggestions,
    list_recovery_cases,
    list_rules,
    list_waves,
    section_views,
)
from carebond.surveys.suggestion_actions import check_decide_suggestion


@page_policy(SURVEY_READERS)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    ensure_built_in_instruments(user.organization)  # a new organisation's first visit
    return render(
        request,
        "surveys/home.html",
        {
            "instruments": list_instruments(user=user),
            "waves": list_waves(user=user, limit=12),
            "may_manage": SURVEY_MANAGERS.allows(user.role),
            "form": InstrumentForm(initial={"languages": ["en", "es"], "fallback_language": "en"}),
        },
    )


@page_policy(SURVEY_MANAGERS)
@require_POST
def instrument_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = InstrumentForm(request.POST)
    if form.is_valid():
        try:
            instrument = check_create_instrument(
                user.organization,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                anonymous=form.cleaned_data["anonymous"],
                languages=form.cleaned_data["languages"],
                fallback_language=form.cleaned_data["fallback_language"],
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Created {instrument.name}: add its first section.")
            return redirect("surveys:instrument", instrument_id=instrument.public_id)
    return render(
        request,
        "surveys/home.html",
        {
            "instruments": list_instruments(user=user),
            "waves": list_waves(user=user, limit=12),
            "may_manage": True,
            "form": form,
        },
        status=422,
    )


def _builder(
    request: HttpRequest,
    user: Any,
    instrument_id: UUID,
    *,
    section_form: SectionForm | None = None,
    item_form: ItemForm | None = None,
    status: int = 200,
) -> HttpResponse:
    version = request.GET.get("version")
    page = get_instrument_page(
        user=user,
        public_id=instrument_id,
        version=int(version) if version and version.isdigit() else None,
    )
    sections = [(s.key, s.title) for s in page.sections]
    item_form = item_form or ItemForm(initial={"section": sections[-1][0] if sections else ""})
    item_form.fields["section"].choices = sections  # type: ignore[attr-defined]
    item_form.fields["when_question"].choices = [("", "—"), *page.condition_choices]  # type: ignore[attr-defined]
    return render(
        request,
        "surveys/instrument.html",
        {
            "page": page,
            "may_manage": SURVEY_MANAGERS.allows(user.role),
            "section_form": section_form or SectionForm(),
            "item_form": item_form,
            "waves": list_waves(user=user, instrument=page.instrument, limit=6),
        },
        status=status,
    )


@page_policy(SURVEY_READERS)
@require_GET
def instrument(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    return _builder(request, signed_in_user(request), instrument_id)


@page_policy(SURVEY_MANAGERS)
@require_POST
def add_section(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_instrument(user, instrument_id)
    form = SectionForm(request.POST)
    if form.is_valid():
        try:
            version = check_add_section(found, acting_user=user, **form.cleaned_data)
        except CareBondError as error:
            show_error(form, error, aliases={"title": "title_en"})
        else:
            messages.success(request, f"Section added to draft version {version.number}.")
            return redirect("surveys:instrument", instrument_id=instrument_id)
    return _builder(request, user, instrument_id, section_form=form, status=422)


@page_policy(SURVEY_MANAGERS)
@require_POST
def save_item(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_instrument(user, instrument_id)
    page = get_instrument_page(user=user, public_id=instrument_id)
    form = ItemForm(request.POST)
    form.fields["section"].choices = [(s.key, s.title) for s in page.sections]  # type: ignore[attr-defined]
    form.fields["when_question"].choices = [("", "—"), *page.condition_choices]  # type: ignore[attr-defined]
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = check_save_item(
                found,
                section_key=data["section"],
                link_id=data["link_id"],
                kind=data["kind"],
                text_en=data["text_en"],
                text_es=data["text_es"],
                scale=data["scale"],
                options=form.option_rows(),
                required=data["required"],
                measure=data["measure"] or "",
                composite=data["composite"],
                reverse=data["reverse"],
                enable_when=form.condition(),
                acting_user=user,
            )
        except CareBondError as error:
            show_error(
                form,
                error,
                aliases={"type": "kind", "enable_when": "when_question", "sections": "section"},
            )
        else:
            messages.success(request, f"Question saved in draft version {version.number}.")
            return redirect("surveys:instrument", instrument_id=instrument_id)
    return _builder(request, user, instrument_id, item_form=form, status=422)


@page_policy(SURVEY_MANAGERS)
@require_POST
def remove_item(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_instrument(user, instrument_id)
    try:
        check_remove_item(found, link_id=request.POST.get("link_id", ""), acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Question removed from the draft.")
    return redirect("surveys:instrument", instrument_id=instrument_id)


@page_policy(SURVEY_MANAGERS)
@require_POST
def publish(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_instrument(user, instrument_id)
    try:
        version = check_publish_version(found, acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Version {version.number} is live.")
    return redirect("surveys:instrument", instrument_id=instrument_id)


@page_policy(SURVEY_READERS)
@require_GET
def preview(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    page = get_instrument_page(user=user, public_id=instrument_id)
    language = "es" if request.GET.get("lang") == "es" else "en"
    definition = page.shown.definition if page.shown else {"sections": []}
    return render(
        request,
        "surveys/preview.html",
        {
            "page": page,
            "language": language,
            "sections": section_views(definition, language),
        },
    )


@page_policy(SURVEY_MANAGERS)
@require_GET
def export(request: HttpRequest, instrument_id: UUID) -> HttpResponse:
    """Every response to every version, one column per question id (a question dropped from a
    later version keeps its column, empty for the later answers)."""
    user = signed_in_user(request)
    found = access_instrument(user, instrument_id)
    header, rows = response_table(user=user, instrument=found)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.key}-responses.csv"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


# --- distribution rules -----------------------------------------------------------------------


def _rule_form(user: Any, data: Any = None) -> RuleForm:
    form = RuleForm(data)
    form.fields["instrument"].choices = [  # type: ignore[attr-defined]
        (str(row.instrument.public_id), row.instrument.name) for row in list_instruments(user=user)
    ]
    form.fields["department"].choices = [("", "Everyone")] + [  # type: ignore[attr-defined]
        (str(d.public_id), d.name) for d in rule_actions.departments(user)
    ]
    return form


@page_policy(SURVEY_MANAGERS)
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = _rule_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule_actions.check_add_rule(user, acting_user=user, **form.cleaned_data)
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, "Rule added: the worker applies it within minutes.")
            return redirect("surveys:rules")
    return render(
        request,
        "surveys/rules.html",
        {"rules": list_rules(user=user), "form": form, "settings": rule_actions.settings_of(user)},
        status=422 if form.is_bound and form.errors else 200,
    )


@page_policy(SURVEY_MANAGERS)
@require_POST
def rule_active(request: HttpRequest, rule_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    try:
        rule = rule_actions.check_set_rule_active(
            user, rule_id, active=request.POST.get("active") == "1", acting_user=user
        )
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Rule resumed." if rule.active else "Rule paused.")
    return redirect("surveys:rules")


# --- results ----------------------------------------------------------------------------------


@page_policy(SURVEY_READERS)
@require_GET
def results(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    instruments = list_scored_instruments(user=user)
    chosen_id = request.GET.get("instrument") or (
        str(instruments[0].public_id) if instruments else ""
    )
    context: dict[str, Any] = {
        "instruments": instruments,
        "chosen": chosen_id,
        "periods": PERIODS,
        "breakdowns": BREAKDOWNS,
    }
    if chosen_id and not is_uuid(chosen_id):
        context["problem"] = "Choose one of the listed surveys."
    elif chosen_id:
        instrument = access_instrument(user, chosen_id)
        days = request.GET.get("days", "90")
        context["chosen_days"] = int(days) if days.isdigit() else 90
        try:
            context["results"] = get_results(
                user=user,
                instrument=instrument,
                days=int(days) if days.isdigit() else 0,
                breakdown=request.GET.get("breakdown", ""),
                wave=rule_actions.wave_of(user, instrument, request.GET.get("wave", "")),
            )
        except InvalidInput as error:
            context["problem"] = error.message
        context["instrument"] = instrument
        context["waves"] = rule_actions.waves_of(user, instrument) if instrument.anonymous else []
    return render(request, "surveys/results.html", context)


# --- recovery ---------------------------------------------------------------------------------


@page_policy(SURVEY_MANAGERS)
@require_GET
def recovery(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", "open")
    return render(
        request,
        "surveys/recovery.html",
        {
            "rows": list_recovery_cases(
                user=user, status=status, mine=request.GET.get("mine") == "1"
            ),
            "status": status,
            "suggestions": list_recognition_suggestions(user=user),
        },
    )


CASE_FORMS = {
    "contact": ContactForm,
    "note": NoteForm,
    "close": CloseForm,
    "grievance": GrievanceForm,
    "written": WrittenResponseForm,
}


def _case_page(
    request: HttpRequest, user: Any, case_id: UUID, bound: Any = None, which: str = ""
) -> HttpResponse:
    page = get_case(user=user, public_id=case_id)
    # each form's fields carry its name (two forms have a "note"; ids must stay unique)
    forms = {name: form_class(prefix=name) for name, form_class in CASE_FORMS.items()}
    if bound is not None:
        forms[which] = bound
    return render(
        request,
        "surveys/case.html",
        {"page": page, "case": page.case, "forms": forms},
        status=422 if bound is not None else 200,
    )


@page_policy(SURVEY_MANAGERS)
@require_GET
def case(request: HttpRequest, case_id: UUID) -> HttpResponse:
    return _case_page(request, signed_in_user(request), case_id)


@page_policy(SURVEY_MANAGERS)
@require_POST
def case_action(request: HttpRequest, case_id: UUID, which: str) -> HttpResponse:
    user = signed_in_user(request)
    found = access_case(user, case_id)
    form_class = CASE_FORMS.get(which)
    if form_class is None:
        return _case_page(request, user, case_id)
    form = form_class(request.POST, prefix=which)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if which == "contact":
                check_record_contact(
                    found, channel=data["channel"], note=data["note"], acting_user=user
                )
            elif which == "note":
                check_add_note(found, note=data["note"], acting_user=user)
            elif which == "close":
                check_close_case(
                    found,
                    outcome=data["outcome"],
                    note=data["note"],
                    send_follow_up=data["send_follow_up"],
                    acting_user=user,
                )
            elif which == "grievance":
                check_mark_grievance(
                    found,
                    received_on=data["received_on"],
                    contact=data["contact"],
                    acting_user=user,
                )
            else:
                check_record_written_response(
                    found,
                    text=data["text"],
                    sent_on=data["sent_on"],
                    contact=data["contact"],
                    acting_user=user,
                )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("surveys:case", case_id=case_id)
    return _case_page(request, user, case_id, form, which)


@page_policy(COMPLAINT_LOGGERS)
@require_POST
def complaint(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """A complaint logged from the person page: it opens a recovery case."""
    user = signed_in_user(request)
    person = access_person(user, person_id)
    form = ComplaintForm(request.POST)
    form.fields["location"].choices = [("", "—")] + [  # type: ignore[attr-defined]
        (str(place.public_id), place.name) for place in rule_actions.locations(user)
    ]
    if form.is_valid():
        try:
            check_log_complaint(
                person,
                text=form.cleaned_data["text"],
                location=rule_actions.location_of(user, form.cleaned_data["location"]),
                written=form.cleaned_data["written"],
                acting_user=user,
            )
        except CareBondError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, "Complaint logged: the location's manager has a recovery case."
            )
    else:
        messages.error(request, "Write what the patient said.")
    return redirect("people:detail", person_id=person_id)


@page_policy(SURVEY_MANAGERS)
@require_POST
def suggestion(request: HttpRequest, suggestion_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    try:
        check_decide_suggestion(
            user, suggestion_id, decision=request.POST.get("decision", ""), acting_user=user
        )
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you: recorded.")
    return redirect("core:home" if request.POST.get("next") == "home" else "surveys:recovery")


@page_policy(SURVEY_READERS)
@require_GET
def comments(request: HttpRequest) -> HttpResponse:
    """Managers read the words (theme words highlighted, personal details removed); the
    analyst sees how often each theme comes up."""
    user = signed_in_user(request)
    filters = {key: request.GET.get(key, "") for key in FILTERS}
    context: dict[str, Any] = {
        "filters": filters,
        "themes": theme_choices(),
        "instruments": list_scored_instruments(user=user),
        "locations": rule_actions.locations(user),
        "periods": COMMENT_PERIODS,
    }
    try:
        context["explorer"] = explore_comments(user=user, filters=filters)
    except InvalidInput as error:
        context["problem"] = error.message
    return render(request, "surveys/comments.html", context)


FILTERS = ("theme", "label", "instrument", "location", "days", "language", "flagged")
