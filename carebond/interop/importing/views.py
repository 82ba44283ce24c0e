"""The FHIR import page for managers: upload files, then watch the import's progress."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.errors import InvalidInput
from carebond.core.permissions import page_policy
from carebond.interop.access import FHIR_IMPORTERS
from carebond.interop.importing import selectors as import_selectors
from carebond.interop.importing.actions import OUTCOMES, check_queue_upload
from carebond.interop.importing.reading import FILE_SUFFIXES
from carebond.interop.models import EhrConnection


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if not data and self.required:
            raise forms.ValidationError("Choose at least one file.", code="required")
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class UploadForm(forms.Form):
    fhir_files = MultipleFileField(
        label="FHIR files",
        widget=MultipleFileInput(attrs={"accept": ",".join(FILE_SUFFIXES), "multiple": True}),
        help_text=(
            "Bundles (.json) or NDJSON (.ndjson), gzip-compressed or not; several at once. "
            "Provider files are imported before patient files whatever the order."
        ),
    )
    connection = forms.ChoiceField(
        label="EHR connection",
        required=False,
        help_text=(
            "Which system sent these files. Files from the same connection update what it "
            "sent before instead of adding duplicates, whether they came by upload, the "
            "command line or the FHIR API."
        ),
    )
    source = forms.CharField(
        label="Or a new connection: its system",
        max_length=200,
        required=False,
        help_text=(
            "A URI naming the sending system, e.g. its FHIR address (https://ehr.example.org/"
            "fhir) or urn:ehr:epic-prod. Used when no connection is chosen above."
        ),
    )

    def __init__(self, *args: Any, connections: list[EhrConnection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = {str(c.public_id): c for c in connections}
        field = self.fields["connection"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "A new connection (name its system below)"),
            *((key, str(c)) for key, c in self.connections.items()),
        ]
        if connections:
            field.initial = str(connections[0].public_id)
        else:
            self.fields["source"].initial = "urn:carebond:source:upload"

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        chosen = cleaned.get("connection") or ""
        cleaned["connection"] = self.connections.get(chosen)
        if cleaned["connection"] is None and not (cleaned.get("source") or "").strip():
            self.add_error("source", "Choose a connection, or name a new one's system.")
        return cleaned

    def clean_fhir_files(self) -> list[Any]:
        uploads: list[Any] = self.cleaned_data["fhir_files"]
        limit = settings.FHIR_MAX_UPLOAD_BYTES
        total = sum(u.size for u in uploads)
        if total > limit:
            raise forms.ValidationError(
                f"These files come to {total / 1024 / 1024:.0f} MB; the limit here is "
                f"{limit / 1024 / 1024:.0f} MB. Upload them in parts, or run "
                "'carebond import-fhir' on the server."
            )
        for upload in uploads:
            if not str(upload.name).lower().endswith(FILE_SUFFIXES):
                raise forms.ValidationError(
                    f"{upload.name}: not a FHIR file name (.json, .ndjson, or .gz of them)."
                )
        return uploads


@page_policy(FHIR_IMPORTERS)
@require_http_methods(["GET", "POST"])
def fhir_import(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        connections=import_selectors.list_connections(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            run = check_queue_upload(
                user.organization,
                [(str(u.name), u.chunks()) for u in form.cleaned_data["fhir_files"]],
                source_system=form.cleaned_data["source"],
                acting_user=user,
                upload_root=settings.FHIR_UPLOAD_DIR,
                connection=form.cleaned_data["connection"],
            )
        except InvalidInput as error:
            field = {"files": "fhir_files"}.get(error.field or "", error.field)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            return redirect("imports:fhir_run", run_id=run.public_id)
    status = 400 if request.method == "POST" else 200
    runs = import_selectors.list_import_runs(user)
    return render(request, "interop/fhir_import.html", {"form": form, "runs": runs}, status=status)


@page_policy(FHIR_IMPORTERS)
@require_http_methods(["GET"])
def fhir_import_run(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    """The progress page: refreshes itself while the import runs."""
    user = signed_in_user(request)
    run = import_selectors.get_import_run(user, run_id)
    rows = [(t, [c.get(o, 0) for o in OUTCOMES]) for t, c in run.counts.items()]
    patient_count, patients = (
        import_selectors.list_patients_of_run(user, run) if run.status != "running" else (0, [])
    )
    context = {
        "run": run,
        "outcomes": OUTCOMES,
        "rows": rows,
        "rejected": [p for p in run.problems if not p.get("notice")],
        "notices": [p for p in run.problems if p.get("notice")],
        "running": run.status == "running",
        "patients": patients,
        "patient_count": patient_count,
    }
    return render(request, "interop/fhir_import_run.html", context)
