"""The CSV upload page: upload, map the columns, dry run, import (all or nothing).

The uploaded file waits in the session between the steps, encrypted like other PHI at rest
(it holds names and birth dates), and is dropped once imported.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.errors import InvalidInput
from carebond.core.fields import decrypt, encrypt
from carebond.core.permissions import MANAGERS, page_policy
from carebond.people.imports import (
    FIELDS,
    IGNORE,
    IMPORT_KINDS,
    ImportResult,
    default_mapping,
    import_people,
    read_headers,
)
from carebond.people.models import PersonKind

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
SESSION_KEY = "people_import"
# The error table shows this many rows; the count says how many more there are.
MAX_ERRORS_SHOWN = 500

KIND_CHOICES = [(kind, PersonKind(kind).label) for kind in IMPORT_KINDS]


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 text with the column names on the first row; at most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    kind = forms.ChoiceField(
        choices=KIND_CHOICES,
        initial=PersonKind.PATIENT,
        help_text="Used for every row unless the file has a 'kind' column.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit here is 5 MB. "
                "Split it into smaller files, or ask an administrator to run "
                "'carebond import-csv people FILE' on the server."
            )
        self.file_name = str(upload.name or "upload.csv")
        data: bytes = upload.read()
        try:
            read_headers(data)
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error
        return data


class MappingForm(forms.Form):
    """One select per CSV column, prefilled from the headers CareBond recognises."""

    upload = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=KIND_CHOICES, help_text="Used for every row without a 'kind' column."
    )

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        defaults = default_mapping(headers)
        choices = [
            ("", "Choose a field…"),
            (IGNORE, "Ignore this column"),
            *FIELDS.items(),
        ]
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or f"(column {index + 1} has no name)",
                choices=choices,
                required=False,
                initial=defaults.get(header, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}", "")
            for index, header in enumerate(self.headers)
            if header
        }


def _store(request: HttpRequest, *, data: bytes, name: str) -> str:
    token = uuid.uuid4().hex
    request.session[SESSION_KEY] = {
        "token": token,
        "name": name,
        # PHI at rest in the session table: encrypted with the field keys.
        "data": encrypt(base64.b64encode(data).decode("ascii")),
    }
    return token


def _stored(request: HttpRequest, token: str) -> tuple[bytes, str] | None:
    pending = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("token") != token:
        return None
    try:
        return base64.b64decode(decrypt(pending["data"])), str(pending.get("name", ""))
    except (KeyError, ValueError, binascii.Error, ImproperlyConfigured):
        return None


@page_policy(MANAGERS)
@require_http_methods(["GET", "POST"])
def import_people_page(request: HttpRequest) -> HttpResponse:
    """Step 1 uploads; step 2 maps the columns and runs a dry run or the import."""
    user = signed_in_user(request)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    context: dict[str, Any] = {}
    if step == "upload":
        upload_form = UploadForm(request.POST, request.FILES)
        if not upload_form.is_valid():
            return _render(request, context | {"upload_form": upload_form}, status=400)
        data: bytes = upload_form.cleaned_data["file"]
        name = upload_form.file_name
        kind = upload_form.cleaned_data["kind"]
        token = _store(request, data=data, name=name)
        headers = read_headers(data)
        context["mapping_form"] = MappingForm(
            initial={"upload": token, "kind": kind}, headers=headers
        )
        context["file_name"] = name
        return _render(request, context)
    if step in {"check", "import"}:
        stored = _stored(request, request.POST.get("upload", ""))
        if stored is None:
            context["upload_error"] = (
                "The uploaded file is no longer here (the session ended, or another upload "
                "replaced it). Upload it again."
            )
            return _render(request, context | {"upload_form": UploadForm()}, status=409)
        data, name = stored
        mapping_form = MappingForm(request.POST, headers=read_headers(data))
        context |= {"mapping_form": mapping_form, "file_name": name}
        if not mapping_form.is_valid():
            return _render(request, context, status=400)
        result = import_people(
            user.organization,
            data,
            kind=mapping_form.cleaned_data["kind"],
            mapping=mapping_form.mapping(),
            dry_run=step == "check",
            acting_user=user,
        )
        context["result"] = result
        if result.written:
            # Done: forget the file. A refresh re-posts a token that no longer exists (409).
            request.session.pop(SESSION_KEY, None)
            context["mapping_form"] = None
            context["upload_form"] = UploadForm()
            return _render(request, context)
        return _render(request, context, status=422 if result.rejected else 200)
    request.session.pop(SESSION_KEY, None)
    return _render(request, context | {"upload_form": UploadForm()})


def _render(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    result = context.get("result")
    if isinstance(result, ImportResult):
        context["errors_shown"] = result.errors[:MAX_ERRORS_SHOWN]
        context["errors_hidden"] = max(0, len(result.errors) - MAX_ERRORS_SHOWN)
    return render(request, "people/import.html", context, status=status)
