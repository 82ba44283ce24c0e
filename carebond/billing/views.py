"""Billing pages: the statements (filters, counts by status), the CSV import, and for managers
the billing questions with how fast they are answered, and who answers them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from carebond.accounts.selectors import list_colleagues
from carebond.billing import actions, import_actions
from carebond.billing.access import BILLING_MANAGERS, BILLING_STAFF
from carebond.billing.forms import HandlersForm, ImportForm, PeriodForm, StatementFilterForm
from carebond.billing.selectors import (
    PAGE_SIZE,
    StatementFilters,
    billing_question_figures,
    count_statements_by_status,
    list_billing_handlers,
    list_statements,
    list_waiting_billing_questions,
)
from carebond.billing.statement_csv import HEADER
from carebond.core import clock
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy

# Problems shown on the import page (the rest are counted).
ERRORS_SHOWN = 500


@page_policy(BILLING_STAFF)
@require_GET
def statements(request: HttpRequest) -> HttpResponse:
    """The organisation's statements, newest first, filtered; how many stand at each status."""
    user = signed_in_user(request)
    form = StatementFilterForm(request.GET or None)
    filters, status = StatementFilters(), 200
    if form.is_bound and form.is_valid():
        filters = form.filters()
    elif form.is_bound:
        status = 400
    offset = request.GET.get("offset", "0")
    try:
        page = list_statements(
            user=user, filters=filters, offset=int(offset) if offset.isdigit() else 0
        )
    except CareBondError as error:
        show_error(form, error)
        filters, status = StatementFilters(), error.status
        page = list_statements(user=user, filters=filters)
    by_status = count_statements_by_status(
        user.organization_id,
        filters=StatementFilters(source=filters.source, since=filters.since, until=filters.until),
    )
    query = {k: str(v) for k, v in request.GET.items() if k != "offset" and v}
    return render(
        request,
        "billing/statements.html",
        {
            "form": form,
            "page": page,
            "by_status": by_status,
            "chosen_status": filters.status,
            "query": urlencode(query),
            "may_manage": BILLING_MANAGERS.allows(user.role),
            "page_size": PAGE_SIZE,
        },
        status=status,
    )


@page_policy(BILLING_STAFF)
@require_http_methods(["GET", "POST"])
def import_statements(request: HttpRequest) -> HttpResponse:
    """Upload a practice-management system's CSV of statements: check it, or import it, all
    or nothing."""
    user = signed_in_user(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "header": HEADER}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            result = import_actions.check_import_statements(
                user.organization,
                form.cleaned_data["file"],
                dry_run=request.POST.get("step") == "check",
                acting_user=user,
            )
            context["result"] = result
            context["errors_shown"] = result.errors[:ERRORS_SHOWN]
            context["errors_hidden"] = max(0, len(result.errors) - ERRORS_SHOWN)
            status = 422 if result.rejected else 200
            if result.written:
                context["form"] = ImportForm()
        else:
            status = 400
    return render(request, "billing/import.html", context, status=status)


@page_policy(BILLING_MANAGERS)
@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    """Billing questions that came in the inbox: how many, how fast staff answered them, and
    those still waiting (who asked: an audited read)."""
    user = signed_in_user(request)
    form = PeriodForm(request.GET or None)
    days = (form.cleaned_data.get("days") or 30) if form.is_valid() else 30
    now = clock.now()
    figures = billing_question_figures(
        user.organization_id, since=now - timedelta(days=days), until=now
    )
    waiting_count, waiting = list_waiting_billing_questions(user=user)
    return render(
        request,
        "billing/questions.html",
        {
            "form": form,
            "days": days,
            "figures": figures,
            "waiting": waiting,
            "waiting_count": waiting_count,
            "handlers": list_billing_handlers(user.organization_id),
        },
        status=200 if not form.is_bound or form.is_valid() else 400,
    )


@page_policy(BILLING_MANAGERS)
@require_http_methods(["GET", "POST"])
def handlers(request: HttpRequest) -> HttpResponse:
    """Name the colleagues who answer billing questions."""
    user = signed_in_user(request)
    people = [(str(u.pk), u.get_full_name() or u.username) for u in list_colleagues(user)]
    current = [str(u.pk) for u in list_billing_handlers(user.organization_id)]
    form = HandlersForm(request.POST or None, people=people, initial={"handlers": current})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.check_set_billing_handlers(
                    user.organization, user_ids=form.user_ids(), acting_user=user
                )
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, "Saved: who answers billing questions.")
                return redirect("billing:questions")
        else:
            status = 400
    return render(request, "billing/handlers.html", {"form": form}, status=status)
