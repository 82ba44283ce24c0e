"""The vendor's official results: their own table, and the managers' upload of the CSV file."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS
from carebond.surveys.feedback_forms import VendorUploadForm
from carebond.surveys.vendor_actions import HEADER, check_import_vendor_results
from carebond.surveys.vendor_selectors import list_vendor_results

MAX_FILE_BYTES = 5 * 1024 * 1024


def _page(request: HttpRequest, form: VendorUploadForm | None = None) -> HttpResponse:
    user = signed_in_user(request)
    may_manage = SURVEY_MANAGERS.allows(user.role)
    return render(
        request,
        "surveys/vendor/results.html",
        {
            "surveys": list_vendor_results(user=user),
            "may_manage": may_manage,
            "form": form or VendorUploadForm(),
            "header": HEADER,
        },
        status=422 if form is not None and form.errors else 200,
    )


@page_policy(SURVEY_READERS)
@require_GET
def vendor(request: HttpRequest) -> HttpResponse:
    return _page(request)


@page_policy(SURVEY_MANAGERS)
@require_POST
def vendor_upload(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = VendorUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            form.add_error("file", "The file is larger than 5 MB; split it by survey or year.")
            return _page(request, form)
        try:
            done = check_import_vendor_results(user.organization, upload.read(), acting_user=user)
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                f"Imported the vendor's file: {done.created} new result"
                f"{'s' if done.created != 1 else ''}, {done.updated} updated.",
            )
            return redirect("surveys:vendor")
    return _page(request, form)
