"""A patient's right of access, for the staff who answer it: their record as a FHIR file or a
PDF, and the accounting of who accessed it (a page and a CSV file). Every download is a
disclosure recorded once; every page of the accounting shown is recorded too."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from uuid import UUID

import orjson
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from carebond.audit.access import PATIENT_RIGHTS_HANDLERS
from carebond.audit.accounting import (
    AccessEntry,
    Period,
    check_period,
    default_period,
    get_accounting_page,
    iter_accounting,
)
from carebond.core import clock
from carebond.core.access import signed_in_user
from carebond.core.csv_files import spreadsheet_safe
from carebond.core.errors import InvalidInput
from carebond.core.permissions import page_policy
from carebond.interop.record_copy import WORDS, about_patient, sections
from carebond.interop.record_export import (
    access_patient_record,
    get_record_bundle,
    get_record_copy,
    merged_ids,
)
from carebond.interop.record_forms import AccountingPeriodForm, CopyLanguageForm

ACCOUNTING_COLUMNS = ("When (UTC)", "Who", "What", "Part of CareBond", "Why", "Action code")


def _period(request: HttpRequest) -> tuple[AccountingPeriodForm, Period | None]:
    form = AccountingPeriodForm(request.GET or None)
    if not form.is_bound:
        return form, default_period()
    if not form.is_valid():
        return form, None
    return form, check_period(form.cleaned_data.get("since"), form.cleaned_data.get("until"))


@page_policy(PATIENT_RIGHTS_HANDLERS)
@require_GET
def accounting(request: HttpRequest, person_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    person = access_patient_record(user, person_id)
    form, period = _period(request)
    context = {"person": person, "form": form, "page": None}
    if period is None:
        return render(request, "interop/accounting.html", context, status=400)
    page = get_accounting_page(
        user=user,
        patient_public_id=str(person.public_id),
        merged_ids=merged_ids(person),
        period=period,
        page=_page_number(request),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "interop/accounting.html",
        {**context, "page": page, "query": query.urlencode(), "columns": ACCOUNTING_COLUMNS},
    )


def _page_number(request: HttpRequest) -> int:
    """Page 1 for anything but a page number (the paginator caps it at the last page)."""
    asked = request.GET.get("page", "")
    return int(asked) if asked.isdigit() and 0 < int(asked) <= 1_000_000 else 1


def _csv_lines(entries: Iterator[AccessEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ACCOUNTING_COLUMNS)
    for entry in entries:
        at = entry.at.isoformat(timespec="seconds")
        writer.writerow(
            spreadsheet_safe([at, entry.who, entry.what, entry.part, entry.why, entry.action])
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


@page_policy(PATIENT_RIGHTS_HANDLERS)
@require_GET
def accounting_csv(request: HttpRequest, person_id: UUID) -> HttpResponse | StreamingHttpResponse:
    user = signed_in_user(request)
    person = access_patient_record(user, person_id)
    form, period = _period(request)
    if period is None:
        return render(
            request, "interop/accounting.html", {"person": person, "form": form}, status=400
        )
    entries = iter_accounting(
        user=user,
        patient_public_id=str(person.public_id),
        merged_ids=merged_ids(person),
        period=period,
    )
    response = StreamingHttpResponse(_csv_lines(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accounting-of-access.csv"'
    return response


@page_policy(PATIENT_RIGHTS_HANDLERS)
@require_GET
def record_fhir(request: HttpRequest, person_id: UUID) -> HttpResponse:
    bundle = get_record_bundle(user=signed_in_user(request), person_id=person_id)
    response = HttpResponse(orjson.dumps(bundle), content_type="application/fhir+json")
    response["Content-Disposition"] = 'attachment; filename="health-record.fhir.json"'
    return response


@page_policy(PATIENT_RIGHTS_HANDLERS)
@require_GET
def record_pdf(request: HttpRequest, person_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    form = CopyLanguageForm(request.GET)
    if not form.is_valid():
        raise InvalidInput(
            "The language of the copy is one of en, es (or blank: the patient's own).",
            field="language",
        )
    period = default_period()
    copy = get_record_copy(
        user=user, person_id=person_id, period=period, language=form.cleaned_data["language"]
    )
    language = copy.language
    words = WORDS[language]
    organization = copy.person.organization.name
    html = render_to_string(
        "interop/record_copy.html",
        {
            "language": language,
            "words": words,
            "intro": words["intro"].format(
                organization=organization, made=clock.now().date().isoformat()
            ),
            "accounting_intro": words["accounting_intro"].format(
                organization=organization,
                since=period.since.isoformat(),
                until=period.until.isoformat(),
            ),
            "about": about_patient(copy.resources),
            "sections": sections(copy.resources, language),
            "accounting": copy.accounting,
        },
        request=request,
    )
    # WeasyPrint takes most of a second to import: only a printing view loads it.
    from carebond.core.pdf import html_pdf

    origin = settings.BASE_URL.rstrip("/") or request.build_absolute_uri("/").rstrip("/")
    response = HttpResponse(html_pdf(html, origin=origin), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="health-record.pdf"'
    return response
